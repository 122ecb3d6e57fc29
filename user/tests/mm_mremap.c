/* mm_mremap: mremap(2) as Linux 6.1 does it.
 *   - shrink: the tail is unmapped, the data stays; the same length changes nothing
 *   - grow in place when the pages after are free (new pages read as zeros); ENOMEM when they are not and
 *     MREMAP_MAYMOVE is not given
 *   - MREMAP_MAYMOVE: the data moves to a new place, the old range is gone (SIGSEGV); the very frames move
 *     (pagemap frame numbers are the same before and after, AnonPages does not grow): nothing is copied
 *   - MREMAP_FIXED: exactly at new_address, replacing what was there; a shorter new length unmaps the tail first
 *   - MREMAP_DONTUNMAP: the old range stays mapped and reads as zeros, the new one has the data
 *   - a shared mapping stays shared with a forked child after a move; old_size 0 duplicates it (two views of
 *     one page)
 *   - glibc's realloc of a large block (an mmap'd chunk: it calls mremap) keeps the data
 *   - errors: EINVAL (unknown flags, FIXED or DONTUNMAP without MAYMOVE, DONTUNMAP with a resize, unaligned
 *     addresses, new_size 0, overlapping FIXED ranges, old_size 0 of a private mapping), EFAULT (nothing mapped
 *     at old_address, the old range running past its mapping), ENOMEM (cannot grow in place)
 * Compared with qemu-user; checked on Linux 6.1 (reference-linux).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG MT_PAGE

static long raw_mremap(void* old, size_t old_size, size_t new_size, long flags, void* new_address) {
  return tl_raw_syscall(SYS_mremap, (long)old, (long)old_size, (long)new_size, flags, (long)new_address, 0);
}

/* The frame number of the page at p (0 if not present or not shown). */
static uint64_t frame_of(const void* p) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0) return 0;
  uint64_t entry = 0;
  if (pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)p / PG * 8)) != sizeof(entry)) entry = 0;
  close(fd);
  return (entry >> 63) ? entry & ((1ULL << 55) - 1) : 0;
}

/* Every page of [p, p + pages) lies in a private read-write line of /proc/self/maps. (How lines merge differs:
 * Linux keeps apart neighbours whose pages came from different anon_vmas, this kernel merges alike regions.) */
static int mapped_rw(const void* p, size_t pages) {
  static struct mt_vma v[256];
  int n = mt_read_maps(v, 256);
  uintptr_t at = (uintptr_t)p, end = at + pages * PG;
  for (int i = 0; i < n && at < end; i++)
    if (v[i].start <= at && at < v[i].end && strcmp(v[i].perms, "rw-p") == 0) at = v[i].end;
  return at >= end;
}

