/* mm_mmap_errors: mmap's error cases and flags, as Linux 6.1 implements them.
 *
 * mmap(2), ERRORS (Linux's order of checks is in mm/mmap.c do_mmap and arch/riscv/kernel/sys_riscv.c):
 *   EINVAL  length was 0; addr (with MAP_FIXED) or offset not page aligned; flags contain neither
 *           MAP_PRIVATE nor MAP_SHARED (nor MAP_SHARED_VALIDATE, which only file mappings accept in 6.1);
 *   ENOMEM  no room in the address space: a 300 GiB mapping on Sv39's 256 GiB user half, a length that
 *           overflows when rounded up to pages (Linux returns ENOMEM there, not EINVAL: do_mmap "Careful about
 *           overflows": PAGE_ALIGN(len) == 0 or len > TASK_SIZE), MAP_FIXED beyond the user address space;
 *   EBADF   fd is not a valid file descriptor (and MAP_ANONYMOUS was not set);
 *   EEXIST  MAP_FIXED_NOREPLACE and the range collides with an existing mapping;
 *   EACCES  MAP_SHARED with PROT_WRITE requested, but fd is not open in read/write mode.
 * And the successful flags: MAP_FIXED "Don't interpret addr as a hint: place the mapping at exactly that
 * address ... the overlapped part of the existing mapping(s) will be discarded"; without MAP_FIXED addr is a
 * hint that Linux honours when the range is free (rounded down to a page: do_mmap, round_hint_to_min);
 * MAP_POPULATE ("Populate (prefault) page tables") and MAP_NORESERVE are accepted; PROT_NONE mappings exist
 * but cannot be accessed.
 *
 * Known qemu-user differences: qemu accepts MAP_FIXED_NOREPLACE over an existing mapping, and its guest
 * address space is larger than Sv39's (huge mappings / addresses beyond 256 GiB are not refused the same way).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

/* Each page of an area gets its own pattern, so any page can be checked alone. */
static void fill_pages(char* a, int pages) {
  for (int i = 0; i < pages; i++) mt_fill(a + i * MT_PAGE, MT_PAGE, 10 + i);
}
static int pages_intact(char* a, int from, int to) {
  for (int i = from; i < to; i++)
    if (!mt_check(a + i * MT_PAGE, MT_PAGE, 10 + i)) return 0;
  return 1;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* a = mt_map_isolated(8, 4, RW, MAP_PRIVATE);
  if (!a) return tl_done();
  fill_pages(a, 8);

  /* EINVAL */
  CHECK_ERRNO(mmap(NULL, 0, RW, ANON, -1, 0), EINVAL);
  CHECK_ERRNO(mmap(a + 100, MT_PAGE, RW, ANON | MAP_FIXED, -1, 0), EINVAL);
  int fd = open(tl_self(), O_RDONLY);
  CHECK(fd >= 0);
  CHECK_ERRNO(mmap(NULL, MT_PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
  CHECK_ERRNO(mmap(NULL, MT_PAGE, RW, ANON, -1, 100), EINVAL);
  CHECK_ERRNO(mmap(NULL, MT_PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
  CHECK_ERRNO(mmap(NULL, MT_PAGE, PROT_READ, 0, fd, 0), EINVAL);
  CHECK_ERRNO(mmap(NULL, MT_PAGE, RW, MAP_ANONYMOUS | 0xf, -1, 0), EINVAL);
  CHECK(pages_intact(a, 0, 8));
  tl_say("EINVAL: zero length, misaligned MAP_FIXED address, misaligned offset, no MAP_PRIVATE/MAP_SHARED\n");

  /* ENOMEM */
  CHECK_ERRNO(mmap(NULL, (size_t)-4096, RW, ANON, -1, 0), ENOMEM);
  CHECK_ERRNO(mmap(NULL, (size_t)-1, RW, ANON, -1, 0), ENOMEM);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user's guest address space is larger than Sv39's 256 GiB")) {
    errno = 0;
    void* huge = mmap(NULL, 300UL << 30, RW, ANON, -1, 0);
    CHECK(huge == MAP_FAILED && errno == ENOMEM);
    if (huge != MAP_FAILED) munmap(huge, 300UL << 30);
    errno = 0;
    huge = mmap(NULL, 300UL << 30, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
    CHECK(huge == MAP_FAILED && errno == ENOMEM);
    if (huge != MAP_FAILED) munmap(huge, 300UL << 30);
    /* 0x4000000000 is the first address above Sv39's user half (TASK_SIZE = 256 GiB). */
    CHECK_ERRNO(mmap((void*)0x4000000000UL, MT_PAGE, RW, ANON | MAP_FIXED, -1, 0), ENOMEM);
    CHECK_ERRNO(mmap((void*)0x3fffffe000UL, 4 * MT_PAGE, RW, ANON | MAP_FIXED, -1, 0), ENOMEM);
  }
  tl_say("ENOMEM: length overflow, 300 GiB with no hint, MAP_FIXED beyond the user address space\n");

  /* EBADF */
  CHECK_ERRNO(mmap(NULL, MT_PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
  CHECK_ERRNO(mmap(NULL, MT_PAGE, PROT_READ, MAP_PRIVATE, 1000, 0), EBADF);
  tl_say("EBADF: no file descriptor without MAP_ANONYMOUS\n");

  /* EACCES: writable shared mapping of a read-only descriptor; read-only shared and writable private work. */
  CHECK_ERRNO(mmap(NULL, MT_PAGE, RW, MAP_SHARED, fd, 0), EACCES);
  void* ro = mmap(NULL, MT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(ro != MAP_FAILED);
  void* priv = mmap(NULL, MT_PAGE, RW, MAP_PRIVATE, fd, 0);
  CHECK(priv != MAP_FAILED);
  CHECK(munmap(ro, MT_PAGE) == 0 && munmap(priv, MT_PAGE) == 0);
  tl_say("EACCES: MAP_SHARED|PROT_WRITE of an O_RDONLY file; PROT_READ shared and private writable work\n");
  close(fd);

  /* EEXIST: MAP_FIXED_NOREPLACE over an existing mapping; it works on a free range. */
  errno = 0;
  void* r = mmap(a + 2 * MT_PAGE, MT_PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user accepts MAP_FIXED_NOREPLACE over an existing mapping")) {
    CHECK(r == MAP_FAILED && errno == EEXIST);
    CHECK_ERRNO(mmap(a - MT_PAGE, 2 * MT_PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
    CHECK(pages_intact(a, 0, 8));
  }
  r = mmap(a - 2 * MT_PAGE, MT_PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(r == a - 2 * MT_PAGE);
  CHECK(r == MAP_FAILED || munmap(r, MT_PAGE) == 0);
  tl_say("EEXIST: MAP_FIXED_NOREPLACE over a mapping; on a free range it maps there\n");

  /* Re-create the area (qemu-user may have replaced a page above). */
  CHECK(munmap(a, 8 * MT_PAGE) == 0);
  a = mt_map_isolated(8, 4, RW, MAP_PRIVATE);
  fill_pages(a, 8);

  /* MAP_FIXED replaces pages of an existing mapping: zero-filled, the rest intact. */
  r = mmap(a + 3 * MT_PAGE, 2 * MT_PAGE, RW, ANON | MAP_FIXED, -1, 0);
  CHECK(r == a + 3 * MT_PAGE);
  CHECK(mt_is_zero(a + 3 * MT_PAGE, 2 * MT_PAGE));
  CHECK(pages_intact(a, 0, 3));
  CHECK(pages_intact(a, 5, 8));
  tl_say("MAP_FIXED replaces existing pages with new zero-filled ones\n");

  /* Hints: honoured when the range is free (a misaligned one rounded down), moved when it is not. */
  char* free_range = a + 10 * MT_PAGE; /* inside the unmapped margin above the area */
  r = mmap(free_range, MT_PAGE, RW, ANON, -1, 0);
  CHECK(r == free_range);
  CHECK(r == MAP_FAILED || munmap(r, MT_PAGE) == 0);
  r = mmap(free_range + 100, MT_PAGE, RW, ANON, -1, 0);
  CHECK(r == free_range);
  CHECK(r == MAP_FAILED || munmap(r, MT_PAGE) == 0);
  r = mmap(a, MT_PAGE, RW, ANON, -1, 0);
  CHECK(r != MAP_FAILED && r != a);
  CHECK(pages_intact(a, 0, 3));
  CHECK(r == MAP_FAILED || munmap(r, MT_PAGE) == 0);
  tl_say("a free hint is honoured (rounded down to a page); an occupied one is not, and nothing is replaced\n");

  /* MAP_POPULATE, MAP_NORESERVE. */
  char* p = mmap(NULL, 16 * MT_PAGE, RW, ANON | MAP_POPULATE, -1, 0);
  CHECK(p != MAP_FAILED && mt_is_zero(p, 16 * MT_PAGE));
  CHECK(p == MAP_FAILED || munmap(p, 16 * MT_PAGE) == 0);
  p = mmap(NULL, 16 * MT_PAGE, RW, ANON | MAP_NORESERVE, -1, 0);
  CHECK(p != MAP_FAILED && mt_is_zero(p, 16 * MT_PAGE));
  memset(p, 1, 16 * MT_PAGE);
  CHECK(p == MAP_FAILED || munmap(p, 16 * MT_PAGE) == 0);
  tl_say("MAP_POPULATE and MAP_NORESERVE are accepted and give zero-filled memory\n");

  /* PROT_NONE: mapped (maps shows ---p), inaccessible, usable after mprotect. */
  p = mt_map_isolated(4, 2, PROT_NONE, MAP_PRIVATE);
  CHECK_STR(mt_area_maps(p, 4, 2), "0+4 ---p");
  CHECK(mt_probe_read(p) == MT_SEGV && mt_probe_write(p + MT_PAGE) == MT_SEGV);
  CHECK(mprotect(p, 4 * MT_PAGE, RW) == 0);
  CHECK(mt_is_zero(p, 4 * MT_PAGE));
  p[0] = 1;
  CHECK(munmap(p, 4 * MT_PAGE) == 0);
  tl_say("PROT_NONE: mapped but inaccessible until mprotect\n");

  /* A length that wraps to 0 when rounded up to pages (the fuzzer's find: munmap split a region at its own
   * start and the kernel stopped). Linux: munmap EINVAL, mprotect ENOMEM, madvise EINVAL; the mapping stays. */
  p = mt_map_isolated(4, 2, RW, MAP_PRIVATE);
  p[MT_PAGE] = 7;
  size_t wraps = (size_t)0 - 1;
  CHECK_ERRNO(munmap(p + MT_PAGE, wraps), EINVAL);
  if (!KNOWN_QEMU_USER_DIFFERENCE("mprotect with a length that wraps when rounded succeeds"))
    CHECK_ERRNO(mprotect(p + MT_PAGE, wraps, PROT_READ), ENOMEM);
  if (!KNOWN_QEMU_USER_DIFFERENCE("madvise with a length that wraps when rounded succeeds"))
    CHECK_ERRNO(madvise(p + MT_PAGE, wraps, MADV_DONTNEED), EINVAL);
  CHECK(p[MT_PAGE] == 7);
  p[MT_PAGE] = 8;
  CHECK_STR(mt_area_maps(p, 4, 2), "0+4 rw-p");
  CHECK(munmap(p, 4 * MT_PAGE) == 0);
  tl_say("a length that wraps when rounded: munmap EINVAL, mprotect ENOMEM, madvise EINVAL\n");
  return tl_done();
}
