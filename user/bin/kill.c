/* kill: send a signal to processes.
 *   kill PID...              send SIGTERM
 *   kill -SIGNAL PID...      SIGNAL is a number (-9) or a name (-KILL, -SIGKILL)
 *   kill -l                  list the signal names
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "9", "KILL" or "SIGKILL" -> 9; -1 if unknown. */
static int parse_signal(const char* s) {
  char* end;
  long n = strtol(s, &end, 10);
  if (*end == '\0' && end != s) return n >= 0 && n < NSIG ? (int)n : -1;
  if (strncasecmp(s, "SIG", 3) == 0) s += 3;
  for (int sig = 1; sig < NSIG; sig++) {
    const char* name = sigabbrev_np(sig); /* "KILL", or NULL for numbers without a name */
    if (name && strcasecmp(name, s) == 0) return sig;
  }
  return -1;
}

static void list_signals(void) {
  for (int sig = 1; sig < NSIG; sig++) {
    const char* name = sigabbrev_np(sig);
    if (name) printf("%2d SIG%s\n", sig, name);
  }
}

int main(int argc, char** argv) {
  int sig = SIGTERM, i = 1, status = 0;
  if (argc == 2 && strcmp(argv[1], "-l") == 0) {
    list_signals();
    return 0;
  }
  if (i < argc && argv[i][0] == '-') {
    sig = parse_signal(argv[i] + 1);
    if (sig < 0) {
      fprintf(stderr, "kill: unknown signal %s (kill -l lists them)\n", argv[i] + 1);
      return 2;
    }
    i++;
  }
  if (i == argc) {
    fprintf(stderr, "usage: kill [-SIGNAL] PID...\n");
    return 2;
  }
  for (; i < argc; i++) {
    char* end;
    long pid = strtol(argv[i], &end, 10);
    if (*end != '\0' || end == argv[i]) {
      fprintf(stderr, "kill: %s: not a process id\n", argv[i]);
      status = 1;
    } else if (kill((pid_t)pid, sig) < 0) {
      fprintf(stderr, "kill: %ld: %s\n", pid, strerror(errno));
      status = 1;
    }
  }
  return status;
}
