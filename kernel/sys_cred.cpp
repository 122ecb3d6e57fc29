// Identity and priority system calls: the user and group IDs (everyone is root), the supplementary groups
// (setgroups/getgroups) and the nice value (getpriority/setpriority). kernel/credentials.h says what is kept.
#include "kernel/sys_cred.h"

#include "arch/riscv/usercopy.h"
#include <cstring>

#include "kernel/credentials.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal/job_control.h"
#include "kernel/syscall_raw.h"
#include "mm/heap.h"

namespace {

constexpr i32 NICE_MIN = -20, NICE_MAX = 19;
constexpr u32 PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

// Every process `which`/`who` names (PRIO_PROCESS, PRIO_PGRP, PRIO_USER: ioprio's IOPRIO_WHO_* less one; who
// 0: the caller's own), or ESRCH if none; `fn` is called under g_process_lock. Everyone is uid 0.
template <typename Fn>
Result<void> for_each_target(u32 which, i32 who, Fn fn) {
  if (which > PRIO_USER) return Error::INVAL;
  Process* self = current_process();
  i32 own_group = 0;
  if (which == PRIO_PGRP && who == 0) {
    SpinlockGuard guard(g_process_lock);
    own_group = self->m_group ? self->m_group->m_pgid : 0;
  }
  bool found = false;
  process_for_each([&](Process& p) {
    if (p.m_state == ProcessState::Zombie) return;
    bool match = false;
    switch (which) {
      case PRIO_PROCESS: match = p.m_pid == (who == 0 ? self->m_pid : who); break;
      case PRIO_PGRP: match = p.m_group && p.m_group->m_pgid == (who == 0 ? own_group : who); break;
      case PRIO_USER: match = who == 0; break;
    }
    if (!match) return;
    found = true;
    fn(p);
  });
  if (!found) return Error::SRCH;
  return {};
}

}  // namespace

Result<RefPtr<GroupList>> GroupList::create(const u32* gids, u32 count) {
  auto* list = new GroupList();
  if (!list) return Error::NOMEM;
  RefPtr<GroupList> ref = RefPtr<GroupList>::adopt(list);
  if (count) {
    list->gids = static_cast<u32*>(kmalloc(count * sizeof(u32)));
    if (!list->gids) return Error::NOMEM;
    // Sorted, as Linux keeps them (groups_sort) for lookups. A heap sort, as Linux's sort(): a list may have
    // 65,536 entries, and the insertion sort this was held a hart for tens of seconds there (the fuzzer's
    // setgroups(65536) outlived SIGKILL by 10 s).
    u32* v = list->gids;
    memcpy(v, gids, count * sizeof(u32));
    auto sift_down = [v](u32 root, u32 end) {
      for (u32 child; (child = 2 * root + 1) < end; root = child) {
        if (child + 1 < end && v[child + 1] > v[child]) child++;
        if (v[root] >= v[child]) return;
        u32 t = v[root];
        v[root] = v[child];
        v[child] = t;
      }
    };
    // 65,536 entries still take ~20 ms here (-icount): a preemption point every 4096 steps, and the call stops
    // when the process is killed (issue 14's 10 ms).
    for (u32 i = count / 2; i-- > 0;) {
      sift_down(i, count);
      if (i % 4096 == 0 && preemption_point(StopOn::Kill)) return Error::INTR;
    }
    for (u32 end = count; end-- > 1;) {
      u32 t = v[0];
      v[0] = v[end];
      v[end] = t;
      sift_down(0, end);
      if (end % 4096 == 0 && preemption_point(StopOn::Kill)) return Error::INTR;
    }
  }
  list->count = count;
  return ref;
}

GroupList::~GroupList() { kfree(gids); }

// getgroups(size, list): the number of supplementary groups; with size > 0 also the list (EINVAL if it does
// not fit).
Result<u64> sys_getgroups(const SyscallArgs& a) {
  i32 size = static_cast<i32>(a.a0);
  if (size < 0) return Error::INVAL;
  RefPtr<GroupList> groups = current_process()->m_groups;  // only the process itself replaces it
  u32 count = groups ? groups->count : 0;
  if (size == 0) return count;
  if (static_cast<u32>(size) < count) return Error::INVAL;
  if (count) TRY(copy_to_user(a.a1, groups->gids, count * sizeof(u32)));
  return count;
}

