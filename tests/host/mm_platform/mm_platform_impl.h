// The host's side of mm/mm_platform.h: what mm/ needs from "the rest of the kernel", built from the C++
// standard library so that doctest can drive mm/ on the build machine.
//
//   Spinlock          a real spinlock over std::atomic; like the kernel's (kernel/spinlock.h) it knows its
//                     owner, so taking it twice or releasing it from the wrong "hart" panics (here: throws)
//                     instead of deadlocking a test run.
//   physical memory   an arena: one big aligned heap buffer that plays the RAM at a chosen physical address
//                     (0x80000000 by default, where QEMU virt puts RAM). phys_to_kernel maps a physical address
//                     into the buffer, as the kernel's direct map does; an address outside the arena panics.
//                     The arena is allocated with aligned_alloc, so AddressSanitizer reports any access past
//                     its ends.
//   mm_log            lines are kept in memory (tests can look at them) and echoed to stderr when the
//                     environment variable MM_LOG is set.
//   mm_current_cpu    each thread is a "hart": a thread gets the lowest index no running thread has, and gives
//                     it back when it exits, so indices stay dense (below HOST_MAX_CPUS, which per-CPU arrays in
//                     mm/ rely on); a test can choose the index with host_set_current_cpu().
//   page operations   zero_page_memory / copy_page_memory are memset / memcpy; IrqSave does nothing (a host
//                     thread is never interrupted by the kernel's own handlers).
//
// Not thread-safe: the arena and the log are set up by one test at a time (the frame allocator itself may be
// used from several threads).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <string>
#include <thread>
#include <vector>

#include "arch/riscv/pte.h"
#include "lib/assert.h"
#include "lib/lock_guard.h"
#include "lib/types.h"
#include "mm/types.h"

// The host plays an Sv39 machine, as the kernel runs on: the user half is its lower half.
constexpr u64 MM_USER_END = sv39::USER_END;

// At most this many threads may use mm/ at once (mm_current_cpu() < HOST_MAX_CPUS).
constexpr unsigned HOST_MAX_CPUS = 8;
unsigned mm_current_cpu();
// Makes the calling thread "hart" index `cpu` (< HOST_MAX_CPUS) from now on.
void host_set_current_cpu(unsigned cpu);

class Spinlock {
 public:
  explicit constexpr Spinlock(const char* name) : m_name(name) {}
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;

  void lock() {
    ASSERT_MSG(!is_held(), "spinlock '%s': hart %u takes it twice (deadlock)", m_name, mm_current_cpu());
    while (m_locked.exchange(1, std::memory_order_acquire) != 0) {
      while (m_locked.load(std::memory_order_relaxed)) {
      }
    }
    m_owner.store(static_cast<i32>(mm_current_cpu()), std::memory_order_relaxed);
  }
  bool try_lock() {
    if (m_locked.exchange(1, std::memory_order_acquire) != 0) return false;
    m_owner.store(static_cast<i32>(mm_current_cpu()), std::memory_order_relaxed);
    return true;
  }
  void unlock() {
    ASSERT_MSG(is_held(), "spinlock '%s' released by hart %u, which does not hold it", m_name, mm_current_cpu());
    m_owner.store(-1, std::memory_order_relaxed);
    m_locked.store(0, std::memory_order_release);
  }
  // The kernel's variants for callers with interrupts already off (no interrupts on the host).
  void lock_irqs_off() { lock(); }
  void unlock_irqs_off() { unlock(); }
  // True if this "hart" (thread) holds the lock.
  bool is_held() const {
    return m_locked.load(std::memory_order_relaxed) &&
           m_owner.load(std::memory_order_relaxed) == static_cast<i32>(mm_current_cpu());
  }
  const char* name() const { return m_name; }

 private:
  std::atomic<u32> m_locked{0};
  std::atomic<i32> m_owner{-1};  // index of the holding thread, -1 when free
  const char* m_name;
};

using SpinlockGuard = LockGuard<Spinlock>;

// The memory arena that stands for physical RAM.
class HostArena {
 public:
  static constexpr u64 DEFAULT_BASE = 0x80000000;
  static constexpr u64 DEFAULT_SIZE = 64 * MiB;
  // Every byte of a fresh arena holds this value, so a test can tell memory that was zeroed on purpose
  // from memory nobody touched.
  static constexpr u8 POISON = 0xa5;

