/* mm_max_map_count: the number of mappings a process may have, as Linux 6.1 counts it (vm.max_map_count,
 * /proc/sys/vm/max_map_count = 65530):
 *   - mmap makes a new mapping while the process has at most 65530, so it stops at 65531 with ENOMEM, even for
 *     a mapping that would merge with its neighbour; brk cannot grow the heap then either
 *   - mprotect of a page inside a mapping (a split) and munmap of a hole inside one fail with ENOMEM there;
 *     munmap at the end of a mapping adds none and works; unmapping makes room again
 * Each mapping is one page, every other page of a reserved range, so that none merge. Under qemu-user the
 * mappings are the host's, with qemu's own among them: kernel-only (the output was checked on Linux 6.1 with
 * /work/shared/reference-linux/run.sh, 1 and 2 harts).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096L

static char text[1 << 16];

/* The lines of /proc/self/maps: one per mapping. */
static long mappings(void) {
  int fd = open("/proc/self/maps", O_RDONLY);
  CHECK(fd >= 0);
  long lines = 0;
  ssize_t n;
  while ((n = read(fd, text, sizeof text)) > 0)
    for (ssize_t i = 0; i < n; i++) lines += text[i] == '\n';
  close(fd);
  return lines;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = open("/proc/sys/vm/max_map_count", O_RDONLY);
  char value[16] = "";
  CHECK(fd >= 0 && read(fd, value, sizeof value - 1) > 0);
  close(fd);
  CHECK(strcmp(value, "65530\n") == 0);
  tl_say("vm.max_map_count is 65530\n");

  /* Reserve room for 70000 one-page mappings with a gap after each, then give it back and map into it. */
  long slots = 70000;
  char* base = mmap(NULL, 2 * slots * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(base != MAP_FAILED);
  CHECK(munmap(base, 2 * slots * PAGE) == 0);
  /* A three-page mapping first, to split later. */
  char* three = mmap(base, 3 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(three == base);
  long made = 0;
  int error = 0;
  for (long i = 2; i < slots; i++) {
    void* p = mmap(base + 2 * i * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) {
      error = errno;
      break;
    }
    made++;
  }
  long count = mappings();
  CHECK(error == ENOMEM);
  CHECK(count == 65531);
  tl_say("mmap fails with ENOMEM at %ld mappings\n", count);
  char* last = base + 2 * (made + 1) * PAGE;
  CHECK(mmap(last + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED &&
        errno == ENOMEM);
  CHECK(sbrk(16 * PAGE) == (void*)-1 && errno == ENOMEM);
  tl_say("then also a mapping that would merge, and a bigger heap\n");

  CHECK_ERRNO(mprotect(three + PAGE, PAGE, PROT_NONE), ENOMEM);
  CHECK_ERRNO(munmap(three + PAGE, PAGE), ENOMEM);
  CHECK(munmap(three + 2 * PAGE, PAGE) == 0);
  CHECK(munmap(three, PAGE) == 0);
  CHECK(mappings() == count);
  tl_say("a split by mprotect or a hole by munmap fails; munmap at an end works\n");

  CHECK(munmap(three + PAGE, PAGE) == 0);
  CHECK(munmap(last - 2 * PAGE, PAGE) == 0);
  CHECK(mappings() == count - 2);
  CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
  CHECK(sbrk(16 * PAGE) != (void*)-1);
  CHECK(mappings() <= count);
  tl_say("unmapping makes room again\n");
  CHECK(munmap(base, 2 * slots * PAGE) == 0);
  return tl_done();
}
