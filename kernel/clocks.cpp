// The clock table (kernel/clocks.h).
#include "kernel/clocks.h"

#include "kernel/cpu_time.h"
#include "kernel/process.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "lib/lock_guard.h"

using namespace linux;

namespace {

using Use = Clock::Use;

// The fixed ids (include/uapi/linux/time.h), as Linux 6.1 without a real-time clock device treats them. The raw
// and coarse clocks can be read but not slept on or timed; a thread cannot sleep on its own CPU clock (it would
// never run to advance it); the alarm clocks need the device: they cannot be read (EINVAL), slept on or timed
// (ENOTSUP). 10 is no longer a clock.
struct FixedClock {
  u32 id;
  ClockKind kind;
  Use read, sleep, timer;
};
constexpr Use YES = Use::Yes, NOTSUP = Use::NotSupported, INVAL = Use::Invalid;
constexpr FixedClock FIXED_CLOCKS[] = {
    {0, ClockKind::Realtime, YES, YES, YES},           // CLOCK_REALTIME
    {1, ClockKind::Monotonic, YES, YES, YES},          // CLOCK_MONOTONIC
    {2, ClockKind::ProcessCpu, YES, YES, YES},         // CLOCK_PROCESS_CPUTIME_ID
    {3, ClockKind::ThreadCpu, YES, INVAL, YES},        // CLOCK_THREAD_CPUTIME_ID
    {4, ClockKind::Monotonic, YES, NOTSUP, NOTSUP},    // CLOCK_MONOTONIC_RAW
    {5, ClockKind::Realtime, YES, NOTSUP, NOTSUP},     // CLOCK_REALTIME_COARSE
    {6, ClockKind::Monotonic, YES, NOTSUP, NOTSUP},    // CLOCK_MONOTONIC_COARSE
    {7, ClockKind::Monotonic, YES, YES, YES},          // CLOCK_BOOTTIME
    {8, ClockKind::Realtime, INVAL, NOTSUP, NOTSUP},   // CLOCK_REALTIME_ALARM
    {9, ClockKind::Monotonic, INVAL, NOTSUP, NOTSUP},  // CLOCK_BOOTTIME_ALARM
    {11, ClockKind::Realtime, YES, YES, YES},          // CLOCK_TAI
};

// A negative id is a CPU clock (include/linux/posix-timers.h): ~(id >> 3) is the process or thread id (0: the
// caller), bits 0-1 what is counted (user+system, user only, or run time: the same here), bit 2 a thread.
Result<Clock> decode_cpu_clock(u32 id) {
  constexpr u32 CPUCLOCK_VIRT = 1, CPUCLOCK_SCHED = 2, CPUCLOCK_PERTHREAD = 4, CPUCLOCK_TYPE = 3;
  if ((id & CPUCLOCK_TYPE) > CPUCLOCK_SCHED) return Error::INVAL;
  Clock c;
  c.id = id;
  c.target = ~(static_cast<i32>(id) >> 3);
  c.is_user_only = (id & CPUCLOCK_TYPE) == CPUCLOCK_VIRT;
  c.kind = id & CPUCLOCK_PERTHREAD ? ClockKind::ThreadCpu : ClockKind::ProcessCpu;
  // Linux's posix_cpu_nsleep: a thread cannot sleep on its own CPU clock.
  if (c.kind == ClockKind::ThreadCpu && (c.target == 0 || c.target == static_cast<i32>(current_thread()->m_tid)))
    c.sleep = Use::Invalid;
  return c;
}

u64 ticks_ns(u64 user, u64 system, bool user_only) { return (user_only ? user : user + system) * CPU_TICK_NS; }

// A thread of the caller's process (Linux's pid_for_clock: another process's threads are not found).
Result<u64> thread_cpu_ns(const Clock& clock) {
  Thread* self = current_thread();
  if (clock.target == 0 || clock.target == static_cast<i32>(self->m_tid))
    return ticks_ns(self->m_cpu_time.user.load(MemoryOrder::Relaxed),
                    self->m_cpu_time.system.load(MemoryOrder::Relaxed), clock.is_user_only);
  Process* p = self->m_process;
  SpinlockGuard guard(p->m_signals.lock());  // either this or g_process_lock keeps m_threads still
  for (Thread& t : p->m_threads)
    if (t.m_tid == static_cast<u32>(clock.target))
      return ticks_ns(t.m_cpu_time.user.load(MemoryOrder::Relaxed), t.m_cpu_time.system.load(MemoryOrder::Relaxed),
                      clock.is_user_only);
  return Error::INVAL;
}

// A process by its id, or the caller's by its own thread id too (Linux's pid_for_clock, for clock_gettime).
Result<u64> process_cpu_ns(const Clock& clock) {
  bool is_self = clock.target == 0 || clock.target == static_cast<i32>(current_thread()->m_tid);
  RefPtr<Process> p = is_self ? RefPtr<Process>(current_process()) : process_find(clock.target);
  if (!p) return Error::INVAL;
  const ProcessCpuTime& t = p->m_cpu_time;
  return ticks_ns(t.user.load(MemoryOrder::Relaxed), t.system.load(MemoryOrder::Relaxed), clock.is_user_only);
}

Result<void> check_use(Use use) {
  switch (use) {
    case Use::Yes: return {};
    case Use::NotSupported: return Error::NOTSUP;
    case Use::Invalid: return Error::INVAL;
  }
  return Error::INVAL;
}

}  // namespace

Result<Clock> clock_decode(u32 clock_id) {
  if (static_cast<i32>(clock_id) < 0) return decode_cpu_clock(clock_id);
  for (const FixedClock& f : FIXED_CLOCKS)
    if (f.id == clock_id) return Clock{f.id, f.kind, 0, false, f.read, f.sleep, f.timer};
  return Error::INVAL;
}

Result<u64> clock_read_ns(const Clock& clock) {
  TRY(check_use(clock.read));
  switch (clock.kind) {
    case ClockKind::Realtime: return time_realtime_ns();
    case ClockKind::Monotonic: return time_monotonic_ns();
    case ClockKind::ProcessCpu: return process_cpu_ns(clock);
    case ClockKind::ThreadCpu: return thread_cpu_ns(clock);
  }
  return Error::INVAL;
}

// CPU time is counted in timer ticks (kernel/cpu_time.h); the others tick with the time CSR.
u64 clock_resolution_ns(const Clock& clock) {
  if (clock.kind == ClockKind::ProcessCpu || clock.kind == ClockKind::ThreadCpu) return CPU_TICK_NS;
  u64 tick = time_ticks_to_ns(1);
  return tick ? tick : 1;
}

Result<void> clock_check_sleep(const Clock& clock) { return check_use(clock.sleep); }
Result<void> clock_check_timer(const Clock& clock) { return check_use(clock.timer); }
