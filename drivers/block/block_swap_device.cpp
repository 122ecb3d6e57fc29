#include "drivers/block/block_swap_device.h"

#include <cstring>
#include <new>

namespace {

// What a SwapIo's device space holds while the request is in flight.
struct InFlight {
  BlockRequest request;
  BlockSegment segments[MAX_SWAP_IO_PAGES];
  SwapIo* io;
};
static_assert(sizeof(InFlight) <= sizeof(SwapIo::device_space), "SwapIo::device_space is too small for a request");
static_assert(alignof(InFlight) <= 16);

u32 min_u32(u64 a, u64 b) { return static_cast<u32>(a < b ? a : b); }

}  // namespace

BlockSwapDevice::BlockSwapDevice(RefPtr<BlockDevice> disk, const char* path) : m_disk(static_cast<RefPtr<BlockDevice>&&>(disk)) {
  usize n = strlen(path);
  if (n >= sizeof m_path) n = sizeof m_path - 1;
  memcpy(m_path, path, n);
  m_path[n] = '\0';
  u32 pages = min_u32(m_disk->max_segments(), m_disk->max_request_bytes() / PAGE_SIZE);
  m_max_pages = pages < 1 ? 1 : min_u32(pages, MAX_SWAP_IO_PAGES);
}

Result<void> BlockSwapDevice::submit(SwapIo& io) {
  if (io.page_count == 0 || io.page_count > m_max_pages) return Error::INVAL;
  auto* f = new (io.device_space) InFlight();
  f->io = &io;
  for (u32 i = 0; i < io.page_count; i++) f->segments[i] = {g_phys.address_of(io.frames[i]), static_cast<u32>(PAGE_SIZE)};
  f->request.op = io.op == SwapIoOp::Read ? BlockOp::Read : BlockOp::Write;
  f->request.sector = io.first_page * SECTORS_PER_PAGE;
  f->request.segments = f->segments;
  f->request.segment_count = io.page_count;
  f->request.on_complete = on_block_complete;
  f->request.context = f;
  Result<void> r = m_disk->submit(f->request);
  if (r.is_error()) f->~InFlight();
  return r;
}

void BlockSwapDevice::on_block_complete(BlockRequest& request, Result<void> result) {
  auto* f = static_cast<InFlight*>(request.context);
  SwapIo* io = f->io;
  f->~InFlight();  // the driver is done with the request; the SwapIo's owner may reuse it from the callback on
  io->on_complete(*io, result);
}
