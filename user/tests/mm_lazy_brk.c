/* mm_lazy_brk: growing the break reserves address space, not memory.
 *
 * brk(2): "brk() sets the end of the data segment"; the pages between the old and the new break are
 * allocated on demand, when first touched (demand paging): a program may reserve far more than the
 * machine's RAM and pay only for the pages it touches. On a 64 MiB machine this test grows the break by
 * 1 GiB, touches 16 pages spread over it, and checks that free memory drops by about 16 pages (plus their
 * page tables) and that AnonPages in /proc/meminfo (proc(5): "non-file backed pages mapped into user-space
 * page tables") grows by 16. Shrinking the break back releases them.
 *
 * Linux rule worth knowing: with the default heuristic overcommit (proc(5), /proc/sys/vm/overcommit_memory
 * = 0), Linux refuses a single request larger than RAM + swap, so one sbrk(1 GiB) fails with ENOMEM on a
 * 64 MiB Linux. The test therefore grows the break in 32 steps of 32 MiB, which Linux accepts (each step is
 * checked on its own); a kernel without overcommit heuristics accepts both.
 *
 * Memory figures (CHECK_USAGE in mmtest.h) are checked within a few pages on our kernel, a little more
 * loosely on Linux (vmstat counters and slab caches move); under qemu-user free memory is the host's (known
 * difference: not checked).
 *
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <unistd.h>

#include "mmtest.h"

#define STEP (32UL << 20)
#define STEPS 32
#define TOUCHED 16

/* The address of the i-th touched page: one every 64 MiB, shifted by i pages. */
static volatile char* touched(char* base, int i) {
  return base + (size_t)i * ((1UL << 30) / TOUCHED) + MT_PAGE * (size_t)i;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int observe = mt_memory_observable("free memory and /proc/meminfo are the host's under qemu-user");

  /* Warm up: stdio buffers, /proc/meminfo reading, the heap's first growth. */
  free(malloc(1000));
  struct mt_mem m0, m1, m2, m3;
  mt_mem_snapshot(&m0); /* the first reading allocates its stdio buffer */

  mt_mem_snapshot(&m0);
  char* base = sbrk(0);
  CHECK(base != (char*)-1);
  int grown = 0;
  for (int i = 0; i < STEPS; i++) {
    char* old = sbrk(STEP);
    if (old == (char*)-1) break;
    CHECK(old == base + (size_t)i * STEP);
    grown++;
  }
  CHECK(grown == STEPS);
  CHECK((char*)sbrk(0) == base + (size_t)STEPS * STEP);
  tl_say("grew the break by 1 GiB in %d steps of 32 MiB on a 64 MiB machine\n", STEPS);

  m1 = mt_mem_note("after growing the break", &m0);
  if (observe) CHECK_USAGE(&m0, &m1, 0, 0, 0);
  tl_say("reserving used no memory\n");

  /* Touch the pages: each first read (zero), then written, then read back. */
  int values_ok = 1;
  for (int i = 0; i < TOUCHED; i++) {
    if (*touched(base, i) != 0) values_ok = 0;
    *touched(base, i) = (char)(i + 1);
  }
  for (int i = 0; i < TOUCHED; i++)
    if (*touched(base, i) != (char)(i + 1)) values_ok = 0;
  CHECK(values_ok);
  tl_say("touched %d pages: fresh pages read as zero and keep what is written\n", TOUCHED);

  /* Each touched page costs itself and at most one leaf page table (they are 64 MiB apart), plus up to two
   * upper-level tables for the gigabyte. */
  m2 = mt_mem_note("after touching", &m0);
  if (observe) CHECK_USAGE(&m0, &m2, TOUCHED, 0, TOUCHED + 2);
  tl_say("free memory dropped by about %d pages; AnonPages accounts for them\n", TOUCHED);

  /* Shrinking the break releases the pages (and their page tables). */
  CHECK(sbrk(-(long)(STEP * STEPS)) != (void*)-1);
  CHECK((char*)sbrk(0) == base);
  m3 = mt_mem_note("after shrinking", &m0);
  if (observe) CHECK_USAGE(&m2, &m3, -TOUCHED, -(TOUCHED + 2), 0);
  tl_say("shrinking the break released them\n");
  return tl_done();
}
