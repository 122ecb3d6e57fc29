/* ls: list directories (readdir, which reads the kernel's getdents64 records).
 *   ls [-l] [-a] [PATH...]
 *     -l   long format: type and permissions, links, size, name
 *     -a   show names that start with '.' too
 * Names are sorted. A PATH that is not a directory is listed as itself.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int long_format, show_all;

/* "drwxr-xr-x" */
static void mode_string(mode_t mode, char out[11]) {
  out[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c' : S_ISFIFO(mode) ? 'p' : '-';
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; i++) out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
  out[10] = '\0';
}

/* Print one entry; `path` is where to stat it, `name` what to show. */
static void print_entry(const char* path, const char* name) {
  if (!long_format) {
    printf("%s\n", name);
    return;
  }
  struct stat st;
  if (lstat(path, &st) < 0) {
    printf("?????????? %s\n", name);
    return;
  }
  char mode[11];
  mode_string(st.st_mode, mode);
  printf("%s %3lu %8lld %s\n", mode, (unsigned long)st.st_nlink, (long long)st.st_size, name);
}

static int compare_names(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static int list_directory(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) {
    fprintf(stderr, "ls: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  char** names = NULL;
  size_t count = 0, cap = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && !show_all) continue;
    if (count == cap) names = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof *names);
    names[count++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof *names, compare_names);
  for (size_t i = 0; i < count; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    print_entry(path, names[i]);
    free(names[i]);
  }
  free(names);
  return 0;
}

static int list(const char* path, int show_header) {
  struct stat st;
  if (stat(path, &st) < 0) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    print_entry(path, path);
    return 0;
  }
  if (show_header) printf("%s:\n", path);
  return list_directory(path);
}

int main(int argc, char** argv) {
  int i = 1, status = 0;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    for (const char* f = argv[i] + 1; *f; f++) {
      if (*f == 'l') long_format = 1;
      else if (*f == 'a') show_all = 1;
      else {
        fprintf(stderr, "usage: ls [-l] [-a] [PATH...]\n");
        return 2;
      }
    }
  }
  if (i == argc) return list(".", 0);
  for (int first = i; i < argc; i++) {
    if (i > first) printf("\n");
    status |= list(argv[i], argc - first > 1);
  }
  return status;
}