// setgroups(size, list): root may set any list of up to NGROUPS_MAX groups.
Result<u64> sys_setgroups(const SyscallArgs& a) {
  i32 size = static_cast<i32>(a.a0);
  if (size < 0 || static_cast<u32>(size) > GroupList::MAX_GROUPS) return Error::INVAL;
  u32* gids = nullptr;
  if (size) {
    gids = static_cast<u32*>(kmalloc(static_cast<usize>(size) * sizeof(u32)));
    if (!gids) return Error::NOMEM;
  }
  auto copied = size ? copy_from_user(gids, a.a1, static_cast<usize>(size) * sizeof(u32)) : Result<void>();
  auto list = copied.is_error() ? Result<RefPtr<GroupList>>(copied.error()) : GroupList::create(gids, size);
  kfree(gids);
  RefPtr<GroupList> fresh = TRY(list);
  Process* self = current_process();
  SpinlockGuard guard(g_process_lock);
  self->m_groups = fresh->count ? fresh : nullptr;
  return 0;
}

// getpriority returns 20 - nice (1..40), so that no successful result looks like an error; glibc turns it back.
Result<u64> sys_getpriority(const SyscallArgs& a) {
  i32 best = NICE_MAX + 1;
  TRY(for_each_target(static_cast<u32>(a.a0), static_cast<i32>(a.a1), [&](Process& p) {
    i32 nice = p.m_nice.load(MemoryOrder::Relaxed);
    if (nice < best) best = nice;
  }));
  return static_cast<u64>(20 - best);
}

// setpriority: the nice value is clamped to -20..19, as Linux does; root may lower it.
Result<u64> sys_setpriority(const SyscallArgs& a) {
  i32 nice = static_cast<i32>(a.a2);
  nice = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
  TRY(for_each_target(static_cast<u32>(a.a0), static_cast<i32>(a.a1),
                      [&](Process& p) { p.m_nice.store(nice, MemoryOrder::Relaxed); }));
  return 0;
}

// ioprio_set/ioprio_get (Linux 6.1's block/ioprio.c): an I/O class and level per process, inherited by fork.
// Recorded and reported (the block layer serves requests in order, whatever their priority): ionice works.
namespace {
constexpr u32 IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3;
constexpr u32 IOPRIO_CLASS_SHIFT = 13, IOPRIO_DATA_MASK = (1u << IOPRIO_CLASS_SHIFT) - 1;
constexpr i32 IOPRIO_DEFAULT = IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT;  // what "none" counts as when comparing
constexpr u32 IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_USER = 3;

// The higher of two priorities (ioprio_best): the lower value, a class of none counting as the default.
i32 ioprio_best(i32 a, i32 b) {
  if (static_cast<u32>(a) >> IOPRIO_CLASS_SHIFT == IOPRIO_CLASS_NONE) a = IOPRIO_DEFAULT;
  if (static_cast<u32>(b) >> IOPRIO_CLASS_SHIFT == IOPRIO_CLASS_NONE) b = IOPRIO_DEFAULT;
  return a < b ? a : b;
}
}  // namespace

Result<u64> sys_ioprio_set(const SyscallArgs& a) {
  u32 which = static_cast<u32>(a.a0), ioprio = static_cast<u32>(a.a2);
  u32 io_class = (ioprio >> IOPRIO_CLASS_SHIFT) & 7, data = ioprio & IOPRIO_DATA_MASK;
  switch (io_class) {
    case IOPRIO_CLASS_RT:  // (root may: CAP_SYS_NICE)
    case IOPRIO_CLASS_BE:
    case IOPRIO_CLASS_IDLE: break;
    case IOPRIO_CLASS_NONE:
      if (data) return Error::INVAL;
      break;
    default: return Error::INVAL;
  }
  if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER) return Error::INVAL;
  u16 value = static_cast<u16>(ioprio);
  TRY(for_each_target(which - IOPRIO_WHO_PROCESS, static_cast<i32>(a.a1),
                      [&](Process& p) { p.m_ioprio.store(value, MemoryOrder::Relaxed); }));
  return 0;
}

Result<u64> sys_ioprio_get(const SyscallArgs& a) {
  u32 which = static_cast<u32>(a.a0);
  if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER) return Error::INVAL;
  i32 result = -1;
  TRY(for_each_target(which - IOPRIO_WHO_PROCESS, static_cast<i32>(a.a1), [&](Process& p) {
    i32 value = p.m_ioprio.load(MemoryOrder::Relaxed);
    result = result < 0 ? value : ioprio_best(result, value);
  }));
  return static_cast<u64>(result);
}

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_getgroups);
RAW_SYSCALL(sys_setgroups);
RAW_SYSCALL(sys_getpriority);
RAW_SYSCALL(sys_setpriority);
RAW_SYSCALL(sys_ioprio_set);
RAW_SYSCALL(sys_ioprio_get);
