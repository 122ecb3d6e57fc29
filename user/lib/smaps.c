/* Reading /proc/PID/smaps (smaps.h). */
#include "smaps.h"

#include <stdio.h>
#include <string.h>

static int ends_with(const char* s, const char* suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

int smaps_find(pid_t pid, const char* perms, const char* suffix, struct smaps_entry* out) {
  char path[64], line[512];
  if (pid) snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
  else snprintf(path, sizeof path, "/proc/self/smaps");
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  int found = 0, in_it = 0;
  memset(out, 0, sizeof *out);
  while (fgets(line, sizeof line, f)) {
    unsigned long start, end;
    char p[8], name[256] = "";
    line[strcspn(line, "\n")] = '\0';
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &start, &end, p, name) >= 3) { /* a mapping's first line */
      if (in_it) break; /* the next mapping: done */
      if (strcmp(p, perms) == 0 && ends_with(name, suffix)) {
        in_it = found = 1;
        out->start = start;
        out->end = end;
      }
      continue;
    }
    if (!in_it) continue;
    long kb;
    char field[64];
    if (sscanf(line, "%63[^:]: %ld kB", field, &kb) != 2) continue;
    if (strcmp(field, "Size") == 0) out->size_kb = kb;
    else if (strcmp(field, "Rss") == 0) out->rss_kb = kb;
    else if (strcmp(field, "Pss") == 0) out->pss_kb = kb;
    else if (strcmp(field, "Shared_Clean") == 0) out->shared_clean_kb = kb;
    else if (strcmp(field, "Shared_Dirty") == 0) out->shared_dirty_kb = kb;
    else if (strcmp(field, "Private_Clean") == 0) out->private_clean_kb = kb;
    else if (strcmp(field, "Private_Dirty") == 0) out->private_dirty_kb = kb;
  }
  fclose(f);
  return found ? 0 : -1;
}
