/* mm_pagetable_free: munmap gives back the page tables of the hole it leaves.
 *
 * Linux frees the page-table pages that only served an unmapped range (free_pgtables, called by munmap for the
 * gap between the neighbouring mappings); a table still serving a neighbouring mapping stays. Without that, a
 * program that maps, touches and unmaps memory at ever new addresses keeps a page-table page for every 2 MiB it
 * ever touched until it exits.
 *
 * Checked: touching one byte every 2 MiB of a 64 MiB mapping adds at least 32 page-table pages (PageTables in
 * /proc/meminfo); munmap gives them back; 200 rounds of map, touch, unmap at new addresses leave PageTables
 * where it was; a page whose 2 MiB neighbour is unmapped keeps its data, and memory mapped again where a
 * table was freed reads as zeros and takes writes.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define SPAN (2UL << 20)
#define SPANS 32

static char* map(void* hint, size_t len, int prot, int flags) {
  char* p = mmap(hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | flags, -1, 0);
  CHECK(p != MAP_FAILED);
  return p;
}

int main(void) {
  int observable = mt_memory_observable("PageTables");
  long before = mt_meminfo_pages("PageTables");

  /* One byte every 2 MiB: a last-level table each. */
  char* big = map(NULL, SPANS * SPAN, PROT_READ | PROT_WRITE, 0);
  for (int i = 0; i < SPANS; i++) big[(size_t)i * SPAN] = (char)(i + 1);
  long touched = mt_meminfo_pages("PageTables");
  if (observable) CHECK_RANGE(touched - before, SPANS, SPANS + 8);
  CHECK(munmap(big, SPANS * SPAN) == 0);
  long after = mt_meminfo_pages("PageTables");
  if (observable) CHECK_RANGE(after - before, -2, 2);

  /* Many rounds at new addresses: PageTables does not grow with them. */
  for (int round = 0; round < 200; round++) {
    char* p = map(NULL, 4 * SPAN, PROT_READ | PROT_WRITE, 0);
    for (int i = 0; i < 4; i++) p[(size_t)i * SPAN + (size_t)round * 8] = 1;
    char* q = map(NULL, SPAN, PROT_READ | PROT_WRITE, 0);  /* keeps p from reusing one address for ever */
    q[0] = 1;
    CHECK(munmap(p, 4 * SPAN) == 0);
    CHECK(munmap(q, SPAN) == 0);
  }
  long rounds = mt_meminfo_pages("PageTables");
  if (observable) CHECK_RANGE(rounds - before, -2, 4);

  /* Two mappings in one 2 MiB span (a 2 MiB-aligned area of our own): unmapping one keeps the other's table. */
  char* area = map(NULL, 2 * SPAN, PROT_NONE, 0);
  char* base = (char*)(((uintptr_t)area + SPAN - 1) & ~(SPAN - 1));
  char* a = map(base, MT_PAGE, PROT_READ | PROT_WRITE, MAP_FIXED);
  char* b = map(base + 16 * MT_PAGE, MT_PAGE, PROT_READ, MAP_FIXED);
  CHECK(munmap(area, base - area) == 0 || base == area);
  CHECK(munmap(base + MT_PAGE, 15 * MT_PAGE) == 0);
  CHECK(munmap(base + 17 * MT_PAGE, (size_t)(area + 2 * SPAN - (base + 17 * MT_PAGE))) == 0);
  memset(a, 0x5a, MT_PAGE);
  CHECK(b[0] == 0);
  CHECK(munmap(b, MT_PAGE) == 0);          /* a still uses the span: its mapping works */
  CHECK(a[0] == 0x5a && a[MT_PAGE - 1] == 0x5a);
  CHECK(munmap(a, MT_PAGE) == 0);          /* the span's last mapping: its table goes */
  CHECK(mt_probe_read(a) == MT_SEGV);      /* and the address faults */
  char* again = map(base, MT_PAGE, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
  CHECK(again == base);
  CHECK(mt_is_zero(again, MT_PAGE));
  again[100] = 7;
  CHECK(again[100] == 7);
  CHECK(munmap(again, MT_PAGE) == 0);
  tl_say("page tables of unmapped holes came back; neighbours kept theirs\n");
  return tl_done();
}
