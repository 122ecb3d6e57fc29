// The sched_* system calls, with Linux 6.1's checks and errors (kernel/sched/core.c): a thread's policy and
// real-time priority (kept and reported: every thread here runs round robin with a one-tick slice, whatever its
// policy), the harts it may run on (kept, and obeyed by the scheduler: kernel/sched.cpp), sched_yield, the
// priority ranges and the round-robin interval. A pid names one thread (its tid; 0 is the caller), as on Linux.
#include "kernel/sys_sched.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/smp.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/usercopy.h"
#include "kernel/abi/linux.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"

namespace {

enum : u32 {
  SCHED_OTHER = 0,
  SCHED_FIFO = 1,
  SCHED_RR = 2,
  SCHED_BATCH = 3,
  SCHED_IDLE = 5,
  SCHED_DEADLINE = 6,
  SCHED_RESET_ON_FORK = 0x40000000,
};
constexpr u32 MAX_RT_PRIORITY = 99;
constexpr u64 RR_TIMESLICE_NS = 100'000'000;  // Linux's RR_TIMESLICE: 100 ms

bool is_rt(u32 policy) { return policy == SCHED_FIFO || policy == SCHED_RR; }

// fn(Thread&) for the thread `pid` names (0: the caller), with g_process_lock and g_sched_lock held (no user
// memory may be touched in fn); ESRCH if there is none. pid < 0 must have been refused by the caller where
// Linux says EINVAL (elsewhere Linux looks it up and finds nothing: ESRCH).
template <typename Fn>
Result<void> on_thread(i32 pid, Fn fn) {
  SpinlockGuard processes(g_process_lock);
  Thread* t = pid == 0 ? current_thread() : pid > 0 ? process_find_thread_locked(pid) : nullptr;
  if (!t) return Error::SRCH;
  SpinlockGuard sched(g_sched_lock);
  fn(*t);
  return {};
}

// Linux's __sched_setscheduler checks for one policy (without SCHED_RESET_ON_FORK) and priority.
Result<void> check_policy(u32 policy, i32 priority) {
  if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR && policy != SCHED_BATCH &&
      policy != SCHED_IDLE && policy != SCHED_DEADLINE)
    return Error::INVAL;
  if (priority < 0 || priority > static_cast<i32>(MAX_RT_PRIORITY)) return Error::INVAL;
  // SCHED_DEADLINE needs sched_setattr's runtime, deadline and period: none through this call.
  if (policy == SCHED_DEADLINE) return Error::INVAL;
  if (is_rt(policy) != (priority != 0)) return Error::INVAL;
  return {};
}

// sched_setscheduler and sched_setparam (policy < 0: keep the thread's). As Linux's do_sched_setscheduler, the
// thread is looked up (ESRCH) before its new policy and priority are checked (EINVAL).
Result<u64> set_scheduler(i32 pid, i64 policy, u64 param) {
  if (!param || pid < 0) return Error::INVAL;
  i32 priority = TRY(copy_value_from_user<i32>(param));
  Result<void> checked;
  TRY(on_thread(pid, [&](Thread& t) {
    u32 applied = t.m_sched_policy;
    bool reset_on_fork = t.m_sched_reset_on_fork;
    if (policy >= 0) {
      applied = static_cast<u32>(policy) & ~static_cast<u32>(SCHED_RESET_ON_FORK);
      reset_on_fork = policy & SCHED_RESET_ON_FORK;
    }
    checked = check_policy(applied, priority);
    if (checked.is_error()) return;
    // (Everyone is root here: CAP_SYS_NICE allows every policy and priority.)
    t.m_sched_policy = static_cast<u8>(applied);
    t.m_sched_priority = static_cast<u8>(priority);
    t.m_sched_reset_on_fork = reset_on_fork;
  }));
  TRY(checked);
  return 0;
}

}  // namespace

Result<u64> sys_sched_setscheduler(const SyscallArgs& a) {
  i32 policy = static_cast<i32>(a.a1);
  if (policy < 0) return Error::INVAL;
  return set_scheduler(static_cast<i32>(a.a0), policy, a.a2);
}

Result<u64> sys_sched_setparam(const SyscallArgs& a) { return set_scheduler(static_cast<i32>(a.a0), -1, a.a1); }

