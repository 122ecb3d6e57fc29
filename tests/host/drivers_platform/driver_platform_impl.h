// The host's side of drivers/driver_platform.h: the C++ standard library plays the kernel, so that doctest can
// drive the block layer and the virtio code against a fake device (tests/host/drivers/).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "lib/types.h"

class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  // Notifies under the mutex: the waiter cannot return and destroy the object while notify_all runs.
  void complete() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_is_done = true;
    m_done.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> guard(m_mutex);
    m_done.wait(guard, [this] { return m_is_done; });
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_done;
  bool m_is_done = false;
};

// The fake device is another host thread reading the rings: the C++ fences give the same orderings.
inline void dma_wmb() { std::atomic_thread_fence(std::memory_order_release); }
inline void dma_rmb() { std::atomic_thread_fence(std::memory_order_acquire); }
inline void dma_mb() { std::atomic_thread_fence(std::memory_order_seq_cst); }

enum class DriverLog : u8 { Info, Warn, Error };
void drv_log(DriverLog level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// The lines drv_log printed since the last clear (oldest first); echoed to stderr when DRV_LOG is set.
const std::vector<std::string>& host_drv_log_lines();
void host_drv_log_clear();
