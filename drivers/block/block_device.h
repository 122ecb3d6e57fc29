// Block devices: disks addressed in 512-byte sectors (the unit of virtio-blk, Linux's bios and the ext2 and swap
// formats' arithmetic). A BlockDevice is what a file system, the swap code and /dev/vdX use; the driver behind
// it (virtio-blk, drivers/block/virtio_blk.h, or a test's fake) implements one call, submit().
//
// Two ways to do I/O:
//
//   synchronous   read(), write(), flush(): the calling thread sleeps until the device is done (never spins)
//                 and gets Error::IO if the device reported an error. The buffer is kernel memory in the
//                 direct map: the kernel heap (kmalloc/new) or a frame's g_phys.kernel_pointer(). Never a
//                 kernel stack or a global (those are not physically contiguous through the direct map).
//   asynchronous  submit(request): returns at once; many requests may be in flight. The request names
//                 physical segments (frames, for paging) and a callback that runs exactly once when the
//                 device is done.
//
//   // Read 8 sectors (one page) into a frame, waiting:
//   RefPtr<BlockDevice> disk = block_device_find("vda");
//   TRY(disk->read(sector, g_phys.kernel_pointer(frame), 8));
//
//   // Write two pages without waiting (the request and the segment array outlive the I/O):
//   request.op = BlockOp::Write;
//   request.sector = slot * 8;
//   request.segments = segs;            // segs[0] = {page0_pa, 4096}, segs[1] = {page1_pa, 4096}
//   request.segment_count = 2;
//   request.on_complete = [](BlockRequest& r, Result<void> result) { ... wake whoever waits ... };  // no capture
//   request.context = my_batch;
//   TRY(disk->submit(request));
//
// Devices live in a registry (block_device_find, block_device_at): the driver registers each disk it finds at
// boot, named as Linux names it (virtio-blk: vda, vdb, ...). Disks are never removed, so a RefPtr from the
// registry stays valid; the registry's own references keep every disk alive until power-off.
//
// Lock: none here. A driver serialises its own queue; the registry has its own lock; a BlockRequest belongs
// to its submitter except between a successful submit() and its callback, when it belongs to the driver.
#pragma once

#include "drivers/driver_platform.h"
#include "lib/list.h"
#include "lib/refptr.h"
#include "lib/result.h"
#include "lib/atomic.h"
#include "mm/types.h"

constexpr u32 SECTOR_SHIFT = 9;
constexpr u32 SECTOR_SIZE = 1u << SECTOR_SHIFT;  // 512 bytes, whatever the device's preferred block size
constexpr u32 SECTORS_PER_PAGE = PAGE_SIZE / SECTOR_SIZE;

enum class BlockOp : u8 {
  Read,   // device -> segments
  Write,  // segments -> device
  Flush,  // everything written before completes to stable storage (no sector, no segments)
};

const char* block_op_name(BlockOp op);

// One physically contiguous piece of a request's data. Its length is a non-zero multiple of SECTOR_SIZE.
struct BlockSegment {
  PhysAddr address;
  u32 length = 0;
};

class BlockRequest {
 public:
  // Called exactly once per successfully submitted request, when the device is done with it: result is
  // success, Error::IO (the device failed the request: VIRTIO_BLK_S_IOERR, or the disk was disabled) or
  // Error::NOTSUP (the device does not know the operation: VIRTIO_BLK_S_UNSUPP). It runs in interrupt context,
  // on any hart, with interrupts off and no driver lock held, possibly before submit() has returned: it must
  // not sleep; it may wake threads and may submit new requests. From the moment it is called the driver no
  // longer touches the request, so the callback may free or reuse it.
  using Callback = void (*)(BlockRequest& request, Result<void> result);

  BlockRequest() = default;
  AS_NONCOPYABLE(BlockRequest);

  BlockOp op = BlockOp::Read;
  u64 sector = 0;                          // first sector (Read, Write)
  const BlockSegment* segments = nullptr;  // the data, in order (Read, Write); the array must stay valid
  u32 segment_count = 0;                   //   until the callback (at most the device's max_segments())
  Callback on_complete = nullptr;
  void* context = nullptr;                 // the submitter's, untouched by the driver

  // Total bytes of all segments.
  u64 byte_count() const;

  // ---- the driver's, between submit() and the callback ----
  ListNode m_driver_link;  // the driver's queue of requests waiting for room in the device's ring
  u32 m_driver_tag = 0;
};

// Waiting for a batch of asynchronous requests (the synchronous calls use it; so can paging code):
//
//   BlockWaitGroup group;
//   group.expect(n);                              // before the first submit: completions count down from n
//   for each request: r.on_complete = BlockWaitGroup::on_complete; r.context = &group;
//                     if (disk->submit(r).is_error()) group.cancel(1);
//   Result<void> result = group.wait();           // sleeps until all n are done; the first error, if any
//
// One batch per group. wait() must be called (and returned) before the group goes away, also when every
// request was cancelled.
class BlockWaitGroup {
 public:
  BlockWaitGroup() = default;
  AS_NONCOPYABLE(BlockWaitGroup);

  void expect(u32 count);
  void cancel(u32 count);
  static void on_complete(BlockRequest& request, Result<void> result);
  Result<void> wait();

 private:
  void count_down(u32 count);

