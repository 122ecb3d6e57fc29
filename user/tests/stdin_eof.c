/* Standard input reaches the program and ends: read(2) returns the bytes given on stdin, then 0 at the end of
 * input (on our kernel, tools/run forwards its standard input and marks its end; see kernel/console.h).
 * Standard input is not a terminal here, so the terminal ioctls fail with ENOTTY, as on a pipe.
 * TEST: stdin=first line\nsecond line\n */
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char buffer[256];
  size_t total = 0;
  for (;;) {
    ssize_t n = read(0, buffer + total, sizeof(buffer) - 1 - total);
    CHECK(n >= 0);
    if (n <= 0) break;
    total += (size_t)n;
    if (total == sizeof(buffer) - 1) break;
  }
  buffer[total] = '\0';
  tl_say("read %zu bytes from stdin:\n%s", total, buffer);
  CHECK(total == 23);
  struct termios t;
  CHECK_ERRNO(ioctl(0, TCGETS, &t), ENOTTY);
  tl_say("stdin is not a terminal\n");
  return tl_done();
}
