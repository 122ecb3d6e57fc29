/* mm_madvise: madvise(2) as Linux 6.1 (riscv, no KSM or transparent huge pages) does it.
 *   - MADV_DONTNEED: private anonymous memory reads as zeros again, a private file mapping shows the file again;
 *     a hole is ENOMEM after the mapped part took the advice; on mlocked memory EINVAL (as MADV_FREE), which
 *     MADV_DONTNEED_LOCKED drops
 *   - MADV_FREE: private anonymous memory only (EINVAL for shared or file memory); a page reads as before or as
 *     zeros, and what is written after it stays
 *   - MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_NORMAL/RANDOM/SEQUENTIAL, DONTDUMP: accepted
 *   - MADV_POPULATE_READ/WRITE: the pages become resident (mincore); EINVAL without the right (PROT_NONE, a
 *     read-only mapping for WRITE), EFAULT past the end of a file
 *   - MADV_REMOVE: EINVAL on anonymous private memory, EACCES on a private file mapping
 *   - MADV_DONTFORK: the range is not in a forked child (mincore ENOMEM there), the rest of the mapping is;
 *     MADV_WIPEONFORK: the child's copy reads zeros (EINVAL on file and shared memory); DOFORK and KEEPONFORK
 *     undo them; /proc/self/smaps shows "dc" and "wf"
 *   - EINVAL for unknown advice (KSM, huge pages, 100) and unaligned addresses; 0 for length 0
 * Compared with qemu-user (whose madvise accepts nearly anything: recorded); checked on Linux 6.1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

#define PG MT_PAGE

static int resident(void* p, size_t pages) {
  unsigned char vec[16];
  CHECK(pages <= sizeof(vec) && mincore(p, pages * PG, vec) == 0);
  int n = 0;
  for (size_t i = 0; i < pages; i++) n += vec[i] & 1;
  return n;
}

/* A file of `pages` pages of 0x5a in /tmp, mapped privately; fd is closed. */
static char* file_mapping(size_t pages, size_t map_pages, int prot) {
  char path[] = "/tmp/mm_madvise_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  static char buf[PG];
  memset(buf, 0x5a, sizeof(buf));
  for (size_t i = 0; i < pages; i++) CHECK(write(fd, buf, PG) == (ssize_t)PG);
  char* p = mmap(NULL, map_pages * PG, prot, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED);
  close(fd);
  unlink(path);
  return p;
}

static void dontneed(void) {
  char* p = mt_map_isolated(2, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  p[0] = 1;
  p[PG] = 2;
  CHECK(madvise(p, 2 * PG, MADV_DONTNEED) == 0);
  CHECK(p[0] == 0 && p[PG] == 0);
  p[0] = 3;
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 discards nothing and returns 0 over a hole")) {
    CHECK_ERRNO(madvise(p, 3 * PG, MADV_DONTNEED), ENOMEM);  /* p + 2 pages: mt_map_isolated's margin */
    CHECK(p[0] == 0);  /* the mapped part took the advice */
  }
  char* f = file_mapping(1, 1, PROT_READ | PROT_WRITE);
  f[0] = 1;
  CHECK(madvise(f, PG, MADV_DONTNEED) == 0);
  CHECK(f[0] == 0x5a);
  CHECK(munmap(p, 2 * PG) == 0 && munmap(f, PG) == 0);
  tl_say("MADV_DONTNEED: zeros again, the file again; a hole is ENOMEM after the rest\n");

  /* mlocked memory: DONTNEED and FREE are EINVAL, DONTNEED_LOCKED drops the pages. */
  char* l = mt_map_isolated(1, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK(mlock(l, PG) == 0);
  l[0] = 9;
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 accepts MADV_DONTNEED on mlocked memory, has no DONTNEED_LOCKED")) {
    CHECK_ERRNO(madvise(l, PG, MADV_DONTNEED), EINVAL);
    CHECK_ERRNO(madvise(l, PG, MADV_FREE), EINVAL);
    CHECK(l[0] == 9);
    CHECK(madvise(l, PG, MADV_DONTNEED_LOCKED) == 0);
    CHECK(l[0] == 0);
  }
  CHECK(munmap(l, PG) == 0);
  tl_say("mlocked: MADV_DONTNEED and MADV_FREE are EINVAL, MADV_DONTNEED_LOCKED drops the pages\n");
}

