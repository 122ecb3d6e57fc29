// SwapDevice: what the swap code needs from a disk — pages in, pages out, asynchronously — stated in mm/'s terms
// (pages of the area, frames) so that mm/ needs no driver header. drivers/block/block_swap_device.h implements it
// over a BlockDevice (a virtio-blk disk in the kernel, a RAM disk in the host tests).
//
//   SwapIo        one request: `page_count` consecutive pages of the area from `first_page` on, to or from
//                 `frames[0..page_count)`. The submitter fills in the first part, the device uses the rest.
//   submit(io)    starts it and returns at once (never sleeps; callable with spinlocks held). The callback runs
//                 exactly once, in interrupt context (interrupts off, no lock held), possibly before submit()
//                 returns. An error from submit() means nothing started and no callback will come.
//
// Lock: none here; a SwapIo belongs to its submitter except between a successful submit() and its callback.
#pragma once

#include "lib/result.h"
#include "lib/types.h"
#include "mm/frame.h"

constexpr u32 MAX_SWAP_IO_PAGES = 32;  // 128 KiB: one write cluster of page-out, one read-ahead window

enum class SwapIoOp : u8 { Read, Write };

struct SwapIo {
  using Callback = void (*)(SwapIo& io, Result<void> result);

  // ---- the submitter's ----
  SwapIoOp op = SwapIoOp::Read;
  u64 first_page = 0;                 // page offset in the area (page 0 is the header)
  u32 page_count = 0;                 // 1..device's max_pages_per_io()
  Frame* frames[MAX_SWAP_IO_PAGES];   // one frame per page, in order
  Callback on_complete = nullptr;
  void* context = nullptr;            // untouched by the device
  SwapIo* next = nullptr;             // free for the submitter (lists of requests)

  // ---- the device's, between submit() and the callback ----
  alignas(16) u8 device_space[640];
};

class SwapDevice {
 public:
  virtual ~SwapDevice() = default;

  // The device's name as /proc/swaps shows it ("/dev/vdb").
  virtual const char* path() const = 0;
  // Whole pages the device holds.
  virtual u64 page_count() const = 0;
  // Most pages one SwapIo may carry (1..MAX_SWAP_IO_PAGES).
  virtual u32 max_pages_per_io() const = 0;
  // What identifies the disk underneath: two SwapDevices over one disk return the same (swapon's EBUSY).
  virtual const void* identity() const = 0;
  virtual Result<void> submit(SwapIo& io) = 0;
};
