// The out-of-line part of the kernel's mm platform (kernel/mm_platform/mm_platform_impl.h).
#include "mm/mm_platform.h"

#include "kernel/process.h"
#include "kernel/sched.h"

void mm_sleep_ns(u64 ns) {
  WaitQueue nobody_wakes;
  Spinlock held("mm-sleep");
  held.lock();
  (void)nobody_wakes.wait_timeout(held, ns, Interruptible::No);
  held.unlock();
}

bool mm_preemption_point() { return current_thread() && preemption_point(StopOn::Kill); }

// Read without the limits lock, as Linux's rlimit() does (READ_ONCE): each is one aligned word.
SpaceLimits mm_space_limits() {
  SpaceLimits limits;
  Process* p = current_process();
  if (!p) return limits;  // a kernel thread
  auto soft = [&](u32 resource) { return __atomic_load_n(&p->m_limits[resource].rlim_cur, __ATOMIC_RELAXED); };
  limits.address_space = soft(linux::RLIMIT_AS);
  limits.data = soft(linux::RLIMIT_DATA);
  limits.data_max = __atomic_load_n(&p->m_limits[linux::RLIMIT_DATA].rlim_max, __ATOMIC_RELAXED);
  limits.stack = soft(linux::RLIMIT_STACK);
  return limits;
}
static_assert(linux::RLIM_INFINITY == SpaceLimits::NONE);
