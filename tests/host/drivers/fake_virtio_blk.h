// A virtio-blk device behind a virtio-mmio register window, emulated in the host test process, for the tests
// of the transport, the virtqueue and the driver (drivers/virtio/, drivers/block/virtio_blk.*).
//
// It plays QEMU's part: a register file (version 2 modern or version 1 legacy), feature negotiation, queue
// set-up, and a device thread that, after each QueueNotify, consumes the available ring, executes the requests
// on an in-memory disk (reading and writing the driver's buffers through the host arena, as DMA would), fills
// the used ring and "raises the interrupt" by calling the handler the test installed (the driver's
// handle_interrupt), as another hart taking the PLIC interrupt would.
//
// It also checks that the driver keeps the specification's rules, and records every violation in
// violations() (tests expect it to stay empty): the status sequence, features only from those offered,
// queue sizes, the legacy page size before the queue page number, and the shape of every request chain.
//
// Knobs: completion order (FIFO or shuffled), hold()/release() to pile requests up, failure injection by
// operation and sector range (VIRTIO_BLK_S_IOERR) or for an unknown request type (S_UNSUPP), USED_F_NO_NOTIFY,
// DEVICE_NEEDS_RESET, and a bogus used-ring entry.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "drivers/block/virtio_blk.h"
#include "drivers/driver_platform.h"
#include "drivers/virtio/virtio_mmio.h"
#include "drivers/virtio/virtqueue.h"

class FakeVirtioBlk final : public MmioRegisters {
 public:
  struct Options {
    u32 version = 2;
    u64 sectors = 2048;
    u32 queue_num_max = 256;
    u64 extra_features = virtio_blk::F_FLUSH | virtio_blk::F_SEG_MAX | virtio_blk::F_BLK_SIZE;
    u32 seg_max = 254;
    u32 size_max = 0;  // offered (VIRTIO_BLK_F_SIZE_MAX) when non-zero
    bool read_only = false;
    bool refuse_features_ok = false;  // a modern device that clears FEATURES_OK
    bool shuffled = false;            // complete queued requests in random order
  };
  enum class Op { Read, Write, Flush };

  explicit FakeVirtioBlk(Options options) : m_options(options), m_disk(options.sectors * SECTOR_SIZE, 0) {
    m_worker = std::thread([this] { run(); });
  }
  ~FakeVirtioBlk() {
    {
      std::lock_guard<std::mutex> guard(m_mutex);
      m_is_stopping = true;
      m_is_held = false;
      m_wake.notify_all();
    }
    m_worker.join();
  }

  // The interrupt line: called (on the device thread) after used entries were added. Replacing it waits
  // until no call of the old handler is running (so the driver can be destroyed afterwards).
  void set_interrupt_handler(std::function<void()> handler) {
    std::unique_lock<std::mutex> guard(m_mutex);
    m_wake.wait(guard, [&] { return m_handlers_running == 0; });
    m_interrupt = std::move(handler);
  }

  // ---- MmioRegisters ----
  u32 read32(u32 offset) override {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_register_accesses++;
    using namespace virtio::reg;
    switch (offset) {
      case MAGIC: return virtio::MAGIC_VALUE;
      case VERSION: return m_options.version;
      case DEVICE_ID: return virtio::DEVICE_ID_BLOCK;
      case VENDOR_ID: return 0x554d4551;  // "QEMU"
      case DEVICE_FEATURES: return static_cast<u32>(offered_features() >> (32 * m_device_features_sel));
      case QUEUE_NUM_MAX: return m_queue_sel == 0 ? m_options.queue_num_max : 0;
      case QUEUE_READY: return m_queue_ready;
      case LEGACY_QUEUE_PFN: return m_legacy_pfn;
      case INTERRUPT_STATUS: return m_interrupt_status;
      case STATUS: return m_status;
      case CONFIG_GENERATION: return m_config_generation;
    }
    if (offset >= CONFIG && offset < CONFIG + 0x40) return config_word(offset - CONFIG);
    violation("read of register " + std::to_string(offset));
    return 0;
  }

