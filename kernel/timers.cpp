// CPU-time interval timers and POSIX timers (kernel/timers.h).
#include "kernel/timers.h"

#include "arch/riscv/usercopy.h"
#include "kernel/clocks.h"
#include "kernel/cpu_time.h"
#include "kernel/ktimer.h"
#include "kernel/process.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"
#include "kernel/time.h"
#include "lib/list.h"

using namespace linux;

namespace {

constexpr u64 NS_PER_SEC = 1'000'000'000;
constexpr u32 ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
constexpr i32 SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
constexpr u32 MAX_TIMERS = 4096;  // per process (Linux: as many as RLIMIT_SIGPENDING allows; EAGAIN past it)

// What makes a timer run down.
enum class TimerBase : u8 { Wall, UserTime, CpuTime };

struct PosixTimer {
  KernelTimer m_ktimer;      // wall-clock timers: fires at m_deadline_ns
  ListNode m_link;           // in the process's list; g_timer_lock
  Process* m_owner = nullptr;  // the timer is deleted (timers_exit) before its process goes
  i32 m_id = 0;
  Clock m_clock;              // a thread CPU clock names its thread (m_clock.target), never 0
  TimerBase m_base = TimerBase::Wall;
  i32 m_notify = SIGEV_SIGNAL;
  unsigned m_signal = SIGALRM;
  i32 m_tid = 0;             // SIGEV_THREAD_ID: the thread
  u64 m_sigval = 0;
  // Guarded by g_timer_lock:
  bool m_is_armed = false;
  u64 m_deadline_ns = 0;     // Wall: on the monotonic clock
  u64 m_left_ns = 0;         // CPU time: what is left
  u64 m_interval_ns = 0;
  bool m_is_queued = false;  // its signal was sent and not yet taken
  i32 m_overrun = 0;         // expiries since the signal was sent
  i32 m_overrun_last = 0;    // timer_getoverrun: the overruns the last signal taken had
};

struct CpuItimer {
  u64 left_ns = 0;  // 0: disarmed
  u64 interval_ns = 0;
};

}  // namespace

struct ProcessTimers {
  CpuItimer itimers[2];  // ITIMER_VIRTUAL, ITIMER_PROF
  IntrusiveList<PosixTimer, &PosixTimer::m_link> posix;
  i32 next_id = 0;
  u32 count = 0;
};

namespace {

Spinlock g_timer_lock("timers");

PosixTimer& timer_of(KernelTimer* k) {
  return *reinterpret_cast<PosixTimer*>(reinterpret_cast<char*>(k) - __builtin_offsetof(PosixTimer, m_ktimer));
}

// Linux's posixtimer_rearm and hrtimer_forward: a periodic timer's next time after now, the intervals it missed
// counted as overruns.
u64 next_expiry(PosixTimer& t, u64 expired_at, u64 now) {
  u64 next = expired_at + t.m_interval_ns;
  if (next <= now) {
    u64 missed = (now - next) / t.m_interval_ns + 1;
    t.m_overrun += static_cast<i32>(missed > 0x7fffffff ? 0x7fffffff : missed);
    next += missed * t.m_interval_ns;
  }
  return next;
}

// The timer ran out: send its signal, unless the last one is still pending (an overrun). Both the owner's signal
// lock and g_timer_lock are held.
void send_locked(PosixTimer& t) {
  if (t.m_notify == SIGEV_NONE) return;
  Process* p = t.m_owner;
  SigSet pending = p->m_signals.m_shared_pending.signals();
  if (p->m_thread) pending = pending | p->m_thread->m_signals.m_pending.signals();
  if (t.m_is_queued && pending.has(t.m_signal)) {
    if (t.m_overrun < 0x7fffffff) t.m_overrun++;
    return;
  }
  // (Queued but no longer pending: the signal was discarded, by SIG_IGN or as the process stopped.)
  siginfo info{};
  info.si_signo = static_cast<i32>(t.m_signal);
  info.si_code = SI_TIMER;
  info.timer.tid = t.m_id;
  info.timer.value = t.m_sigval;
  t.m_is_queued = true;
  t.m_overrun = 0;
  if (t.m_notify & SIGEV_THREAD_ID)
    (void)signal_send_to_thread_locked(p, t.m_tid, info);
  else
    (void)signal_send_locked(p, info);
}

// A wall-clock timer's kernel timer ran out (on the boot hart's tick).
void wall_timer_fired(KernelTimer* k) {
  PosixTimer& t = timer_of(k);
  SpinlockGuard signals(t.m_owner->m_signals.lock());
  SpinlockGuard guard(g_timer_lock);
  if (!t.m_is_armed) return;  // disarmed or deleted while it was due
  send_locked(t);
  if (!t.m_interval_ns) {
    t.m_is_armed = false;
    return;
  }
  t.m_deadline_ns = next_expiry(t, t.m_deadline_ns, time_monotonic_ns());
  ktimer_arm(&t.m_ktimer, t.m_deadline_ns);
}

// The process's timers, made on first use (only the process itself makes them).
Result<ProcessTimers*> timers_of(Process& p) {
  if (ProcessTimers* existing = __atomic_load_n(&p.m_timers, __ATOMIC_ACQUIRE)) return existing;
  auto* fresh = new ProcessTimers();
  if (!fresh) return Error::NOMEM;
  __atomic_store_n(&p.m_timers, fresh, __ATOMIC_RELEASE);
  return fresh;
}

// A CPU-time value counts down by what a tick charged; true when it runs out (it then starts again from its
// interval, or stops). missed: the whole intervals that went by within the tick.
bool count_down(u64& left, u64 interval, u64 elapsed, u64* missed) {
  if (!left) return false;
  if (left > elapsed) {
    left -= elapsed;
    return false;
  }
  u64 late = elapsed - left;
  left = 0;
  if (interval) {
    if (missed) *missed = late / interval;
    left = interval - late % interval;
  }
  return true;
}

// ---- struct itimerspec ----

struct ItimerSpec {
  timespec interval, value;
};

Result<u64> ns_of(const timespec& ts) {
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= static_cast<i64>(NS_PER_SEC)) return Error::INVAL;
  return static_cast<u64>(ts.tv_sec) * NS_PER_SEC + static_cast<u64>(ts.tv_nsec);
}

