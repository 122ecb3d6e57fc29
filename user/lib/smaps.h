/* Reading /proc/PID/smaps: the figures of one mapping, found by its permissions and the end of its path. */
#pragma once
#include <sys/types.h>

struct smaps_entry {
  unsigned long start, end;                      /* the mapping's range */
  long size_kb, rss_kb, pss_kb;                  /* Size, Rss, Pss */
  long shared_clean_kb, shared_dirty_kb;         /* Shared_Clean, Shared_Dirty */
  long private_clean_kb, private_dirty_kb;       /* Private_Clean, Private_Dirty */
};

/* The first mapping of process pid (0: self) whose permissions are perms ("r-xp") and whose path ends with
 * suffix ("/libc.so.6"). Returns 0, or -1 if there is none or smaps cannot be read. */
int smaps_find(pid_t pid, const char* perms, const char* suffix, struct smaps_entry* out);
