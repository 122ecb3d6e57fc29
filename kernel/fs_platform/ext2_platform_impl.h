// The kernel's side of kernel/fs/ext2/ext2_platform.h.
#pragma once

#include "kernel/fs/sleep_lock.h"
#include "kernel/log.h"
#include "kernel/time.h"

class Ext2Mutex {
 public:
  Ext2Mutex() = default;
  AS_NONCOPYABLE(Ext2Mutex);
  void lock() { MUST(m_lock.lock(Interruptible::No)); }
  void unlock() { m_lock.unlock(); }
  bool is_locked() const { return m_lock.is_locked(); }

 private:
  SleepLock m_lock{"ext2"};
};

inline u32 ext2_now() { return static_cast<u32>(time_realtime_ns() / 1000000000ull); }

enum class Ext2Log : u8 { Info, Warn, Error };
#define ext2_log(level, ...)                                                                                 \
  klog((level) == Ext2Log::Info ? LogLevel::Info : (level) == Ext2Log::Warn ? LogLevel::Warn : LogLevel::Error, \
       __VA_ARGS__)
