/* mm_mprotect_split: mprotect of sub-ranges splits and merges mappings, and the new protection is enforced.
 *
 * mprotect(2): "changes the access protections for the calling process's memory pages containing any part
 * of the address range in the interval [addr, addr+len-1]. addr must be aligned to a page boundary."
 * Errors: EINVAL "addr is not a valid pointer, or not a multiple of the system page size" or "Invalid flags
 * specified in prot"; ENOMEM "Addresses in the range [addr, addr+len-1] are invalid for the address space of
 * the process, or specify one or more pages that are not mapped". A zero length succeeds and does nothing.
 *
 * Each case works on an 8-page area with unmapped pages around it and checks its /proc/self/maps lines
 * (proc(5); "page+count perms" relative to the area's start: splitting, and merging back when neighbours get
 * equal permissions), the data (kept across protection changes), and the protection itself by reading,
 * writing and executing in children (SIGSEGV when not allowed). RISC-V Linux details checked here:
 *   - PROT_WRITE alone gives a readable mapping: maps shows "-w-p", but loads succeed (write implies read:
 *     arch/riscv/mm/fault.c access_error, and the hardware has no write-only PTE);
 *   - PROT_EXEC is honoured: code copied into a PROT_READ|PROT_WRITE page faults when called, runs after
 *     mprotect(PROT_READ|PROT_EXEC) (with the instruction cache synchronised: __builtin___clear_cache);
 *   - PROT_EXEC alone gives an execute-only page: calls work, loads fault (riscv Linux maps it without R).
 * Linux also changes the pages before a hole when the range runs into one (it returns ENOMEM when it reaches
 * the hole); only a range that starts in a hole is guaranteed unchanged, so only that is checked.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 8
#define MARGIN 4
#define RW (PROT_READ | PROT_WRITE)

static char* page(char* a, int i) { return a + (size_t)i * MT_PAGE; }

static char* new_area(void) {
  char* a = mt_map_isolated(PAGES, MARGIN, RW, MAP_PRIVATE);
  if (a)
    for (int i = 0; i < PAGES; i++) mt_fill(page(a, i), MT_PAGE, 200 + i);
  return a;
}

/* Check each page's access against a layout: per page one of 'w' (read+write), 'r' (read only),
 * '-' (no access), '.' (unmapped); readable pages must still hold their data. */
static void check_access(char* a, const char* layout) {
  for (int i = 0; i < PAGES; i++) {
    int want_read = layout[i] == 'w' || layout[i] == 'r';
    int want_write = layout[i] == 'w';
    int r = mt_probe_read(page(a, i)), w = mt_probe_write(page(a, i));
    if (r != (want_read ? MT_OK : MT_SEGV) || w != (want_write ? MT_OK : MT_SEGV)) {
      fprintf(stderr, "page %d ('%c'): read %s, write %s\n", i, layout[i], mt_probe_str(r), mt_probe_str(w));
      CHECK(!"page access as expected");
    }
    if (want_read && !mt_check(page(a, i), MT_PAGE, 200 + i)) {
      fprintf(stderr, "page %d lost its data\n", i);
      CHECK(!"page keeps its data");
    }
  }
}

