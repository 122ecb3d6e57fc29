/* libc_share: how many processes share libc's text frames. A dynamically linked program: ld.so mapped libc.so.6
 * from /lib into it, MAP_PRIVATE, and every other dynamically linked process maps the very same frames for its
 * text. The program prints its own /lib mappings, then libc's text figures from /proc/self/smaps: Rss (resident
 * here), how much of it is shared, and Pss (each page divided by the number of address spaces mapping it), from
 * which the number of processes sharing the shared pages follows. With N, it first starts N copies of itself
 * that wait, and the count grows by N.
 *   libc_share [N]
 * Compare: a static program (hello, ls) has no /lib mapping at all; its copy of libc is inside its own text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smaps.h"

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "wait") == 0) {
    char c; /* a copy that only keeps libc mapped: it waits for the end of its standard input (a pipe) */
    while (read(0, &c, 1) > 0) {
    }
    return 0;
  }
  int copies = argc > 1 ? atoi(argv[1]) : 0;
  pid_t pids[64];
  if (copies > 64) copies = 64;
  int hold[2];
  if (pipe(hold) != 0) return 1;
  for (int i = 0; i < copies; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      dup2(hold[0], 0);
      close(hold[0]);
      close(hold[1]);
      execlp(argv[0], argv[0], "wait", (char*)NULL);
      _exit(127);
    }
  }
  if (copies) sleep(1); /* let them start */

  printf("My mappings of files in /lib (from /proc/self/maps):\n");
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[256];
  while (maps && fgets(line, sizeof line, maps))
    if (strstr(line, " /lib/")) fputs(line, stdout);
  if (maps) fclose(maps);

  struct smaps_entry e;
  if (smaps_find(0, "r-xp", "/libc.so.6", &e) != 0) {
    printf("No libc.so.6 text mapping: is this program statically linked?\n");
    return 1;
  }
  long private_kb = e.private_clean_kb + e.private_dirty_kb, shared_kb = e.shared_clean_kb + e.shared_dirty_kb;
  printf("libc's text: %ld kB mapped, %ld kB resident (Rss), %ld kB shared, proportional share (Pss) %ld kB\n",
         e.size_kb, e.rss_kb, shared_kb, e.pss_kb);
  /* Pss = private + shared / n, where n is the number of processes mapping the shared pages. */
  if (shared_kb > 0 && e.pss_kb > private_kb)
    printf("%ld kB only here; the %ld kB shared are divided among about %.0f processes (%d copies of me started)\n",
           private_kb, shared_kb, (double)shared_kb / (double)(e.pss_kb - private_kb), copies);
  else
    printf("no page of it is shared with another process (%d copies of me started)\n", copies);
  close(hold[1]); /* the copies read the end of the pipe and exit */
  for (int i = 0; i < copies; i++) waitpid(pids[i], NULL, 0);
  return 0;
}
