// The vvar page: the clock parameters the kernel publishes to user mode, and the one function that turns them
// and the time CSR into a time. The vDSO (clock.cpp) and the kernel's own clocks (kernel/time.cpp, behind the
// clock_gettime system call) both read the clock through clock_read_ns, so a time from one and a time from the
// other are computed alike and can be compared to the nanosecond.
//
// The page is the kernel's (arch/riscv/vdso.cpp), mapped read-only into every process as [vvar], just below
// the vDSO's code. The kernel changes it only under a sequence count (a seqlock, like Linux's vdso_data):
// the count is odd while an update is in progress, and a reader that saw an odd count, or a different count
// after reading, reads again. Readers never write, so one page serves every process and every hart.
//
// Time itself comes from the `time` CSR (RISC-V unprivileged spec, "Zicntr": rdtime), which counts at the
// device tree's timebase-frequency on every hart alike; user mode may read it because the kernel sets
// scounteren.TM (kernel/main.cpp, arch/riscv/smp.cpp) and the firmware sets mcounteren.TM.
#pragma once

#include "lib/types.h"

namespace vdso {

constexpr u64 NSEC_PER_SEC = 1'000'000'000;

struct ClockData {
  u64 seq;                 // the sequence count: odd while the kernel updates the fields below
  u64 timebase_hz;         // rate of the time CSR
  u64 ns_per_tick;         // 10^9 / timebase_hz when that is a whole number (100 at QEMU's 10 MHz), else 0
  u64 boot_ticks;          // the time CSR when the kernel booted: where CLOCK_MONOTONIC starts
  u64 realtime_offset_ns;  // CLOCK_REALTIME minus CLOCK_MONOTONIC (the wall-clock time at boot, from the RTC)
  u64 resolution_ns;       // what clock_getres reports for the clocks computed here
};

// Which base a clock counts from.
enum class Base : u8 { Monotonic, Realtime };

inline u64 read_time_csr() {
  u64 ticks;
  asm volatile("rdtime %0" : "=r"(ticks));
  return ticks;
}

// ticks / hz seconds in nanoseconds, exactly: whole seconds and the remainder apart, so that no product
// overflows 64 bits (the remainder times 10^9 fits while hz < 1.8e10).
inline u64 ticks_to_ns(u64 ticks, u64 hz) {
  return (ticks / hz) * NSEC_PER_SEC + (ticks % hz) * NSEC_PER_SEC / hz;
}

// The same, one multiplication when a tick is a whole number of nanoseconds (the usual case: timebases are
// round numbers of MHz that divide 10^9). Both give the same result.
inline u64 ticks_to_ns(u64 ticks, u64 hz, u64 ns_per_tick) {
  return LIKELY(ns_per_tick) ? ticks * ns_per_tick : ticks_to_ns(ticks, hz);
}

// What ClockData::ns_per_tick holds for a timebase of hz.
constexpr u64 whole_ns_per_tick(u64 hz) { return NSEC_PER_SEC % hz == 0 ? NSEC_PER_SEC / hz : 0; }

// The time now on `base`, in nanoseconds.
inline u64 clock_read_ns(const ClockData& data, Base base) {
  for (;;) {
    u64 seq = __atomic_load_n(&data.seq, __ATOMIC_RELAXED);
    // Read the fields after the count (RISC-V fences order this hart's loads: spec chapter 17, RVWMO)...
    asm volatile("fence r, r" ::: "memory");
    u64 hz = data.timebase_hz;
    u64 ns_per_tick = data.ns_per_tick;
    u64 boot = data.boot_ticks;
    u64 offset = base == Base::Realtime ? data.realtime_offset_ns : 0;
    u64 now = read_time_csr();
    // ... and before reading the count again.
    asm volatile("fence r, r" ::: "memory");
    if (LIKELY(!(seq & 1) && __atomic_load_n(&data.seq, __ATOMIC_RELAXED) == seq))
      return ticks_to_ns(now - boot, hz, ns_per_tick) + offset;
  }
}

// The writer's side (the kernel, serialised by its own lock): bracket every change of the fields.
inline void clock_update_begin(ClockData& data) {
  __atomic_store_n(&data.seq, data.seq + 1, __ATOMIC_RELAXED);
  asm volatile("fence w, w" ::: "memory");  // the odd count is visible before any field changes
}
inline void clock_update_end(ClockData& data) {
  asm volatile("fence w, w" ::: "memory");  // the fields are visible before the even count
  __atomic_store_n(&data.seq, data.seq + 1, __ATOMIC_RELAXED);
}

}  // namespace vdso
