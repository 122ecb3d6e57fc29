// The virtio block device driver (drivers/block/virtio_blk.h); section numbers are the virtio 1.2
// specification's.
#include "drivers/block/virtio_blk.h"

#include <new>

#include "lib/format.h"
#include "mm/frame.h"

using namespace virtio_blk;

namespace {

constexpr u8 STATUS_UNTOUCHED = 0xff;  // what a status byte holds until the device writes it

// log2 of the frames a block of `bytes` needs (the buddy allocator hands out powers of two).
unsigned order_for(u64 bytes) {
  unsigned order = 0;
  while ((PAGE_SIZE << order) < bytes) order++;
  return order;
}

}  // namespace

Result<RefPtr<VirtioBlockDevice>> VirtioBlockDevice::create(VirtioMmioTransport transport, u32 index) {
  if (transport.device_id() != virtio::DEVICE_ID_BLOCK || index >= 26) return Error::NOTSUP;
  auto* device = new VirtioBlockDevice(transport);
  if (!device) return Error::NOMEM;
  RefPtr<VirtioBlockDevice> ref = RefPtr<VirtioBlockDevice>::adopt(device);
  TRY(device->initialize(index));
  return ref;
}

Result<void> VirtioBlockDevice::initialize(u32 index) {
  format(m_name, sizeof m_name, "vd%c", static_cast<char>('a' + index));
  m_device_number = (static_cast<u64>(MAJOR) << 8) | (index * MINORS_PER_DISK);  // make_device(254, 16 * index)

  // 3.1.1 steps 1-6, then the device-specific part (5.2.5 "Device Initialization").
  m_features = TRY(m_transport.negotiate(F_SIZE_MAX | F_SEG_MAX | F_RO | F_BLK_SIZE | F_FLUSH));
  m_sector_count = m_transport.config64(CONFIG_CAPACITY);
  m_is_read_only = m_features & F_RO;
  if (m_features & F_BLK_SIZE) {
    u32 block_size = m_transport.config32(CONFIG_BLK_SIZE);
    if (is_power_of_two(block_size) && block_size >= SECTOR_SIZE) m_block_size = block_size;
  }

  // Step 7: the request queue. Any power of two up to what the device takes; 256 entries keep dozens of
  // requests in flight in 3 pages.
  u32 max_size = m_transport.queue_max_size(0);
  u16 size = MAX_QUEUE_SIZE;
  while (size > max_size && size > 1) size = static_cast<u16>(size / 2);
  if (max_size == 0 || size < 4) {
    drv_log(DriverLog::Error, "%s: the device offers no usable request queue (QueueNumMax %u)", m_name, max_size);
    m_transport.fail();
    return Error::NOTSUP;
  }

  // Request limits. Each request takes a header and a status descriptor plus its data pieces: at most
  // m_descriptor_limit pieces (seg_max, 5.2.4: "maximum number of segments in a request"), each at most
  // m_piece_max bytes (size_max). A request of S segments and B bytes cuts into at most S + B / m_piece_max
  // pieces: choose the advertised S and B so that this never exceeds the limit.
  m_descriptor_limit = static_cast<u32>(size - 2);
  if (m_features & F_SEG_MAX) {
    u32 seg_max = m_transport.config32(CONFIG_SEG_MAX);
    if (seg_max >= 1 && seg_max < m_descriptor_limit) m_descriptor_limit = seg_max;
  }
  u32 segments = MAX_SEGMENTS < m_descriptor_limit ? MAX_SEGMENTS : m_descriptor_limit;
  u64 request_bytes = MAX_REQUEST_BYTES;
  if (m_features & F_SIZE_MAX) {
    m_piece_max = m_transport.config32(CONFIG_SIZE_MAX) & ~(SECTOR_SIZE - 1);
    // Half the pieces for segment boundaries, half for cutting long segments.
    segments = segments < m_descriptor_limit / 2 ? segments : m_descriptor_limit / 2;
    u64 cut_bytes = static_cast<u64>(m_descriptor_limit - segments) * m_piece_max;
    if (cut_bytes < request_bytes) request_bytes = align_down(cut_bytes, PAGE_SIZE);
  }
  if (segments == 0 || request_bytes < PAGE_SIZE) {
    drv_log(DriverLog::Error, "%s: the device takes too little per request (seg_max %u, size_max %u)", m_name,
            m_descriptor_limit, m_piece_max);
    m_transport.fail();
    return Error::NOTSUP;
  }
  m_max_segments = segments;
  m_max_request_bytes = request_bytes;

  // One zeroed, physically contiguous block: the ring (legacy layout, used ring on a page boundary, which
  // also meets the modern transport's alignments) and then the slots.
  SplitVirtqueue::Layout layout = SplitVirtqueue::layout(size, PAGE_SIZE);
  u64 slots_offset = align_up(layout.total_bytes, alignof(Slot));
  m_memory_order = order_for(slots_offset + sizeof(Slot) * size);
  m_memory = g_phys.alloc_zeroed(m_memory_order, FrameUse::Kernel);
  m_in_flight = new BlockRequest*[size];
  if (!m_memory || !m_in_flight) {
    m_transport.fail();
    return Error::NOMEM;
  }
  for (u16 i = 0; i < size; i++) m_in_flight[i] = nullptr;
  u8* memory = g_phys.kernel_pointer(m_memory);
  PhysAddr physical = g_phys.address_of(m_memory);
  m_queue.init(size, memory, physical, PAGE_SIZE);
  m_slots = reinterpret_cast<Slot*>(memory + slots_offset);
  m_slots_physical = physical + slots_offset;
  Result<void> enabled = m_transport.enable_queue(0, m_queue);
  if (enabled.is_error()) {
    m_transport.fail();
    return enabled;
  }

  // Step 8.
  m_transport.driver_ok();
  return {};
}

