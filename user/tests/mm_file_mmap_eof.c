/* mm_file_mmap_eof: a file mapping that extends past the end of the file.
 *
 * mmap(2): "A file is mapped in multiples of the page size. For a file that is not a multiple of the page
 * size, the remaining bytes in the partial page at the end of the mapping are zeroed when mapped, and
 * modifications to that region are not written out to the file." and, SIGBUS: "Attempted access to a page
 * of the buffer that lies beyond the end of the mapped file." Mapping past the end is not an error; only
 * touching whole pages beyond it is.
 *
 * The test maps three pages of this program's executable starting at the page that holds the end of the
 * file: the bytes up to the end match read(), the rest of that page is zero (and writable in a private
 * mapping), and reading or writing the next pages raises SIGBUS.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmtest.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = open(tl_self(), O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  off_t size = st.st_size;
  /* The page holding the last byte; `tail` bytes of the file are in it (1..4096). */
  off_t last = (size - 1) / (off_t)MT_PAGE * (off_t)MT_PAGE;
  size_t tail = (size_t)(size - last);
  unsigned char expect[4096];
  CHECK(pread(fd, expect, tail, last) == (ssize_t)tail);

  unsigned char* m = mmap(NULL, 3 * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, last);
  CHECK(m != MAP_FAILED);
  if (m == MAP_FAILED) return tl_done();
  tl_say("mapping three pages from the file's last page succeeds\n");
  CHECK(memcmp(m, expect, tail) == 0);
  CHECK(mt_is_zero(m + tail, MT_PAGE - tail));
  tl_say("the last page shows the file's end, then zeros\n");
  if (tail < MT_PAGE) {
    m[MT_PAGE - 1] = 7;
    CHECK(m[MT_PAGE - 1] == 7);
  }
  tl_say("the zeroed part can be written in a private mapping\n");

  int r = mt_probe_read(m + MT_PAGE);
  CHECK(r == MT_BUS);
  tl_say("reading the page after it: %s\n", mt_probe_str(r));
  r = mt_probe_write(m + 2 * MT_PAGE + 100);
  CHECK(r == MT_BUS);
  tl_say("writing the page after that: %s\n", mt_probe_str(r));
  CHECK(munmap(m, 3 * MT_PAGE) == 0);
  close(fd);
  return tl_done();
}
