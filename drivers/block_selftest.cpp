// The disk self-test (kernel command line test=disk, with a disk of at least 4 MiB attached): the BlockDevice API
// inside the kernel, on the real device, at boot (where a synchronous caller cannot sleep and waits for the
// interrupt instead, kernel/drivers_platform/driver_platform_impl.h).
//   - synchronous write and read of 1 MiB from the heap, at an odd buffer offset
//   - 300 asynchronous one-page writes submitted at once (more than the ring holds: the rest wait in the
//     driver), then 300 reads into other frames, all in flight together; every byte checked
//   - a multi-segment request (pages in reverse order), flush, a request past the end refused with EIO
//   - every frame and heap byte given back
// Overwrites the first 4 MiB of vda.
#include <cstring>

#include "drivers/block/block_device.h"
#include "drivers/drivers.h"
#include "drivers/driver_platform.h"
#include "kernel/log.h"
#include "mm/frame.h"
#include "mm/heap.h"

namespace {

constexpr u32 PAGES = 300;

u8 pattern(u64 offset, u32 seed) { return static_cast<u8>((offset * 131 + (offset >> 9) * 7 + seed * 29) & 0xff); }

bool check(bool ok, const char* what, int& failures) {
  if (!ok) {
    LOG_ERROR("selftest disk: FAILED: %s", what);
    failures++;
  }
  return ok;
}

// Submits one one-page request per frame (frame i <-> sector base + 8 * i) and waits for them all.
bool run_batch(BlockDevice& disk, BlockOp op, Frame** frames, u64 base, BlockRequest* requests, BlockSegment* segments) {
  BlockWaitGroup group;
  group.expect(PAGES);
  bool all_started = true;
  for (u32 i = 0; i < PAGES; i++) {
    segments[i] = {g_phys.address_of(frames[i]), static_cast<u32>(PAGE_SIZE)};
    requests[i].op = op;
    requests[i].sector = base + i * SECTORS_PER_PAGE;
    requests[i].segments = &segments[i];
    requests[i].segment_count = 1;
    requests[i].on_complete = BlockWaitGroup::on_complete;
    requests[i].context = &group;
    if (disk.submit(requests[i]).is_error()) {
      group.cancel(1);
      all_started = false;
    }
  }
  return group.wait().has_value() && all_started;
}

int run(BlockDevice& disk) {
  int failures = 0;
  // 1. Synchronous, 1 MiB, the buffer one byte into a heap block.
  constexpr u64 BYTES = 1 * MiB;
  u8* out = static_cast<u8*>(kmalloc(BYTES + 1));
  u8* in = static_cast<u8*>(kmalloc(BYTES + 1));
  if (!out || !in) return 1;
  for (u64 i = 0; i < BYTES; i++) out[i + 1] = pattern(i, 1);
  check(disk.write(0, out + 1, BYTES / SECTOR_SIZE).has_value(), "synchronous write", failures);
  memset(in, 0, BYTES + 1);
  check(disk.read(0, in + 1, BYTES / SECTOR_SIZE).has_value(), "synchronous read", failures);
  check(memcmp(in + 1, out + 1, BYTES) == 0, "synchronous data", failures);
  kfree(out);
  kfree(in);

  // 2. Asynchronous: PAGES writes, then PAGES reads, each batch in flight at once.
  auto* requests = new BlockRequest[PAGES];
  auto* segments = new BlockSegment[PAGES];
  auto* written = new Frame*[PAGES]();  // (on the heap: kernel stacks are small)
  auto* read_back = new Frame*[PAGES]();
  bool have_frames = requests && segments && written && read_back;
  for (u32 i = 0; i < PAGES && have_frames; i++) {
    written[i] = g_phys.alloc_frame(FrameUse::Kernel);
    read_back[i] = g_phys.alloc_zeroed(0, FrameUse::Kernel);
    have_frames = written[i] && read_back[i];
    if (written[i])
      for (u64 b = 0; b < PAGE_SIZE; b++) g_phys.kernel_pointer(written[i])[b] = pattern(i * PAGE_SIZE + b, 2);
  }
  u64 base = 2 * MiB / SECTOR_SIZE;
  if (check(have_frames, "memory for the asynchronous requests", failures)) {
    check(run_batch(disk, BlockOp::Write, written, base, requests, segments), "asynchronous writes", failures);
    check(run_batch(disk, BlockOp::Read, read_back, base, requests, segments), "asynchronous reads", failures);
    bool same = true;
    for (u32 i = 0; i < PAGES; i++) same &= memcmp(g_phys.kernel_pointer(written[i]), g_phys.kernel_pointer(read_back[i]), PAGE_SIZE) == 0;
    check(same, "asynchronous data", failures);

    // 3. One request of 8 segments, the pages in reverse order; then read them as one synchronous transfer.
    BlockSegment reversed[8];
    for (u32 i = 0; i < 8; i++) reversed[i] = {g_phys.address_of(written[7 - i]), static_cast<u32>(PAGE_SIZE)};
    BlockRequest r;
    r.op = BlockOp::Write;
    r.sector = 0;
    r.segments = reversed;
    r.segment_count = 8;
    check(disk.max_segments() < 8 || disk.submit_and_wait(r).has_value(), "multi-segment write", failures);
    u8* pages = static_cast<u8*>(kmalloc(8 * PAGE_SIZE));
    if (check(pages != nullptr, "memory", failures)) {
      check(disk.read(0, pages, 8 * SECTORS_PER_PAGE).has_value(), "multi-segment read back", failures);
      bool in_order = true;
      for (u32 i = 0; i < 8; i++) in_order &= memcmp(pages + i * PAGE_SIZE, g_phys.kernel_pointer(written[7 - i]), PAGE_SIZE) == 0;
      check(disk.max_segments() < 8 || in_order, "multi-segment data", failures);
      kfree(pages);
    }
  }
  for (u32 i = 0; i < PAGES && written && read_back; i++) {
    if (written[i]) g_phys.free_frame(written[i]);
    if (read_back[i]) g_phys.free_frame(read_back[i]);
  }
  delete[] written;
  delete[] read_back;
  delete[] requests;
  delete[] segments;

  // 4. Flush; and the end of the disk.
  check(disk.flush().has_value(), "flush", failures);
  BlockSegment one{PhysAddr(0x80000000), SECTOR_SIZE};
  BlockRequest past;
  past.op = BlockOp::Read;
  past.sector = disk.sector_count();
  past.segments = &one;
  past.segment_count = 1;
  past.on_complete = BlockWaitGroup::on_complete;
  check(disk.submit(past).is_error(), "a request past the end is refused", failures);
  check(disk.stats().in_flight.load(MemoryOrder::Relaxed) == 0, "nothing left in flight", failures);
  return failures;
}

}  // namespace