  void write32(u32 offset, u32 value) override {
    std::unique_lock<std::mutex> guard(m_mutex);
    m_register_accesses++;
    using namespace virtio::reg;
    switch (offset) {
      case DEVICE_FEATURES_SEL: m_device_features_sel = value ? 1 : 0; return;
      case DRIVER_FEATURES_SEL: m_driver_features_sel = value ? 1 : 0; return;
      case DRIVER_FEATURES:
        if (m_status & virtio::status::FEATURES_OK) violation("DriverFeatures written after FEATURES_OK");
        if (m_driver_features_sel) {
          m_driver_features = (m_driver_features & 0xffffffffull) | (static_cast<u64>(value) << 32);
        } else {
          m_driver_features = (m_driver_features & ~0xffffffffull) | value;
        }
        return;
      case LEGACY_GUEST_PAGE_SIZE:
        if (!is_legacy()) violation("GuestPageSize written on a modern device");
        m_guest_page_size = value;
        return;
      case QUEUE_SEL: m_queue_sel = value; return;
      case QUEUE_NUM: m_queue_num = value; return;
      case LEGACY_QUEUE_ALIGN: m_legacy_align = value; return;
      case LEGACY_QUEUE_PFN:
        if (!is_legacy()) violation("QueuePFN written on a modern device");
        if (m_guest_page_size != PAGE_SIZE) violation("QueuePFN written before GuestPageSize");
        m_legacy_pfn = value;
        if (value) activate_queue_locked(PhysAddr(static_cast<u64>(value) * m_guest_page_size), 0, 0);
        return;
      case QUEUE_DESC_LOW: m_desc = (m_desc & ~0xffffffffull) | value; return;
      case QUEUE_DESC_HIGH: m_desc = (m_desc & 0xffffffffull) | (static_cast<u64>(value) << 32); return;
      case QUEUE_DRIVER_LOW: m_avail = (m_avail & ~0xffffffffull) | value; return;
      case QUEUE_DRIVER_HIGH: m_avail = (m_avail & 0xffffffffull) | (static_cast<u64>(value) << 32); return;
      case QUEUE_DEVICE_LOW: m_used = (m_used & ~0xffffffffull) | value; return;
      case QUEUE_DEVICE_HIGH: m_used = (m_used & 0xffffffffull) | (static_cast<u64>(value) << 32); return;
      case QUEUE_READY:
        if (is_legacy()) violation("QueueReady written on a legacy device");
        if (!(m_status & virtio::status::FEATURES_OK)) violation("queue enabled before FEATURES_OK");
        m_queue_ready = value;
        if (value) activate_queue_locked(PhysAddr(m_desc), m_avail, m_used);
        return;
      case QUEUE_NOTIFY:
        if (!(m_status & virtio::status::DRIVER_OK)) violation("QueueNotify before DRIVER_OK");
        if (value != 0) violation("notify of a queue that does not exist");
        m_notifications++;
        m_wake.notify_all();
        return;
      case INTERRUPT_ACK: m_interrupt_status &= ~value; return;
      case STATUS: write_status_locked(value); return;
    }
    violation("write of register " + std::to_string(offset));
  }