  Atomic<u32> m_remaining{0};
  Atomic<i32> m_first_error{0};  // an Error, 0 for none
  bool m_is_expecting = false;   // expect() was called (set before any request can complete)
  Completion m_done;
};

// Counters since boot (/proc/diskstats-like; tests use them to count the writes a workload caused).
struct BlockStats {
  Atomic<u64> reads{0};           // read requests completed
  Atomic<u64> writes{0};          // write requests completed
  Atomic<u64> flushes{0};         // flush requests completed
  Atomic<u64> sectors_read{0};
  Atomic<u64> sectors_written{0};
  Atomic<u64> errors{0};          // requests the device failed
  Atomic<u64> in_flight{0};       // submitted, not yet completed
};

class BlockDevice : public RefCounted {
 public:
  virtual ~BlockDevice() = default;
  AS_NONCOPYABLE(BlockDevice);

  // "vda": the name under /dev and in log lines.
  const char* name() const { return m_name; }
  // Capacity in 512-byte sectors.
  u64 sector_count() const { return m_sector_count; }
  // Writes fail with Error::ROFS (the device offers no write: VIRTIO_BLK_F_RO, or -drive readonly=on).
  bool is_read_only() const { return m_is_read_only; }
  // Most segments one request may have (>= 1), and most bytes (a multiple of PAGE_SIZE, >= PAGE_SIZE).
  u32 max_segments() const { return m_max_segments; }
  u64 max_request_bytes() const { return m_max_request_bytes; }
  // The device number of its /dev node (Linux's virtio_blk: major 254, minor 16 per disk).
  u64 device_number() const { return m_device_number; }
  BlockStats& stats() { return m_stats; }
  // The page cache's largest read-ahead window for files on this disk, in sectors (Linux's bdi ra_pages, set with
  // BLKRASET: blockdev --setra; 256, 128 KiB, by default as Linux's read_ahead_kb).
  u64 read_ahead_sectors() const { return m_read_ahead_sectors.load(MemoryOrder::Relaxed); }
  void set_read_ahead_sectors(u64 sectors) { m_read_ahead_sectors.store(sectors, MemoryOrder::Relaxed); }

  // Starts a request. An error here (nothing started, the callback will not be called):
  //   INVAL  malformed: no callback, no segments for a Read/Write, a segment length not a non-zero multiple of
  //          SECTOR_SIZE, more than max_segments() segments or max_request_bytes() bytes;
  //   IO     sectors beyond the end of the device (Linux: "attempt to access beyond end of device");
  //   ROFS   a Write to a read-only device.
  // Never blocks: when the device's ring is full the request waits in the driver's queue. Callable from any
  // context, including another request's callback. A Flush on a disk without a volatile write cache has
  // nothing to do and completes at once (its callback runs before submit() returns).
  Result<void> submit(BlockRequest& request);

  // Synchronous I/O of `count` sectors from `sector` on, into or out of `buffer` (kernel direct-map memory, see
  // the top of this file; any byte alignment). Splits large transfers into several requests in flight at once.
  // The calling thread sleeps uninterruptibly until every part is done; the first error is returned (IO, ...).
  // Must not be called from interrupt context or with a spinlock held.
  Result<void> read(u64 sector, void* buffer, u64 count);
  Result<void> write(u64 sector, const void* buffer, u64 count);
  // Waits until everything completed before it is on stable storage (a no-op success when the device has no
  // volatile write cache to flush).
  Result<void> flush();
  // Submits one request and sleeps until its completion; the request's on_complete/context are replaced.
  Result<void> submit_and_wait(BlockRequest& request);

 protected:
  BlockDevice() = default;
  // The driver's part of submit(): the request has been checked (sizes, range, read-only).
  virtual Result<void> submit_checked(BlockRequest& request) = 0;
  // Whether the device needs flushes at all (false: flush() succeeds at once).
  virtual bool has_volatile_cache() const = 0;

  // Set by the driver before it registers the device; constant afterwards.
  char m_name[8] = {};
  u64 m_sector_count = 0;
  bool m_is_read_only = false;
  u32 m_max_segments = 1;
  u64 m_max_request_bytes = PAGE_SIZE;
  u64 m_device_number = 0;
  BlockStats m_stats;
  Atomic<u64> m_read_ahead_sectors{256};

  // For drivers: updates the counters for a completed request and calls its callback.
  void complete(BlockRequest& request, Result<void> result);

 private:
  Result<void> transfer(BlockOp op, u64 sector, const void* buffer, u64 count);
};

// ---- the registry of disks ----

constexpr usize MAX_BLOCK_DEVICES = 16;

// Adds a disk (its name must be unique). NOSPC when MAX_BLOCK_DEVICES are registered, EXIST for a taken name.
Result<void> block_device_register(RefPtr<BlockDevice> device);
// The disk named `name` ("vda"), or nullptr.
RefPtr<BlockDevice> block_device_find(const char* name);
// The disk whose /dev node has device number `device_number`, or nullptr.
RefPtr<BlockDevice> block_device_find_by_number(u64 device_number);
// Disks in registration order: index 0 .. block_device_count() - 1 (nullptr beyond).
usize block_device_count();
RefPtr<BlockDevice> block_device_at(usize index);
// Host tests only: forget every disk (the kernel never removes one).
void block_device_unregister_all_for_tests();
