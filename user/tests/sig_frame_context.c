/* sig_frame_context: the riscv64 signal frame (siginfo, then ucontext with mcontext) is what glibc's
 * ucontext_t describes, and what a handler changes in it takes effect when it returns.
 *   - layout: ucontext 128 bytes above siginfo, uc_mcontext 176 bytes into it, __fpregs 256 bytes after
 *     __gregs (glibc's own offsets, checked at compile time, must match what the kernel wrote)
 *   - __gregs holds the interrupted pc and registers: a load from an unmapped page faults at the pc in
 *     __gregs[REG_PC], with the address register's value in its slot
 *   - skipping the faulting instruction: the handler adds its length (2 or 4) to __gregs[REG_PC], and the
 *     program continues after it
 *   - changing a register: the handler sets the destination register's slot, the program sees the value
 *   - the F/D registers: their values at the signal are in __fpregs.__d.__f and fcsr; the handler may use
 *     (and clobber) floating point freely, and the interrupted code's values come back; a value the handler
 *     writes into __fpregs comes back in the register
 *   - uc_sigmask is the mask at the signal; changing it in the handler changes the mask after return
 *   - uc_flags is 0 and uc_link NULL; uc_stack describes the (disabled) alternate stack
 * Compared with qemu-user (faithful for all of this).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

_Static_assert(offsetof(ucontext_t, uc_mcontext) == 176, "uc_mcontext");
_Static_assert(offsetof(mcontext_t, __fpregs) == 256, "__fpregs");
_Static_assert(offsetof(ucontext_t, uc_sigmask) == 40, "uc_sigmask");

static volatile uintptr_t seen_pc, seen_reg, seen_info, seen_uc;
static volatile int handler_action; /* 0: skip the instruction; 1: also set the loaded register */
static char* hole;

/* A load from *addr that the handler may skip: returns what the load produced (a5), which is 7 if it was
 * skipped and the handler did not set the register. */
long faulting_load(const char* addr);
asm(".text\n"
    ".globl faulting_load\n"
    "faulting_load:\n"
    "  li a5, 7\n"
    ".globl faulting_load_insn\n"
    "faulting_load_insn:\n"
    "  ld a5, 0(a0)\n"  /* may be assembled as the 2-byte c.ld: the handler looks at the length */
    "  mv a0, a5\n"
    "  ret\n");
extern char faulting_load_insn[];

static void segv_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  seen_info = (uintptr_t)si;
  seen_uc = (uintptr_t)uc;
  seen_pc = uc->uc_mcontext.__gregs[REG_PC];
  seen_reg = uc->uc_mcontext.__gregs[10]; /* a0: the address */
  uint32_t insn = *(uint32_t*)seen_pc;
  uc->uc_mcontext.__gregs[REG_PC] += (insn & 3) == 3 ? 4 : 2;
  if (handler_action == 1) uc->uc_mcontext.__gregs[15] = 0x1234; /* a5 */
}

static void registers(void) {
  hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(hole != MAP_FAILED);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv_handler;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);

  handler_action = 0;
  long v = faulting_load(hole + 8);
  CHECK(v == 7);
  CHECK(seen_pc == (uintptr_t)faulting_load_insn);
  CHECK(seen_reg == (uintptr_t)(hole + 8));
  CHECK(seen_uc == seen_info + 128);
  tl_say("a faulting load: __gregs[REG_PC] is its address, a0's slot holds the address; skipped by advancing pc\n");

  handler_action = 1;
  v = faulting_load(hole);
  CHECK(v == 0x1234);
  tl_say("the handler set a5 in __gregs: the program sees it\n");
}

static volatile double fp_in_handler;
static volatile uint64_t saw_f10;
static volatile unsigned saw_fcsr;

static void fp_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  saw_f10 = uc->uc_mcontext.__fpregs.__d.__f[10];
  saw_fcsr = uc->uc_mcontext.__fpregs.__d.__fcsr;
  /* Clobber floating-point registers and the rounding mode. */
  volatile double x = 3.0;
  for (int i = 0; i < 10; i++) x = x * 1.5 + 0.25;
  fp_in_handler = x;
  asm volatile("fsrm %0" ::"r"(2));
  asm volatile("fmv.d.x fa0, zero\n fmv.d.x fs0, zero\n fmv.d.x ft0, zero" ::: "fa0", "fs0", "ft0");
  if (handler_action == 2) {
    double two = 2.5;
    memcpy(&uc->uc_mcontext.__fpregs.__d.__f[8], &two, 8); /* fs0 */
  }
}

static void floating_point(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fp_handler;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);

  double a = 1.75, b = -8.5, c;
  uint64_t abits;
  memcpy(&abits, &a, 8);
  handler_action = 0;
  register double fa0 asm("fa0") = a;
  register double fs0 asm("fs0") = b;
  asm volatile("fsrm %0" ::"r"(1)); /* round towards zero, so fcsr is not 0 */
  asm volatile("" : "+f"(fa0), "+f"(fs0));
  raise(SIGUSR1);
  asm volatile("" : "+f"(fa0), "+f"(fs0));
  unsigned frm;
  asm volatile("frrm %0" : "=r"(frm));
  c = fa0 + fs0;
  CHECK(c == a + b);
  CHECK(frm == 1);
  CHECK(saw_f10 == abits);
  CHECK(((saw_fcsr >> 5) & 7) == 1);
  tl_say("F/D registers and fcsr: in the frame, and back after a handler that clobbered them\n");

  handler_action = 2;
  register double fs0b asm("fs0") = b;
  asm volatile("" : "+f"(fs0b));
  raise(SIGUSR1);
  asm volatile("" : "+f"(fs0b));
  CHECK(fs0b == 2.5);
  asm volatile("fsrm %0" ::"r"(0));
  tl_say("a value written into __fpregs comes back in the register\n");
}

static volatile uint64_t mask_at_signal;
static volatile unsigned long flags_seen, link_seen;
static volatile int stack_flags_seen;

static void mask_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  memcpy((void*)&mask_at_signal, &uc->uc_sigmask, 8);
  flags_seen = uc->__uc_flags;
  link_seen = (unsigned long)uc->uc_link;
  stack_flags_seen = uc->uc_stack.ss_flags;
  sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static void mask(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = mask_handler;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  CHECK(sigprocmask(SIG_SETMASK, &set, NULL) == 0);
  raise(SIGUSR1);
  CHECK(mask_at_signal == 1ull << (SIGHUP - 1));
  CHECK(flags_seen == 0 && link_seen == 0);
  CHECK(stack_flags_seen == SS_DISABLE);
  CHECK(sigprocmask(SIG_SETMASK, NULL, &set) == 0);
  CHECK(sigismember(&set, SIGHUP) && sigismember(&set, SIGUSR2) && !sigismember(&set, SIGUSR1));
  sigemptyset(&set);
  CHECK(sigprocmask(SIG_SETMASK, &set, NULL) == 0);
  tl_say("uc_sigmask: the mask at the signal; the handler's change to it is the mask afterwards\n");
  tl_say("uc_flags 0, uc_link NULL, uc_stack.ss_flags SS_DISABLE\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  registers();
  floating_point();
  mask();
  return tl_done();
}
