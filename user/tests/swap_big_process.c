/* swap_big_process: one process touches twice the machine's RAM, and every byte is still right.
 *
 * On a 64 MiB machine with 128 MiB of swap, the process maps 128 MiB (MAP_PRIVATE|MAP_ANONYMOUS) and:
 *   1. writes every page sequentially (each 8-byte word holds a value derived from its page and place, so a
 *      page read back in the wrong slot or half-written shows);
 *   2. reads every page back sequentially and checks every word;
 *   3. visits the pages in a pseudo-random order (a fixed LCG), checking every word and rewriting the page
 *      with a second generation of values;
 *   4. checks every page sequentially again (the second generation).
 * Most pages go to swap and come back several times. Without swap this is the mm_oom_kill situation (the
 * process would be killed); with it, the process must finish with the right data. Under qemu-user the memory
 * is the host's: the same program, the same output, no swap involved (that is the point of comparing).
 *
 * TEST: mem=64M
 * TEST: swap=160M
 * TEST: timeout=300
 *
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mmtest.h"

#define BYTES (128UL << 20)
#define PAGES (BYTES / MT_PAGE)
#define WORDS (MT_PAGE / sizeof(uint64_t))

static uint64_t value(size_t page, size_t word, unsigned generation) {
  uint64_t x = (uint64_t)page * 0x9e3779b97f4a7c15ull + word * 0xbf58476d1ce4e5b9ull + generation;
  x ^= x >> 31;
  return x * 0x94d049bb133111ebull;
}

static void fill(uint64_t* p, size_t page, unsigned generation) {
  for (size_t w = 0; w < WORDS; w++) p[w] = value(page, w, generation);
}

/* The number of wrong words of a page. */
static size_t wrong(const uint64_t* p, size_t page, unsigned generation) {
  size_t n = 0;
  for (size_t w = 0; w < WORDS; w++) n += p[w] != value(page, w, generation);
  return n;
}

static char* base;
static uint64_t* page_at(size_t i) { return (uint64_t*)(base + i * MT_PAGE); }

static size_t check_all(unsigned generation) {
  size_t bad_pages = 0;
  for (size_t i = 0; i < PAGES; i++)
    if (wrong(page_at(i), i, generation)) bad_pages++;
  return bad_pages;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  base = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(base != MAP_FAILED);
  if (base == MAP_FAILED) return 1;

  for (size_t i = 0; i < PAGES; i++) fill(page_at(i), i, 1);
  tl_say("written: %lu pages (%lu MiB)\n", (unsigned long)PAGES, BYTES >> 20);

  size_t bad = check_all(1);
  CHECK(bad == 0);
  tl_say("sequential check: %lu bad pages\n", (unsigned long)bad);

  /* A full-period LCG over the pages (PAGES is a power of two: a = 1 mod 4, c odd). */
  size_t x = 12345 % PAGES, random_bad = 0;
  for (size_t n = 0; n < PAGES; n++) {
    x = (x * 1103515245ul + 12345ul) & (PAGES - 1);
    uint64_t* p = page_at(x);
    if (wrong(p, x, 1)) random_bad++;
    fill(p, x, 2);
  }
  CHECK(random_bad == 0);
  tl_say("random check and rewrite: %lu bad pages\n", (unsigned long)random_bad);

  bad = check_all(2);
  CHECK(bad == 0);
  tl_say("second generation: %lu bad pages\n", (unsigned long)bad);
  CHECK(munmap(base, BYTES) == 0);
  return tl_done();
}
