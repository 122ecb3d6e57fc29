/* sig_hard_cases: the cases where a signal cannot simply be handled, and what Linux does then.
 *   - a fault while its signal is blocked kills the process with that signal (the handler does not run);
 *     so does a fault while the signal is ignored, and a fault inside the signal's own handler
 *   - a frame that cannot be written (sp pointing at an unmapped page, or at a read-only page) kills with
 *     SIGSEGV
 *   - a stack overflow is caught by a SIGSEGV handler running on an alternate stack (SA_ONSTACK), which
 *     leaves with siglongjmp; without the alternate stack the overflow kills with SIGSEGV
 *   - SA_RESETHAND: the action is SIG_DFL once the handler starts (a second signal kills)
 *   - SA_NODEFER: the handler can be interrupted by its own signal (nested run); without it the second
 *     signal waits until the first handler returns
 *   - nested handlers: a SIGUSR2 raised in the SIGUSR1 handler runs inside it
 * Each case runs in a child. Compared with qemu-user where faithful (see KNOWN_QEMU_USER_DIFFERENCE notes;
 * the reference for those is Linux 6.1, ../shared/reference-linux).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static volatile int hits;

static void count_handler(int sig) { hits++; }

/* Run fn in a child; returns its wait status. The alarm ends a child that faults for ever (a kernel that left a
 * blocked or ignored fault signal pending): it dies of SIGALRM, and the test fails at once rather than hang. */
static int in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(20);
    fn();
    _exit(0);
  }
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

static const char* how(int status) {
  static char buf[64];
  if (WIFEXITED(status)) snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) snprintf(buf, sizeof buf, "killed by %s", sigabbrev_np(WTERMSIG(status)));
  else snprintf(buf, sizeof buf, "status %#x", status);
  return buf;
}

static void report(const char* what, int status, int want_sig) {
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == want_sig);
  tl_say("%s: %s\n", what, how(status));
}

static volatile int* volatile null_page = 0;
static void segv(void) { null_page[4] = 1; }

static void fault_blocked(void) {
  CHECK(tl_handle_signal(SIGSEGV, count_handler, 0) == 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigprocmask(SIG_BLOCK, &set, NULL);
  segv();
  _exit(hits == 0 ? 3 : 4);
}

static void fault_ignored(void) {
  signal(SIGSEGV, SIG_IGN);
  segv();
  _exit(3);
}

static void fault_in_own_handler_handler(int sig) { segv(); }
static void fault_in_own_handler(void) {
  CHECK(tl_handle_signal(SIGSEGV, fault_in_own_handler_handler, 0) == 0);
  segv();
  _exit(3);
}

/* Make sp point at addr and send ourselves SIGUSR1 (which has a handler): the frame cannot be written. */
static void raise_with_sp(uintptr_t addr) {
  register long a0 asm("a0") = getpid();
  register long a1 asm("a1") = SIGUSR1;
  register long a7 asm("a7") = SYS_kill;
  register uintptr_t t0 asm("t0") = addr;
  asm volatile("mv t1, sp\n mv sp, t0\n ecall\n mv sp, t1" : "+r"(a0) : "r"(a1), "r"(a7), "r"(t0) : "t1", "memory");
}

static void frame_unmapped(void) {
  CHECK(tl_handle_signal(SIGUSR1, count_handler, 0) == 0);
  char* p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  raise_with_sp((uintptr_t)p + 4096);
  _exit(3);
}

static void frame_readonly(void) {
  CHECK(tl_handle_signal(SIGUSR1, count_handler, 0) == 0);
  char* p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  raise_with_sp((uintptr_t)p + 8192);
  _exit(3);
}

static sigjmp_buf escape;
static volatile uintptr_t handler_local, alt_lo, alt_hi;

static void overflow_handler(int sig) {
  volatile char here;
  handler_local = (uintptr_t)&here;
  siglongjmp(escape, 1);
}

static volatile int keep_going = 1;
static int recurse(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  return keep_going ? recurse(n + 1) + pad[0] : 0;
}

static void overflow_on_altstack(void) {
  size_t size = 64 * 1024;
  char* alt = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = size};
  if (sigaltstack(&ss, NULL) != 0) _exit(5);
  alt_lo = (uintptr_t)alt;
  alt_hi = (uintptr_t)alt + size;
  CHECK(tl_handle_signal(SIGSEGV, overflow_handler, SA_ONSTACK) == 0);
  if (sigsetjmp(escape, 1) == 0) {
    recurse(0);
    _exit(6);
  }
  _exit(handler_local > alt_lo && handler_local < alt_hi ? 0 : 7);
}

static void overflow_without_altstack(void) {
  CHECK(tl_handle_signal(SIGSEGV, overflow_handler, 0) == 0);
  if (sigsetjmp(escape, 1) == 0) recurse(0);
  _exit(3);
}

static void reset_hand(void) {
  CHECK(tl_handle_signal(SIGUSR1, count_handler, SA_RESETHAND) == 0);
  raise(SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  if (hits != 1 || now.sa_handler != SIG_DFL) _exit(3);
  raise(SIGUSR1);
  _exit(4);
}

static volatile int depth, max_depth, order_log[8], norder;

static void nodefer_handler(int sig) {
  depth++;
  if (depth > max_depth) max_depth = depth;
  order_log[norder++] = depth;
  if (hits++ == 0) raise(sig); /* once */
  depth--;
}

static void nodefer_cases(void) {
  CHECK(tl_handle_signal(SIGUSR1, nodefer_handler, SA_NODEFER) == 0);
  hits = max_depth = norder = 0;
  raise(SIGUSR1);
  CHECK(hits == 2 && max_depth == 2);
  tl_say("SA_NODEFER: the handler's own signal interrupts it (nested to depth 2)\n");
  CHECK(tl_handle_signal(SIGUSR1, nodefer_handler, 0) == 0);
  hits = max_depth = norder = 0;
  raise(SIGUSR1);
  CHECK(hits == 2 && max_depth == 1);
  tl_say("without SA_NODEFER: the second signal waits for the handler to return (depth 1)\n");
}

static volatile int usr2_inside_usr1;
static volatile int in_usr1;
static void usr2_handler(int sig) { usr2_inside_usr1 = in_usr1; }
static void usr1_handler(int sig) {
  in_usr1 = 1;
  raise(SIGUSR2);
  in_usr1 = 0;
}

static void nested(void) {
  CHECK(tl_handle_signal(SIGUSR1, usr1_handler, 0) == 0);
  CHECK(tl_handle_signal(SIGUSR2, usr2_handler, 0) == 0);
  raise(SIGUSR1);
  CHECK(usr2_inside_usr1 == 1);
  tl_say("SIGUSR2 raised in the SIGUSR1 handler runs inside it\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  report("a fault with its signal blocked", in_child(fault_blocked), SIGSEGV);
  report("a fault with its signal ignored", in_child(fault_ignored), SIGSEGV);
  report("a fault in the signal's own handler", in_child(fault_in_own_handler), SIGSEGV);
  report("a signal whose frame would go to an unmapped page", in_child(frame_unmapped), SIGSEGV);
  report("a signal whose frame would go to a read-only page", in_child(frame_readonly), SIGSEGV);

  int status = in_child(overflow_on_altstack);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("stack overflow with a SIGSEGV handler on an alternate stack: caught (%s)\n", how(status));
  report("stack overflow with a handler but no alternate stack", in_child(overflow_without_altstack), SIGSEGV);

  report("SA_RESETHAND: the second signal", in_child(reset_hand), SIGUSR1);
  nodefer_cases();
  nested();
  return tl_done();
}
