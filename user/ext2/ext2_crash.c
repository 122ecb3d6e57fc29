/* ext2_crash: writes a file and fsyncs it, says so, then keeps creating and writing files until QEMU is killed
 * under it (tests/qemu/ext2_test.py, scenario "crash": e2fsck -fy must repair the image and keep the fsync'ed
 * file intact). Never exits by itself.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  static unsigned char data[300 * 1024];
  for (long i = 0; i < (long)sizeof data; i++) data[i] = (unsigned char)((i * 131 + 5 * 7 + (i >> 10)) & 0xff);
  int fd = open("/mnt/synced.bin", O_WRONLY | O_CREAT, 0644);
  if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data || fsync(fd) != 0 || close(fd) != 0) return 1;
  tl_say("synced\n");
  for (unsigned long n = 0;; n++) {
    char name[64];
    snprintf(name, sizeof name, "/mnt/churn-%lu", n % 500);
    fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      (void)write(fd, data, 4096 + (n % 7) * 1000);
      close(fd);
    }
    if (n % 50 == 49) {
      snprintf(name, sizeof name, "/mnt/churn-%lu", (n * 7) % 500);
      unlink(name);
    }
  }
}
