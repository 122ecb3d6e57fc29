/* mm_no_data_leak: memory never reaches a new owner with the previous owner's data.
 *
 * mmap(2), MAP_ANONYMOUS: "its contents are initialized to zero"; brk(2)/sbrk: new break memory is zero
 * (the kernel maps fresh anonymous pages); the stack grows with fresh anonymous pages too. A kernel that
 * recycles page frames must zero each one before giving it to its next owner (or map the shared zero page
 * for reads): otherwise one process can read another's secrets.
 *
 * On a 64 MiB machine, a child fills most of free memory (anonymous mmap, heap via brk, and stack) with the
 * byte 0xA5 and exits. Then another process maps as much anonymous memory, grows its break and its stack,
 * writes one byte to each new page (so a frame is really allocated, not the zero page) and checks that every
 * other byte is zero. The same is done within one process: munmap then mmap again, and shrinking then
 * growing the break.
 *
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define PATTERN 0xA5
#define STACK_BYTES (4UL << 20)
#define BRK_BYTES (4UL << 20)
#define FRAME (64 * 1024)

static size_t fill_bytes;

/* Write one zero byte per page (allocating it), then count pages with any non-zero byte. */
static long dirty_pages(char* p, size_t bytes) {
  long dirty = 0;
  for (size_t off = 0; off < bytes; off += MT_PAGE) {
    *(volatile char*)(p + off) = 0;
    if (!mt_is_zero(p + off, MT_PAGE)) dirty++;
  }
  return dirty;
}

/* Recursion over FRAME-sized frames: fill (fill != 0) or check the new stack pages. Returns dirty pages.
 * The checker skips the first USED_STACK bytes: those pages may hold the process's own earlier data (the
 * frames of stdio, fopen, ... called before the fork). */
#define USED_STACK (256 * 1024)
static __attribute__((noinline)) long stack_walk(long remaining, int fill) {
  char frame[FRAME];
  long dirty = 0;
  /* Use the frame's whole pages only: the rest of the stack frame holds the function's own data. */
  char* first = (char*)MT_PAGE_ALIGN(frame);
  size_t whole = (size_t)(frame + FRAME - first) / MT_PAGE * MT_PAGE;
  if (fill)
    memset(first, PATTERN, whole);
  else if (remaining <= (long)STACK_BYTES - USED_STACK)
    dirty = dirty_pages(first, whole);
  if (remaining > FRAME) dirty += stack_walk(remaining - FRAME, fill);
  __asm__ volatile("" ::"r"(frame) : "memory"); /* keep the frame live: no tail call */
  return dirty;
}

static int filler(void* unused) {
  char* m = mmap(NULL, fill_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 2;
  memset(m, PATTERN, fill_bytes);
  char* b = sbrk(BRK_BYTES);
  if (b == (char*)-1) return 3;
  memset(b, PATTERN, BRK_BYTES);
  stack_walk(STACK_BYTES, 1);
  return 0;
}

static int checker(void* unused) {
  char* m = mmap(NULL, fill_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 2;
  long dm = dirty_pages(m, fill_bytes);
  char* b = sbrk(BRK_BYTES);
  if (b == (char*)-1) return 3;
  long db = dirty_pages(b, BRK_BYTES);
  long ds = stack_walk(STACK_BYTES, 0);
  if (dm || db || ds) fprintf(stderr, "dirty pages: mmap %ld, brk %ld, stack %ld\n", dm, db, ds);
  return dm || db || ds ? 1 : 0;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  /* Fill most of free memory, keeping 16 MiB for the rest of the system (at least 8 MiB, at most 40). */
  long free_bytes = tl_is_qemu_user() ? 64L << 20 : mt_free_pages() * (long)MT_PAGE;
  long want = free_bytes - (16L << 20) - (long)(STACK_BYTES + BRK_BYTES);
  if (want > (40L << 20)) want = 40L << 20;
  if (want < (8L << 20)) want = 8L << 20;
  fill_bytes = (size_t)want & ~(MT_PAGE - 1);
  fprintf(stderr, "note: filling %zu MiB of mmap, 4 MiB of heap and 4 MiB of stack\n", fill_bytes >> 20);

  for (int round = 1; round <= 2; round++) {
    int status = mt_in_child(filler, NULL);
    CHECK(status == 0);
    tl_say("round %d: a child filled memory with a pattern and exited: %s\n", round, mt_status_str(status));
    status = mt_in_child(checker, NULL);
    CHECK(status == 0);
    tl_say("round %d: new mmap, heap and stack pages of another process are zero: %s\n", round,
           mt_status_str(status));
  }

  /* Within one process: munmap + mmap, and lowering + raising the break. */
  char* m = mmap(NULL, 4UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  memset(m, PATTERN, 4UL << 20);
  CHECK(munmap(m, 4UL << 20) == 0);
  m = mmap(NULL, 4UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED && dirty_pages(m, 4UL << 20) == 0);
  tl_say("mmap after munmap in the same process: zero\n");
  char* b = sbrk(4UL << 20);
  CHECK(b != (char*)-1);
  memset(b, PATTERN, 4UL << 20);
  CHECK(sbrk(-(long)(4UL << 20)) != (void*)-1);
  CHECK(munmap(m, 4UL << 20) == 0); /* its frames too may be reused for the heap */
  b = sbrk(4UL << 20);
  CHECK(b != (char*)-1 && dirty_pages(b, 4UL << 20) == 0);
  tl_say("heap after lowering and raising the break: zero\n");
  return tl_done();
}
