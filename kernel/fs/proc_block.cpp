// /proc/partitions and /proc/diskstats: the disks of the block registry (drivers/block/block_device.h) in
// Linux's formats (block/genhd.c), so that tools and tests written for Linux read them unchanged. There are no
// partitions: each disk is one line. The registry never shrinks and a disk's counters are atomics, so nothing
// is locked while printing.
#include "drivers/block/block_device.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/procfs.h"

Result<void> proc_partitions(TextBuilder& out) {
  out.appendf("major minor  #blocks  name\n\n");
  for (usize i = 0; i < block_device_count(); i++) {
    RefPtr<BlockDevice> disk = block_device_at(i);
    // #blocks: 1 KiB blocks.
    out.appendf("%4u  %7u %10llu %s\n", device_major(disk->device_number()), device_minor(disk->device_number()),
                static_cast<unsigned long long>(disk->sector_count() / 2), disk->name());
  }
  return {};
}

// The fields after the name (Documentation/admin-guide/iostats.rst): reads completed, reads merged, sectors
// read, ms reading, writes completed, writes merged, sectors written, ms writing, I/Os in progress, ms doing
// I/O, weighted ms, then discards (4 fields) and flushes (completed, ms). Requests are never merged and the
// times are not measured here: those fields are 0.
Result<void> proc_diskstats(TextBuilder& out) {
  for (usize i = 0; i < block_device_count(); i++) {
    RefPtr<BlockDevice> disk = block_device_at(i);
    BlockStats& s = disk->stats();
    auto get = [](const Atomic<u64>& counter) { return static_cast<unsigned long long>(counter.load(MemoryOrder::Relaxed)); };
    out.appendf("%4u %7u %s %llu 0 %llu 0 %llu 0 %llu 0 %llu 0 0 0 0 0 0 %llu 0\n",
                device_major(disk->device_number()), device_minor(disk->device_number()), disk->name(),
                get(s.reads), get(s.sectors_read), get(s.writes), get(s.sectors_written), get(s.in_flight),
                get(s.flushes));
  }
  return {};
}