static void shrink_and_grow(void) {
  char* p = mt_map_isolated(4, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  mt_fill(p, 4 * PG, 1);
  CHECK(mremap(p, 4 * PG, 2 * PG + 1, 0) == p);  /* lengths round up to pages */
  CHECK_STR(mt_area_maps(p, 4, 1), "0+3 rw-p");
  CHECK(mremap(p, 3 * PG, 3 * PG, 0) == p);
  CHECK(mt_check(p, 3 * PG, 1));
  CHECK(mremap(p, 3 * PG, PG, 0) == p);
  CHECK(mt_probe_read(p + PG) == MT_SEGV);
  CHECK(mt_check(p, PG, 1));
  /* Grow in place into the free pages after it. */
  CHECK(mremap(p, PG, 4 * PG, 0) == p);
  CHECK_STR(mt_area_maps(p, 4, 1), "0+4 rw-p");
  CHECK(mt_check(p, PG, 1));
  CHECK(mt_is_zero(p + PG, 3 * PG));
  /* Something in the way: ENOMEM without MREMAP_MAYMOVE, and nothing changes. */
  char* wall = mmap(p + 5 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(wall == p + 5 * PG);
  CHECK_ERRNO(mremap(p, 4 * PG, 6 * PG, 0), ENOMEM);
  /* A range that does not end where its mapping ends cannot grow in place. */
  CHECK_ERRNO(mremap(p, 2 * PG, 3 * PG, 0), ENOMEM);
  CHECK_STR(mt_area_maps(p, 6, 1), "0+4 rw-p 5+1 r--p");
  CHECK(munmap(p, 6 * PG) == 0);
  tl_say("shrink unmaps the tail; grow in place into free pages; ENOMEM when something is in the way\n");
}

static void move(void) {
  enum { N = 64 };
  char* p = mt_map_isolated(N, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  char* wall = mmap(p + N * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(wall == p + N * PG);
  mt_fill(p, N * PG, 2);
  uint64_t first = frame_of(p), last = frame_of(p + (N - 1) * PG);
  int observable = mt_memory_observable("mremap copies nothing (AnonPages)");
  struct mt_mem before;
  mt_mem_snapshot(&before);
  char* q = mremap(p, N * PG, 2 * N * PG, MREMAP_MAYMOVE);
  CHECK(q != MAP_FAILED && q != p);
  if (observable) {
    struct mt_mem after;
    mt_mem_snapshot(&after);
    CHECK_USAGE(&before, &after, 0, 0, 8);
  }
  CHECK(mt_check(q, N * PG, 2));
  CHECK(mt_is_zero(q + N * PG, N * PG));
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user's /proc/self/pagemap is the host's")) {
    CHECK(first != 0 && frame_of(q) == first);
    CHECK(last != 0 && frame_of(q + (N - 1) * PG) == last);
  }
  CHECK(mt_probe_read(p) == MT_SEGV);
  CHECK(mt_probe_read(p + (N - 1) * PG) == MT_SEGV);
  CHECK_STR(mt_area_maps(p, N, 0), "");
  CHECK_STR(mt_area_maps(q, 2 * N, 0), "0+128 rw-p");
  /* Moving part of a mapping: the rest stays. */
  static char middle[8 * PG];
  memcpy(middle, q + 8 * PG, sizeof(middle));
  char* r = mremap(q + 8 * PG, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p);
  CHECK(r == p);
  CHECK(memcmp(p, middle, sizeof(middle)) == 0);
  CHECK(mt_probe_read(q + 8 * PG) == MT_SEGV);
  CHECK(mt_check(q, 8 * PG, 2));
  CHECK_STR(mt_area_maps(q, 2 * N, 0), "0+8 rw-p 16+112 rw-p");
  CHECK(munmap(q, 2 * N * PG) == 0);
  CHECK(munmap(p, (N + 1) * PG) == 0);
  tl_say("MREMAP_MAYMOVE moves the pages themselves (same frames, no new anonymous pages); the old range faults\n");
}

static void fixed(void) {
  char* p = mt_map_isolated(2, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  char* t = mt_map_isolated(4, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  mt_fill(p, 2 * PG, 4);
  mt_fill(t, 4 * PG, 5);
  CHECK_ERRNO(mremap(p, 2 * PG, 2 * PG, MREMAP_FIXED, t), EINVAL);
  CHECK_ERRNO(mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG), EINVAL);  /* overlap */
  CHECK_ERRNO(mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p - PG), EINVAL);
  CHECK_ERRNO(mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t + 1), EINVAL);
  static char fourth[PG];
  memcpy(fourth, t + 3 * PG, PG);
  CHECK(mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t) == t);
  CHECK(mt_check(t, 2 * PG, 4));
  CHECK(mt_is_zero(t + 2 * PG, PG));
  CHECK(memcmp(t + 3 * PG, fourth, PG) == 0);  /* the target's page past the new length stays */
  CHECK(mapped_rw(t, 4));
  CHECK(mt_probe_read(p) == MT_SEGV);
  /* A shorter new length: the old tail goes first. */
  CHECK(mremap(t, 4 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p) == p);
  CHECK(mt_check(p, PG, 4));
  CHECK_STR(mt_area_maps(p, 2, 1), "0+1 rw-p");
  CHECK_STR(mt_area_maps(t, 4, 1), "");
  CHECK(munmap(p, PG) == 0);
  tl_say("MREMAP_FIXED replaces the target; EINVAL without MAYMOVE, for overlap and unaligned targets\n");
}

static void dontunmap(void) {
  char* p = mt_map_isolated(2, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  mt_fill(p, 2 * PG, 6);
  CHECK_ERRNO(mremap(p, 2 * PG, 2 * PG, MREMAP_DONTUNMAP), EINVAL);
  CHECK_ERRNO(mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP), EINVAL);
  CHECK_ERRNO(mremap(p, 2 * PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP), EINVAL);
  char* q = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
  CHECK(q != MAP_FAILED && q != p);
  CHECK(mt_check(q, 2 * PG, 6));
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 unmaps the old range of MREMAP_DONTUNMAP")) {
    CHECK(mapped_rw(p, 2));
    CHECK(mt_is_zero(p, 2 * PG));
    p[0] = 7;  /* still writable memory of its own */
    CHECK(q[0] != 7);
  }
  /* With MREMAP_FIXED: exactly there. */
  char* t = mt_map_isolated(2, 2, PROT_READ, MAP_PRIVATE);
  CHECK(mremap(q, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, t) == t);
  CHECK(mt_check(t, 2 * PG, 6));
  CHECK(mapped_rw(t, 2));
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 unmaps the old range of MREMAP_DONTUNMAP"))
    CHECK(mapped_rw(q, 2) && mt_is_zero(q, 2 * PG));
  CHECK(munmap(p, 2 * PG) == 0 && munmap(q, 2 * PG) == 0 && munmap(t, 2 * PG) == 0);
  tl_say("MREMAP_DONTUNMAP: the old range stays, empty; EINVAL without MAYMOVE or with a new size\n");
}

