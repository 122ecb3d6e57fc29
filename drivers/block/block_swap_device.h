// BlockSwapDevice: mm/'s SwapDevice (mm/swap_device.h) over a disk of the block layer. Each SwapIo becomes one
// BlockRequest whose segments are its frames, built in the SwapIo's device space (no allocation on the paging
// path). The swap code in mm/ stays free of driver headers; the kernel and the host tests make one of these
// for the disk they want to swap on.
#pragma once

#include "drivers/block/block_device.h"
#include "mm/swap_device.h"

class BlockSwapDevice final : public SwapDevice {
 public:
  // path: the name /proc/swaps shows ("/dev/vdb"), copied.
  BlockSwapDevice(RefPtr<BlockDevice> disk, const char* path);

  const char* path() const override { return m_path; }
  u64 page_count() const override { return m_disk->sector_count() / SECTORS_PER_PAGE; }
  u32 max_pages_per_io() const override { return m_max_pages; }
  const void* identity() const override { return m_disk.get(); }
  Result<void> submit(SwapIo& io) override;

  BlockDevice& disk() { return *m_disk; }

 private:
  static void on_block_complete(BlockRequest& request, Result<void> result);

  RefPtr<BlockDevice> m_disk;
  u32 m_max_pages = 1;
  char m_path[32] = {};
};
