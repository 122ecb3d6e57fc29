// IoWaitGroup: waiting in mm/ for a batch of asynchronous paging requests (SwapIo, mm/swap_device.h) — how many
// are still in flight, and the first error.
//
//   IoWaitGroup group;
//   group.add(1);                                  // before each submit
//   if (device.submit(io).is_error()) group.done(Error::IO);   // (the callback will not come)
//   ...in the callback:  group.done(result);      // the callback's last touch of the group
//   Result<void> r = group.wait();                 // sleeps until every request is done
//
// Lock: m_lock protects the count and the error; done() may run in interrupt context.
#pragma once

#include "lib/result.h"
#include "mm/mm_platform.h"

class IoWaitGroup {
 public:
  IoWaitGroup() = default;
  AS_NONCOPYABLE(IoWaitGroup);

  void add(u32 count) {
    SpinlockGuard guard(m_lock);
    m_pending += count;
  }
  void done(Result<void> result) {
    SpinlockGuard guard(m_lock);
    if (result.is_error() && m_first_error == 0) m_first_error = static_cast<i32>(result.error());
    ASSERT(m_pending > 0);
    // Wake under the lock: once the lock is free the waiter may return and the group may be gone.
    if (--m_pending == 0) m_channel.wake_all();
  }
  // Sleeps (uninterruptibly) until nothing is in flight; the first error, if any. The group may be reused.
  Result<void> wait() {
    SpinlockGuard guard(m_lock);
    while (m_pending > 0) m_channel.wait(m_lock);
    i32 e = m_first_error;
    m_first_error = 0;
    if (e) return static_cast<Error>(e);
    return {};
  }

 private:
  Spinlock m_lock{"io-wait"};
  WaitChannel m_channel;
  u32 m_pending = 0;     // guarded by m_lock
  i32 m_first_error = 0;  // guarded by m_lock: an Error, 0 for none
};
