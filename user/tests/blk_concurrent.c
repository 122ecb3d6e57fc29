/* blk_concurrent: several processes writing and reading one disk at once (on -smp 4, at the same time on
 * several harts), so that the driver has many requests in flight and completes them out of order.
 *   - 4 children each own a 2 MiB quarter of /dev/vda; each writes its quarter in transfers of varied sizes
 *     (a few bytes to 256 KiB, at aligned and odd offsets, the sizes from a fixed pseudo-random sequence),
 *     reads it back in other sizes and checks every byte, twice over with different data
 *   - meanwhile each child also reads the other quarters (their contents are in flux: only the count is
 *     checked), so reads and writes of different processes interleave
 *   - afterwards the parent reads the whole disk and checks every quarter holds its child's last data
 * The image afterwards must equal the one the same program leaves under qemu-user.
 * TEST: disk=8M
 * TEST: args=/dev/vda
 * TEST: timeout=120
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blktest.h"
#include "testlib.h"

#define CHILDREN 4
#define QUARTER (2u << 20)
#define MAX_CHUNK (256u << 10)

static unsigned char buf[MAX_CHUNK], back[MAX_CHUNK];

/* A fixed pseudo-random sequence (xorshift), the same under qemu-user and on the kernel. */
static uint32_t next(uint32_t* state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static size_t chunk_size(uint32_t* state) {
  uint32_t r = next(state);
  switch (r % 4) {
    case 0: return 1 + r / 4 % 1000;           /* small, odd */
    case 1: return 512 * (1 + r / 4 % 64);     /* whole sectors */
    case 2: return MAX_CHUNK;                  /* large */
    default: return 4096 + r / 4 % 60000;      /* medium, odd */
  }
}

static int write_quarter(int fd, off_t base, unsigned seed, uint32_t state) {
  for (size_t done = 0; done < QUARTER;) {
    size_t n = chunk_size(&state);
    if (n > QUARTER - done) n = QUARTER - done;
    blk_fill(buf, n, base + done, seed);
    if (blk_pwrite_full(fd, buf, n, base + (off_t)done) != (ssize_t)n) return 0;
    done += n;
  }
  return 1;
}

static int check_quarter(int fd, off_t base, unsigned seed, uint32_t state) {
  for (size_t done = 0; done < QUARTER;) {
    size_t n = chunk_size(&state);
    if (n > QUARTER - done) n = QUARTER - done;
    if (blk_pread_full(fd, back, n, base + (off_t)done) != (ssize_t)n) return 0;
    if (!blk_matches(back, n, base + done, seed)) return 0;
    done += n;
  }
  return 1;
}

static int child(const char* path, int id) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return 10;
  off_t base = (off_t)id * QUARTER;
  for (unsigned round = 0; round < 2; round++) {
    unsigned seed = 100 + (unsigned)id * 10 + round;
    if (!write_quarter(fd, base, seed, 1u + (unsigned)id + round * 77)) return 11;
    /* Others' quarters: whatever is there, but all of it. */
    off_t other = (off_t)((id + 1 + (int)round) % CHILDREN) * QUARTER;
    for (off_t at = 0; at < (off_t)QUARTER; at += MAX_CHUNK)
      if (blk_pread_full(fd, back, MAX_CHUNK, other + at) != (ssize_t)MAX_CHUNK) return 12;
    if (!check_quarter(fd, base, seed, 99u + (unsigned)id * 3 + round)) return 13;
  }
  if (fsync(fd) != 0) return 14;
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc < 2) return 2;
  pid_t pids[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) _exit(child(argv[1], i));
  }
  for (int i = 0; i < CHILDREN; i++) {
    int status = -1;
    CHECK(waitpid(pids[i], &status, 0) == pids[i]);
    CHECK(WIFEXITED(status));
    tl_say("child %d: exit %d\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  int fd = open(argv[1], O_RDONLY);
  CHECK(fd >= 0);
  for (int i = 0; i < CHILDREN; i++) {
    int ok = 1;
    for (off_t at = 0; at < (off_t)QUARTER && ok; at += MAX_CHUNK) {
      off_t where = (off_t)i * QUARTER + at;
      ok = blk_pread_full(fd, back, MAX_CHUNK, where) == (ssize_t)MAX_CHUNK &&
           blk_matches(back, MAX_CHUNK, (uint64_t)where, 100 + (unsigned)i * 10 + 1);
    }
    CHECK(ok);
    tl_say("quarter %d holds its writer's data\n", i);
  }
  close(fd);
  return tl_done();
}
