// setitimer(2) and getitimer(2) for ITIMER_REAL: SIGALRM when the time runs out, then every interval. glibc's
// alarm() is setitimer(ITIMER_REAL) with whole seconds. The timer is a kernel timer (kernel/ktimer.h) in the
// process's signal state; fork does not copy it, exec keeps it, exit stops it.
//
// ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time: they are kernel/timers.cpp's, counted down by the
// timer tick; the system calls here read and write their values.
#include "arch/riscv/usercopy.h"
#include "kernel/process.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"
#include "kernel/time.h"
#include "kernel/timers.h"

using namespace linux;

namespace {

constexpr i32 ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;

struct timeval {
  i64 tv_sec;
  i64 tv_usec;
};
struct itimerval {
  timeval it_interval;
  timeval it_value;
};
static_assert(sizeof(itimerval) == 32);

Result<u64> ns_from_timeval(const timeval& tv) {
  if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return Error::INVAL;
  return static_cast<u64>(tv.tv_sec) * 1'000'000'000ull + static_cast<u64>(tv.tv_usec) * 1000ull;
}

// Rounded up to a microsecond: a timer that has not run out never reads as zero.
timeval timeval_from_ns(u64 ns) {
  u64 us = (ns + 999) / 1000;
  return {static_cast<i64>(us / 1'000'000), static_cast<i64>(us % 1'000'000)};
}

itimerval current_value(RealTimer& rt, Spinlock& lock) {
  u64 left = ktimer_remaining(&rt.m_timer);
  SpinlockGuard guard(lock);
  return {timeval_from_ns(rt.m_interval_ns), timeval_from_ns(left)};
}

bool is_cpu_itimer(i32 which) { return which == ITIMER_VIRTUAL || which == ITIMER_PROF; }

itimerval itimerval_of(CpuItimerValue v) { return {timeval_from_ns(v.interval_ns), timeval_from_ns(v.value_ns)}; }

}  // namespace

Result<u64> sys_getitimer(const SyscallArgs& a) {
  i32 which = static_cast<i32>(a.a0);
  Process* p = current_process();
  if (is_cpu_itimer(which)) return syscall_result(copy_value_to_user(a.a1, itimerval_of(cpu_itimer_get(*p, which))));
  if (which != ITIMER_REAL) return Error::INVAL;
  itimerval now = current_value(p->m_signals.m_real_timer, p->m_signals.lock());
  TRY(copy_value_to_user(a.a1, now));
  return 0;
}

Result<u64> sys_setitimer(const SyscallArgs& a) {
  i32 which = static_cast<i32>(a.a0);
  if (which != ITIMER_REAL && !is_cpu_itimer(which)) return Error::INVAL;
  itimerval fresh{};
  if (a.a1) fresh = TRY(copy_value_from_user<itimerval>(a.a1));  // NULL: disarm (Linux accepts it)
  u64 value_ns = TRY(ns_from_timeval(fresh.it_value));
  u64 interval_ns = TRY(ns_from_timeval(fresh.it_interval));
  Process* p = current_process();
  if (is_cpu_itimer(which)) {
    CpuItimerValue old = TRY(cpu_itimer_set(*p, which, {value_ns, interval_ns}));
    if (a.a2) TRY(copy_value_to_user(a.a2, itimerval_of(old)));
    return 0;
  }
  RealTimer& rt = p->m_signals.m_real_timer;
  itimerval old = current_value(rt, p->m_signals.lock());
  ktimer_cancel(&rt.m_timer);
  {
    SpinlockGuard guard(p->m_signals.lock());
    rt.m_interval_ns = value_ns ? interval_ns : 0;
  }
  if (value_ns) {
    rt.m_was_armed = true;
    ktimer_arm(&rt.m_timer, time_monotonic_ns() + value_ns);
  }
  if (a.a2) TRY(copy_value_to_user(a.a2, old));
  return 0;
}

RAW_SYSCALL(sys_getitimer);
RAW_SYSCALL(sys_setitimer);