  // ---- what the tests look at and control ----
  std::vector<std::string> violations() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_violations;
  }
  u64 driver_features() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_driver_features;
  }
  u32 status() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_status;
  }
  u32 queue_size() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_queue_num;
  }
  u64 notifications() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_notifications;
  }
  u64 completed() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_completed;
  }
  // Most chains that were available and not yet used at one time.
  u32 max_outstanding() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_max_outstanding;
  }
  u32 outstanding() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return static_cast<u32>(m_queued.size());
  }
  u8* sector_bytes(u64 sector) { return m_disk.data() + sector * SECTOR_SIZE; }

  void hold() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_is_held = true;
  }
  void release() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_is_held = false;
    m_wake.notify_all();
  }
  // Waits until `n` chains are queued in the device (taken off the available ring, not completed).
  void wait_outstanding(u32 n) {
    std::unique_lock<std::mutex> guard(m_mutex);
    m_wake.wait(guard, [&] {
      pull_available_locked();
      return m_queued.size() >= n;
    });
  }
  // Requests of `op` touching sectors [first, first + count) (any flush) get `status` (IOERR or UNSUPP).
  void fail(Op op, u64 first, u64 count, u8 status = virtio_blk::S_IOERR) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_failures.push_back({op, first, count, status});
  }
  u64 flushes() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_flushes;
  }
  void set_no_notify(bool no_notify) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_no_notify = no_notify;
    if (m_used_ring) store16(m_used_ring, no_notify ? virtq::USED_F_NO_NOTIFY : 0);
    m_wake.notify_all();
  }
  // The next completion batch puts an id the driver never gave into the used ring.
  void corrupt_next_used() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_corrupt_next = true;
  }
  // The device sets DEVICE_NEEDS_RESET and raises a configuration-change interrupt.
  void signal_needs_reset() {
    std::unique_lock<std::mutex> guard(m_mutex);
    m_status |= virtio::status::DEVICE_NEEDS_RESET;
    m_interrupt_status |= virtio::INTERRUPT_CONFIG_CHANGE;
    m_is_broken = true;  // it stops processing, as a device needing a reset would
    raise_interrupt(guard);
  }

 private:
  struct Failure {
    Op op;
    u64 first;
    u64 count;
    u8 status;
  };

  bool is_legacy() const { return m_options.version == 1; }
  u64 offered_features() const {
    u64 f = m_options.extra_features | virtio::F_INDIRECT_DESC | virtio::F_EVENT_IDX;
    if (m_options.read_only) f |= virtio_blk::F_RO;
    if (m_options.size_max) f |= virtio_blk::F_SIZE_MAX;
    if (!is_legacy()) f |= virtio::F_VERSION_1;
    else f &= 0xffffffffull;
    return f;
  }
  u32 config_word(u32 offset) {
    switch (offset) {
      case 0: return static_cast<u32>(m_options.sectors);
      case 4: return static_cast<u32>(m_options.sectors >> 32);
      case 8: return m_options.size_max;
      case 12: return m_options.seg_max;
      case 20: return 4096;
    }
    return 0;
  }
  void violation(const std::string& what) { m_violations.push_back(what); }

  void write_status_locked(u32 value) {
    using namespace virtio::status;
    if (value == 0) {  // reset: forget everything (2.4)
      m_status = 0;
      m_driver_features = 0;
      m_queue_ready = 0;
      m_legacy_pfn = 0;
      m_desc_table = nullptr;
      m_used_ring = nullptr;
      m_avail_ring = nullptr;
      m_queued.clear();
      m_interrupt_status = 0;
      m_is_broken = false;
      return;
    }
    if ((value & m_status) != m_status) violation("status bits cleared without a reset");
    u32 added = value & ~m_status;
    if ((added & DRIVER) && !(m_status & ACKNOWLEDGE)) violation("DRIVER before ACKNOWLEDGE");
    if (added & FEATURES_OK) {
      if (is_legacy()) violation("FEATURES_OK on a legacy device");
      if (m_driver_features & ~offered_features()) violation("driver accepted features the device did not offer");
      if (!(m_driver_features & virtio::F_VERSION_1)) violation("modern device without VIRTIO_F_VERSION_1");
      if (m_options.refuse_features_ok) value &= ~FEATURES_OK;
    }
    if (added & DRIVER_OK) {
      if (!(m_status & DRIVER)) violation("DRIVER_OK before DRIVER");
      if (!is_legacy() && !(m_status & FEATURES_OK)) violation("DRIVER_OK before FEATURES_OK");
      if (!m_desc_table) violation("DRIVER_OK before the queue was set up");
    }
    m_status = value;
  }

  void activate_queue_locked(PhysAddr desc, u64 avail, u64 used) {
    u32 size = m_queue_num;
    if (size == 0 || size > m_options.queue_num_max || (size & (size - 1)))
      violation("queue size " + std::to_string(size) + " is not a power of two <= QueueNumMax");
    if (is_legacy()) {
      // 2.7.2 legacy layout: the available ring right after the table, the used ring at QueueAlign.
      if (m_legacy_align != PAGE_SIZE) violation("legacy QueueAlign is not the page size");
      avail = desc.get() + 16ull * size;
      used = align_up(avail + 2 * (3 + static_cast<u64>(size)), m_legacy_align ? m_legacy_align : PAGE_SIZE);
    }
    if (desc.get() % 16 || avail % 2 || used % 4) violation("misaligned queue areas");
    m_desc_table = reinterpret_cast<virtq::Desc*>(phys_to_kernel(desc));
    m_avail_ring = reinterpret_cast<u16*>(phys_to_kernel(PhysAddr(avail)));
    m_used_ring = reinterpret_cast<u16*>(phys_to_kernel(PhysAddr(used)));
    m_last_avail = 0;
    m_used_idx = 0;
    if (m_no_notify) store16(m_used_ring, virtq::USED_F_NO_NOTIFY);
  }

  static u16 load16(const u16* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
  static void store16(u16* p, u16 v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

  // Moves newly available chain heads into m_queued (the device has "seen" them).
  void pull_available_locked() {
    if (!m_avail_ring || m_is_broken) return;
    u16 avail_idx = load16(m_avail_ring + 1);  // acquire: the ring entries and descriptors before it are visible
    while (m_last_avail != avail_idx) {
      u16 head = m_avail_ring[2 + (m_last_avail % m_queue_num)];
      m_queued.push_back(head);
      m_last_avail++;
    }
    m_max_outstanding = std::max(m_max_outstanding, static_cast<u32>(m_queued.size()));
  }

  // Executes the chain at `head`; returns the bytes written into device-writable buffers.
  u32 execute_locked(u16 head) {
    std::vector<virtq::Desc> chain;
    u16 d = head;
    for (;;) {
      if (d >= m_queue_num || chain.size() > m_queue_num) {
        violation("bad descriptor chain");
        return 0;
      }
      chain.push_back(m_desc_table[d]);
      if (!(m_desc_table[d].flags & virtq::DESC_F_NEXT)) break;
      d = m_desc_table[d].next;
    }
    if (chain.size() < 2) {
      violation("a request chain needs a header and a status");
      return 0;
    }
    const virtq::Desc& header_desc = chain.front();
    const virtq::Desc& status_desc = chain.back();
    if (header_desc.len != 16 || (header_desc.flags & virtq::DESC_F_WRITE)) violation("bad request header descriptor");
    if (status_desc.len != 1 || !(status_desc.flags & virtq::DESC_F_WRITE)) violation("bad status descriptor");
    virtio_blk::RequestHeader header;
    memcpy(&header, phys_to_kernel(PhysAddr(header_desc.addr)), sizeof header);
    u8* status = phys_to_kernel(PhysAddr(status_desc.addr));
    u64 data_bytes = 0;
    for (usize i = 1; i + 1 < chain.size(); i++) {
      data_bytes += chain[i].len;
      if (m_options.size_max && chain[i].len > m_options.size_max) violation("a data descriptor beyond size_max");
      bool writable = chain[i].flags & virtq::DESC_F_WRITE;
      if (writable != (header.type == virtio_blk::T_IN)) violation("data descriptor with the wrong direction");
    }
    if (chain.size() - 2 > m_options.seg_max) violation("more data descriptors than seg_max");
    Op op = header.type == virtio_blk::T_IN ? Op::Read : header.type == virtio_blk::T_OUT ? Op::Write : Op::Flush;
    if (header.type != virtio_blk::T_IN && header.type != virtio_blk::T_OUT && header.type != virtio_blk::T_FLUSH) {
      *status = virtio_blk::S_UNSUPP;
      return 1;
    }
    if (op == Op::Flush && (m_driver_features & virtio_blk::F_FLUSH) == 0) violation("flush without VIRTIO_BLK_F_FLUSH");
    if (op != Op::Flush && (data_bytes == 0 || data_bytes % SECTOR_SIZE)) violation("data not whole sectors");
    u64 sectors = data_bytes / SECTOR_SIZE;
    if (op != Op::Flush && (header.sector > m_options.sectors || sectors > m_options.sectors - header.sector)) {
      violation("request beyond the capacity");
      *status = virtio_blk::S_IOERR;
      return 1;
    }
    for (const Failure& f : m_failures) {
      if (f.op == op && (op == Op::Flush || (header.sector < f.first + f.count && f.first < header.sector + sectors))) {
        *status = f.status;
        return 1;
      }
    }
    if (op == Op::Write && m_options.read_only) {
      *status = virtio_blk::S_IOERR;
      return 1;
    }
    u64 at = header.sector * SECTOR_SIZE;
    for (usize i = 1; i + 1 < chain.size(); i++) {
      u8* buffer = phys_to_kernel(PhysAddr(chain[i].addr));
      if (op == Op::Read) memcpy(buffer, m_disk.data() + at, chain[i].len);
      if (op == Op::Write) memcpy(m_disk.data() + at, buffer, chain[i].len);
      at += chain[i].len;
    }
    if (op == Op::Flush) m_flushes++;
    *status = virtio_blk::S_OK;
    return static_cast<u32>((op == Op::Read ? data_bytes : 0) + 1);
  }

  void run() {
    std::mt19937 random(4242);
    std::unique_lock<std::mutex> guard(m_mutex);
    for (;;) {
      // A device that told the driver not to notify it (USED_F_NO_NOTIFY) must look at the ring by itself.
      auto has_work = [&] {
        pull_available_locked();
        return m_is_stopping || (!m_is_held && !m_queued.empty());
      };
      if (m_no_notify) {
        m_wake.wait_for(guard, std::chrono::milliseconds(1), has_work);
        if (!has_work()) continue;
      } else {
        m_wake.wait(guard, [&] { return has_work() || m_no_notify; });
        if (!has_work()) continue;
      }
      if (m_is_stopping && (m_queued.empty() || m_is_broken)) return;
      // Complete a batch: everything queued, in FIFO or random order.
      usize batch = m_queued.size();
      if (m_options.shuffled) std::shuffle(m_queued.begin(), m_queued.end(), random);
      for (usize i = 0; i < batch && !m_queued.empty(); i++) {
        u16 head = m_queued.front();
        m_queued.pop_front();
        u32 written = execute_locked(head);
        virtq::UsedElem* ring = reinterpret_cast<virtq::UsedElem*>(m_used_ring + 2);
        u32 id = head;
        if (m_corrupt_next) {
          id = (head + 1) % m_queue_num;  // a chain the driver may not have given, or not now
          m_corrupt_next = false;
        }
        ring[m_used_idx % m_queue_num] = {id, written};
        m_used_idx++;
        // Release: the entry, and the data and status written above, are visible before the new index.
        store16(m_used_ring + 1, m_used_idx);
        m_completed++;
      }
      m_interrupt_status |= virtio::INTERRUPT_USED_BUFFER;
      raise_interrupt(guard);
    }
  }

  // Calls the interrupt handler without the lock (the driver reads and writes registers from it).
  void raise_interrupt(std::unique_lock<std::mutex>& guard) {
    if (!m_interrupt) return;
    auto handler = m_interrupt;
    m_handlers_running++;
    guard.unlock();
    handler();
    guard.lock();
    m_handlers_running--;
    m_wake.notify_all();
  }

  Options m_options;
  std::vector<u8> m_disk;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::thread m_worker;
  std::function<void()> m_interrupt;
  std::vector<std::string> m_violations;
  std::vector<Failure> m_failures;
  u32 m_status = 0;
  u32 m_device_features_sel = 0;
  u32 m_driver_features_sel = 0;
  u64 m_driver_features = 0;
  u32 m_guest_page_size = 0;
  u32 m_queue_sel = 0;
  u32 m_queue_num = 0;
  u32 m_queue_ready = 0;
  u32 m_legacy_align = 0;
  u32 m_legacy_pfn = 0;
  u64 m_desc = 0, m_avail = 0, m_used = 0;
  u32 m_interrupt_status = 0;
  u32 m_config_generation = 0;
  virtq::Desc* m_desc_table = nullptr;
  u16* m_avail_ring = nullptr;
  u16* m_used_ring = nullptr;
  u16 m_last_avail = 0;
  u16 m_used_idx = 0;
  std::deque<u16> m_queued;
  u32 m_max_outstanding = 0;
  u64 m_notifications = 0;
  u64 m_completed = 0;
  u64 m_flushes = 0;
  u32 m_handlers_running = 0;
  u64 m_register_accesses = 0;
  bool m_is_held = false;
  bool m_is_stopping = false;
  bool m_no_notify = false;
  bool m_corrupt_next = false;
  bool m_is_broken = false;
};
