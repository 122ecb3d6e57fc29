/* mm_munmap_split: munmap of any sub-range splits mappings; unmapping holes is fine; MAP_FIXED replaces.
 *
 * munmap(2): "The munmap() system call deletes the mappings for the specified address range, and causes
 * further references to addresses within the range to generate invalid memory references. ... It is not an
 * error if the indicated range does not contain any mapped pages." The address must be page aligned
 * (EINVAL otherwise) and the length non-zero (EINVAL: "length was 0", since Linux 2.6.12).
 * mmap(2), MAP_FIXED: "If the memory region specified by addr and length overlaps pages of any existing
 * mapping(s), then the overlapped part of the existing mapping(s) will be discarded."
 *
 * Each case works on an 8-page area with unmapped pages around it and checks the area's /proc/self/maps
 * lines (proc(5); written "page+count perms" relative to the area's start, so Linux's merging of adjacent
 * compatible mappings is checked too), that the remaining pages keep their data, that the unmapped pages
 * fault (SIGSEGV in a child), and that unmapping releases the pages (AnonPages, free memory).
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 8
#define MARGIN 4
#define RW (PROT_READ | PROT_WRITE)

static char* page(char* a, int i) { return a + (size_t)i * MT_PAGE; }

/* A fresh area, every page filled with its own pattern. */
static char* new_area(void) {
  char* a = mt_map_isolated(PAGES, MARGIN, RW, MAP_PRIVATE);
  if (a)
    for (int i = 0; i < PAGES; i++) mt_fill(page(a, i), MT_PAGE, 100 + i);
  return a;
}

/* Check the area against a layout string, one character per page: 'm' mapped with its pattern, 'z' mapped
 * and zero, '.' unmapped (reading faults). */
static void check_pages(char* a, const char* layout) {
  for (int i = 0; i < PAGES; i++) {
    switch (layout[i]) {
      case 'm':
        if (!mt_check(page(a, i), MT_PAGE, 100 + i)) {
          fprintf(stderr, "page %d lost its data\n", i);
          CHECK(!"mapped page keeps its data");
        }
        break;
      case 'z': CHECK(mt_is_zero(page(a, i), MT_PAGE)); break;
      case '.': {
        int r = mt_probe_read(page(a, i));
        if (r != MT_SEGV) fprintf(stderr, "page %d: reading gave %s\n", i, mt_probe_str(r));
        CHECK(r == MT_SEGV);
        break;
      }
    }
  }
  /* The pages just outside the area are unmapped too. */
  CHECK(mt_probe_read(a - MT_PAGE) == MT_SEGV);
  CHECK(mt_probe_read(a + PAGES * MT_PAGE) == MT_SEGV);
}

/* Report one case on stdout and check the maps summary and page layout. */
static void expect(char* a, const char* what, const char* maps, const char* layout) {
  CHECK_STR(mt_area_maps(a, PAGES, MARGIN), maps);
  check_pages(a, layout);
  tl_say("%s: maps \"%s\", pages %s\n", what, maps, layout);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int observe = mt_memory_observable("free memory and /proc/meminfo are the host's under qemu-user");

  char* a = new_area();
  if (!a) return tl_done();
  expect(a, "fresh area", "0+8 rw-p", "mmmmmmmm");
  CHECK(munmap(a, MT_PAGE) == 0);
  expect(a, "head unmapped", "1+7 rw-p", ".mmmmmmm");
  CHECK(munmap(page(a, 7), MT_PAGE) == 0);
  expect(a, "tail unmapped", "1+6 rw-p", ".mmmmmm.");
  CHECK(munmap(page(a, 3), 2 * MT_PAGE) == 0);
  expect(a, "middle hole", "1+2 rw-p 5+2 rw-p", ".mm..mm.");
  CHECK(munmap(page(a, 3), 2 * MT_PAGE) == 0);
  expect(a, "the hole unmapped again (not an error)", "1+2 rw-p 5+2 rw-p", ".mm..mm.");
  CHECK(munmap(page(a, 2), 4 * MT_PAGE) == 0);
  expect(a, "a range over a hole and two mappings' ends", "1+1 rw-p 6+1 rw-p", ".m....m.");
  CHECK(munmap(a - MARGIN * MT_PAGE, (PAGES + 2 * MARGIN) * MT_PAGE) == 0);
  expect(a, "a range covering everything and the holes around", "", "........");

  a = new_area();
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);
  expect(a, "whole area", "", "........");

  /* Unaligned length: rounded up to whole pages. */
  a = new_area();
  CHECK(munmap(page(a, 6), MT_PAGE + 1) == 0);
  expect(a, "unaligned length rounds up", "0+6 rw-p", "mmmmmm..");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* Mappings with different permissions: unmap across the boundary. */
  a = new_area();
  CHECK(mprotect(page(a, 4), 4 * MT_PAGE, PROT_READ) == 0);
  CHECK(munmap(page(a, 2), 4 * MT_PAGE) == 0);
  expect(a, "across a permission boundary", "0+2 rw-p 6+2 r--p", "mm....mm");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* Re-mapping the hole with the same permissions merges the three parts again; the new page is zero. */
  a = new_area();
  CHECK(munmap(page(a, 4), MT_PAGE) == 0);
  expect(a, "one-page hole", "0+4 rw-p 5+3 rw-p", "mmmm.mmm");
  CHECK(mmap(page(a, 4), MT_PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == page(a, 4));
  expect(a, "hole mapped again (merged)", "0+8 rw-p", "mmmmzmmm");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* MAP_FIXED over the middle of a mapping replaces those pages (zero, new permissions), splitting it. */
  a = new_area();
  CHECK(mmap(page(a, 3), 2 * MT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == page(a, 3));
  expect(a, "MAP_FIXED over the middle", "0+3 rw-p 3+2 r--p 5+3 rw-p", "mmmzzmmm");
  CHECK(mt_probe_write(page(a, 3)) == MT_SEGV);
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* Errors. */
  a = new_area();
  CHECK_ERRNO(munmap(a + 1, MT_PAGE), EINVAL);
  CHECK_ERRNO(munmap(a, 0), EINVAL);
  expect(a, "misaligned address and zero length: EINVAL, nothing unmapped", "0+8 rw-p", "mmmmmmmm");
  CHECK(munmap(a, PAGES * MT_PAGE) == 0);

  /* Unmapping releases memory: 64 touched pages, unmap 32 of them. */
  struct mt_mem m0, m1;
  mt_mem_snapshot(&m0);
  char* big = mmap(NULL, 64 * MT_PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(big != MAP_FAILED);
  memset(big, 1, 64 * MT_PAGE);
  mt_mem_snapshot(&m0);
  CHECK(munmap(big + 16 * MT_PAGE, 32 * MT_PAGE) == 0);
  m1 = mt_mem_note("after unmapping 32 touched pages", &m0);
  if (observe) CHECK_USAGE(&m0, &m1, -32, -1, 0);
  tl_say("unmapping 32 touched pages released them\n");
  CHECK(munmap(big, 64 * MT_PAGE) == 0);
  return tl_done();
}
