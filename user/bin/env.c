/* env: print the environment, or run a program with some more variables in it.
 *   env                              print NAME=VALUE lines
 *   env [NAME=VALUE...] PROGRAM ARGS  add (or change) the variables, then run PROGRAM (looked up in $PATH)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc && strchr(argv[i], '='); i++) putenv(argv[i]);
  if (i == argc) {
    for (char** e = environ; *e; e++) printf("%s\n", *e);
    return 0;
  }
  execvp(argv[i], argv + i);
  fprintf(stderr, "env: %s: %s\n", argv[i], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