Result<u64> sys_sched_getscheduler(const SyscallArgs& a) {
  i32 pid = static_cast<i32>(a.a0);
  if (pid < 0) return Error::INVAL;
  u32 policy = 0;
  TRY(on_thread(pid, [&](Thread& t) { policy = t.m_sched_policy | (t.m_sched_reset_on_fork ? static_cast<u32>(SCHED_RESET_ON_FORK) : 0u); }));
  return policy;
}

Result<u64> sys_sched_getparam(const SyscallArgs& a) {
  i32 pid = static_cast<i32>(a.a0);
  if (!a.a1 || pid < 0) return Error::INVAL;
  i32 priority = 0;
  TRY(on_thread(pid, [&](Thread& t) { priority = t.m_sched_priority; }));
  TRY(copy_value_to_user(a.a1, priority));
  return 0;
}

Result<u64> sys_sched_get_priority_max(const SyscallArgs& a) {
  switch (static_cast<i32>(a.a0)) {
    case SCHED_FIFO:
    case SCHED_RR: return MAX_RT_PRIORITY;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
    case SCHED_DEADLINE: return 0;
    default: return Error::INVAL;
  }
}

Result<u64> sys_sched_get_priority_min(const SyscallArgs& a) {
  switch (static_cast<i32>(a.a0)) {
    case SCHED_FIFO:
    case SCHED_RR: return 1;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
    case SCHED_DEADLINE: return 0;
    default: return Error::INVAL;
  }
}

// The time slice: none for SCHED_FIFO, Linux's 100 ms for SCHED_RR, and for the others the slice this
// scheduler really gives (one tick; Linux's fair class reports its current slice, a few ms).
Result<u64> sys_sched_rr_get_interval(const SyscallArgs& a) {
  i32 pid = static_cast<i32>(a.a0);
  if (pid < 0) return Error::INVAL;
  u32 policy = 0;
  TRY(on_thread(pid, [&](Thread& t) { policy = t.m_sched_policy; }));
  u64 ns = policy == SCHED_FIFO ? 0 : policy == SCHED_RR ? RR_TIMESLICE_NS : 1'000'000'000ull / TICK_HZ;
  linux::timespec ts{static_cast<i64>(ns / 1'000'000'000ull), static_cast<i64>(ns % 1'000'000'000ull)};
  TRY(copy_value_to_user(a.a1, ts));
  return 0;
}

// The harts a thread may run on, as a CPU set of 8 bytes (the size Linux uses up to 64 CPUs): the length must
// be a multiple of 8 (EINVAL); the result is the number of bytes written.
Result<u64> sys_sched_getaffinity(const SyscallArgs& a) {
  u64 size = a.a1;
  if (size < 8 || size % 8) return Error::INVAL;
  u64 allowed = 0;
  TRY(on_thread(static_cast<i32>(a.a0), [&](Thread& t) { allowed = t.m_cpus_allowed; }));
  TRY(copy_value_to_user(a.a2, allowed & smp_online_index_mask()));
  return 8;
}

// A short mask is zero-extended and a long one cut to the harts there can be; one with no online hart is
// EINVAL. The caller leaves a hart it may no longer use before this returns, as on Linux.
Result<u64> sys_sched_setaffinity(const SyscallArgs& a) {
  u64 mask = 0;
  TRY(copy_from_user(&mask, a.a2, a.a1 < sizeof(mask) ? a.a1 : sizeof(mask)));
  i32 pid = static_cast<i32>(a.a0);
  Thread* self = current_thread();
  bool is_self = false;
  Result<void> valid;
  TRY(on_thread(pid, [&](Thread& t) {
    is_self = &t == self;
    if (!(mask & smp_online_index_mask())) valid = Error::INVAL;
  }));
  TRY(valid);
  if (is_self) {
    sched_set_cpus_allowed(self, mask);
    return 0;
  }
  // Another thread: set under the process lock, so that it cannot go away meanwhile.
  SpinlockGuard processes(g_process_lock);
  Thread* t = process_find_thread_locked(pid);
  if (!t) return Error::SRCH;
  sched_set_cpus_allowed(t, mask);
  return 0;
}

RAW_SYSCALL(sys_sched_setscheduler);
RAW_SYSCALL(sys_sched_setparam);
RAW_SYSCALL(sys_sched_getscheduler);
RAW_SYSCALL(sys_sched_getparam);
RAW_SYSCALL(sys_sched_get_priority_max);
RAW_SYSCALL(sys_sched_get_priority_min);
RAW_SYSCALL(sys_sched_rr_get_interval);
RAW_SYSCALL(sys_sched_getaffinity);
RAW_SYSCALL(sys_sched_setaffinity);