  // (Re)creates the arena: `size` bytes (a multiple of the page size) playing RAM at physical address `base`
  // (page-aligned), filled with POISON. Any previous arena is released, and pointers into it die with it.
  static void setup(u64 size = DEFAULT_SIZE, PhysAddr base = PhysAddr(DEFAULT_BASE));
  static void release();

  static bool is_set_up() { return s_memory != nullptr; }
  static PhysAddr base() { return s_base; }
  static PhysAddr end() { return s_base + s_size; }
  static u64 size() { return s_size; }
  static u8* memory() { return s_memory; }
  // True if [pa, pa + len) lies inside the arena.
  static bool contains(PhysAddr pa, u64 len = 1) {
    return s_memory && pa >= s_base && len <= s_size && pa.get() - s_base.get() <= s_size - len;
  }

 private:
  static inline u8* s_memory = nullptr;
  static inline PhysAddr s_base{};
  static inline u64 s_size = 0;
};

// Creates an arena for the lifetime of a scope (a test case), then releases it.
class ScopedArena {
 public:
  explicit ScopedArena(u64 size = HostArena::DEFAULT_SIZE, PhysAddr base = PhysAddr(HostArena::DEFAULT_BASE)) {
    HostArena::setup(size, base);
  }
  ~ScopedArena() { HostArena::release(); }
  ScopedArena(const ScopedArena&) = delete;
  ScopedArena& operator=(const ScopedArena&) = delete;
};

inline u8* phys_to_kernel(PhysAddr pa) {
  ASSERT_MSG(HostArena::contains(pa), "phys_to_kernel(%#llx): not inside the host memory arena",
             static_cast<unsigned long long>(pa.get()));
  return HostArena::memory() + (pa.get() - HostArena::base().get());
}

inline PhysAddr kernel_to_phys(const void* p) {
  auto addr = reinterpret_cast<uptr>(p);
  auto start = reinterpret_cast<uptr>(HostArena::memory());
  ASSERT_MSG(HostArena::is_set_up() && addr >= start && addr - start < HostArena::size(),
             "kernel_to_phys(%p): not inside the host memory arena", p);
  return HostArena::base() + (addr - start);
}

void mm_log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// The lines mm_log printed since the last clear (oldest first).
const std::vector<std::string>& host_mm_log_lines();
void host_mm_log_clear();

// Page operations (the kernel's are hand-unrolled assembly, arch/riscv/page_ops.S).
inline void zero_page_memory(void* page) { __builtin_memset(page, 0, PAGE_SIZE); }
inline void copy_page_memory(void* dst, const void* src) { __builtin_memcpy(dst, src, PAGE_SIZE); }

// No interrupts on the host: each test thread is its own "CPU".
class IrqSave {
 public:
  IrqSave() {}  // (user-provided, so that an unused guard is not an "unused variable")
  IrqSave(const IrqSave&) = delete;
  IrqSave& operator=(const IrqSave&) = delete;
};

// Sleeping: a condition variable over the Spinlock (which is BasicLockable).
class WaitChannel {
 public:
  WaitChannel() = default;
  WaitChannel(const WaitChannel&) = delete;
  WaitChannel& operator=(const WaitChannel&) = delete;
  void wait(Spinlock& held) { m_cv.wait(held); }
  bool wait_timeout(Spinlock& held, u64 ns) {
    return m_cv.wait_for(held, std::chrono::nanoseconds(ns)) == std::cv_status::no_timeout;
  }
  void wake_all() { m_cv.notify_all(); }

 private:
  std::condition_variable_any m_cv;
};

// Every test thread may sleep; a test can mark the calling thread's "process" as being killed.
inline bool mm_may_sleep() { return true; }
bool mm_fatal_signal_pending();
void host_set_fatal_signal_pending(bool pending);
inline bool mm_preemption_point() { return mm_fatal_signal_pending(); }
// The calling test thread's "process" limits (mm_space_limits; declared in mm/mm_platform.h): none but an 8 MiB
// stack until a test sets them. The struct is defined after this header, so these take it by reference.
struct SpaceLimits;
void host_set_space_limits(const SpaceLimits& limits);
void host_reset_space_limits();
inline void mm_sleep_ns(u64 ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); }
