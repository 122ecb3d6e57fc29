/* mm_lazy_mmap: an anonymous private mapping reserves address space, not memory.
 *
 * mmap(2): MAP_ANONYMOUS "the mapping is not backed by any file; its contents are initialized to zero";
 * pages are allocated when first touched (demand paging), so on a 64 MiB machine a 1 GiB mapping succeeds
 * and touching 16 of its pages costs about 16 pages (plus page tables): free memory drops by that much and
 * AnonPages in /proc/meminfo (proc(5)) grows by 16. munmap(2) releases them.
 *
 * Linux rule worth knowing: with the default heuristic overcommit (proc(5), overcommit_memory = 0) Linux
 * refuses one writable private mapping larger than RAM + swap (ENOMEM on a 64 MiB Linux) unless it has
 * MAP_NORESERVE ("do not reserve swap space for this mapping"). So the test maps 1 GiB twice: once as a
 * single MAP_NORESERVE mapping, once as 32 mappings of 32 MiB without it.
 *
 * Memory figures: see CHECK_USAGE in mmtest.h (loose on Linux, within a few pages on our kernel, not checked
 * under qemu-user, whose free memory is the host's).
 *
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define GIB (1UL << 30)
#define CHUNK (32UL << 20)
#define CHUNKS 32
#define TOUCHED 16

static int observe;

/* Offset of the i-th touched page: one every 64 MiB, shifted by i pages. */
static size_t touched_offset(int i) { return (size_t)i * (GIB / TOUCHED) + MT_PAGE * i; }

/* Touch the pages of a 1 GiB area whose chunks start at chunk[k] (k = offset / CHUNK). */
static void touch_and_check(char* chunk[], const struct mt_mem* before) {
  int values_ok = 1;
  for (int i = 0; i < TOUCHED; i++) {
    size_t off = touched_offset(i);
    volatile char* p = chunk[off / CHUNK] + off % CHUNK;
    if (*p != 0) values_ok = 0;
    *p = (char)(i + 1);
  }
  for (int i = 0; i < TOUCHED; i++) {
    size_t off = touched_offset(i);
    volatile char* p = chunk[off / CHUNK] + off % CHUNK;
    if (*p != (char)(i + 1)) values_ok = 0;
  }
  CHECK(values_ok);
  tl_say("touched %d pages: fresh pages read as zero and keep what is written\n", TOUCHED);
  struct mt_mem after = mt_mem_note("after touching", before);
  if (observe) CHECK_USAGE(before, &after, TOUCHED, 0, TOUCHED + 2);
  tl_say("free memory dropped by about %d pages; AnonPages accounts for them\n", TOUCHED);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  observe = mt_memory_observable("free memory and /proc/meminfo are the host's under qemu-user");
  struct mt_mem m0, m1, m2;
  mt_mem_snapshot(&m0); /* warm up /proc/meminfo reading */

  /* One 1 GiB mapping. */
  mt_mem_snapshot(&m0);
  char* one = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(one != MAP_FAILED);
  if (one == MAP_FAILED) return tl_done();
  tl_say("mapped 1 GiB (MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE) on a 64 MiB machine\n");
  m1 = mt_mem_note("after mmap", &m0);
  if (observe) CHECK_USAGE(&m0, &m1, 0, 0, 0);
  tl_say("mapping used no memory\n");
  char* chunk[CHUNKS];
  for (int k = 0; k < CHUNKS; k++) chunk[k] = one + (size_t)k * CHUNK;
  touch_and_check(chunk, &m0);
  mt_mem_snapshot(&m1);
  CHECK(munmap(one, GIB) == 0);
  m2 = mt_mem_note("after munmap", &m0);
  if (observe) CHECK_USAGE(&m1, &m2, -TOUCHED, -(TOUCHED + 2), 0);
  tl_say("munmap released them\n");

  /* 1 GiB as 32 mappings of 32 MiB (accepted by Linux's heuristic overcommit without MAP_NORESERVE). */
  mt_mem_snapshot(&m0);
  int mapped = 0;
  for (int k = 0; k < CHUNKS; k++) {
    chunk[k] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk[k] == MAP_FAILED) break;
    mapped++;
  }
  CHECK(mapped == CHUNKS);
  if (mapped != CHUNKS) return tl_done();
  tl_say("mapped 1 GiB as %d mappings of 32 MiB (MAP_PRIVATE|MAP_ANONYMOUS)\n", CHUNKS);
  m1 = mt_mem_note("after mmap", &m0);
  if (observe) CHECK_USAGE(&m0, &m1, 0, 0, 0);
  tl_say("mapping used no memory\n");
  touch_and_check(chunk, &m0);
  mt_mem_snapshot(&m1);
  for (int k = 0; k < CHUNKS; k++) CHECK(munmap(chunk[k], CHUNK) == 0);
  m2 = mt_mem_note("after munmap", &m0);
  if (observe) CHECK_USAGE(&m1, &m2, -TOUCHED, -(TOUCHED + 2), 0);
  tl_say("munmap released them\n");
  return tl_done();
}
