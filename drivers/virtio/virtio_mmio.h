// The virtio-mmio transport (virtio 1.2 spec, 4.2 "Virtio Over MMIO"): a virtio device as a window of 32-bit
// registers, found through the device tree (compatible "virtio,mmio"; QEMU's virt machine has eight such slots,
// most of them empty: DeviceID 0).
//
// Two register layouts exist, told apart by the Version register:
//   2  modern (virtio 1.x): 64-bit feature words, FEATURES_OK, queue addresses as three 64-bit registers,
//      QueueReady. QEMU gives this with -global virtio-mmio.force-legacy=false.
//   1  legacy (virtio 0.9.5, QEMU 7.2's default): 32 feature bits, no FEATURES_OK, the queue as one page
//      number (QueuePFN) with the used ring at QueueAlign, after GuestPageSize.
// Everything else (notification, interrupts, status, configuration space at 0x100) is shared.
//
// The registers are reached through MmioRegisters: the kernel's is a pointer into the direct map with the
// fences a device register needs (drivers/virtio_probe.cpp); the host tests' is a fake device.
//
// Lock: none. One driver owns a transport; the interrupt path touches only InterruptStatus/InterruptACK and
// QueueNotify, which need no serialisation with the rest.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

class SplitVirtqueue;

// A device's register window: 32-bit accesses at byte offsets (4.2.2: "The driver MUST only use 32 bit wide
// and aligned reads and writes to access the control registers"; our configuration fields are 32-bit too).
class MmioRegisters {
 public:
  virtual u32 read32(u32 offset) = 0;
  virtual void write32(u32 offset, u32 value) = 0;

 protected:
  ~MmioRegisters() = default;
};

namespace virtio {

// 4.2.2 "MMIO Device Register Layout" (and 4.2.4 "Legacy interface").
namespace reg {
constexpr u32 MAGIC = 0x000;               // "virt"
constexpr u32 VERSION = 0x004;             // 2 modern, 1 legacy
constexpr u32 DEVICE_ID = 0x008;           // 0: no device in this slot
constexpr u32 VENDOR_ID = 0x00c;
constexpr u32 DEVICE_FEATURES = 0x010;     // 32 feature bits, selected by DEVICE_FEATURES_SEL
constexpr u32 DEVICE_FEATURES_SEL = 0x014;
constexpr u32 DRIVER_FEATURES = 0x020;
constexpr u32 DRIVER_FEATURES_SEL = 0x024;
constexpr u32 LEGACY_GUEST_PAGE_SIZE = 0x028;
constexpr u32 QUEUE_SEL = 0x030;
constexpr u32 QUEUE_NUM_MAX = 0x034;
constexpr u32 QUEUE_NUM = 0x038;
constexpr u32 LEGACY_QUEUE_ALIGN = 0x03c;
constexpr u32 LEGACY_QUEUE_PFN = 0x040;
constexpr u32 QUEUE_READY = 0x044;
constexpr u32 QUEUE_NOTIFY = 0x050;
constexpr u32 INTERRUPT_STATUS = 0x060;
constexpr u32 INTERRUPT_ACK = 0x064;
constexpr u32 STATUS = 0x070;
constexpr u32 QUEUE_DESC_LOW = 0x080;
constexpr u32 QUEUE_DESC_HIGH = 0x084;
constexpr u32 QUEUE_DRIVER_LOW = 0x090;
constexpr u32 QUEUE_DRIVER_HIGH = 0x094;
constexpr u32 QUEUE_DEVICE_LOW = 0x0a0;
constexpr u32 QUEUE_DEVICE_HIGH = 0x0a4;
constexpr u32 CONFIG_GENERATION = 0x0fc;
constexpr u32 CONFIG = 0x100;
}  // namespace reg

constexpr u32 MAGIC_VALUE = 0x74726976;  // "virt", little-endian

// 2.1 "Device Status Field".
namespace status {
constexpr u32 ACKNOWLEDGE = 1;
constexpr u32 DRIVER = 2;
constexpr u32 DRIVER_OK = 4;
constexpr u32 FEATURES_OK = 8;
constexpr u32 DEVICE_NEEDS_RESET = 64;
constexpr u32 FAILED = 128;
}  // namespace status

// InterruptStatus bits (4.2.2).
constexpr u32 INTERRUPT_USED_BUFFER = 1;
constexpr u32 INTERRUPT_CONFIG_CHANGE = 2;

// 5 "Device Types".
constexpr u32 DEVICE_ID_BLOCK = 2;

// 6 "Reserved Feature Bits" that concern us.
constexpr u64 F_NOTIFY_ON_EMPTY = 1ull << 24;  // legacy
constexpr u64 F_ANY_LAYOUT = 1ull << 27;       // legacy
constexpr u64 F_INDIRECT_DESC = 1ull << 28;
constexpr u64 F_EVENT_IDX = 1ull << 29;
constexpr u64 F_VERSION_1 = 1ull << 32;
constexpr u64 F_ACCESS_PLATFORM = 1ull << 33;

}  // namespace virtio

class VirtioMmioTransport {
 public:
  // Checks the window: MagicValue, a Version of 1 or 2. NODEV for an empty slot (DeviceID 0), NOTSUP for
  // something that is not a virtio-mmio device we understand (the caller logs it).
  static Result<VirtioMmioTransport> probe(MmioRegisters& registers);

  u32 version() const { return m_version; }
  bool is_legacy() const { return m_version == 1; }
  u32 device_id() const { return m_device_id; }

  // 3.1.1 "Driver Requirements: Device Initialization", steps 1-6: reset; ACKNOWLEDGE; DRIVER; read the device's
  // features; accept those of `wanted` it offers (VIRTIO_F_VERSION_1 is added for a modern device, which a
  // driver must accept); FEATURES_OK and check that the device kept it. Returns the negotiated features, or
  // NOTSUP (the device refused them, or a modern device without VERSION_1; the FAILED bit is then set).
  Result<u64> negotiate(u64 wanted);
  // The features the device offered (valid after negotiate).
  u64 device_features() const { return m_device_features; }

  // The largest queue the device takes for queue `index` (0: the queue does not exist).
  u32 queue_max_size(u16 index);
  // Tells the device where queue `index` is and enables it (4.2.3.2; legacy: 4.2.4).
  Result<void> enable_queue(u16 index, const SplitVirtqueue& queue);
  // Step 8: the driver is ready; the device may use the queues from now on.
  void driver_ok();
  // Step "something went wrong": FAILED. The device is not used again.
  void fail();
  // Writes 0 to Status: the device forgets the queues and stops touching memory (3.1.1 step 1, 2.4.1).
  void reset();
  bool needs_reset();

  // Tells the device that queue `index` has new available buffers (4.2.3.3).
  void notify(u16 index) { m_registers->write32(virtio::reg::QUEUE_NOTIFY, index); }
  // Reads InterruptStatus and acknowledges those bits (4.2.3.4); returns them.
  u32 acknowledge_interrupt();

  // Device-specific configuration (4.2.2 "Config"): a 32-bit field, and a 64-bit one read as two halves under
  // the configuration generation counter (2.5.1: retry while it changes; legacy devices have none).
  u32 config32(u32 offset);
  u64 config64(u32 offset);

 private:
  explicit VirtioMmioTransport(MmioRegisters& registers, u32 version, u32 device_id)
      : m_registers(&registers), m_version(version), m_device_id(device_id) {}
  void set_status_bits(u32 bits);

  MmioRegisters* m_registers;
  u32 m_version;
  u32 m_device_id;
  u64 m_device_features = 0;
};