int block_selftest() {
  RefPtr<BlockDevice> disk = block_device_find("vda");
  if (!disk || disk->sector_count() < 4 * MiB / SECTOR_SIZE || disk->is_read_only()) {
    LOG_ERROR("selftest disk: needs a writable disk vda of at least 4 MiB (tools/run --disk IMAGE)");
    return 2;
  }
  // Empty slabs the heap keeps and frames in this hart's cache count as given back.
  heap_trim();
  g_phys.drain_cpu_cache();
  u64 free_before = g_phys.free_frames();
  u64 heap_before = heap_stats().bytes_in_use;
  int failures = run(*disk);
  heap_trim();
  g_phys.drain_cpu_cache();
  check(g_phys.free_frames() == free_before, "every frame given back", failures);
  check(heap_stats().bytes_in_use == heap_before, "every heap byte given back", failures);
  BlockStats& s = disk->stats();
  LOG_INFO("selftest disk: %llu reads, %llu writes, %llu flushes, %llu errors",
           static_cast<unsigned long long>(s.reads.load()), static_cast<unsigned long long>(s.writes.load()),
           static_cast<unsigned long long>(s.flushes.load()), static_cast<unsigned long long>(s.errors.load()));
  if (failures) return 1;
  LOG_INFO("selftest disk: PASS");
  return 0;
}