VirtioBlockDevice::~VirtioBlockDevice() {
  // Only host tests destroy a disk (and create() a device it gives up on, which keeps its FAILED status). A
  // device that was given the ring must stop touching it before its memory goes.
  if (m_memory) {
    m_transport.reset();
    g_phys.free(m_memory, m_memory_order);
  }
  delete[] m_in_flight;
}

void VirtioBlockDevice::describe(char* buffer, usize size) const {
  u64 bytes = m_sector_count * SECTOR_SIZE;
  bool in_mib = bytes >= MiB;
  format(buffer, size, "%s: %llu sectors (%llu %s), virtio-mmio version %u (%s), %u-entry queue, %s%s",
         m_name, static_cast<unsigned long long>(m_sector_count),
         static_cast<unsigned long long>(in_mib ? bytes / MiB : bytes / KiB), in_mib ? "MiB" : "KiB",
         m_transport.version(), m_transport.is_legacy() ? "legacy" : "modern", m_queue.size(),
         m_is_read_only ? "read-only" : "read-write", has_volatile_cache() ? ", write cache (flush)" : "");
}

u32 VirtioBlockDevice::data_descriptors(const BlockRequest& request) const {
  u64 count = 0;
  for (u32 i = 0; i < request.segment_count; i++)
    count += (static_cast<u64>(request.segments[i].length) + m_piece_max - 1) / m_piece_max;
  return static_cast<u32>(count);
}

Result<void> VirtioBlockDevice::submit_checked(BlockRequest& request) {
  // BlockDevice::submit has checked sizes and ranges against the limits set in initialize(), which guarantee
  // that a request always fits in an empty ring.
  ASSERT(data_descriptors(request) <= m_descriptor_limit);
  bool kick = false;
  {
    SpinlockGuard guard(m_lock);
    if (m_is_broken) return Error::IO;
    // Keep submission order: a request may start only when none is waiting ahead of it.
    if (m_pending.is_empty() && try_start_locked(request)) {
      kick = m_queue.needs_notification();
    } else {
      m_pending.push_back(request);
    }
  }
  // 4.2.3.3: the notification, outside the lock (the device may take a while to return from it).
  if (kick) m_transport.notify(0);
  return {};
}

