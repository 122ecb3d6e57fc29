/* sleep: wait for a number of seconds (fractions allowed: sleep 0.25).
 *   sleep SECONDS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  char* end;
  double seconds = argc == 2 ? strtod(argv[1], &end) : -1;
  if (argc != 2 || *end != '\0' || seconds < 0) {
    fprintf(stderr, "usage: sleep SECONDS\n");
    return 2;
  }
  struct timespec ts = {.tv_sec = (time_t)seconds};
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  /* nanosleep writes the time left into ts when a signal interrupts it: sleep again for the rest. */
  while (nanosleep(&ts, &ts) < 0) {
    if (errno != EINTR) {
      perror("sleep");
      return 1;
    }
  }
  return 0;
}
