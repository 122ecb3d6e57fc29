/* swap_onoff: swapoff(2) with pages out brings them back; swapon(2) adds the area again; /proc/swaps and
 * /proc/meminfo follow.
 *
 * On a 64 MiB machine whose swap area /dev/vda (160 MiB, mkswap'd, swapped on at boot) is listed in
 * /proc/swaps: the program fills 80 MiB with a pattern (most of it goes to swap), unmaps the first half, and
 * checks that swap is in use (SwapTotal - SwapFree > 0). swapoff("/dev/vda") then succeeds: every page comes
 * back into memory, SwapTotal is 0, /proc/swaps lists nothing, and the remaining 40 MiB still hold the pattern.
 * swapon("/dev/vda", 0) adds the area again (listed again, SwapFree == SwapTotal > 0); a second swapon of it is
 * EBUSY, swapoff of a file that is no swap area is EINVAL, swapoff of a missing path is ENOENT (all as Linux).
 * /proc/sys/vm/page-cluster says 3 (read-ahead of 8 slots, Linux's default; sysctl.vm.page-cluster=N at boot).
 * Needs a real swap device: kernel-only (under qemu-user swapon is the host's).
 *
 * TEST: mem=64M
 * TEST: swap=160M
 * TEST: timeout=300
 *
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>

#include "mmtest.h"

#define BYTES (80UL << 20)
#define HALF (BYTES / 2)

static long swaps_lines(void) {
  FILE* f = fopen("/proc/swaps", "r");
  if (!f) return -1;
  char line[256];
  long n = 0, with_vda = 0;
  while (fgets(line, sizeof line, f)) {
    n++;
    if (strncmp(line, "/dev/vda ", 9) == 0) with_vda++;
  }
  fclose(f);
  return n == 1 + with_vda ? with_vda : -1; /* the header, then one line per area */
}

static long page_cluster(void) {
  FILE* f = fopen("/proc/sys/vm/page-cluster", "r");
  long n = -1;
  if (f && fscanf(f, "%ld", &n) != 1) n = -1;
  if (f) fclose(f);
  return n;
}

static uint64_t word(size_t i) { return i * 0x9e3779b97f4a7c15ull + 7; }

int main(int argc, char** argv) {
  tl_init(argc, argv);
  CHECK(swaps_lines() == 1);
  CHECK(page_cluster() == 3);
  long total = mt_meminfo_pages("SwapTotal");
  CHECK(total > 0);

  uint64_t* p = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  if (p == MAP_FAILED) return tl_done();
  size_t words = BYTES / sizeof(uint64_t);
  for (size_t i = 0; i < words; i++) p[i] = word(i);
  CHECK(munmap(p, HALF) == 0);
  long used = mt_meminfo_pages("SwapTotal") - mt_meminfo_pages("SwapFree");
  CHECK(used > 0);
  tl_say("pages on swap before swapoff: %s\n", used > 0 ? "some" : "none");

  CHECK(swapoff("/dev/vda") == 0);
  CHECK(mt_meminfo_pages("SwapTotal") == 0);
  CHECK(swaps_lines() == 0);
  size_t bad = 0;
  for (size_t i = HALF / sizeof(uint64_t); i < words; i++) bad += p[i] != word(i);
  CHECK(bad == 0);
  tl_say("after swapoff: %lu wrong words\n", (unsigned long)bad);

  CHECK(swapon("/dev/vda", 0) == 0);
  CHECK(swaps_lines() == 1);
  CHECK(mt_meminfo_pages("SwapTotal") == total);
  CHECK(mt_meminfo_pages("SwapFree") == total);
  CHECK_ERRNO(swapon("/dev/vda", 0), EBUSY);
  CHECK_ERRNO(swapoff("/etc/motd"), EINVAL);
  CHECK_ERRNO(swapoff("/no/such/file"), ENOENT);
  CHECK(munmap((char*)p + HALF, BYTES - HALF) == 0);
  return tl_done();
}
