/* fault_lines: what the log says when a fault kills a program, for someone reading it after their first crash.
 * Four children die of the usual mistakes, each in a function of its own: a read through a NULL pointer, a
 * recursion that never ends (with RLIMIT_STACK at 1 MiB), a store into a string literal, a call through a
 * NULL function pointer. Each must die of SIGSEGV (signal(7); Linux does the same).
 *
 * On our kernel each killing fault has a line saying where (kernel/user_trap.cpp; mm_guard_pages checks its
 * words) and a second one with the likely cause; tools/run adds the function and source line of the pc from
 * this program's ELF.
 * TEST: kernel-log=\(fault_lines\): likely cause: a NULL pointer dereference \(nothing is ever mapped below 0x10000\)$
 * TEST: kernel-log=\(fault_lines\): likely cause: a stack overflow: \d+ bytes below the stack, which has \d+ KiB and may grow to 1024 KiB \(RLIMIT_STACK\): endless recursion, or a large local array\?$
 * TEST: kernel-log=\(fault_lines\): likely cause: a store into the read-only code and constants of /bin/fault_lines: a string literal or const data\?$
 * TEST: kernel-log=\(fault_lines\): likely cause: a call through a NULL function pointer
 * TEST: kernel-log=\(fault_lines\): pc 0x[0-9a-f]+ in last_value \(user/tests/fault_lines\.c:\d+\)$
 * TEST: kernel-log=\(fault_lines\): pc 0x[0-9a-f]+ in recurse \(user/tests/fault_lines\.c:\d+\)$
 * TEST: kernel-log=\(fault_lines\): pc 0x[0-9a-f]+ in shout \(user/tests/fault_lines\.c:\d+\)$
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct item {
  long value;
  struct item* next;
};

__attribute__((noinline)) static long last_value(struct item* list) {
  while (list->next->next) list = list->next; /* the bug: a one-item list has no list->next->next */
  return list->value;
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static long recurse(long n) {
  volatile char frame[200];
  frame[0] = (char)n;
  return recurse(n + 1) + frame[0];
}

__attribute__((noinline)) static void shout(char* text) { text[0] = 'H'; }

static void (*volatile callback)(void);

static void null_read(void) {
  struct item only = {1, NULL};
  printf("%ld\n", last_value(&only));
}

static void overflow(void) {
  struct rlimit limit = {1 << 20, 1 << 20};
  if (setrlimit(RLIMIT_STACK, &limit) != 0) exit(3);
  printf("%ld\n", recurse(0));
}

static void literal(void) { shout((char*)"hello"); }

static void null_call(void) { callback(); }

int main(void) {
  static void (*const cases[])(void) = {null_read, overflow, literal, null_call};
  static const char* const names[] = {"NULL read", "stack overflow", "string literal", "NULL call"};
  int failed = 0;
  for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    pid_t child = fork();
    if (child == 0) {
      cases[i]();
      _exit(0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) return 2;
    int ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
    printf("%s: %s\n", names[i], ok ? "SIGSEGV" : "not killed by SIGSEGV");
    failed |= !ok;
  }
  return failed;
}
