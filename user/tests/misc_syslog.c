/* misc_syslog: syslog(2) (glibc's klogctl; busybox's dmesg) reads the kernel's message buffer, as Linux 6.1:
 *   - SIZE_BUFFER is its size; READ_ALL returns the most recent whole lines that fit, each "<level>text\n"
 *   - a smaller buffer gets fewer lines, still whole ones, the newest
 *   - READ_CLEAR returns them and moves the clear mark: READ_ALL then starts after it
 *   - READ consumes: SIZE_UNREAD counts what READ has not returned yet, and reading it all brings it to 0
 *   - EINVAL for a NULL buffer, a negative length, a console level outside 1..8 and an unknown action; EFAULT
 *     for a bad buffer; length 0 reads nothing
 * qemu-user passes syslog to the host (whose dmesg_restrict may refuse it): kernel-only. Checked on Linux 6.1
 * (reference-linux run.sh, 1 hart).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <sys/klog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#define READ 2
#define READ_ALL 3
#define READ_CLEAR 4
#define CLEAR 5
#define CONSOLE_LEVEL 8
#define SIZE_UNREAD 9
#define SIZE_BUFFER 10

static char text[1 << 20];

/* Whole lines, each "<digit>...\n". */
static int whole_lines(const char* s, int n) {
  if (n == 0) return 1;
  if (s[n - 1] != '\n') return 0;
  for (int i = 0; i < n;) {
    if (s[i] != '<' || i + 2 >= n || s[i + 1] < '0' || s[i + 1] > '7' || s[i + 2] != '>') return 0;
    while (s[i] != '\n') i++;
    i++;
  }
  return 1;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int size = klogctl(SIZE_BUFFER, NULL, 0);
  CHECK(size >= 4096);
  int all = klogctl(READ_ALL, text, sizeof text);
  CHECK(all > 0 && all <= size && whole_lines(text, all));
  CHECK_ERRNO(klogctl(READ_ALL, (char*)8, 4096), EFAULT);  /* (there is something to copy) */
  tl_say("SIZE_BUFFER and READ_ALL: the buffer's whole lines, each <level>text\n");

  static char last[4096];
  int n = klogctl(READ_ALL, last, 200);
  CHECK(n >= 0 && n <= 200 && whole_lines(last, n));
  CHECK(n == 0 || memcmp(last, text + all - n, n) == 0 || all == size);  /* the newest lines */
  tl_say("a small buffer: the newest whole lines that fit\n");

  CHECK(klogctl(READ_CLEAR, text, sizeof text) > 0);
  n = klogctl(READ_ALL, text, sizeof text);
  CHECK(n >= 0 && n < all && whole_lines(text, n));  /* only what was logged since, if anything */
  CHECK(klogctl(CLEAR, NULL, 0) == 0);
  tl_say("READ_CLEAR and CLEAR move the clear mark\n");

  int unread = klogctl(SIZE_UNREAD, NULL, 0);
  CHECK(unread >= 0);
  for (int rounds = 0; rounds < 1000 && (unread = klogctl(SIZE_UNREAD, NULL, 0)) > 0; rounds++) {
    n = klogctl(READ, text, sizeof text);
    CHECK(n > 0 && whole_lines(text, n));
  }
  CHECK(unread == 0);
  tl_say("READ consumes what SIZE_UNREAD counts\n");

  CHECK_ERRNO(klogctl(READ_ALL, NULL, 10), EINVAL);
  CHECK_ERRNO(klogctl(READ_ALL, text, -1), EINVAL);
  CHECK(klogctl(READ_ALL, text, 0) == 0);
  CHECK_ERRNO(klogctl(CONSOLE_LEVEL, NULL, 0), EINVAL);
  CHECK_ERRNO(klogctl(CONSOLE_LEVEL, NULL, 9), EINVAL);
  CHECK_ERRNO(klogctl(11, NULL, 0), EINVAL);
  tl_say("EINVAL and EFAULT as Linux\n");
  return tl_done();
}
