/* blk_errors: disk errors reach the program as errors, and nothing else happens: no kernel panic, no signal,
 * the disk goes on working. QEMU's blkdebug driver makes the disk fail:
 *   vda (4 MiB): reads touching sector 2048 and writes touching sector 4096 fail (VIRTIO_BLK_S_IOERR)
 *   vdb (1 MiB): every flush fails
 *   vdc (1 MiB): read-only
 *   - writing vda in 64 KiB chunks: only the chunk with sector 4096 fails, with EIO
 *   - reading it back: only the chunk with sector 2048 fails, with EIO; the others hold their data
 *   - the error is in the kernel log ("vda: I/O error")
 *   - fsync of vdb: EIO; its data was written all the same
 *   - vdc reads, and refuses writes with EPERM (as Linux's blkdev_write_iter)
 * The host then checks the images (tests/qemu/disk_checks.py, blk_errors).
 * TEST: kernel-only
 * TEST: disk=4M,errors=read@2048+write@4096
 * TEST: disk=1M,errors=flush
 * TEST: disk=1M,readonly
 * TEST: args=/dev/vda /dev/vdb /dev/vdc
 * TEST: disk-check=blk_errors
 * TEST: kernel-log=vda: I/O error, read of [0-9]+ sector\(s\) at sector
 * TEST: kernel-log=vda: I/O error, write of [0-9]+ sector\(s\) at sector
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "blktest.h"
#include "testlib.h"

#define CHUNK (64u << 10)

static unsigned char buf[CHUNK];

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc < 4) return 2;
  int fd = open(argv[1], O_RDWR);
  CHECK(fd >= 0);
  off_t size = lseek(fd, 0, SEEK_END);
  CHECK(size == 4 << 20);
  off_t bad_write = 4096 * 512 / CHUNK * CHUNK, bad_read = 2048 * 512 / CHUNK * CHUNK;
  for (off_t at = 0; at < size; at += CHUNK) {
    blk_fill(buf, CHUNK, (uint64_t)at, 7);
    if (at == bad_write) {
      CHECK_ERRNO(pwrite(fd, buf, CHUNK, at), EIO);
    } else {
      CHECK(pwrite(fd, buf, CHUNK, at) == CHUNK);
    }
  }
  tl_say("writes: EIO for the chunk with sector 4096 only\n");
  for (off_t at = 0; at < size; at += CHUNK) {
    memset(buf, 0, CHUNK);
    if (at == bad_read) {
      CHECK_ERRNO(pread(fd, buf, CHUNK, at), EIO);
    } else if (at == bad_write) {
      CHECK(pread(fd, buf, CHUNK, at) == CHUNK);
      for (size_t i = 0; i < CHUNK; i++) CHECK(buf[i] == 0);
    } else {
      CHECK(pread(fd, buf, CHUNK, at) == CHUNK && blk_matches(buf, CHUNK, (uint64_t)at, 7));
    }
  }
  /* A read that starts on good sectors and reaches the bad one: an error, or the good part only. */
  ssize_t r = pread(fd, buf, CHUNK, bad_read + 4096 - CHUNK);
  CHECK((r == -1 && errno == EIO) || (r >= 0 && r < (ssize_t)CHUNK));
  /* The same sectors again: still failing, nothing cached. */
  CHECK_ERRNO(pread(fd, buf, 512, 2048 * 512), EIO);
  CHECK(pread(fd, buf, 512, 2047 * 512) == 512);
  CHECK(fsync(fd) == 0);
  CHECK(close(fd) == 0);
  tl_say("reads: EIO for the chunk with sector 2048 only\n");

  fd = open(argv[2], O_RDWR);
  CHECK(fd >= 0);
  blk_fill(buf, 4096, 0, 8);
  CHECK(pwrite(fd, buf, 4096, 0) == 4096);
  CHECK_ERRNO(fsync(fd), EIO);
  CHECK(close(fd) == 0);
  tl_say("a failed flush is an EIO from fsync\n");

  fd = open(argv[3], O_RDWR);
  CHECK(fd >= 0);
  CHECK(pread(fd, buf, 4096, 0) == 4096);
  CHECK_ERRNO(pwrite(fd, buf, 4096, 0), EPERM);
  CHECK(close(fd) == 0);
  tl_say("a read-only disk reads and refuses writes\n");
  return tl_done();
}
