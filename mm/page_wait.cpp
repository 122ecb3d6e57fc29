#include "mm/page_wait.h"

#include "mm/mm_platform.h"

namespace {

struct PageWaitSlot {
  Spinlock lock{"page-wait"};
  WaitChannel waiters;  // the threads waiting for some page that hashes here; guarded by lock
};

constexpr unsigned PAGE_WAIT_SLOTS = 64;
PageWaitSlot g_page_wait[PAGE_WAIT_SLOTS];

PageWaitSlot& slot_of(const Frame* page) {
  u64 n = reinterpret_cast<uptr>(page) / sizeof(Frame);
  return g_page_wait[(n ^ (n >> 6) ^ (n >> 12)) % PAGE_WAIT_SLOTS];
}

bool is_busy(const Frame* page) { return __atomic_load_n(&page->page_flags, __ATOMIC_ACQUIRE) & PageFlag::Busy; }

}  // namespace

// No wake-up is lost: the waker clears Busy first and then takes the slot's lock to wake, and the waiter checks
// Busy and goes to sleep under that lock.
void page_wait_until_ready(Frame* page) {
  PageWaitSlot& s = slot_of(page);
  SpinlockGuard guard(s.lock);
  while (is_busy(page)) s.waiters.wait(s.lock);
}

void page_wake(Frame* page) {
  PageWaitSlot& s = slot_of(page);
  SpinlockGuard guard(s.lock);
  s.waiters.wake_all();
}
