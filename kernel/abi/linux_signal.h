// The machine-independent part of Linux's signal ABI beyond the numbers in kernel/abi/linux.h: siginfo_t
// (include/uapi/asm-generic/siginfo.h), stack_t for sigaltstack, the si_code values, and the sizes riscv64
// uses (the generic ones). The riscv64 frame a handler sees is in arch/riscv/signal_frame.h.
#pragma once

#include "kernel/abi/linux.h"
#include "lib/types.h"

namespace linux {

constexpr unsigned SIGRTMIN = 32;  // the kernel's; glibc reserves 32 and 33 and calls 34 SIGRTMIN
constexpr u64 SIG_ERR = ~0ull;

// si_code: who sent the signal. Positive values are per signal (the fault codes below), <= 0 come from user
// space (sigqueue, kill...), SI_KERNEL from the kernel itself.
constexpr i32 SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_MESGQ = -3, SI_ASYNCIO = -4,
              SI_SIGIO = -5, SI_TKILL = -6;
constexpr i32 ILL_ILLOPC = 1, ILL_ILLOPN = 2, ILL_ILLADR = 3, ILL_ILLTRP = 4, ILL_PRVOPC = 5;
constexpr i32 SEGV_MAPERR = 1, SEGV_ACCERR = 2;
constexpr i32 BUS_ADRALN = 1, BUS_ADRERR = 2, BUS_OBJERR = 3;
constexpr i32 TRAP_BRKPT = 1, TRAP_TRACE = 2;
constexpr i32 CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5,
              CLD_CONTINUED = 6;

// siginfo_t: 128 bytes. signo, errno and code, then (at offset 16) a union whose member depends on the signal
// and code. This is the kernel's own copy: the fields every member uses, at their user offsets, so that
// writing the first 48 bytes and zeroing the rest gives exactly what Linux gives.
struct siginfo {
  i32 si_signo;
  i32 si_errno;
  i32 si_code;
  i32 pad0;
  union {
    struct {        // kill, tkill, sigqueue (_kill and _rt): sender and the value sigqueue passed
      i32 pid;
      u32 uid;
      u64 value;    // sigval (sival_int or sival_ptr)
    } rt;
    struct {        // POSIX timers (_timer)
      i32 tid;
      i32 overrun;
      u64 value;
    } timer;
    struct {        // SIGCHLD (_sigchld)
      i32 pid;
      u32 uid;
      i32 status;   // exit code, or the signal that killed, stopped or continued the child
      i32 pad;
      i64 utime;    // clock ticks
      i64 stime;
    } chld;
    struct {        // SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE (_sigfault)
      u64 addr;
    } fault;
    u8 bytes[32];
  };
};
static_assert(sizeof(siginfo) == 48);
constexpr usize SIGINFO_USER_SIZE = 128;  // what user space sees; the rest is zero

// sigaltstack(2): stack_t.
struct stack_t {
  u64 ss_sp;
  i32 ss_flags;
  i32 pad;
  u64 ss_size;
};
static_assert(sizeof(stack_t) == 24);
constexpr i32 SS_ONSTACK = 1, SS_DISABLE = 2;
constexpr u32 SS_AUTODISARM = 1u << 31;
constexpr u64 MINSIGSTKSZ = 2048, SIGSTKSZ = 8192;

}  // namespace linux
