// The host's side of kernel/fs/ext2/ext2_platform.h: the C++ standard library plays the kernel, so that doctest
// can drive the ext2 code over a block device in memory (tests/host/fs/).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "lib/types.h"

class Ext2Mutex {
 public:
  Ext2Mutex() = default;
  Ext2Mutex(const Ext2Mutex&) = delete;
  Ext2Mutex& operator=(const Ext2Mutex&) = delete;
  void lock() {
    m_mutex.lock();
    m_is_locked.store(true);
  }
  void unlock() {
    m_is_locked.store(false);
    m_mutex.unlock();
  }
  bool is_locked() const { return m_is_locked.load(); }

 private:
  std::mutex m_mutex;
  std::atomic<bool> m_is_locked{false};
};

// The clock: a fixed time a test may set (host_ext2_set_time), so that timestamps are predictable.
u32 ext2_now();
void host_ext2_set_time(u32 seconds);

enum class Ext2Log : u8 { Info, Warn, Error };
void ext2_log(Ext2Log level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// The lines ext2_log printed since the last clear ("I ...", "W ...", "E ..."); echoed to stderr when EXT2_LOG
// is set in the environment.
const std::vector<std::string>& host_ext2_log_lines();
void host_ext2_log_clear();
