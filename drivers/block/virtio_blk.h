// The virtio block device driver (virtio 1.2 spec, 5.2 "Block Device"): a BlockDevice over one virtio-mmio
// transport and one split virtqueue (requestq1; VIRTIO_BLK_F_MQ is not negotiated).
//
// A request is one descriptor chain (5.2.6 "Device Operation"):
//
//   header   16 bytes, device-readable: type (IN = read, OUT = write, FLUSH), reserved, sector
//   data     the request's segments (device-writable for a read, readable for a write; none for a flush),
//            cut into pieces of at most size_max bytes if the device has VIRTIO_BLK_F_SIZE_MAX
//   status   1 byte, device-writable: OK, IOERR or UNSUPP
//
// Headers and status bytes live in a driver-owned array indexed by the chain's head descriptor, in the same
// physically contiguous block as the ring, so a request costs no allocation. Requests that do not fit in the
// ring wait in m_pending, and the interrupt handler starts them as chains come back. Callers never wait for
// room, so any number of requests can be submitted.
//
// Completion: the device raises its interrupt (through the PLIC); handle_interrupt() takes finished chains off
// the used ring, starts waiting requests, and calls each finished request's callback with no lock held.
//
// Features negotiated (3.1.1, 5.2.3): SIZE_MAX, SEG_MAX, RO, BLK_SIZE, FLUSH; nothing else (no indirect
// descriptors, no event index, no multiqueue, no discard).
//
// Lock: m_lock protects the virtqueue, m_in_flight, the header slots and m_pending; it is taken by submitters
// and by the interrupt handler (a spinlock: interrupts are off while it is held). No other lock is taken
// while it is held: callbacks, which may wake threads (g_sched_lock), run after it is dropped, and so does the
// notification of the device.
#pragma once

#include "drivers/block/block_device.h"
#include "drivers/driver_platform.h"
#include "drivers/virtio/virtio_mmio.h"
#include "drivers/virtio/virtqueue.h"

struct Frame;

namespace virtio_blk {

// 5.2.3 "Feature bits".
constexpr u64 F_SIZE_MAX = 1ull << 1;
constexpr u64 F_SEG_MAX = 1ull << 2;
constexpr u64 F_RO = 1ull << 5;
constexpr u64 F_BLK_SIZE = 1ull << 6;
constexpr u64 F_FLUSH = 1ull << 9;  // the legacy interface calls it VIRTIO_BLK_F_WCE

// 5.2.4 "Device configuration layout": byte offsets in struct virtio_blk_config.
constexpr u32 CONFIG_CAPACITY = 0;  // le64, 512-byte sectors
constexpr u32 CONFIG_SIZE_MAX = 8;  // le32
constexpr u32 CONFIG_SEG_MAX = 12;  // le32
constexpr u32 CONFIG_BLK_SIZE = 20; // le32

// 5.2.6 "Device Operation": request types and status values.
constexpr u32 T_IN = 0;
constexpr u32 T_OUT = 1;
constexpr u32 T_FLUSH = 4;
constexpr u8 S_OK = 0;
constexpr u8 S_IOERR = 1;
constexpr u8 S_UNSUPP = 2;

struct RequestHeader {
  u32 type;
  u32 reserved;
  u64 sector;
};
static_assert(sizeof(RequestHeader) == 16);

}  // namespace virtio_blk

class VirtioBlockDevice final : public BlockDevice {
 public:
  // Linux's virtio_blk device numbers: major 254 (the first dynamic block major, which virtblk gets), 16 minors
  // per disk (the disk and 15 partitions).
  static constexpr u32 MAJOR = 254;
  static constexpr u32 MINORS_PER_DISK = 16;
  // Most descriptors in the ring (QEMU offers 256 for virtio-blk) and the request limits we advertise.
  static constexpr u16 MAX_QUEUE_SIZE = 256;
  static constexpr u32 MAX_SEGMENTS = 64;
  static constexpr u64 MAX_REQUEST_BYTES = 256 * KiB;

  // Sets up the virtio-blk device behind `transport` (probed, DeviceID 2) as disk number `index` ("vda" for
  // 0). The device is live when this returns: the caller routes its interrupt to handle_interrupt() and
  // registers it. NOTSUP: the device's features or queue cannot be used; NOMEM.
  static Result<RefPtr<VirtioBlockDevice>> create(VirtioMmioTransport transport, u32 index);
  ~VirtioBlockDevice() override;

  // The device's interrupt. Interrupt context (or, in host tests, the fake device's thread).
  void handle_interrupt();

  u32 transport_version() const { return m_transport.version(); }
  u64 features() const { return m_features; }
  u16 queue_size() const { return m_queue.size(); }
  u32 logical_block_size() const { return m_block_size; }
  // A one-line description for the boot log: "vda: 16384 sectors (8 MiB), virtio-mmio v2, ...".
  void describe(char* buffer, usize size) const;

 protected:
  Result<void> submit_checked(BlockRequest& request) override;
  bool has_volatile_cache() const override { return m_features & virtio_blk::F_FLUSH; }

 private:
  // Per head descriptor: the request header and the status byte the device writes.
  struct Slot {
    virtio_blk::RequestHeader header;
    u8 status;
    u8 padding[15];
  };
  static_assert(sizeof(Slot) == 32);
  using RequestList = IntrusiveList<BlockRequest, &BlockRequest::m_driver_link>;

  VirtioBlockDevice(VirtioMmioTransport transport) : m_transport(transport) {}
  Result<void> initialize(u32 index);
  // Descriptors the data of `request` needs (its segments cut to m_piece_max).
  u32 data_descriptors(const BlockRequest& request) const;
  // Puts `request` in the ring if it has room. Returns false (nothing done) if not.
  bool try_start_locked(BlockRequest& request);
  // The device asked for a reset or misbehaved: stop it, fail everything in flight or waiting (into `done`).
  void break_device_locked(RequestList& done, const char* why);
  Result<void> result_of(const BlockRequest& request);

  Spinlock m_lock{"virtio-blk"};
  VirtioMmioTransport m_transport;
  u64 m_features = 0;
  u32 m_block_size = SECTOR_SIZE;
  u32 m_piece_max = 0xfffffe00;  // most bytes in one data descriptor (size_max, rounded down to sectors)
  u32 m_descriptor_limit = 0;    // most data descriptors per request (seg_max and the ring size)
  Frame* m_memory = nullptr;     // the ring and the slots, physically contiguous
  unsigned m_memory_order = 0;
  SplitVirtqueue m_queue;                   // guarded by m_lock
  Slot* m_slots = nullptr;                  // guarded by m_lock; one per descriptor (indexed by head)
  PhysAddr m_slots_physical;
  BlockRequest** m_in_flight = nullptr;     // guarded by m_lock; the request whose chain starts at each head
  RequestList m_pending;                    // guarded by m_lock; submitted, waiting for room in the ring
  bool m_is_broken = false;                 // guarded by m_lock
};
