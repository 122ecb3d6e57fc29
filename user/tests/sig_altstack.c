/* sig_altstack: sigaltstack(2) and handlers that run on the alternate stack.
 *   - at start the alternate stack is disabled (SS_DISABLE, size 0)
 *   - setting one, reading it back; ss_size below MINSIGSTKSZ (2048) is ENOMEM; unknown flags are EINVAL;
 *     SS_DISABLE ignores the size; a bad pointer is EFAULT
 *   - a SA_ONSTACK handler runs on it (its locals are inside), sees SS_ONSTACK from sigaltstack, and may not
 *     change it there (EPERM); uc_stack in its frame describes the stack (flags 0: the interrupted code was
 *     not on it); a handler without SA_ONSTACK stays on the normal stack
 *   - a nested signal while on the alternate stack stays on it (below the first frame)
 *   - fork keeps the settings; exec disables the alternate stack (the new program starts with SS_DISABLE)
 * Compared with qemu-user (faithful for all of this).
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

static char* alt;
static const size_t alt_size = 32 * 1024;
static volatile uintptr_t local_at, nested_local_at;
static volatile int saw_flags, change_error, uc_flags_seen;
static volatile uintptr_t uc_sp_seen;
static volatile size_t uc_size_seen;

static int on_alt(uintptr_t a) { return a >= (uintptr_t)alt && a < (uintptr_t)alt + alt_size; }

static void nested_handler(int sig) {
  volatile char here;
  nested_local_at = (uintptr_t)&here;
}

static void onstack_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  volatile char here;
  local_at = (uintptr_t)&here;
  stack_t now;
  sigaltstack(NULL, &now);
  saw_flags = now.ss_flags;
  stack_t other = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0};
  errno = 0;
  change_error = sigaltstack(&other, NULL) == -1 ? errno : 0;
  uc_flags_seen = uc->uc_stack.ss_flags;
  uc_sp_seen = (uintptr_t)uc->uc_stack.ss_sp;
  uc_size_seen = uc->uc_stack.ss_size;
  raise(SIGUSR2);
}

static void syscall_rules(void) {
  stack_t old;
  CHECK(sigaltstack(NULL, &old) == 0);
  CHECK(old.ss_flags == SS_DISABLE && old.ss_size == 0);
  tl_say("at start: SS_DISABLE\n");

  stack_t ss = {.ss_sp = alt, .ss_size = 2047, .ss_flags = 0};
  CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
  ss.ss_size = 2048;
  CHECK(sigaltstack(&ss, NULL) == 0);
  ss.ss_flags = 0x1234;
  CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL);
  ss.ss_flags = SS_ONSTACK; /* accepted as 0 (old programs pass it) */
  ss.ss_size = alt_size;
  CHECK(sigaltstack(&ss, &old) == 0);
  CHECK(old.ss_sp == alt && old.ss_size == 2048 && old.ss_flags == 0);
  CHECK(sigaltstack(NULL, &old) == 0 && old.ss_size == alt_size && old.ss_flags == 0);
  CHECK(tl_raw_syscall(SYS_sigaltstack, 8, 0, 0, 0, 0, 0) == -EFAULT);
  CHECK(tl_raw_syscall(SYS_sigaltstack, 0, 8, 0, 0, 0, 0) == -EFAULT);
  stack_t off = {.ss_sp = 0, .ss_size = 1, .ss_flags = SS_DISABLE};
  CHECK(sigaltstack(&off, NULL) == 0);
  CHECK(sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE);
  tl_say("ENOMEM below MINSIGSTKSZ, EINVAL for unknown flags, EFAULT, SS_DISABLE turns it off\n");
}

static void handlers(void) {
  stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0};
  CHECK(sigaltstack(&ss, NULL) == 0);
  CHECK(tl_handle_signal(SIGUSR1, onstack_handler, SA_SIGINFO | SA_ONSTACK) == 0);
  CHECK(tl_handle_signal(SIGUSR2, nested_handler, 0) == 0);
  raise(SIGUSR1);
  CHECK(on_alt(local_at));
  CHECK(saw_flags == SS_ONSTACK);
  CHECK(change_error == EPERM);
  CHECK(uc_flags_seen == 0 && uc_sp_seen == (uintptr_t)alt && uc_size_seen == alt_size);
  CHECK(on_alt(nested_local_at) && nested_local_at < local_at);
  tl_say("SA_ONSTACK handler: on the alternate stack, SS_ONSTACK, EPERM to change it, uc_stack describes it\n");
  tl_say("a nested signal there stays on it, below the first frame\n");

  CHECK(tl_handle_signal(SIGUSR1, nested_handler, 0) == 0);
  raise(SIGUSR1);
  CHECK(!on_alt(nested_local_at));
  tl_say("without SA_ONSTACK: the normal stack\n");
}

static void inheritance(void) {
  stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0};
  CHECK(sigaltstack(&ss, NULL) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    stack_t now;
    sigaltstack(NULL, &now);
    _exit(now.ss_sp == alt && now.ss_size == alt_size && now.ss_flags == 0 ? 0 : 1);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("fork: the child has the same alternate stack\n");
  char* args[] = {(char*)"report", NULL};
  status = tl_run_self(args);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("exec: the new program starts with SS_DISABLE\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "report") == 0) {
    stack_t now;
    sigaltstack(NULL, &now);
    return now.ss_flags == SS_DISABLE && now.ss_size == 0 ? 0 : 1;
  }
  alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(alt != MAP_FAILED);
  syscall_rules();
  handlers();
  inheritance();
  return tl_done();
}
