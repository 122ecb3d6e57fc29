// The vDSO's clock functions: clock_gettime, gettimeofday and clock_getres without a trap. glibc calls these
// instead of the system calls when the vDSO offers them (it looks them up by name and version at start-up).
//
// They read the vvar page (vdso_data.h) and the time CSR, both allowed in user mode, and compute exactly what the
// system calls would (kernel/sys_misc.cpp): the clocks the kernel computes from the time CSR are handled here,
// every other clock id (the CPU-time clocks, invalid ids) goes to the system call, which gives the answer or the
// error. Like Linux's vDSO they return 0 or a negative errno, and like it they write through the caller's
// pointers directly: a bad pointer faults in the caller's process (SIGSEGV) instead of giving EFAULT.
//
// Built -fPIC and linked into a shared object that the kernel maps at an address of its choosing and nobody
// relocates: everything must be reached pc-relative. vdso_vvar is defined by the linker script (vdso.lds) one
// page below the image, and declared hidden so that the compiler addresses it pc-relative instead of through
// a GOT entry that would need a relocation.
#include <asm/unistd.h>

#include "arch/riscv/vdso/vdso_data.h"
#include "kernel/abi/linux.h"

// Not const, although user mode cannot write it: the kernel changes it, and the compiler must read it again after
// each fence of the sequence count instead of assuming a constant object never changes.
extern vdso::ClockData vdso_vvar __attribute__((visibility("hidden")));

namespace {

using namespace linux;

constexpr u32 bit(u32 clock) { return 1u << clock; }
// The clocks computed here, and which of them count from the epoch. CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME and
// the _COARSE clocks equal their base clock on this kernel (no clock slewing, no suspend, and the coarse clocks
// are read as precisely as the others), exactly as the system calls report them.
constexpr u32 VDSO_CLOCKS = bit(CLOCK_REALTIME) | bit(CLOCK_MONOTONIC) | bit(CLOCK_MONOTONIC_RAW) |
                            bit(CLOCK_REALTIME_COARSE) | bit(CLOCK_MONOTONIC_COARSE) | bit(CLOCK_BOOTTIME);
constexpr u32 REALTIME_CLOCKS = bit(CLOCK_REALTIME) | bit(CLOCK_REALTIME_COARSE);

inline bool is_vdso_clock(u32 clock) { return clock < 32 && ((VDSO_CLOCKS >> clock) & 1); }
inline vdso::Base base_of(u32 clock) { return (REALTIME_CLOCKS >> clock) & 1 ? vdso::Base::Realtime : vdso::Base::Monotonic; }

// A system call from the vDSO: the fallback for what is not computed here.
inline long syscall2(long number, long arg0, long arg1) {
  register long a0 asm("a0") = arg0;
  register long a1 asm("a1") = arg1;
  register long a7 asm("a7") = number;
  asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
  return a0;
}

struct timeval {
  i64 tv_sec;
  i64 tv_usec;
};
struct timezone {
  i32 tz_minuteswest;
  i32 tz_dsttime;
};

}  // namespace

extern "C" {

int __vdso_clock_gettime(i32 clock, timespec* ts) {
  u32 id = static_cast<u32>(clock);
  if (UNLIKELY(!is_vdso_clock(id))) return static_cast<int>(syscall2(__NR_clock_gettime, clock, reinterpret_cast<long>(ts)));
  u64 ns = vdso::clock_read_ns(vdso_vvar, base_of(id));
  ts->tv_sec = static_cast<i64>(ns / vdso::NSEC_PER_SEC);
  ts->tv_nsec = static_cast<i64>(ns % vdso::NSEC_PER_SEC);
  return 0;
}

int __vdso_gettimeofday(timeval* tv, timezone* tz) {
  if (tv) {
    u64 ns = vdso::clock_read_ns(vdso_vvar, vdso::Base::Realtime);
    tv->tv_sec = static_cast<i64>(ns / vdso::NSEC_PER_SEC);
    tv->tv_usec = static_cast<i64>(ns / 1000 % 1'000'000);
  }
  if (tz) {
    // The kernel keeps no time zone (there is no settimeofday): UTC, as the system call reports.
    tz->tz_minuteswest = 0;
    tz->tz_dsttime = 0;
  }
  return 0;
}

int __vdso_clock_getres(i32 clock, timespec* res) {
  u32 id = static_cast<u32>(clock);
  if (UNLIKELY(!is_vdso_clock(id))) return static_cast<int>(syscall2(__NR_clock_getres, clock, reinterpret_cast<long>(res)));
  if (res) {
    res->tv_sec = 0;
    res->tv_nsec = static_cast<i64>(__atomic_load_n(&vdso_vvar.resolution_ns, __ATOMIC_RELAXED));
  }
  return 0;
}

}  // extern "C"
