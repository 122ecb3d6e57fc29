// The driver-independent half of a block device: checking requests, counting them, synchronous I/O on top of
// submit(), and the registry of disks (drivers/block/block_device.h).
#include "drivers/block/block_device.h"

#include <cstring>

#include "drivers/driver_platform.h"

const char* block_op_name(BlockOp op) {
  switch (op) {
    case BlockOp::Read: return "read";
    case BlockOp::Write: return "write";
    case BlockOp::Flush: return "flush";
  }
  return "?";
}

u64 BlockRequest::byte_count() const {
  u64 total = 0;
  for (u32 i = 0; i < segment_count; i++) total += segments[i].length;
  return total;
}

Result<void> BlockDevice::submit(BlockRequest& request) {
  if (!request.on_complete) return Error::INVAL;
  if (request.op == BlockOp::Flush) {
    if (request.segment_count != 0) return Error::INVAL;
  } else {
    if (request.op != BlockOp::Read && request.op != BlockOp::Write) return Error::INVAL;
    if (request.segment_count == 0 || request.segment_count > m_max_segments || !request.segments)
      return Error::INVAL;
    for (u32 i = 0; i < request.segment_count; i++) {
      u32 length = request.segments[i].length;
      if (length == 0 || length % SECTOR_SIZE != 0) return Error::INVAL;
    }
    u64 bytes = request.byte_count();
    if (bytes > m_max_request_bytes) return Error::INVAL;
    u64 sectors = bytes / SECTOR_SIZE;
    if (request.sector > m_sector_count || sectors > m_sector_count - request.sector) return Error::IO;
    if (request.op == BlockOp::Write && m_is_read_only) return Error::ROFS;
  }
  m_stats.in_flight.fetch_add(1, MemoryOrder::Relaxed);
  if (request.op == BlockOp::Flush && !has_volatile_cache()) {
    // Nothing to flush: written data is stable as soon as a write completes (Linux completes such a flush
    // at once too).
    complete(request, {});
    return {};
  }
  Result<void> started = submit_checked(request);
  if (started.is_error()) m_stats.in_flight.fetch_sub(1, MemoryOrder::Relaxed);
  return started;
}

void BlockDevice::complete(BlockRequest& request, Result<void> result) {
  if (result.is_error()) {
    m_stats.errors.fetch_add(1, MemoryOrder::Relaxed);
  } else {
    u64 sectors = request.op == BlockOp::Flush ? 0 : request.byte_count() / SECTOR_SIZE;
    switch (request.op) {
      case BlockOp::Read:
        m_stats.reads.fetch_add(1, MemoryOrder::Relaxed);
        m_stats.sectors_read.fetch_add(sectors, MemoryOrder::Relaxed);
        break;
      case BlockOp::Write:
        m_stats.writes.fetch_add(1, MemoryOrder::Relaxed);
        m_stats.sectors_written.fetch_add(sectors, MemoryOrder::Relaxed);
        break;
      case BlockOp::Flush:
        m_stats.flushes.fetch_add(1, MemoryOrder::Relaxed);
        break;
    }
  }
  m_stats.in_flight.fetch_sub(1, MemoryOrder::Relaxed);
  request.on_complete(request, result);  // the last touch of the request
}

// ---- waiting for requests ----

void BlockWaitGroup::expect(u32 count) {
  m_is_expecting = true;
  m_remaining.fetch_add(count, MemoryOrder::Relaxed);
}

void BlockWaitGroup::cancel(u32 count) { count_down(count); }

void BlockWaitGroup::count_down(u32 count) {
  // AcqRel: whoever sees the count reach zero also sees every earlier completion's error.
  if (m_remaining.fetch_sub(count, MemoryOrder::AcqRel) == count) m_done.complete();
}

void BlockWaitGroup::on_complete(BlockRequest& request, Result<void> result) {
  auto* group = static_cast<BlockWaitGroup*>(request.context);
  if (result.is_error()) {
    i32 none = 0;
    group->m_first_error.compare_exchange(none, static_cast<i32>(result.error()));
  }
  group->count_down(1);
}

Result<void> BlockWaitGroup::wait() {
  // Through the Completion even when the count is already zero: its lock orders our return after the last
  // complete() has let go of the group (which usually lives on the waiter's stack).
  if (m_is_expecting) m_done.wait();
  i32 e = m_first_error.load(MemoryOrder::Acquire);
  if (e) return static_cast<Error>(e);
  return {};
}

// ---- synchronous I/O ----

