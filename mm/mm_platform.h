// The only door from mm/ to the rest of the kernel. mm/ is machine-independent and also compiles on the host,
// where doctest drives it; each build supplies "mm_platform_impl.h" through its include path:
//   kernel: kernel/mm_platform/mm_platform_impl.h (real spinlocks, the direct map, the Sv39 pmap)
//   host:   tests/host/mm_platform/mm_platform_impl.h (std::mutex-like locks, a memory arena, a fake pmap)
//
// Each must provide:
//   constexpr u64 MM_USER_END               the end of the user half (the machine's): user addresses are below it;
//   class Spinlock (constructible from a name; lock/unlock/is_held, and lock_irqs_off/unlock_irqs_off for
//   callers that already run with interrupts off), class SpinlockGuard;
//   u8* phys_to_kernel(PhysAddr)            a kernel pointer to physical memory;
//   PhysAddr kernel_to_phys(const void*);
//   void mm_log(const char* fmt, ...)       an informational kernel log line;
//   unsigned mm_current_cpu()               a dense index of the running hart;
//   class IrqSave                           RAII: interrupts off, back to how they were at the end (for very
//                                           short sections that take no Spinlock-guarded path home);
//   void zero_page_memory(void* page)        clear one 4 KiB page (page aligned);
//   void copy_page_memory(void* dst, const void* src)   copy one 4 KiB page;
//
// and, for the parts of mm/ that sleep (faults that wait for swap or for memory, page-out, swapon/swapoff):
//   class WaitChannel                       threads sleep on it: wait(Spinlock& held) releases held, sleeps
//                                           (uninterruptibly) until wake_all(), and takes held again;
//                                           wait_timeout(held, ns) gives up after ns (returns false then);
//                                           wake_all() may be called from any context, interrupt handlers too
//                                           (the waker changes the condition under held, or before taking it);
//   bool mm_may_sleep()                     the calling thread may sleep here (it holds no spinlock and is not
//                                           the boot or idle context);
//   bool mm_fatal_signal_pending()          the calling thread's process is being killed;
//   void mm_sleep_ns(u64 ns)                sleep about that long (uninterruptibly);
//   bool mm_preemption_point()              in a loop whose length the user chooses (mlock, MAP_POPULATE, ...):
//                                           give the hart to another thread if a tick asked for it (no spinlock
//                                           may be held), and return true when the calling thread's process is
//                                           being killed (the loop then stops: Linux's cond_resched and
//                                           fatal_signal_pending).
//
// and, for the resource limits an address space enforces (Linux reads them from the calling task, rlimit()):
//   SpaceLimits mm_space_limits()           the calling thread's process's RLIMIT_AS, RLIMIT_DATA and
//                                           RLIMIT_STACK (declared below); a kernel thread has none.
#pragma once

#include "mm/types.h"
#include "mm_platform_impl.h"

// The soft limits, in bytes, that bound an address space's growth (Linux's rlimit(RLIMIT_AS/DATA/STACK) of the
// task that maps; NONE is RLIM_INFINITY): mm/limits.cpp applies them as Linux's may_expand_vm,
// check_data_rlimit and acct_stack_growth do. data_max is RLIMIT_DATA's hard limit (Linux lets a program with a
// soft limit of 0 map data up to it: the Valgrind workaround).
struct SpaceLimits {
  static constexpr u64 NONE = ~0ull;
  static constexpr u64 DEFAULT_STACK = 8 * 1024 * 1024;  // Linux's _STK_LIM
  u64 address_space = NONE;
  u64 data = NONE;
  u64 data_max = NONE;
  u64 stack = DEFAULT_STACK;
};
SpaceLimits mm_space_limits();