bool VirtioBlockDevice::try_start_locked(BlockRequest& request) {
  ASSERT(m_lock.is_held());
  u32 data = request.op == BlockOp::Flush ? 0 : data_descriptors(request);
  if (data + 2 > m_queue.free_descriptors()) return false;
  bool is_read = request.op == BlockOp::Read;
  // The pieces of the data: segment `s`, offset `at` within it, advanced as buffer_at asks for them in order.
  u32 s = 0;
  u32 at = 0;
  u16 head = m_queue.add_chain(data + 2, [&](u32 i, u16 chain_head) -> SplitVirtqueue::Buffer {
    if (i == 0) return {m_slots_physical + sizeof(Slot) * chain_head, sizeof(RequestHeader), false};
    if (i == data + 1)
      return {m_slots_physical + sizeof(Slot) * chain_head + offsetof(Slot, status), 1, true};
    const BlockSegment& segment = request.segments[s];
    u32 length = segment.length - at < m_piece_max ? segment.length - at : m_piece_max;
    SplitVirtqueue::Buffer piece{segment.address + at, length, is_read};
    at += length;
    if (at == segment.length) s++, at = 0;
    return piece;
  });
  Slot& slot = m_slots[head];
  slot.header.type = request.op == BlockOp::Read ? T_IN : request.op == BlockOp::Write ? T_OUT : T_FLUSH;
  slot.header.reserved = 0;
  slot.header.sector = request.op == BlockOp::Flush ? 0 : request.sector;
  slot.status = STATUS_UNTOUCHED;
  m_in_flight[head] = &request;
  // (make_available's barrier also orders the header and status stores before the device can see the chain.)
  m_queue.make_available(head);
  return true;
}

void VirtioBlockDevice::break_device_locked(RequestList& done, const char* why) {
  ASSERT(m_lock.is_held());
  if (!m_is_broken) drv_log(DriverLog::Error, "%s: %s; the disk is disabled, its requests fail with EIO", m_name, why);
  m_is_broken = true;
  // After a reset the device no longer reads or writes the ring or the requests' memory (2.4), so the
  // requests can be handed back.
  m_transport.reset();
  for (u16 head = 0; head < m_queue.size(); head++) {
    if (BlockRequest* request = m_in_flight[head]) {
      m_in_flight[head] = nullptr;
      request->m_driver_tag = S_IOERR;
      done.push_back(*request);
    }
  }
  while (BlockRequest* request = m_pending.pop_front()) {
    request->m_driver_tag = S_IOERR;
    done.push_back(*request);
  }
}

Result<void> VirtioBlockDevice::result_of(const BlockRequest& request) {
  switch (request.m_driver_tag) {
    case S_OK: return {};
    case S_UNSUPP: return Error::NOTSUP;
    default: return Error::IO;  // IOERR, or a status byte the device never wrote
  }
}

void VirtioBlockDevice::handle_interrupt() {
  u32 pending = m_transport.acknowledge_interrupt();
  RequestList done;
  bool kick = false;
  {
    SpinlockGuard guard(m_lock);
    if (m_is_broken) return;
    if ((pending & virtio::INTERRUPT_CONFIG_CHANGE) && m_transport.needs_reset())
      break_device_locked(done, "the device needs a reset (DEVICE_NEEDS_RESET)");
    u16 head;
    u32 written;
    while (!m_is_broken && m_queue.pop_used(head, written)) {
      BlockRequest* request = head < m_queue.size() ? m_in_flight[head] : nullptr;
      if (!request) {
        break_device_locked(done, "the device returned a descriptor chain it was not given");
        break;
      }
      m_in_flight[head] = nullptr;
      // pop_used's read barrier makes the status byte (written before the used entry) visible here.
      request->m_driver_tag = __atomic_load_n(&m_slots[head].status, __ATOMIC_RELAXED);
      m_queue.free_chain(head);
      done.push_back(*request);
    }
    // Room came back: start requests that were waiting, in order.
    while (!m_is_broken && !m_pending.is_empty() && try_start_locked(*m_pending.front())) {
      m_pending.pop_front();
      kick = true;
    }
    if (kick) kick = m_queue.needs_notification();
  }
  if (kick) m_transport.notify(0);

  while (BlockRequest* request = done.pop_front()) {
    Result<void> result = result_of(*request);
    if (result.is_error()) {
      // Like Linux's "I/O error, dev vda, sector N op 0x0:(READ)", but not a flood: the first 20, then 1 in 1000.
      u64 errors = m_stats.errors.load(MemoryOrder::Relaxed);
      if (errors < 20 || errors % 1000 == 0)
        drv_log(DriverLog::Error, "%s: I/O error, %s of %llu sector(s) at sector %llu (status %u)", m_name,
                block_op_name(request->op), static_cast<unsigned long long>(request->byte_count() / SECTOR_SIZE),
                static_cast<unsigned long long>(request->sector), static_cast<unsigned>(request->m_driver_tag));
    }
    complete(*request, result);
  }
}
