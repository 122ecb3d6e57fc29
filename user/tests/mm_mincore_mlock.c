/* mm_mincore_mlock: mincore, the mlock family and msync, with Linux's errno cases.
 *   - mincore: untouched anonymous pages are not resident; a written page and a read one (the zero page is
 *     mapped) are; EINVAL for an unaligned address, ENOMEM for a hole, EFAULT for a bad vector
 *   - mlock makes every page of the range resident (the address need not be aligned); mlock2 with
 *     MLOCK_ONFAULT does not; ENOMEM for a hole, EINVAL for unknown mlock2 flags; munlock: ENOMEM for a hole;
 *     mlockall: EINVAL for 0, unknown bits or MCL_ONFAULT alone; munlockall
 *   - msync: EINVAL for an unaligned address, unknown flags, MS_ASYNC with MS_SYNC; ENOMEM for a hole; 0 for an
 *     empty range and for a mapped one
 * Compared with qemu-user; checked on Linux 6.1 (reference-linux).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

enum { PAGES = 6 };

static int resident(unsigned char* vec, int n) {
  int count = 0;
  for (int i = 0; i < n; i++) count += vec[i] & 1;
  return count;
}

static void mincores(void) {
  char* p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  unsigned char vec[PAGES];
  memset(vec, 0xff, sizeof(vec));
  CHECK(mincore(p, PAGES * 4096, vec) == 0);
  CHECK(resident(vec, PAGES) == 0);
  p[0] = 1;
  (void)*(volatile char*)(p + 2 * 4096);
  CHECK(mincore(p, PAGES * 4096, vec) == 0);
  CHECK(vec[0] == 1 && vec[1] == 0 && vec[2] == 1 && vec[3] == 0);
  CHECK(mincore(p, 1, vec) == 0);  /* a partial page counts */
  CHECK_ERRNO(mincore(p + 1, 4096, vec), EINVAL);
  CHECK(munmap(p + 4 * 4096, 4096) == 0);
  CHECK_ERRNO(mincore(p, PAGES * 4096, vec), ENOMEM);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_mincore, (long)p, 4096, 8, 0, 0, 0), EFAULT);
  CHECK(munmap(p, PAGES * 4096) == 0);
  tl_say("mincore: touched pages resident, others not; EINVAL, ENOMEM, EFAULT\n");
}

static void mlocks(void) {
  char* p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  unsigned char vec[PAGES];
  CHECK(mlock(p + 100, 3 * 4096) == 0);  /* pages 0..3 */
  CHECK(mincore(p, PAGES * 4096, vec) == 0);
  CHECK(vec[0] == 1 && vec[1] == 1 && vec[2] == 1 && vec[3] == 1 && vec[4] == 0 && vec[5] == 0);
  CHECK(munlock(p, PAGES * 4096) == 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 has no mlock2 (ENOSYS)")) {
    CHECK_RAW_ERR(tl_raw_syscall(SYS_mlock2, (long)(p + 4 * 4096), 4096, 2, 0, 0, 0), EINVAL);
    CHECK(tl_raw_syscall(SYS_mlock2, (long)(p + 4 * 4096), 4096, 1 /* MLOCK_ONFAULT */, 0, 0, 0) == 0);
    CHECK(mincore(p, PAGES * 4096, vec) == 0);
    CHECK(vec[4] == 0);
  }
  CHECK(munmap(p + 5 * 4096, 4096) == 0);
  CHECK_ERRNO(mlock(p, PAGES * 4096), ENOMEM);
  CHECK_ERRNO(munlock(p, PAGES * 4096), ENOMEM);
  CHECK_ERRNO(mlockall(0), EINVAL);
  CHECK_ERRNO(mlockall(8), EINVAL);
  CHECK_ERRNO(mlockall(4 /* MCL_ONFAULT */), EINVAL);
  CHECK(mlockall(MCL_CURRENT) == 0);
  CHECK(munlockall() == 0);
  CHECK(munmap(p, 5 * 4096) == 0);
  tl_say("mlock: pages made resident (not with MLOCK_ONFAULT); ENOMEM, EINVAL; mlockall, munlockall\n");
}

static void msyncs(void) {
  char* p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK(msync(p, 2 * 4096, MS_SYNC) == 0);
  CHECK(msync(p, 100, MS_ASYNC | MS_INVALIDATE) == 0);
  CHECK(msync(p, 0, MS_SYNC) == 0);
  CHECK_ERRNO(msync(p + 1, 4096, MS_SYNC), EINVAL);
  CHECK_ERRNO(msync(p, 4096, MS_SYNC | MS_ASYNC), EINVAL);
  CHECK_ERRNO(msync(p, 4096, 8), EINVAL);
  CHECK(munmap(p + 4096, 4096) == 0);
  CHECK_ERRNO(msync(p, 2 * 4096, MS_SYNC), ENOMEM);
  CHECK(munmap(p, 4096) == 0);
  tl_say("msync: 0 on mapped memory; EINVAL, ENOMEM\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  mincores();
  mlocks();
  msyncs();
  return tl_done();
}
