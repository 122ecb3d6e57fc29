/* The console is a terminal: TCGETS returns canonical mode with echo, TIOCGWINSZ a window size, and TCSETS
 * changes the mode (read back with TCGETS). Opened as /dev/tty, since under tools/run the standard streams are
 * pipes to the program (so it buffers as it would under the Linux reference).
 * TEST: kernel-only */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = open("/dev/tty", O_RDWR);
  CHECK(fd >= 0);
  CHECK(isatty(fd));
  struct termios t;
  CHECK(ioctl(fd, TCGETS, &t) == 0);
  CHECK((t.c_lflag & ICANON) && (t.c_lflag & ECHO));
  tl_say("TCGETS: canonical mode with echo\n");
  struct winsize w;
  CHECK(ioctl(fd, TIOCGWINSZ, &w) == 0);
  CHECK(w.ws_row > 0 && w.ws_col > 0);
  tl_say("TIOCGWINSZ: %s\n", w.ws_row > 0 && w.ws_col > 0 ? "rows and columns set" : "empty");
  struct termios raw = t;
  raw.c_lflag &= ~(ICANON | ECHO);
  CHECK(ioctl(fd, TCSETS, &raw) == 0);
  struct termios back;
  CHECK(ioctl(fd, TCGETS, &back) == 0);
  CHECK(!(back.c_lflag & ICANON) && !(back.c_lflag & ECHO));
  CHECK(ioctl(fd, TCSETS, &t) == 0);
  tl_say("TCSETS: mode changed and restored\n");
  CHECK_ERRNO(ioctl(fd, 0x12345678, 0), ENOTTY);
  close(fd);
  return tl_done();
}
