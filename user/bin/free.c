/* free: show how much memory is in use.
 * Prints MemTotal, MemFree, MemAvailable, AnonPages, PageTables, SwapTotal, SwapFree and SwapCached from
 * /proc/meminfo when the kernel has it; otherwise the total and free memory and swap from the sysinfo system call.
 */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>

static const char* const fields[] = {"MemTotal",  "MemFree",   "MemAvailable", "AnonPages",
                                     "PageTables", "SwapTotal", "SwapFree",     "SwapCached"};

/* Print the interesting lines of /proc/meminfo; returns how many were found. */
static int from_meminfo(void) {
  FILE* f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      size_t len = strlen(fields[i]);
      if (strncmp(line, fields[i], len) == 0 && line[len] == ':') {
        fputs(line, stdout);
        found++;
      }
    }
  }
  fclose(f);
  return found;
}

int main(void) {
  if (from_meminfo() > 0) return 0;
  struct sysinfo si;
  if (sysinfo(&si) < 0) {
    perror("free: sysinfo");
    return 1;
  }
  printf("MemTotal: %8llu kB\n", (unsigned long long)si.totalram * si.mem_unit / 1024);
  printf("MemFree:  %8llu kB\n", (unsigned long long)si.freeram * si.mem_unit / 1024);
  printf("SwapTotal: %7llu kB\n", (unsigned long long)si.totalswap * si.mem_unit / 1024);
  printf("SwapFree: %8llu kB\n", (unsigned long long)si.freeswap * si.mem_unit / 1024);
  printf("(from sysinfo: no /proc/meminfo)\n");
  return 0;
}