static void free_advice(void) {
  char* p = mt_map_isolated(2, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  p[0] = 1;
  CHECK(madvise(p, 2 * PG, MADV_FREE) == 0);
  CHECK(p[0] == 0 || p[0] == 1);
  p[0] = 2;
  CHECK(p[0] == 2);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 accepts MADV_FREE on any memory")) {
    char* s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED);
    CHECK_ERRNO(madvise(s, PG, MADV_FREE), EINVAL);
    char* f = file_mapping(1, 1, PROT_READ | PROT_WRITE);
    CHECK_ERRNO(madvise(f, PG, MADV_FREE), EINVAL);
    CHECK(munmap(s, PG) == 0 && munmap(f, PG) == 0);
  }
  CHECK(munmap(p, 2 * PG) == 0);
  tl_say("MADV_FREE: anonymous private memory only; data written after it stays\n");
}

static void hints(void) {
  char* p = mt_map_isolated(2, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  char* f = file_mapping(2, 2, PROT_READ);
  static const int accepted[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT,
                                 MADV_DONTDUMP, MADV_DODUMP, MADV_DOFORK, MADV_KEEPONFORK};
  for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
    CHECK(madvise(p, 2 * PG, accepted[i]) == 0);
    CHECK(madvise(f, 2 * PG, accepted[i]) == 0);
  }
  CHECK(madvise(p, 0, MADV_NORMAL) == 0);
  CHECK_ERRNO(madvise(p + 1, PG, MADV_NORMAL), EINVAL);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 accepts unknown advice and holes")) {
    static const int unknown[] = {5, 6, 7, 12 /* KSM */, 14 /* huge pages */, 25, 100, -1};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) CHECK_ERRNO(madvise(p, PG, unknown[i]), EINVAL);
    /* Holes of our own: the middle page of three, unmapped. (Not below p: f may have been placed there.) */
    char* h = mt_map_isolated(3, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(munmap(h + PG, PG) == 0);
    CHECK_ERRNO(madvise(h + PG, PG, MADV_WILLNEED), ENOMEM);
    CHECK_ERRNO(madvise(h + PG, PG, MADV_NORMAL), ENOMEM);
    CHECK_ERRNO(madvise(h, 3 * PG, MADV_NORMAL), ENOMEM);
    CHECK_ERRNO(madvise(h, 3 * PG, MADV_COLD), ENOMEM);
    CHECK(munmap(h, 3 * PG) == 0);
  }
  CHECK(munmap(p, 2 * PG) == 0 && munmap(f, 2 * PG) == 0);
  tl_say("hints accepted; unknown advice EINVAL; holes ENOMEM\n");
}

static void populate_checks(void);

static void populate(void) {
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 has no MADV_POPULATE_*")) populate_checks();
  tl_say("MADV_POPULATE_READ/WRITE: resident; EINVAL without the right, EFAULT past the end of a file\n");
}

static void populate_checks(void) {
  char* p = mt_map_isolated(4, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK(resident(p, 4) == 0);
  CHECK(madvise(p, 2 * PG, MADV_POPULATE_WRITE) == 0);
  CHECK(resident(p, 4) == 2);
  CHECK(madvise(p + 2 * PG, 2 * PG, MADV_POPULATE_READ) == 0);
  CHECK(resident(p, 4) == 4);
  CHECK(mt_is_zero(p, 4 * PG));
  CHECK(mprotect(p, PG, PROT_READ) == 0);
  CHECK_ERRNO(madvise(p, PG, MADV_POPULATE_WRITE), EINVAL);
  CHECK(mprotect(p, PG, PROT_NONE) == 0);
  CHECK_ERRNO(madvise(p, PG, MADV_POPULATE_READ), EINVAL);
  CHECK(mprotect(p, PG, PROT_WRITE) == 0);
  CHECK_ERRNO(madvise(p, PG, MADV_POPULATE_READ), EINVAL);  /* PROT_WRITE alone: no read right */
  CHECK_ERRNO(madvise(p, 5 * PG, MADV_POPULATE_WRITE), ENOMEM);
  char* f = file_mapping(1, 2, PROT_READ);
  CHECK_ERRNO(madvise(f, 2 * PG, MADV_POPULATE_READ), EFAULT);  /* the second page is past the end */
  CHECK(madvise(f, PG, MADV_POPULATE_READ) == 0);
  CHECK(munmap(p, 4 * PG) == 0 && munmap(f, 2 * PG) == 0);
}

static void remove_advice(void) {
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 accepts MADV_REMOVE anywhere")) {
    char* p = mt_map_isolated(1, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK_ERRNO(madvise(p, PG, MADV_REMOVE), EINVAL);
    char* f = file_mapping(1, 1, PROT_READ | PROT_WRITE);
    CHECK_ERRNO(madvise(f, PG, MADV_REMOVE), EACCES);
    CHECK(munmap(p, PG) == 0 && munmap(f, PG) == 0);
  }
  tl_say("MADV_REMOVE: EINVAL on anonymous memory, EACCES on a private file mapping\n");
}

/* The VmFlags line of the smaps entry that starts at p, or "" (static storage). */
static const char* vm_flags(void* p) {
  static char flags[256];
  flags[0] = 0;
  FILE* f = fopen("/proc/self/smaps", "r");
  if (!f) return flags;
  char line[256], start[32];
  snprintf(start, sizeof start, "%lx-", (unsigned long)p);
  int in = 0;
  while (fgets(line, sizeof line, f)) {
    if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' ')) in = strncmp(line, start, strlen(start)) == 0;
    if (in && strncmp(line, "VmFlags:", 8) == 0) {
      snprintf(flags, sizeof flags, "%s", line + 8);
      break;
    }
  }
  fclose(f);
  return flags;
}