static void shared(void) {
  /* Two shared pages and a PROT_NONE page after them, alone in the address space. */
  char* wall = mt_map_isolated(3, 2, PROT_NONE, MAP_PRIVATE);
  char* p = mmap(wall, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(p == wall);
  wall += 2 * PG;
  p[0] = 1;
  char* q = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, mt_map_isolated(2, 2, PROT_READ, MAP_PRIVATE));
  CHECK(q != MAP_FAILED);
  CHECK(q[0] == 1);
  pid_t child = mt_fork();
  if (child == 0) {
    q[PG] = 42;
    _exit(0);
  }
  CHECK(mt_wait(child) == 0);
  CHECK(q[PG] == 42);
  /* old_size 0: a second view of the same shared page. */
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 refuses old_size 0 (ENOMEM)")) {
    char* dup = mremap(q, 0, PG, MREMAP_MAYMOVE);
    CHECK(dup != MAP_FAILED && dup != q);
    if (dup != MAP_FAILED) {
      dup[1] = 9;
      CHECK(q[1] == 9);
      CHECK(q[0] == 1);
      CHECK(munmap(dup, PG) == 0);
    }
    CHECK_ERRNO(mremap(q, 0, PG, 0), ENOMEM);
  }
  CHECK(munmap(q, 2 * PG) == 0 && munmap(wall, PG) == 0);
  tl_say("shared memory stays shared across a move and fork; old_size 0 duplicates it\n");
}

static void realloc_large(void) {
  size_t n = 1 << 20;
  unsigned char* a = malloc(n);  /* above the mmap threshold: a chunk of its own */
  CHECK(a != NULL);
  for (size_t i = 0; i < n; i += 512) a[i] = (unsigned char)(i / 512);
  unsigned char* b = realloc(a, 4 * n);
  CHECK(b != NULL);
  int ok = 1;
  for (size_t i = 0; i < n; i += 512) ok &= b[i] == (unsigned char)(i / 512);
  CHECK(ok);
  b[4 * n - 1] = 1;
  free(b);
  tl_say("realloc of a large block keeps its data\n");
}

static void errors(void) {
  char* p = mt_map_isolated(2, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK_RAW_ERR(raw_mremap(p, PG, PG, 8, NULL), EINVAL);
  CHECK_RAW_ERR(raw_mremap(p + 1, PG, 2 * PG, MREMAP_MAYMOVE, NULL), EINVAL);
  CHECK_RAW_ERR(raw_mremap(p - PG, PG, 2 * PG, MREMAP_MAYMOVE, NULL), EFAULT);
  CHECK_RAW_ERR(raw_mremap(p - PG, PG, PG, 0, NULL), EFAULT);
  CHECK_RAW_ERR(raw_mremap(p, 3 * PG, 4 * PG, MREMAP_MAYMOVE, NULL), EFAULT);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2: ENOMEM for new_size 0 and old_size 0, DONTUNMAP past the mapping moves")) {
    CHECK_RAW_ERR(raw_mremap(p, PG, 0, MREMAP_MAYMOVE, NULL), EINVAL);
    CHECK_RAW_ERR(raw_mremap(p, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EFAULT);
    CHECK_RAW_ERR(raw_mremap(p, 0, PG, MREMAP_MAYMOVE, NULL), EINVAL);
  }
  CHECK_STR(mt_area_maps(p, 2, 1), "0+2 rw-p");
  CHECK(munmap(p, 2 * PG) == 0);
  tl_say("EINVAL, EFAULT as Linux\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  shrink_and_grow();
  move();
  fixed();
  dontunmap();
  shared();
  realloc_large();
  errors();
  return tl_done();
}
