/* syscall_unimplemented: a system call the kernel does not implement answers ENOSYS, and the kernel log names
 * it (once per process), whatever its number: every Linux riscv64 number has its name, from the first
 * (io_setup, 0) to the last (set_mempolicy_home_node, 450); a number Linux does not use is "unknown".
 * Numbers Linux does not use give ENOSYS on Linux too; io_setup and set_mempolicy_home_node exist there (and
 * fail with other errors on these arguments), so they are called on our kernel only.
 * TEST: kernel-log=system call 0 \(io_setup\) is not implemented: returning -ENOSYS$
 * TEST: kernel-log=system call 450 \(set_mempolicy_home_node\) is not implemented: returning -ENOSYS$
 * TEST: kernel-log=system call 500 \(unknown\) is not implemented: returning -ENOSYS$
 * TEST: kernel-log=system call 100000 \(unknown\) is not implemented: returning -ENOSYS$
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  CHECK_ERRNO(syscall(500, 0, 0, 0), ENOSYS);
  CHECK_ERRNO(syscall(100000, 0, 0, 0), ENOSYS);
  CHECK_ERRNO(syscall(500, 0, 0, 0), ENOSYS);  // logged once, answered every time
  if (tl_is_our_kernel()) {
    CHECK_ERRNO(syscall(SYS_io_setup, 0, 0), ENOSYS);
    CHECK_ERRNO(syscall(450 /* set_mempolicy_home_node */, 0, 0, 0, 0), ENOSYS);
  }
  tl_say("unimplemented system calls answer ENOSYS\n");
  return tl_done();
}