timespec timespec_of(u64 ns) { return {static_cast<i64>(ns / NS_PER_SEC), static_cast<i64>(ns % NS_PER_SEC)}; }

// What runs a timer on the clock down. A CPU-time clock has timers for the caller's own process and threads
// only here (Linux also lets a process time another's CPU use).
Result<TimerBase> timer_base_of(const Clock& clock) {
  TRY(clock_check_timer(clock));
  switch (clock.kind) {
    case ClockKind::Realtime:
    case ClockKind::Monotonic:
      return TimerBase::Wall;
    case ClockKind::ProcessCpu:
      if (clock.target != 0 && clock.target != current_process()->m_pid) return Error::INVAL;
      break;
    case ClockKind::ThreadCpu:
      TRY(clock_read_ns(clock));  // one of the caller's threads
      break;
  }
  return clock.is_user_only ? TimerBase::UserTime : TimerBase::CpuTime;
}

// Now on the timer's clock (for TIMER_ABSTIME). Not under g_timer_lock: a thread's clock takes the signal lock.
u64 clock_value(const PosixTimer& t) { return clock_read_ns(t.m_clock).value_or(0); }

// The caller's timer `id`, with g_timer_lock held; EINVAL if it has none by that number.
Result<PosixTimer*> find_locked(Process& p, i32 id) {
  if (ProcessTimers* timers = p.m_timers)
    for (PosixTimer& t : timers->posix)
      if (t.m_id == id) return &t;
  return Error::INVAL;
}

// What timer_gettime says: the time left (an expired timer whose signal is on its way reads 1 ns, as on
// Linux) and the interval.
ItimerSpec current_locked(const PosixTimer& t) {
  u64 left = 0;
  if (t.m_base == TimerBase::Wall) {
    if (t.m_is_armed) {
      u64 now = time_monotonic_ns();
      left = t.m_deadline_ns > now ? t.m_deadline_ns - now : (t.m_notify == SIGEV_NONE ? 0 : 1);
    }
  } else {
    left = t.m_left_ns;
  }
  return {timespec_of(t.m_interval_ns), timespec_of(left)};
}

// Disarm t. Its kernel timer is cancelled by the caller after g_timer_lock is dropped (ktimer_cancel waits for
// a running wall_timer_fired, which takes that lock).
void disarm_locked(PosixTimer& t) {
  t.m_is_armed = false;
  t.m_left_ns = 0;
}

// Every POSIX timer of p goes.
void delete_posix_timers(Process& p) {
  for (;;) {
    PosixTimer* t;
    {
      SpinlockGuard guard(g_timer_lock);
      ProcessTimers* timers = p.m_timers;
      t = timers ? timers->posix.pop_front() : nullptr;
      if (!t) return;
      timers->count--;
      disarm_locked(*t);
    }
    ktimer_cancel(&t->m_ktimer);
    delete t;
  }
}

}  // namespace

// ---- The tick, exec, exit, delivery ----

