/* mm_segv_siginfo: a SIGSEGV handler learns why and where the fault happened (si_code, si_addr).
 *
 * sigaction(2), SA_SIGINFO: for SIGSEGV, si_addr is "the address of the fault" and si_code is SEGV_MAPERR
 * ("Address not mapped to object") or SEGV_ACCERR ("Invalid permissions for mapped object"). On RISC-V Linux
 * si_addr is the exact faulting address (stval): the data address for loads and stores, the instruction's
 * address for an instruction fetch.
 *
 * Each case runs in a child with a SA_SIGINFO handler that exits with a code telling si_code and whether
 * si_addr matched; the child exits 99 if the access did not fault. (mm_guard_pages checks the same faults
 * without a handler.)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

static volatile uintptr_t expected_addr;

static void handler(int sig, siginfo_t* si, void* ucontext) {
  (void)ucontext;
  int code = sig != SIGSEGV ? 4 : si->si_code == SEGV_MAPERR ? 1 : si->si_code == SEGV_ACCERR ? 2 : 3;
  _exit(code * 10 + ((uintptr_t)si->si_addr == expected_addr ? 1 : 0));
}

enum { READ, WRITE, EXEC };

static int fault_in_child(void* addr, int how) {
  pid_t pid = mt_fork();
  if (pid == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0) _exit(98);
    expected_addr = (uintptr_t)addr;
    if (how == READ) (void)*(volatile char*)addr;
    if (how == WRITE) *(volatile char*)addr = 1;
    if (how == EXEC) ((void (*)(void))addr)();
    _exit(99);
  }
  int status = mt_wait(pid);
  if (!WIFEXITED(status)) fprintf(stderr, "the child ended with %s (no handler ran)\n", mt_status_str(status));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char* describe(int code) {
  switch (code) {
    case 11: return "SEGV_MAPERR at the faulting address";
    case 21: return "SEGV_ACCERR at the faulting address";
    case 10: return "SEGV_MAPERR at a wrong address";
    case 20: return "SEGV_ACCERR at a wrong address";
    case 99: return "no fault";
    case 98: return "sigaction failed";
    default: return "something else";
  }
}

static void expect(const char* what, int got, int want, int skip) {
  if (!skip) CHECK(got == want);
  if (got != want) fprintf(stderr, "%s: got %s (%d)\n", what, describe(got), got);
  tl_say("%s: %s\n", what, describe(want));
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* a = mmap(NULL, 4 * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED);
  CHECK(munmap(a + MT_PAGE, MT_PAGE) == 0);
  CHECK(mprotect(a + 2 * MT_PAGE, MT_PAGE, PROT_NONE) == 0);
  CHECK(mprotect(a + 3 * MT_PAGE, MT_PAGE, PROT_READ) == 0);
  mt_put_code(a);

  expect("reading an unmapped page", fault_in_child(a + MT_PAGE + 24, READ), 11, 0);
  expect("writing an unmapped page", fault_in_child(a + MT_PAGE + 8, WRITE), 11, 0);
  expect("reading address 0", fault_in_child(NULL, READ), 11, 0);
  expect("reading a PROT_NONE page", fault_in_child(a + 2 * MT_PAGE + 100, READ), 21, 0);
  expect("writing a PROT_NONE page", fault_in_child(a + 2 * MT_PAGE + 200, WRITE), 21, 0);
  expect("writing a read-only page", fault_in_child(a + 3 * MT_PAGE + 300, WRITE), 21, 0);
  expect("calling code in a non-executable page", fault_in_child(a, EXEC), 21, 0);
  expect("calling into an unmapped page", fault_in_child(a + MT_PAGE, EXEC), 11, 0);

  char* top = sbrk(0);
  CHECK(sbrk(16 * MT_PAGE) == top);
  memset(top, 1, 16 * MT_PAGE);
  CHECK(sbrk(-16 * (long)MT_PAGE) == top + 16 * MT_PAGE);
  int skip = KNOWN_QEMU_USER_DIFFERENCE("qemu-user keeps memory accessible after the break shrinks below it");
  expect("reading a page released by shrinking the break",
         fault_in_child((char*)MT_PAGE_ALIGN(top) + 4 * MT_PAGE, READ), 11, skip);
  return tl_done();
}
