// The out-of-line part of the kernel's mm platform (kernel/mm_platform/mm_platform_impl.h).
#include "mm/mm_platform.h"

void mm_sleep_ns(u64 ns) {
  WaitQueue nobody_wakes;
  Spinlock held("mm-sleep");
  held.lock();
  (void)nobody_wakes.wait_timeout(held, ns, Interruptible::No);
  held.unlock();
}
