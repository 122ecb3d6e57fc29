/* proc_smaps_pagemap: /proc/PID/smaps, smaps_rollup and pagemap describe pages as Linux 6.1 does (checked there).
 *   - a fresh anonymous mapping has Rss 0; touching 3 of its 8 pages makes Rss, Pss, Anonymous and
 *     Private_Dirty 12 kB; read-faulted pages map the zero page, which counts nowhere
 *   - after fork the pages are shared copy-on-write: Shared_Dirty 12 kB and Pss 6 kB in the parent
 *   - pagemap: touched pages are present (bit 63) with a frame number (shown to root), exclusively mapped
 *     (bit 56) before fork and not after; untouched pages read 0; a file page has bit 61; reads must be
 *     multiples of 8 bytes at multiples of 8 (EINVAL)
 *   - smaps_rollup sums every region: its Rss is the sum of smaps's
 * TEST: kernel-only
 * (Under qemu-user /proc/self is the emulator's own process on the host.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* A field (in kB) of the smaps entry of the region starting at `start`, or of the rollup (start 0). */
static long smaps_field(const char* file, uintptr_t start, const char* field) {
  FILE* f = fopen(file, "r");
  if (!f) return -1;
  char line[256];
  int in_region = start == 0;
  long value = -1;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
      if (in_region && start) break;
      in_region = start == 0 || a == start;
      continue;
    }
    if (in_region && strncmp(line, field, len) == 0 && line[len] == ':') {
      value = strtol(line + len + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

static uint64_t pagemap(int fd, const void* address) {
  uint64_t entry = 0;
  if (pread(fd, &entry, 8, (uintptr_t)address / 4096 * 8) != 8) return ~0ull;
  return entry;
}

#define PRESENT (1ull << 63)
#define FILE_PAGE (1ull << 61)
#define EXCLUSIVE (1ull << 56)
#define PFN(e) ((e) & ((1ull << 55) - 1))

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* a = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED);
  uintptr_t start = (uintptr_t)a;
  CHECK(smaps_field("/proc/self/smaps", start, "Rss") == 0);
  a[0] = 1;
  a[4096] = 2;
  a[3 * 4096] = 3;
  volatile char sink = a[5 * 4096]; /* a read fault: the zero page */
  (void)sink;
  long rss = smaps_field("/proc/self/smaps", start, "Rss"), pss = smaps_field("/proc/self/smaps", start, "Pss");
  long anon = smaps_field("/proc/self/smaps", start, "Anonymous");
  long dirty = smaps_field("/proc/self/smaps", start, "Private_Dirty");
  tl_say("after touching 3 pages: Rss %ld, Pss %ld, Anonymous %ld, Private_Dirty %ld kB\n", rss, pss, anon, dirty);
  CHECK(rss == 12 && pss == 12 && anon == 12 && dirty == 12);

  int pm = open("/proc/self/pagemap", O_RDONLY);
  CHECK(pm >= 0);
  uint64_t touched = pagemap(pm, a), untouched = pagemap(pm, a + 2 * 4096), zero = pagemap(pm, a + 5 * 4096);
  CHECK((touched & PRESENT) && PFN(touched) != 0 && (touched & EXCLUSIVE) && !(touched & FILE_PAGE));
  CHECK(untouched == 0);
  CHECK((zero & PRESENT) && !(zero & EXCLUSIVE) && !(zero & FILE_PAGE));
  uint64_t text = pagemap(pm, (void*)&main);
  CHECK((text & PRESENT) && (text & FILE_PAGE));
  uint64_t entry;
  CHECK_ERRNO(pread(pm, &entry, 4, 0), EINVAL);
  CHECK_ERRNO(pread(pm, &entry, 8, 4), EINVAL);
  tl_say("pagemap: present with a frame, exclusive; untouched 0; the zero page shared; text a file page\n");

  int ready[2], done[2];
  CHECK(pipe(ready) == 0 && pipe(done) == 0);
  pid_t child = fork();
  if (child == 0) {
    char c;
    if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  char c;
  CHECK(read(ready[0], &c, 1) == 1);
  long shared = smaps_field("/proc/self/smaps", start, "Shared_Dirty");
  pss = smaps_field("/proc/self/smaps", start, "Pss");
  tl_say("after fork: Shared_Dirty %ld kB, Pss %ld kB\n", shared, pss);
  CHECK(shared == 12 && pss == 6);
  CHECK(!(pagemap(pm, a) & EXCLUSIVE));
  CHECK(write(done[1], "d", 1) == 1);
  int status;
  CHECK(waitpid(child, &status, 0) == child);

  /* The rollup's Rss is the sum of the regions'. */
  long sum = 0;
  FILE* f = fopen("/proc/self/smaps", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "Rss:", 4) == 0) sum += strtol(line + 4, NULL, 10);
  if (f) fclose(f);
  long rollup = smaps_field("/proc/self/smaps_rollup", 0, "Rss");
  CHECK(rollup > 0 && rollup >= sum - 8 && rollup <= sum + 8); /* reading smaps may touch a stack page */
  tl_say("smaps_rollup: Rss is the regions' sum\n");
  close(pm);
  return tl_done();
}