/* In a forked child: a[0..3 pages) is 1 but for the middle page, which is not mapped at all; w reads zeros. */
static int child_sees(char* a, char* w, int dont_fork, int wipe) {
  unsigned char vec;
  int ok = a[0] == 1 && a[2 * PG] == 1;
  if (dont_fork) ok &= mincore(a + PG, PG, &vec) == -1 && errno == ENOMEM;
  else ok &= a[PG] == 1;
  ok &= wipe ? w[0] == 0 && w[PG] == 0 : w[0] == 2 && w[PG] == 2;
  w[0] = 7;  /* still writable memory */
  ok &= w[0] == 7;
  return ok;
}

static int fork_and_check(char* a, char* w, int dont_fork, int wipe) {
  pid_t pid = fork();
  if (pid == 0) _exit(child_sees(a, w, dont_fork, wipe) ? 0 : 1);
  int status;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void fork_advice(void) {
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 accepts MADV_DONTFORK/WIPEONFORK and does nothing")) {
    char* a = mt_map_isolated(3, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    char* w = mt_map_isolated(2, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    memset(a, 1, 3 * PG);
    memset(w, 2, 2 * PG);
    CHECK(madvise(a + PG, PG, MADV_DONTFORK) == 0);
    CHECK(madvise(w, 2 * PG, MADV_WIPEONFORK) == 0);
    CHECK(strstr(vm_flags(a + PG), " dc") != NULL && strstr(vm_flags(a), " dc") == NULL);
    CHECK(strstr(vm_flags(w), " wf") != NULL);
    CHECK(fork_and_check(a, w, 1, 1));
    CHECK(a[PG] == 1 && w[0] == 2 && w[PG] == 2);  /* the parent's memory is its own still */
    char* s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char* f = file_mapping(1, 1, PROT_READ | PROT_WRITE);
    CHECK_ERRNO(madvise(s, PG, MADV_WIPEONFORK), EINVAL);
    CHECK_ERRNO(madvise(f, PG, MADV_WIPEONFORK), EINVAL);
    CHECK(madvise(f, PG, MADV_DONTFORK) == 0 && madvise(f, PG, MADV_DOFORK) == 0);
    CHECK(madvise(a, 3 * PG, MADV_DOFORK) == 0);
    CHECK(madvise(w, PG, MADV_KEEPONFORK) == 0 && madvise(w + PG, PG, MADV_KEEPONFORK) == 0);
    CHECK(strstr(vm_flags(a), " dc") == NULL && strstr(vm_flags(w), " wf") == NULL);
    CHECK(fork_and_check(a, w, 0, 0));
    CHECK(munmap(a, 3 * PG) == 0 && munmap(w, 2 * PG) == 0 && munmap(s, PG) == 0 && munmap(f, PG) == 0);
  }
  tl_say("MADV_DONTFORK: not in the child; MADV_WIPEONFORK: zeros in the child; DOFORK/KEEPONFORK undo them\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  dontneed();
  free_advice();
  hints();
  populate();
  remove_advice();
  fork_advice();
  return tl_done();
}