static void expect(char* a, const char* what, const char* maps, const char* layout) {
  CHECK_STR(mt_area_maps(a, PAGES, MARGIN), maps);
  check_access(a, layout);
  tl_say("%s: maps \"%s\", access %s\n", what, maps, layout);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);

  char* a = new_area();
  if (!a) return tl_done();
  expect(a, "fresh area", "0+8 rw-p", "wwwwwwww");
  CHECK(mprotect(page(a, 2), 2 * MT_PAGE, PROT_READ) == 0);
  expect(a, "middle read-only", "0+2 rw-p 2+2 r--p 4+4 rw-p", "wwrrwwww");
  CHECK(mprotect(page(a, 2), 2 * MT_PAGE, RW) == 0);
  expect(a, "middle writable again (merged)", "0+8 rw-p", "wwwwwwww");
  CHECK(mprotect(a, MT_PAGE, PROT_NONE) == 0);
  expect(a, "head PROT_NONE", "0+1 ---p 1+7 rw-p", "-wwwwwww");
  CHECK(mprotect(page(a, 6), 2 * MT_PAGE, PROT_READ) == 0);
  expect(a, "tail read-only", "0+1 ---p 1+5 rw-p 6+2 r--p", "-wwwwwrr");
  CHECK(mprotect(page(a, 5), MT_PAGE, PROT_READ) == 0);
  expect(a, "the page before the tail too (merged with it)", "0+1 ---p 1+4 rw-p 5+3 r--p", "-wwwwrrr");
  CHECK(mprotect(a, PAGES * MT_PAGE, PROT_READ) == 0);
  expect(a, "whole area read-only (one mapping)", "0+8 r--p", "rrrrrrrr");
  CHECK(mprotect(a, PAGES * MT_PAGE, RW) == 0);
  expect(a, "whole area writable again", "0+8 rw-p", "wwwwwwww");
  CHECK(mprotect(page(a, 3), MT_PAGE + 1, PROT_READ) == 0);
  expect(a, "unaligned length rounds up to whole pages", "0+3 rw-p 3+2 r--p 5+3 rw-p", "wwwrrwww");
  CHECK(mprotect(a, PAGES * MT_PAGE, RW) == 0);

  /* Holes: ENOMEM. A range starting in a hole changes nothing. */
  CHECK(munmap(page(a, 4), MT_PAGE) == 0);
  CHECK_ERRNO(mprotect(a, PAGES * MT_PAGE, PROT_READ), ENOMEM);
  CHECK(mprotect(a, 4 * MT_PAGE, RW) == 0); /* undo what Linux changed before the hole */
  CHECK_ERRNO(mprotect(page(a, 4), 3 * MT_PAGE, PROT_READ), ENOMEM);
  CHECK_ERRNO(mprotect(a - 2 * MT_PAGE, 4 * MT_PAGE, PROT_READ), ENOMEM);
  expect(a, "across a hole and from a hole: ENOMEM", "0+4 rw-p 5+3 rw-p", "wwww.www");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* Other errors. */
  a = new_area();
  CHECK_ERRNO(mprotect(a + 1, MT_PAGE, PROT_READ), EINVAL);
  CHECK_ERRNO(mprotect(a, MT_PAGE, 0x10), EINVAL);
  CHECK_ERRNO(mprotect(a, MT_PAGE, PROT_READ | 0x100), EINVAL);
  CHECK_ERRNO(mprotect(a, MT_PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), EINVAL);
  if (!KNOWN_QEMU_USER_DIFFERENCE("mprotect with length 0 fails with ENOMEM under qemu-user"))
    CHECK(mprotect(a, 0, PROT_NONE) == 0);
  expect(a, "misaligned address or unknown prot bits: EINVAL; zero length: no-op", "0+8 rw-p", "wwwwwwww");

  /* PROT_WRITE alone: readable on riscv Linux. */
  CHECK(mprotect(page(a, 1), MT_PAGE, PROT_WRITE) == 0);
  expect(a, "PROT_WRITE alone (write implies read)", "0+1 rw-p 1+1 -w-p 2+6 rw-p", "wwwwwwww");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* PROT_EXEC. */
  a = new_area();
  mt_put_code(page(a, 2));
  int r = mt_probe_exec(page(a, 2));
  CHECK(r == MT_SEGV);
  tl_say("calling code in a PROT_READ|PROT_WRITE page: %s\n", mt_probe_str(r));
  CHECK(mprotect(page(a, 2), MT_PAGE, PROT_READ | PROT_EXEC) == 0);
  __builtin___clear_cache(page(a, 2), page(a, 3));
  r = mt_probe_exec(page(a, 2));
  CHECK(r == MT_OK);
  tl_say("after mprotect(PROT_READ|PROT_EXEC) it runs: %s\n", mt_probe_str(r));
  CHECK_STR(mt_area_maps(a, PAGES, MARGIN), "0+2 rw-p 2+1 r-xp 3+5 rw-p");
  CHECK(mt_probe_write(page(a, 2)) == MT_SEGV);
  tl_say("maps \"0+2 rw-p 2+1 r-xp 3+5 rw-p\"; writing it faults\n");
  CHECK(mprotect(page(a, 2), MT_PAGE, PROT_EXEC) == 0);
  r = mt_probe_exec(page(a, 2));
  CHECK(r == MT_OK);
  CHECK_STR(mt_area_maps(a, PAGES, MARGIN), "0+2 rw-p 2+1 --xp 3+5 rw-p");
  if (!KNOWN_QEMU_USER_DIFFERENCE("PROT_EXEC-only pages are readable under qemu-user (x86 host)"))
    CHECK(mt_probe_read(page(a, 2)) == MT_SEGV);
  tl_say("PROT_EXEC alone: runs, reading faults\n");
  CHECK(mprotect(page(a, 2), MT_PAGE, RW) == 0);
  r = mt_probe_exec(page(a, 2));
  CHECK(r == MT_SEGV);
  CHECK_STR(mt_area_maps(a, PAGES, MARGIN), "0+8 rw-p");
  tl_say("writable again (merged): calling it faults again\n");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);
  return tl_done();
}
