/* swap_processes: four processes whose memory together is three times the machine's RAM run at once, and every
 * byte of each is still right.
 *
 * On a 32 MiB machine with 128 MiB of swap, four children each map 24 MiB (96 MiB in all) and, at the same
 * time: write every page with values derived from the child, the page and the word; check them all
 * sequentially; rewrite them in a pseudo-random order with a second generation; check them all again. The
 * parent waits for all four and reports each one's result (the same output as under qemu-user, where the memory
 * is the host's). Pages of all four processes go to swap and come back while the others run.
 *
 * TEST: mem=32M
 * TEST: swap=128M
 * TEST: timeout=300
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define CHILDREN 4
#define BYTES (24UL << 20)
#define PAGES (BYTES / MT_PAGE)
#define WORDS (MT_PAGE / sizeof(uint64_t))

static uint64_t value(unsigned child, size_t page, size_t word, unsigned generation) {
  uint64_t x = (uint64_t)page * 0x9e3779b97f4a7c15ull + word * 0xbf58476d1ce4e5b9ull + generation * 0x1234567ull +
               child * 0x8765432100ull;
  x ^= x >> 31;
  return x * 0x94d049bb133111ebull;
}

static char* base;
static uint64_t* page_at(size_t i) { return (uint64_t*)(base + i * MT_PAGE); }

static void fill(unsigned child, size_t page, unsigned generation) {
  uint64_t* p = page_at(page);
  for (size_t w = 0; w < WORDS; w++) p[w] = value(child, page, w, generation);
}

static int page_is_wrong(unsigned child, size_t page, unsigned generation) {
  const uint64_t* p = page_at(page);
  for (size_t w = 0; w < WORDS; w++)
    if (p[w] != value(child, page, w, generation)) return 1;
  return 0;
}

static size_t check_all(unsigned child, unsigned generation) {
  size_t bad = 0;
  for (size_t i = 0; i < PAGES; i++) bad += page_is_wrong(child, i, generation);
  return bad;
}

/* A child's whole run; its exit status is the number of wrong pages seen (capped). */
static int child_main(unsigned child) {
  base = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return 100;
  for (size_t i = 0; i < PAGES; i++) fill(child, i, 1);
  size_t bad = check_all(child, 1);
  /* Every page once, in a scattered order: steps of a prime that does not divide PAGES. */
  size_t x = (child * 977) % PAGES;
  for (size_t n = 0; n < PAGES; n++) {
    x = (x + 4099) % PAGES;
    bad += page_is_wrong(child, x, 1);
    fill(child, x, 2);
  }
  bad += check_all(child, 2);
  return bad > 99 ? 99 : (int)bad;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  pid_t pids[CHILDREN];
  for (unsigned c = 0; c < CHILDREN; c++) {
    pids[c] = fork();
    CHECK(pids[c] >= 0);
    if (pids[c] == 0) _exit(child_main(c));
  }
  for (unsigned c = 0; c < CHILDREN; c++) {
    int status = 0;
    CHECK(waitpid(pids[c], &status, 0) == pids[c]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tl_say("process %u: %lu MiB written twice, %s\n", c, BYTES >> 20,
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "every page right" : "WRONG PAGES");
  }
  return tl_done();
}
