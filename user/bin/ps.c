/* ps: list the processes, from /proc/PID/stat ("pid (name) state ppid ...") and /proc/PID/cmdline.
 * Says "ps: /proc not available" when the kernel has no /proc.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a small file into buf (NUL-terminated); returns its length, or -1. */
static ssize_t read_small(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

static void show(const char* pid) {
  char path[64], stat[512], cmd[256];
  char name[64] = "?", state = '?';
  int ppid = 0;
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  if (read_small(path, stat, sizeof stat) > 0) {
    /* The name is in parentheses and may itself contain ") ": look for the last ')'. */
    char* open = strchr(stat, '(');
    char* close = strrchr(stat, ')');
    if (open && close && close > open) {
      snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
      sscanf(close + 1, " %c %d", &state, &ppid);
    }
  }
  snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
  ssize_t n = read_small(path, cmd, sizeof cmd);
  if (n > 0) {
    for (ssize_t i = 0; i < n - 1; i++)
      if (cmd[i] == '\0') cmd[i] = ' '; /* arguments are NUL-separated */
  } else {
    snprintf(cmd, sizeof cmd, "[%s]", name);
  }
  printf("%5s %5d %c  %s\n", pid, ppid, state, cmd);
}

static int compare_pids(const void* a, const void* b) {
  return atoi(*(char* const*)a) - atoi(*(char* const*)b);
}

int main(void) {
  DIR* d = opendir("/proc");
  char* pids[1024];
  int count = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL && count < 1024)
    if (isdigit((unsigned char)e->d_name[0])) pids[count++] = strdup(e->d_name);
  if (d) closedir(d);
  if (count == 0) {
    fprintf(stderr, "ps: /proc not available\n");
    return 1;
  }
  qsort(pids, count, sizeof pids[0], compare_pids);
  printf("  PID  PPID S  COMMAND\n");
  for (int i = 0; i < count; i++) show(pids[i]);
  return 0;
}
