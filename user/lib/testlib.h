/* testlib: helpers for the user test programs (user/tests) and benchmarks (user/bench).
 *
 * A test program checks one behaviour, prints deterministic progress lines to stdout (compared byte for byte
 * with the same program under qemu-riscv64-static, the Linux reference), and exits 0 if every check passed.
 * A failed CHECK prints the file, line, expression and errno to stderr and exits 1 at the end of the test.
 *
 * Known differences between qemu-user and Linux are recorded with KNOWN_QEMU_USER_DIFFERENCE(...): under
 * qemu-user the check is skipped and the same stdout line is printed, so outputs still compare equal.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

extern int tl_failures;

/* Fail the test (non-fatally) if cond is false. */
#define CHECK(cond)                                                                                  \
  do {                                                                                               \
    if (!(cond)) tl_fail(__FILE__, __LINE__, #cond);                                                 \
  } while (0)

/* Check that a call returned -1 with errno == err (for raw syscalls use CHECK_SYSCALL_ERR). */
#define CHECK_ERRNO(call, err)                                                                       \
  do {                                                                                               \
    errno = 0;                                                                                       \
    long tl_r = (long)(call);                                                                        \
    if (tl_r != -1 || errno != (err))                                                                \
      tl_fail_errno(__FILE__, __LINE__, #call, tl_r, errno, err);                                    \
  } while (0)

/* Check a raw syscall(2)-style return of -errno (from tl_raw_syscall). */
#define CHECK_RAW_ERR(ret, err)                                                                      \
  do {                                                                                               \
    long tl_r = (long)(ret);                                                                         \
    if (tl_r != -(long)(err)) tl_fail_errno(__FILE__, __LINE__, #ret, tl_r, (int)-tl_r, err);        \
  } while (0)

void tl_fail(const char* file, int line, const char* expr);
void tl_fail_errno(const char* file, int line, const char* expr, long ret, int got, int want);

/* Print to stdout and flush (stdout may be a pipe, a file or a console: always flush before fork). */
void tl_say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* End of test: prints "PASS" or "FAIL (n checks)" and returns the exit status to use. */
int tl_done(void);

/* True when running under qemu-riscv64-static (the harness sets TESTLIB_REFERENCE=qemu-user). */
int tl_is_qemu_user(void);

/* True when running on our kernel (uname's version names it). Use sparingly: tests check Linux behaviour. */
int tl_is_our_kernel(void);

/* Record a known qemu-user difference: returns 1 (and notes it on stderr) when the check should be skipped. */
int tl_known_qemu_user_difference(const char* what);
#define KNOWN_QEMU_USER_DIFFERENCE(what) tl_known_qemu_user_difference(what)

/* Run this same program again with the given arguments (NULL-terminated), as a child; works under qemu-user
 * too (there the program is started through qemu-riscv64-static). Returns the child's wait status, or -1. */
int tl_run_self(char* const argv[]);
/* execv() that also works under qemu-user. Only returns on failure. */
int tl_execv(const char* path, char* const argv[]);
/* Path of this program (argv[0] as given to main, saved by tl_init). */
const char* tl_self(void);
void tl_init(int argc, char** argv);

/* Write the program data[0..size) (one embedded in the test) to /tmp as an executable named NAME_PID; returns its
 * path (static storage), or NULL after a failed check. */
const char* tl_install_program(const char* name, const unsigned char* data, size_t size);

/* Free memory as the kernel reports it (sysinfo freeram, in bytes). */
uint64_t tl_free_memory(void);
/* A field of /proc/meminfo in kB, or -1 if unavailable. */
long tl_meminfo_kb(const char* field);

/* Raw system call returning -errno on failure (no libc wrapper in the way). */
long tl_raw_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5);

/* sigaction(sig) with this handler, flags and an empty sa_mask. handler is called as sa_sigaction: with
 * SA_SIGINFO a void (*)(int, siginfo_t*, void*), without it a void (*)(int) (the riscv64 calling convention
 * makes the two interchangeable). Returns sigaction's result. */
int tl_handle_signal(int sig, void* handler, int flags);
/* Sleep for ms milliseconds, whatever signals come meanwhile. */
void tl_sleep_ms(long ms);
/* Seconds on the monotonic clock. */
double tl_now(void);

/* rdinstret: retired instructions (exact under tools/run --icount). */
static inline uint64_t tl_instret(void) {
  uint64_t v;
  __asm__ volatile("rdinstret %0" : "=r"(v));
  return v;
}

#endif
