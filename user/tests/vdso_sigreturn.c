/* vdso_sigreturn: the vDSO's signal trampoline, __vdso_rt_sigreturn, called when no signal handler is running.
 *
 * The trampoline is "li a7, 139; ecall": rt_sigreturn, which restores the context saved in the signal frame at
 * sp. Called outside a handler, sp points at whatever is there; the kernel must not be fooled into anything but
 * killing the process. Each case runs in a child that points sp at a buffer and jumps to the trampoline:
 *   - a buffer of 0x5a bytes: Linux 6.1 refuses the frame (the reserved words after the FP state are not
 *     zero) and kills the process with SIGSEGV;
 *   - a buffer of zeros: Linux 6.1 accepts it and "returns" to pc 0 with every register 0: SIGSEGV.
 * (Checked on Linux 6.1 with ../shared/reference-linux/run.sh.) The kernel says which frame it refused.
 * qemu-user 7.2 has no vDSO for riscv64: there the checks are skipped.
 * TEST: kernel-log=\(vdso_sigreturn\): rt_sigreturn: bad signal frame at 0x\w+ \(EINVAL\): SIGSEGV
 * TEST: kernel-log=\(vdso_sigreturn\): instruction page fault at address 0, pc 0, no segment: no region -> SIGSEGV \(SEGV_MAPERR\)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "vdso_lookup.h"


static unsigned char frame[8192] __attribute__((aligned(16)));

/* In a child: sp = a buffer filled with `fill`, then jump to the trampoline. Returns the child's wait status. */
static int call_trampoline(void (*trampoline)(void), unsigned char fill) {
  pid_t pid = fork();
  if (pid == 0) {
    memset(frame, fill, sizeof frame);
    __asm__ volatile("mv sp, %0\n\tjr %1" : : "r"(frame), "r"(trampoline) : "memory");
    __builtin_unreachable();
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 maps no vDSO for riscv64 programs")) {
    tl_say("trampoline on a garbage frame: killed by the expected signal\n");
    tl_say("trampoline on a zeroed frame: killed by the expected signal\n");
    return tl_done();
  }
  struct vdso_image v;
  CHECK(vdso_open(&v, getauxval(AT_SYSINFO_EHDR)) == NULL);
  void (*trampoline)(void) = vdso_function(&v, "__vdso_rt_sigreturn", "LINUX_4.15");
  CHECK(trampoline != NULL);
  if (!trampoline) return tl_done();
  int expected = SIGSEGV;

  int status = call_trampoline(trampoline, 0x5a);
  if (!WIFSIGNALED(status)) fprintf(stderr, "garbage frame: wait status %#x\n", status);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == expected);
  tl_say("trampoline on a garbage frame: killed by the expected signal\n");

  status = call_trampoline(trampoline, 0);
  if (!WIFSIGNALED(status)) fprintf(stderr, "zeroed frame: wait status %#x\n", status);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == expected);
  tl_say("trampoline on a zeroed frame: killed by the expected signal\n");
  return tl_done();
}