namespace {

// Requests of one synchronous transfer in flight at once. The buffer is direct-map memory, which maps physical
// memory linearly: the whole buffer is one physically contiguous segment, cut into requests of at most
// max_request_bytes().
constexpr usize SYNC_BATCH = 8;

struct SyncPart {
  BlockRequest request;
  BlockSegment segment;
};

}  // namespace

Result<void> BlockDevice::submit_and_wait(BlockRequest& request) {
  BlockWaitGroup group;
  group.expect(1);
  request.on_complete = BlockWaitGroup::on_complete;
  request.context = &group;
  if (Result<void> started = submit(request); started.is_error()) {
    group.cancel(1);
    (void)group.wait();
    return started;
  }
  return group.wait();
}

Result<void> BlockDevice::transfer(BlockOp op, u64 sector, const void* buffer, u64 count) {
  if (count == 0) return {};
  if (sector > m_sector_count || count > m_sector_count - sector) return Error::IO;
  if (op == BlockOp::Write && m_is_read_only) return Error::ROFS;
  PhysAddr start = kernel_to_phys(buffer);
  u64 bytes = count * SECTOR_SIZE;
  u64 done = 0;
  SyncPart* parts = new SyncPart[SYNC_BATCH];  // on the heap: kernel stacks are small
  if (!parts) return Error::NOMEM;
  Result<void> result;
  while (done < bytes && !result.is_error()) {
    BlockWaitGroup group;
    usize built = 0;
    for (; built < SYNC_BATCH && done < bytes; built++) {
      u64 length = bytes - done < m_max_request_bytes ? bytes - done : m_max_request_bytes;
      SyncPart& part = parts[built];
      part.segment = {start + done, static_cast<u32>(length)};
      part.request.op = op;
      part.request.sector = sector + done / SECTOR_SIZE;
      part.request.segments = &part.segment;
      part.request.segment_count = 1;
      part.request.on_complete = BlockWaitGroup::on_complete;
      part.request.context = &group;
      done += length;
    }
    group.expect(static_cast<u32>(built));
    for (usize started = 0; started < built; started++) {
      result = submit(parts[started].request);
      if (result.is_error()) {
        group.cancel(static_cast<u32>(built - started));  // the parts never started
        break;
      }
    }
    Result<void> completed = group.wait();
    if (!result.is_error()) result = completed;
  }
  delete[] parts;
  return result;
}

Result<void> BlockDevice::read(u64 sector, void* buffer, u64 count) {
  return transfer(BlockOp::Read, sector, buffer, count);
}

Result<void> BlockDevice::write(u64 sector, const void* buffer, u64 count) {
  return transfer(BlockOp::Write, sector, buffer, count);
}

Result<void> BlockDevice::flush() {
  if (!has_volatile_cache()) return {};
  BlockRequest request;
  request.op = BlockOp::Flush;
  return submit_and_wait(request);
}

// ---- the registry ----

namespace {

Spinlock g_registry_lock{"block-registry"};
RefPtr<BlockDevice> g_devices[MAX_BLOCK_DEVICES];  // guarded by g_registry_lock; filled from index 0 up
usize g_device_count = 0;                          // guarded by g_registry_lock

}  // namespace

Result<void> block_device_register(RefPtr<BlockDevice> device) {
  SpinlockGuard guard(g_registry_lock);
  for (usize i = 0; i < g_device_count; i++)
    if (strcmp(g_devices[i]->name(), device->name()) == 0) return Error::EXIST;
  if (g_device_count == MAX_BLOCK_DEVICES) return Error::NOSPC;
  g_devices[g_device_count++] = std::move(device);
  return {};
}

RefPtr<BlockDevice> block_device_find(const char* name) {
  SpinlockGuard guard(g_registry_lock);
  for (usize i = 0; i < g_device_count; i++)
    if (strcmp(g_devices[i]->name(), name) == 0) return g_devices[i];
  return nullptr;
}

RefPtr<BlockDevice> block_device_find_by_number(u64 device_number) {
  SpinlockGuard guard(g_registry_lock);
  for (usize i = 0; i < g_device_count; i++)
    if (g_devices[i]->device_number() == device_number) return g_devices[i];
  return nullptr;
}

usize block_device_count() {
  SpinlockGuard guard(g_registry_lock);
  return g_device_count;
}

RefPtr<BlockDevice> block_device_at(usize index) {
  SpinlockGuard guard(g_registry_lock);
  return index < g_device_count ? g_devices[index] : nullptr;
}

void block_device_unregister_all_for_tests() {
  SpinlockGuard guard(g_registry_lock);
  for (usize i = 0; i < g_device_count; i++) g_devices[i] = nullptr;
  g_device_count = 0;
}
