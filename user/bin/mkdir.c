/* mkdir: make directories.
 *   mkdir [-p] DIR...     -p: make the missing parents too, and don't complain if DIR exists
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p: make each prefix of the path that ends before a '/', then the path itself. */
static int make_parents(const char* path) {
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(buf, path);
  for (char* p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(buf, 0777) < 0 && errno != EEXIST) return -1;
  return 0;
}

int main(int argc, char** argv) {
  int parents = 0, status = 0, i = 1;
  if (i < argc && strcmp(argv[i], "-p") == 0) {
    parents = 1;
    i++;
  }
  if (i == argc) {
    fprintf(stderr, "usage: mkdir [-p] DIR...\n");
    return 2;
  }
  for (; i < argc; i++) {
    if ((parents ? make_parents(argv[i]) : mkdir(argv[i], 0777)) < 0) {
      fprintf(stderr, "mkdir: %s: %s\n", argv[i], strerror(errno));
      status = 1;
    }
  }
  return status;
}