void timers_tick_cpu(Process& p, const Thread& ticking, bool from_user, u64 elapsed_ns) {
  if (!__atomic_load_n(&p.m_timers, __ATOMIC_ACQUIRE)) return;
  SpinlockGuard signals(p.m_signals.lock());
  SpinlockGuard guard(g_timer_lock);
  ProcessTimers* timers = p.m_timers;
  if (!timers) return;
  for (u32 i = 0; i < 2; i++) {
    CpuItimer& it = timers->itimers[i];
    if ((i == 0 && !from_user) || !count_down(it.left_ns, it.interval_ns, elapsed_ns, nullptr)) continue;
    (void)signal_send_locked(&p, siginfo_from_kernel(i == 0 ? SIGVTALRM : SIGPROF));
  }
  for (PosixTimer& t : timers->posix) {
    if (t.m_base == TimerBase::Wall || (t.m_base == TimerBase::UserTime && !from_user)) continue;
    if (t.m_clock.kind == ClockKind::ThreadCpu && t.m_clock.target != static_cast<i32>(ticking.m_tid)) continue;
    u64 missed = 0;
    if (!count_down(t.m_left_ns, t.m_interval_ns, elapsed_ns, &missed)) continue;
    send_locked(t);
    t.m_overrun += static_cast<i32>(missed);
  }
}

void timers_exec(Process& p) { delete_posix_timers(p); }

void timers_exit(Process& p) {
  delete_posix_timers(p);
  ProcessTimers* timers;
  {
    SpinlockGuard guard(g_timer_lock);
    timers = p.m_timers;
    __atomic_store_n(&p.m_timers, nullptr, __ATOMIC_RELEASE);
  }
  delete timers;
}

void timers_signal_taken_locked(Process& p, siginfo& info) {
  SpinlockGuard guard(g_timer_lock);
  auto t = find_locked(p, info.timer.tid);
  if (t.is_error() || !t.value()->m_is_queued) return;
  PosixTimer& timer = *t.value();
  timer.m_is_queued = false;
  timer.m_overrun_last = timer.m_overrun;
  info.timer.overrun = timer.m_overrun;
  timer.m_overrun = 0;
}

CpuItimerValue cpu_itimer_get(Process& p, u32 which) {
  SpinlockGuard guard(g_timer_lock);
  if (!p.m_timers) return {};
  const CpuItimer& it = p.m_timers->itimers[which == ITIMER_VIRTUAL ? 0 : 1];
  return {it.left_ns, it.interval_ns};
}

Result<CpuItimerValue> cpu_itimer_set(Process& p, u32 which, CpuItimerValue fresh) {
  if (!fresh.value_ns && !p.m_timers) return CpuItimerValue{};  // disarming what was never armed
  ProcessTimers* timers = TRY(timers_of(p));
  SpinlockGuard guard(g_timer_lock);
  CpuItimer& it = timers->itimers[which == ITIMER_VIRTUAL ? 0 : 1];
  CpuItimerValue old{it.left_ns, it.interval_ns};
  it.left_ns = fresh.value_ns;
  it.interval_ns = fresh.value_ns ? fresh.interval_ns : 0;
  return old;
}

// ---- The system calls ----

// timer_create(clock, sevp, timerid). struct sigevent: sigev_value (8 bytes), sigev_signo, sigev_notify, then
// the thread id of SIGEV_THREAD_ID. Without sevp: SIGALRM with the timer's id as its value.
Result<u64> sys_timer_create(const SyscallArgs& a) {
  Clock clock = TRY(clock_decode(static_cast<u32>(a.a0)));
  TimerBase base = TRY(timer_base_of(clock));
  if (clock.kind == ClockKind::ThreadCpu && clock.target == 0) clock.target = static_cast<i32>(current_thread()->m_tid);
  Process* p = current_process();
  struct SigEvent {
    u64 value;
    i32 signo, notify, tid;
  };
  SigEvent event{0, SIGALRM, SIGEV_SIGNAL, 0};
  bool has_event = a.a1 != 0;
  if (has_event) event = TRY(copy_value_from_user<SigEvent>(a.a1));
  // good_sigevent: SIGEV_THREAD_ID names a thread of the caller; a signal must be valid unless SIGEV_NONE.
  // (SIGEV_THREAD is glibc's: it reaches the kernel as SIGEV_THREAD_ID. The kernel takes it as SIGEV_SIGNAL.)
  switch (event.notify) {
    case SIGEV_SIGNAL | SIGEV_THREAD_ID: {
      siginfo probe{};  // signal 0: does the thread exist?
      if (signal_send_to_thread(p, event.tid, probe).is_error()) return Error::INVAL;
      [[fallthrough]];
    }
    case SIGEV_SIGNAL:
    case SIGEV_THREAD:
      if (event.signo <= 0 || event.signo > static_cast<i32>(NSIG)) return Error::INVAL;
      break;
    case SIGEV_NONE: break;
    default: return Error::INVAL;
  }
  ProcessTimers* timers = TRY(timers_of(*p));
  auto* t = new PosixTimer();
  if (!t) return Error::NOMEM;
  t->m_ktimer.m_function = wall_timer_fired;
  t->m_owner = p;
  t->m_clock = clock;
  t->m_base = base;
  t->m_notify = event.notify == SIGEV_THREAD ? SIGEV_SIGNAL : event.notify;
  t->m_signal = static_cast<unsigned>(event.signo);
  t->m_tid = event.tid;
  i32 id;
  {
    SpinlockGuard guard(g_timer_lock);
    if (timers->count >= MAX_TIMERS) {
      guard.unlock();
      delete t;
      return Error::AGAIN;
    }
    // posix_timer_add: the next number, skipping those in use.
    do {
      id = timers->next_id;
      timers->next_id = (timers->next_id + 1) & 0x7fffffff;
    } while (!find_locked(*p, id).is_error());
    t->m_id = id;
    t->m_sigval = has_event ? event.value : static_cast<u64>(id);
    timers->posix.push_back(*t);
    timers->count++;
  }
  // The id goes out last; if that fails the timer goes again (Linux leaves it, but it could not be named).
  if (auto r = copy_value_to_user(a.a2, id); r.is_error()) {
    SyscallArgs del{};
    del.a0 = static_cast<u64>(id);
    (void)sys_timer_delete(del);
    return r.error();
  }
  return 0;
}

