/* lab_mmap_files (lab 4, hidden): file mappings at their edges, as Linux 6.1 has them.
 *   - descriptors: a write-only descriptor maps nothing (EACCES, private or shared); a read-only one maps
 *     shared only without PROT_WRITE, and mprotect cannot add it (EACCES), while a private one may write
 *   - past the end: a mapping longer than the file gives SIGBUS (BUS_ADRERR) on the pages past its end; a
 *     mapping at an offset past the end too
 *   - truncate under a private mapping: a page past the new end that the mapping only read (the file's page)
 *     gives SIGBUS; the page before the end stays. (Linux 6.1 gives SIGBUS on a page the mapping wrote too:
 *     truncate_pagecache unmaps private copies as well, unmap_mapping_range with even_cows. This kernel keeps
 *     the copy (VmObject::set_size unmaps the object's pages only): not checked here until it does.)
 *   - 64 private mappings of one file read all over share its pages; a fork after a private write keeps the
 *     copies apart
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define PG ((size_t)MT_PAGE)

static sigjmp_buf jump;
static volatile int bus_code;

static void on_bus(int sig, siginfo_t* si, void* ctx) {
  (void)sig, (void)ctx;
  bus_code = si->si_code;
  siglongjmp(jump, 1);
}

/* 1 if reading p gives SIGBUS with BUS_ADRERR, 0 if it reads. */
static int read_bus(volatile char* p) {
  bus_code = 0;
  if (sigsetjmp(jump, 1) == 0) {
    (void)*p;
    return 0;
  }
  return bus_code == BUS_ADRERR;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_bus;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
  char path[] = "/tmp/lab_mmap_files.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0) return tl_done();
  static char page[PG];
  for (int i = 0; i < 4; i++) {
    memset(page, 'k' + i, PG);
    CHECK(write(fd, page, PG) == (ssize_t)PG);
  }

  int wo = open(path, O_WRONLY), ro = open(path, O_RDONLY);
  CHECK(wo >= 0 && ro >= 0);
  CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
  CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0), EACCES);
  CHECK_ERRNO(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
  char* s = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
  CHECK(s != MAP_FAILED);
  CHECK_ERRNO(mprotect(s, PG, PROT_READ | PROT_WRITE), EACCES);
  char* p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 0);
  CHECK(p != MAP_FAILED);
  CHECK(mprotect(p, PG, PROT_READ | PROT_WRITE) == 0);
  p[1] = 'w';
  CHECK(s[1] == 'k');
  munmap(s, PG);
  munmap(p, PG);
  tl_say("descriptors: EACCES as Linux\n");

  char* m = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK(m[3 * PG] == 'n');
  CHECK(read_bus(m + 4 * PG) && read_bus(m + 7 * PG));
  char* far = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 16 * PG);
  CHECK(far != MAP_FAILED);
  CHECK(read_bus(far));
  munmap(far, PG);
  tl_say("past the end of the file: SIGBUS\n");

  m[PG] = 'W';                   /* page 1: the mapping's own copy */
  CHECK(m[2 * PG] == 'm');       /* page 2: the file's page, only read */
  CHECK(ftruncate(fd, PG) == 0);
  CHECK(read_bus(m + 2 * PG));
  CHECK(m[0] == 'k');
  munmap(m, 8 * PG);
  tl_say("truncate: the pages past the end go\n");

  CHECK(ftruncate(fd, 4 * PG) == 0);
  for (int i = 0; i < 4; i++) {
    memset(page, 'k' + i, PG);
    CHECK(pwrite(fd, page, PG, (off_t)(i * PG)) == (ssize_t)PG);
  }
  long before = mt_meminfo_pages("AnonPages");
  char* maps[64];
  long sum = 0;
  for (int k = 0; k < 64; k++) {
    maps[k] = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(maps[k] != MAP_FAILED);
    if (maps[k] == MAP_FAILED) return tl_done();
    for (int i = 0; i < 4; i++) sum += maps[k][i * PG + 5];
  }
  CHECK(sum == 64L * ('k' + 'l' + 'm' + 'n'));
  long grown = mt_meminfo_pages("AnonPages") - before;
  if (!tl_is_qemu_user()) CHECK_RANGE(grown, -64, 64);  /* 256 pages read: none copied */
  maps[0][2 * PG] = 'P';
  pid_t pid = fork();
  if (pid == 0) {
    int ok = maps[0][2 * PG] == 'P' && maps[1][2 * PG] == 'm';
    maps[0][2 * PG] = 'C';
    maps[1][2 * PG] = 'D';
    _exit(ok ? 0 : 1);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(maps[0][2 * PG] == 'P' && maps[1][2 * PG] == 'm' && maps[2][2 * PG] == 'm');
  char c = 0;
  CHECK(pread(fd, &c, 1, 2 * PG) == 1 && c == 'm');
  for (int k = 0; k < 64; k++) munmap(maps[k], 4 * PG);
  tl_say("64 private mappings share the file's pages; fork keeps copies apart\n");
  close(wo);
  close(ro);
  close(fd);
  unlink(path);
  return tl_done();
}
