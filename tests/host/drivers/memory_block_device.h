// A block device in host memory for tests of code that sits on block devices (the block layer itself, file
// systems, swap): a BlockDevice whose "hardware" is a std::vector of sectors and a worker thread.
//
//   MemoryBlockDevice disk("vdz", 2048);            // 1 MiB, requests completed by a worker thread
//   disk.fail(BlockOp::Read, 100, 8);               // reads touching sectors 100..107 fail with IO
//   disk.fail_next(BlockOp::Write, 2);              // the next two writes fail
//   disk.set_completion_order(Order::Shuffled);     // complete queued requests in random order
//   disk.hold(); ... disk.release();                // keep requests queued, then let them all complete
//
// Requests' data moves between the vector and the segments' physical addresses in the host arena
// (phys_to_kernel), as a device's DMA would. Callbacks run on the worker thread, as on another hart. The
// destructor waits for every queued request. Not for the kernel build.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "drivers/block/block_device.h"
#include "drivers/driver_platform.h"

class MemoryBlockDevice final : public BlockDevice {
 public:
  enum class Order { Fifo, Shuffled };

  MemoryBlockDevice(const char* name, u64 sectors, u32 max_segments = 16, u64 max_request_bytes = 64 * KiB,
                    bool volatile_cache = true)
      : m_data(sectors * SECTOR_SIZE, 0), m_has_cache(volatile_cache) {
    snprintf(m_name, sizeof m_name, "%s", name);
    m_sector_count = sectors;
    m_max_segments = max_segments;
    m_max_request_bytes = max_request_bytes;
    m_worker = std::thread([this] { run(); });
  }
  ~MemoryBlockDevice() override {
    {
      std::unique_lock<std::mutex> guard(m_mutex);
      m_is_held = false;
      m_is_stopping = true;
      m_changed.notify_all();
    }
    m_worker.join();
  }

  void set_read_only(bool read_only) { m_is_read_only = read_only; }
  void set_device_number(u64 number) { m_device_number = number; }
  void set_completion_order(Order order) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_order = order;
  }
  // Requests touching [first, first + count) with `op` fail with IO (until clear_failures).
  void fail(BlockOp op, u64 first, u64 count) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_failures.push_back({op, first, count});
  }
  // The next n requests of `op` fail with IO.
  void fail_next(BlockOp op, u32 n) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_fail_next[static_cast<int>(op)] = n;
  }
  void clear_failures() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_failures.clear();
    for (u32& n : m_fail_next) n = 0;
  }
  // While held, requests queue up without completing.
  void hold() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_is_held = true;
  }
  void release() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_is_held = false;
    m_changed.notify_all();
  }
  usize queued() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_queue.size();
  }
  // Most requests queued at once so far.
  usize max_queued() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_max_queued;
  }
  // Waits until `n` requests are queued (with hold(): until the submitters got that far).
  void wait_queued(usize n) {
    std::unique_lock<std::mutex> guard(m_mutex);
    m_changed.wait(guard, [&] { return m_queue.size() >= n; });
  }

  // The disk's bytes, for checking and preparing contents directly.
  u8* bytes() { return m_data.data(); }
  u8* sector_bytes(u64 sector) { return m_data.data() + sector * SECTOR_SIZE; }
  // Writes that reached the "disk" but not yet a flush (with a volatile cache); flush makes them durable.
  u64 unflushed_writes() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_unflushed;
  }

 protected:
  Result<void> submit_checked(BlockRequest& request) override {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_queue.push_back(&request);
    m_max_queued = std::max(m_max_queued, m_queue.size());
    m_changed.notify_all();
    return {};
  }
  bool has_volatile_cache() const override { return m_has_cache; }

 private:
  struct Failure {
    BlockOp op;
    u64 first;
    u64 count;
  };

  void run() {
    std::mt19937 random(12345);
    std::unique_lock<std::mutex> guard(m_mutex);
    for (;;) {
      m_changed.wait(guard, [&] { return m_is_stopping || (!m_is_held && !m_queue.empty()); });
      if (m_queue.empty()) {
        if (m_is_stopping) return;
        continue;
      }
      usize pick = 0;
      if (m_order == Order::Shuffled) pick = std::uniform_int_distribution<usize>(0, m_queue.size() - 1)(random);
      BlockRequest* request = m_queue[pick];
      m_queue.erase(m_queue.begin() + static_cast<isize>(pick));
      Result<void> result = execute_locked(*request);
      guard.unlock();
      complete(*request, result);
      guard.lock();
    }
  }

  Result<void> execute_locked(BlockRequest& request) {
    u32& fail_next = m_fail_next[static_cast<int>(request.op)];
    if (fail_next) {
      fail_next--;
      return Error::IO;
    }
    u64 sectors = request.byte_count() / SECTOR_SIZE;
    for (const Failure& f : m_failures) {
      if (f.op != request.op) continue;
      if (request.op == BlockOp::Flush || (request.sector < f.first + f.count && f.first < request.sector + sectors))
        return Error::IO;
    }
    u64 at = request.sector * SECTOR_SIZE;
    for (u32 i = 0; i < request.segment_count; i++) {
      const BlockSegment& s = request.segments[i];
      u8* memory = phys_to_kernel(s.address);
      if (request.op == BlockOp::Read) memcpy(memory, m_data.data() + at, s.length);
      if (request.op == BlockOp::Write) memcpy(m_data.data() + at, memory, s.length);
      at += s.length;
    }
    if (request.op == BlockOp::Write) m_unflushed++;
    if (request.op == BlockOp::Flush) m_unflushed = 0;
    return {};
  }

  std::vector<u8> m_data;
  bool m_has_cache;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<BlockRequest*> m_queue;  // guarded by m_mutex
  std::vector<Failure> m_failures;    // guarded by m_mutex
  u32 m_fail_next[3] = {};            // guarded by m_mutex, per BlockOp
  Order m_order = Order::Fifo;        // guarded by m_mutex
  bool m_is_held = false;             // guarded by m_mutex
  bool m_is_stopping = false;         // guarded by m_mutex
  usize m_max_queued = 0;             // guarded by m_mutex
  u64 m_unflushed = 0;                // guarded by m_mutex
  std::thread m_worker;
};
