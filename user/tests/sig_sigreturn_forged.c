/* sig_sigreturn_forged: rt_sigreturn believes only what a user program could have set anyway. A forged or
 * damaged signal frame gets the process SIGSEGV, and nothing in a frame reaches the kernel's own state.
 *   - a handler that points __gregs[REG_PC] at the kernel (or at 0) returns there in user mode: SIGSEGV at that
 *     address, SEGV_MAPERR, as for any jump there
 *   - a handler that fills every register slot (pc, sp, gp, tp...) with kernel addresses: the process dies of
 *     SIGSEGV; the kernel, whose trap entry must not trust the user's tp or sp, goes on as before
 *   - rt_sigreturn with sp at a kernel address, at an unmapped page, or at a frame cut short by the end of its
 *     mapping: SIGSEGV
 *   - a frame whose reserved words after the FP state are not zero: SIGSEGV
 *   - a frame whose uc_sigmask blocks SIGKILL and SIGSTOP: they stay unblocked
 * Each case runs in a child. Compared with qemu-user where faithful; the frame-checking cases are checked on
 * Linux 6.1 (../shared/reference-linux), since qemu-user checks frames its own way.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

#define KERNEL_TEXT 0xffffffff80200000UL
#define KERNEL_DIRECT_MAP 0xffffffc000000000UL

static uintptr_t target_pc;
static volatile uintptr_t seen_addr;
static volatile int seen_code;

static void report_segv(int sig, siginfo_t* si, void* uc) {
  /* The pc the frame pointed at: exit 10 + (si_code == SEGV_MAPERR) + 2 * (si_addr == target). */
  _exit(10 + (si->si_code == SEGV_MAPERR) + 2 * ((uintptr_t)si->si_addr == target_pc));
}

static void redirect_pc(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  uc->uc_mcontext.__gregs[REG_PC] = target_pc;
}

static void poison_everything(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  for (int i = 0; i < 32; i++) uc->uc_mcontext.__gregs[i] = KERNEL_DIRECT_MAP + 0x1000 * i;
}

static void block_everything(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  sigfillset(&uc->uc_sigmask);
}

static int in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    _exit(99);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  return status;
}

static int killed_by_segv(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV; }

/* SIGUSR1's handler sends the program to target_pc; SIGSEGV's handler (on an alternate stack, without
 * SA_NODEFER) reports where the fault was. */
static void jump_to_target(void) {
  static char alt[16384];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
  sigaltstack(&ss, NULL);
  tl_handle_signal(SIGSEGV, report_segv, SA_SIGINFO | SA_ONSTACK);
  tl_handle_signal(SIGUSR1, redirect_pc, SA_SIGINFO);
  raise(SIGUSR1);
}

static void to_kernel(void) {
  target_pc = KERNEL_TEXT;
  jump_to_target();
}

static void to_zero(void) {
  target_pc = 0;
  jump_to_target();
}

static void poisoned(void) {
  tl_handle_signal(SIGUSR1, poison_everything, SA_SIGINFO);
  raise(SIGUSR1);
}

/* rt_sigreturn with sp = addr, straight from user code. */
static void sigreturn_at(uintptr_t addr) {
  register uintptr_t a0 asm("a0") = addr;
  asm volatile("mv sp, a0\n li a7, %1\n ecall" : : "r"(a0), "i"(SYS_rt_sigreturn) : "a7", "memory");
}

static void sp_kernel(void) { sigreturn_at(KERNEL_DIRECT_MAP); }

static void sp_unmapped(void) {
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p, 4096);
  sigreturn_at((uintptr_t)p);
}

static void sp_truncated(void) {
  /* A zeroed frame (which Linux would accept) whose last 512 bytes are past the end of the mapping. */
  char* p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p + 4096, 4096);
  memset(p, 0, 4096);
  sigreturn_at((uintptr_t)p + 4096 - (1088 - 512));
}

static void reserved_words(void) {
  /* A frame that is valid but for the reserved words after the FP state (at 560 + 516 in the frame). */
  static uint64_t frame[1088 / 8 + 2] __attribute__((aligned(16)));
  memset(frame, 0, sizeof frame);
  ((uint32_t*)((char*)frame + 560 + 516))[1] = 1;
  sigreturn_at((uintptr_t)frame);
}

static void mask_kill_stop(void) {
  tl_handle_signal(SIGUSR1, block_everything, SA_SIGINFO);
  raise(SIGUSR1);
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  _exit(sigismember(&now, SIGKILL) || sigismember(&now, SIGSTOP) ? 1 : sigismember(&now, SIGTERM) ? 0 : 2);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int st = in_child(to_kernel);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 13);
  tl_say("a frame whose pc is in the kernel: SIGSEGV (SEGV_MAPERR) at that pc, in user mode\n");
  st = in_child(to_zero);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 13);
  tl_say("a frame whose pc is 0: SIGSEGV (SEGV_MAPERR) at 0\n");
  CHECK(killed_by_segv(in_child(poisoned)));
  tl_say("every register slot a kernel address: SIGSEGV\n");

  int faithful = !KNOWN_QEMU_USER_DIFFERENCE("qemu-user checks signal frames its own way");
  int s1 = in_child(sp_kernel), s2 = in_child(sp_unmapped), s3 = in_child(sp_truncated), s4 = in_child(reserved_words);
  if (faithful) {
    CHECK(killed_by_segv(s1));
    CHECK(killed_by_segv(s2));
    CHECK(killed_by_segv(s3));
    CHECK(killed_by_segv(s4));
  }
  tl_say("rt_sigreturn with sp in the kernel, unmapped, on a cut-short frame: SIGSEGV\n");
  tl_say("a frame with the reserved FP words set: SIGSEGV\n");

  st = in_child(mask_kill_stop);
  if (faithful) CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  tl_say("uc_sigmask with every signal: SIGKILL and SIGSTOP stay unblocked\n");
  return tl_done();
}
