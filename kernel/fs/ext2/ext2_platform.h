// The door from kernel/fs/ext2/ to the rest of the kernel, as mm/mm_platform.h is mm/'s: the ext2 code is
// portable, and the host tests drive it over a block device in memory (tests/host/fs/). Each build supplies
// "ext2_platform_impl.h" through its include path:
//   kernel: kernel/fs_platform/ext2_platform_impl.h (SleepLock, the real-time clock, klog)
//   host:   tests/host/fs_platform/ext2_platform_impl.h (std::mutex, a settable clock, a captured log)
//
// Each must provide:
//   class Ext2Mutex         a sleeping lock (lock(), unlock(), is_locked()): held across disk I/O;
//   u32 ext2_now()          seconds since the epoch (ext2 keeps 32-bit times);
//   ext2_log(Ext2Log level, fmt, ...)   a kernel log line; Ext2Log::Info / Warn / Error.
// Besides, the ext2 code uses the block layer (drivers/block/block_device.h) and the kernel heap (mm/heap.h),
// whose memory is direct-map memory that a disk can read into.
#pragma once

#include "drivers/block/block_device.h"
#include "ext2_platform_impl.h"
#include "mm/heap.h"

// RAII holder of an Ext2Mutex.
class Ext2MutexGuard {
 public:
  explicit Ext2MutexGuard(Ext2Mutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
  ~Ext2MutexGuard() { m_mutex.unlock(); }
  AS_NONCOPYABLE(Ext2MutexGuard);

 private:
  Ext2Mutex& m_mutex;
};
