/* mm_msync_mlock: msync, mlock, munlock and sched_setaffinity check their arguments as Linux does.
 *   - msync(2): 0 on a mapped range (MS_SYNC, MS_ASYNC, MS_INVALIDATE); EINVAL for an unaligned start, unknown
 *     flags, or MS_ASYNC with MS_SYNC; ENOMEM when part of the range is not mapped (a hole, a kernel address)
 *   - mlock(2), munlock(2): 0 on a mapped range, also from an unaligned start (the range is widened to whole
 *     pages); ENOMEM when part of it is not mapped
 *   - sched_setaffinity(2): 0 with a mask that has an online CPU; EINVAL with an empty mask; ESRCH for a pid
 *     that does not exist; EFAULT for a bad mask pointer
 * These calls once returned 0 whatever they were given (the fuzzer's kernel-pointer test found it).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096L

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK(munmap(p + 2 * PAGE, PAGE) == 0); /* a hole in the middle */
  long kernel = (long)0xffffffc000000000UL;

  CHECK(msync(p, 2 * PAGE, MS_SYNC) == 0);
  CHECK(msync(p, PAGE, MS_ASYNC) == 0);
  CHECK(msync(p, PAGE, MS_INVALIDATE) == 0);
  CHECK(msync(p, 0, MS_SYNC) == 0);
  CHECK_ERRNO(msync(p + 1, PAGE, MS_SYNC), EINVAL);
  CHECK_ERRNO(msync(p, PAGE, 0x100), EINVAL);
  CHECK_ERRNO(msync(p, PAGE, MS_ASYNC | MS_SYNC), EINVAL);
  CHECK_ERRNO(msync(p, 4 * PAGE, MS_SYNC), ENOMEM);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_msync, kernel, PAGE, MS_SYNC, 0, 0, 0), ENOMEM);
  tl_say("msync: checked as Linux does\n");

  CHECK(mlock(p, 2 * PAGE) == 0);
  CHECK(munlock(p, 2 * PAGE) == 0);
  CHECK(mlock(p + 100, PAGE) == 0); /* widened to two whole pages, both mapped */
  CHECK(munlock(p + 100, PAGE) == 0);
  CHECK_ERRNO(mlock(p, 4 * PAGE), ENOMEM);
  CHECK_ERRNO(munlock(p + PAGE, 2 * PAGE), ENOMEM);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_mlock, kernel, PAGE, 0, 0, 0, 0), ENOMEM);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_munlock, kernel, PAGE, 0, 0, 0, 0), ENOMEM);
  tl_say("mlock, munlock: checked as Linux does\n");

  cpu_set_t set;
  CPU_ZERO(&set);
  CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
  CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
  cpu_set_t empty;
  CPU_ZERO(&empty);
  CHECK_ERRNO(sched_setaffinity(0, sizeof empty, &empty), EINVAL);
  CHECK_ERRNO(sched_setaffinity(99999, sizeof set, &set), ESRCH);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_sched_setaffinity, 0, sizeof set, kernel, 0, 0, 0), EFAULT);
  tl_say("sched_setaffinity: checked as Linux does\n");
  return tl_done();
}
