/* swap_fork: fork after swap-out, then writes in parent and child: each sees its own writes and the other's
 * never.
 *
 * On a 32 MiB machine with 128 MiB of swap, the parent fills 48 MiB (one and a half times RAM: most of it goes to
 * swap) and forks. Parent and child then share every page, many of them on swap (one slot each, named by both).
 * The child rewrites the even pages and the parent the odd ones, at the same time; each then checks every page:
 * its own half holds its new values, the other half still the values from before the fork. Swapped pages are
 * read back once for both, and a write to one breaks the sharing for the writer only.
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

#define BYTES (48UL << 20)
#define PAGES (BYTES / MT_PAGE)
#define WORDS (MT_PAGE / sizeof(uint64_t))

static uint64_t value(size_t page, size_t word, unsigned generation) {
  uint64_t x = (uint64_t)page * 0x9e3779b97f4a7c15ull + word * 0xbf58476d1ce4e5b9ull + generation * 0x5851f42dull;
  x ^= x >> 29;
  return x * 0x94d049bb133111ebull;
}

static char* base;
static uint64_t* page_at(size_t i) { return (uint64_t*)(base + i * MT_PAGE); }

static void fill(size_t page, unsigned generation) {
  uint64_t* p = page_at(page);
  for (size_t w = 0; w < WORDS; w++) p[w] = value(page, w, generation);
}

static int page_is_wrong(size_t page, unsigned generation) {
  const uint64_t* p = page_at(page);
  for (size_t w = 0; w < WORDS; w++)
    if (p[w] != value(page, w, generation)) return 1;
  return 0;
}

/* Rewrite the pages of parity `mine` with `generation`, then count the wrong pages: mine must hold `generation`,
 * the others generation 1 (from before the fork). */
static size_t write_and_check(size_t mine, unsigned generation) {
  for (size_t i = mine; i < PAGES; i += 2) fill(i, generation);
  size_t bad = 0;
  for (size_t i = 0; i < PAGES; i++) bad += page_is_wrong(i, i % 2 == mine ? generation : 1);
  return bad;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  base = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(base != MAP_FAILED);
  if (base == MAP_FAILED) return tl_done();
  for (size_t i = 0; i < PAGES; i++) fill(i, 1);
  tl_say("written: %lu MiB\n", BYTES >> 20);

  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    size_t bad = write_and_check(0, 2);
    _exit(bad > 99 ? 99 : (int)bad);
  }
  size_t bad = write_and_check(1, 3);
  CHECK(bad == 0);
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("child (even pages): %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "every page right" : "WRONG");
  tl_say("parent (odd pages): %s\n", bad == 0 ? "every page right" : "WRONG");
  /* The child is gone: the parent's pages are its own again, and still right. */
  bad = 0;
  for (size_t i = 0; i < PAGES; i++) bad += page_is_wrong(i, i % 2 ? 3 : 1);
  CHECK(bad == 0);
  tl_say("after the child exited: %lu wrong pages\n", (unsigned long)bad);
  CHECK(munmap(base, BYTES) == 0);
  return tl_done();
}