// timer_settime(id, flags, new, old): arm (it_value 0: disarm), relative or TIMER_ABSTIME on the timer's clock.
Result<u64> sys_timer_settime(const SyscallArgs& a) {
  i32 id = static_cast<i32>(a.a0);
  bool absolute = a.a1 & TIMER_ABSTIME;
  if (!a.a2) return Error::INVAL;
  ItimerSpec fresh = TRY(copy_value_from_user<ItimerSpec>(a.a2));
  u64 value = TRY(ns_of(fresh.value));
  u64 interval = TRY(ns_of(fresh.interval));
  Process* p = current_process();
  ItimerSpec old;
  PosixTimer* t;
  {
    SpinlockGuard guard(g_timer_lock);
    t = TRY(find_locked(*p, id));
    old = current_locked(*t);
    disarm_locked(*t);
  }
  // A running expiry finishes first (only the process itself changes or deletes its timers).
  ktimer_cancel(&t->m_ktimer);
  u64 now = absolute && value ? clock_value(*t) : 0;
  {
    SpinlockGuard guard(g_timer_lock);
    t->m_interval_ns = value ? interval : 0;
    t->m_overrun = t->m_overrun_last = 0;
    if (value) {
      u64 left = absolute ? (value > now ? value - now : 0) : value;
      if (t->m_base == TimerBase::Wall) {
        t->m_is_armed = true;
        t->m_deadline_ns = time_monotonic_ns() + left;
        ktimer_arm(&t->m_ktimer, t->m_deadline_ns);  // a time already passed fires at the next tick
      } else {
        t->m_left_ns = left ? left : 1;
      }
    }
  }
  if (a.a3) TRY(copy_value_to_user(a.a3, old));
  return 0;
}

Result<u64> sys_timer_gettime(const SyscallArgs& a) {
  ItimerSpec now;
  {
    SpinlockGuard guard(g_timer_lock);
    PosixTimer* t = TRY(find_locked(*current_process(), static_cast<i32>(a.a0)));
    now = current_locked(*t);
  }
  return syscall_result(copy_value_to_user(a.a1, now));
}

Result<u64> sys_timer_getoverrun(const SyscallArgs& a) {
  SpinlockGuard guard(g_timer_lock);
  PosixTimer* t = TRY(find_locked(*current_process(), static_cast<i32>(a.a0)));
  return static_cast<u64>(t->m_overrun_last);
}

Result<u64> sys_timer_delete(const SyscallArgs& a) {
  Process* p = current_process();
  PosixTimer* t;
  {
    SpinlockGuard guard(g_timer_lock);
    t = TRY(find_locked(*p, static_cast<i32>(a.a0)));
    p->m_timers->posix.remove(*t);
    p->m_timers->count--;
    disarm_locked(*t);
  }
  ktimer_cancel(&t->m_ktimer);
  delete t;
  return 0;
}

RAW_SYSCALL(sys_timer_create);
RAW_SYSCALL(sys_timer_settime);
RAW_SYSCALL(sys_timer_gettime);
RAW_SYSCALL(sys_timer_getoverrun);
RAW_SYSCALL(sys_timer_delete);
