/* blk_io: a disk as a file, /dev/vda, read and written the way programs do on Linux.
 *   - a fresh disk reads as zeros; its size is where lseek(SEEK_END) lands (4 MiB)
 *   - pwrite/pread at sector-aligned offsets, at odd offsets and lengths (read-modify-write of partly covered
 *     sectors), single bytes; write/read at the file offset, which they advance; one 1 MiB transfer
 *   - reads at and across the end: 0 and a short count
 *   - fsync and fdatasync succeed; a descriptor opened read-only cannot write (EBADF)
 *   - block-device semantics (checked only on a block device; under qemu-user the disk is an image file):
 *     st_rdev 254:0 (virtio_blk's major), BLKGETSIZE64 and BLKSSZGET, ENOSPC for a write at the end, a short
 *     write across the end, EINVAL for lseek past the end or SEEK_DATA
 * The image afterwards must equal the one the same program leaves under qemu-user (the harness compares them).
 * TEST: disk=4M
 * TEST: args=/dev/vda
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blktest.h"
#include "testlib.h"

#define SIZE (4u << 20)

static unsigned char buf[1 << 20], back[1 << 20];

static int all_zero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

static void block_device_semantics(int fd) {
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  if (!S_ISBLK(st.st_mode)) return; /* qemu-user: an image file */
  CHECK(major(st.st_rdev) == 254 && minor(st.st_rdev) == 0);
  CHECK(st.st_size == 0); /* a device node has no size of its own */
  uint64_t bytes = 0;
  CHECK(ioctl(fd, BLKGETSIZE64, &bytes) == 0 && bytes == SIZE);
  int sector_size = 0;
  CHECK(ioctl(fd, BLKSSZGET, &sector_size) == 0 && sector_size == 512);
  memset(buf, 0, 200);
  CHECK_ERRNO(pwrite(fd, buf, 10, SIZE), ENOSPC);
  CHECK_ERRNO(pwrite(fd, buf, 10, SIZE + 4096), ENOSPC);
  CHECK(pwrite(fd, buf, 200, SIZE - 100) == 100); /* zeros over zeros: the image stays as the reference's */
  CHECK_ERRNO(lseek(fd, SIZE + 1, SEEK_SET), EINVAL);
  CHECK_ERRNO(lseek(fd, 1, SEEK_END), EINVAL);
  CHECK_ERRNO(lseek(fd, 0, SEEK_DATA), EINVAL);
  CHECK(lseek(fd, 0, SEEK_END) == SIZE);
  CHECK(read(fd, buf, 10) == 0);
  CHECK_ERRNO(write(fd, buf, 10), ENOSPC);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDWR);
  CHECK(fd >= 0);

  off_t size = lseek(fd, 0, SEEK_END);
  tl_say("size %lld\n", (long long)size);
  CHECK(size == SIZE);
  CHECK(pread(fd, back, 65536, 0) == 65536 && all_zero(back, 65536));
  tl_say("a fresh disk reads as zeros\n");

  /* Aligned. */
  blk_fill(buf, 65536, 0, 1);
  CHECK(pwrite(fd, buf, 65536, 0) == 65536);
  memset(back, 0, 65536);
  CHECK(pread(fd, back, 65536, 0) == 65536 && blk_matches(back, 65536, 0, 1));
  tl_say("aligned pwrite and pread round-trip\n");

  /* Unaligned: partly covered first and last sectors keep their other bytes (zeros here). */
  blk_fill(buf, 1000, 70000, 2);
  CHECK(pwrite(fd, buf, 1000, 70000) == 1000);
  CHECK(pread(fd, back, 4096, 68000) == 4096);
  CHECK(all_zero(back, 2000) && blk_matches(back + 2000, 1000, 70000, 2) && all_zero(back + 3000, 1096));
  for (int i = 0; i < 6; i++) {
    off_t at = 100003 + i * 7777;
    unsigned char c = (unsigned char)(0x41 + i), got = 0;
    CHECK(pwrite(fd, &c, 1, at) == 1);
    CHECK(pread(fd, &got, 1, at) == 1 && got == c);
  }
  CHECK(pread(fd, back, 3, 100002) == 3 && back[0] == 0 && back[1] == 0x41 && back[2] == 0);
  tl_say("unaligned writes keep the rest of their sectors\n");

  /* write/read at the file offset. */
  CHECK(lseek(fd, 1 << 20, SEEK_SET) == 1 << 20);
  blk_fill(buf, 300000, 1 << 20, 3);
  for (int i = 0; i < 3; i++) CHECK(write(fd, buf + i * 100000, 100000) == 100000);
  CHECK(lseek(fd, 0, SEEK_CUR) == (1 << 20) + 300000);
  CHECK(lseek(fd, -300000, SEEK_CUR) == 1 << 20);
  memset(back, 0, 300000);
  for (int i = 0; i < 4; i++) CHECK(read(fd, back + i * 75000, 75000) == 75000);
  CHECK(blk_matches(back, 300000, 1 << 20, 3));
  tl_say("write and read advance the offset\n");

  /* One large transfer. */
  blk_fill(buf, sizeof buf, 2 << 20, 4);
  CHECK(pwrite(fd, buf, sizeof buf, 2 << 20) == (ssize_t)sizeof buf);
  memset(back, 0, sizeof back);
  CHECK(pread(fd, back, sizeof back, 2 << 20) == (ssize_t)sizeof back);
  CHECK(blk_matches(back, sizeof back, 2 << 20, 4));
  tl_say("a 1 MiB transfer round-trips\n");

  /* The end. */
  CHECK(pread(fd, back, 200, SIZE - 100) == 100);
  CHECK(pread(fd, back, 200, SIZE) == 0);
  CHECK(pread(fd, back, 200, SIZE + 12345) == 0);
  CHECK_ERRNO(pread(fd, back, 200, -1), EINVAL);
  tl_say("reads stop at the end\n");

  block_device_semantics(fd);
  CHECK(fsync(fd) == 0);
  CHECK(fdatasync(fd) == 0);
  tl_say("fsync and fdatasync succeed\n");
  CHECK(close(fd) == 0);

  fd = open(argv[1], O_RDONLY);
  CHECK(fd >= 0);
  CHECK_ERRNO(write(fd, buf, 512), EBADF);
  CHECK(pread(fd, back, 65536, 0) == 65536 && blk_matches(back, 65536, 0, 1));
  CHECK(close(fd) == 0);
  tl_say("read-only descriptors read\n");
  return tl_done();
}
