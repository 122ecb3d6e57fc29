/* kernel_memory_access: a user program cannot touch the kernel's memory.
 * Each attempt runs in a child, which must be killed by SIGSEGV while the parent carries on:
 *   read and write 0xffffffc000000000 (the start of the kernel's direct map of RAM),
 *   read and write 0xffffffff80200000 (kernel text), jump to 0xffffffff80200000,
 *   and, for comparison, read and write address 0 and jump to it.
 * The kernel's pages are mapped without the U bit: the hart raises a page fault in user mode, and the kernel
 * turns it into SIGSEGV for the process (with no handler installed, that kills it). Linux (arch/riscv/mm/fault.c)
 * treats a user access to the kernel half as an unmapped address: si_code SEGV_MAPERR, which our kernel's line
 * names.
 * TEST: kernel-log=load page fault at address 0xffffffc000000000, pc 0x\w+, no segment \(kernel address\): no region -> SIGSEGV \(SEGV_MAPERR\)$
 * TEST: kernel-log=store/AMO page fault at address 0xffffffff80200000, pc 0x\w+, no segment \(kernel address\): no region -> SIGSEGV \(SEGV_MAPERR\)$
 * TEST: kernel-log=instruction page fault at address 0xffffffff80200000, pc 0xffffffff80200000, no segment \(kernel address\): no region -> SIGSEGV \(SEGV_MAPERR\)$
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define KERNEL_DIRECT_MAP 0xffffffc000000000UL
#define KERNEL_TEXT 0xffffffff80200000UL

enum access { READ, WRITE, JUMP };
static const char* const access_names[] = {"read", "write", "jump to"};

static void touch(uintptr_t address, enum access how) {
  volatile uint64_t* p = (volatile uint64_t*)address;
  switch (how) {
    case READ:
      (void)*p;
      break;
    case WRITE:
      *p = 0x0123456789abcdef;
      break;
    case JUMP:
      ((void (*)(void))address)();
      break;
  }
}

static void attempt(uintptr_t address, enum access how) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    touch(address, how);
    _exit(0); /* still alive: the access went through */
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  char outcome[64];
  if (WIFSIGNALED(status)) snprintf(outcome, sizeof outcome, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)));
  else snprintf(outcome, sizeof outcome, "exited with status %d", WEXITSTATUS(status));
  tl_say("%s %#lx: %s\n", access_names[how], (unsigned long)address, outcome);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const uintptr_t addresses[] = {KERNEL_DIRECT_MAP, KERNEL_TEXT, 0};
  for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
    attempt(addresses[i], READ);
    attempt(addresses[i], WRITE);
    attempt(addresses[i], JUMP);
  }
  tl_say("the parent is still running\n");
  return tl_done();
}
