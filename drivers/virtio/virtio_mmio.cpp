// The virtio-mmio transport (drivers/virtio/virtio_mmio.h); section numbers are the virtio 1.2 specification's.
#include "drivers/virtio/virtio_mmio.h"

#include "drivers/driver_platform.h"
#include "drivers/virtio/virtqueue.h"

using namespace virtio;

Result<VirtioMmioTransport> VirtioMmioTransport::probe(MmioRegisters& registers) {
  // 4.2.3.1.1: check MagicValue and Version first; with DeviceID 0 touch nothing else.
  if (registers.read32(reg::MAGIC) != MAGIC_VALUE) return Error::NOTSUP;
  u32 version = registers.read32(reg::VERSION);
  if (version != 1 && version != 2) return Error::NOTSUP;
  u32 device_id = registers.read32(reg::DEVICE_ID);
  if (device_id == 0) return Error::NODEV;
  return VirtioMmioTransport(registers, version, device_id);
}

void VirtioMmioTransport::set_status_bits(u32 bits) {
  u32 now = m_registers->read32(reg::STATUS);
  m_registers->write32(reg::STATUS, now | bits);
}

void VirtioMmioTransport::reset() {
  m_registers->write32(reg::STATUS, 0);
  // 4.2.2.2 (and 2.4.2): a reset is complete when Status reads back 0. QEMU resets synchronously; a device
  // that never finishes is given up on by the caller's next check, never waited for forever.
  for (int i = 0; i < 1000 && m_registers->read32(reg::STATUS) != 0; i++) {
  }
}

bool VirtioMmioTransport::needs_reset() { return m_registers->read32(reg::STATUS) & status::DEVICE_NEEDS_RESET; }

void VirtioMmioTransport::fail() { set_status_bits(status::FAILED); }

Result<u64> VirtioMmioTransport::negotiate(u64 wanted) {
  // 3.1.1 steps 1-3.
  reset();
  if (m_registers->read32(reg::STATUS) != 0) return Error::NOTSUP;
  set_status_bits(status::ACKNOWLEDGE);
  set_status_bits(status::DRIVER);

  // Step 4: the device's features. Legacy devices have 32 feature bits (their selector exists, but only word
  // 0 is defined); modern ones 64 (4.2.2: "Before reading from DeviceFeatures, the driver MUST write a value to
  // DeviceFeaturesSel").
  m_registers->write32(reg::DEVICE_FEATURES_SEL, 0);
  u64 offered = m_registers->read32(reg::DEVICE_FEATURES);
  if (!is_legacy()) {
    m_registers->write32(reg::DEVICE_FEATURES_SEL, 1);
    offered |= static_cast<u64>(m_registers->read32(reg::DEVICE_FEATURES)) << 32;
  }
  m_device_features = offered;

  // 6.1: "A driver MUST accept VIRTIO_F_VERSION_1 if it is offered"; a modern (version 2) device must offer
  // it (4.2.3.1: a version-2 device that does not is broken for a 1.x driver).
  if (!is_legacy()) {
    if (!(offered & F_VERSION_1)) {
      fail();
      return Error::NOTSUP;
    }
    wanted |= F_VERSION_1;
  }
  // 2.2.1: accept only bits the device offered.
  u64 accepted = offered & wanted;
  m_registers->write32(reg::DRIVER_FEATURES_SEL, 0);
  m_registers->write32(reg::DRIVER_FEATURES, static_cast<u32>(accepted));
  if (!is_legacy()) {
    m_registers->write32(reg::DRIVER_FEATURES_SEL, 1);
    m_registers->write32(reg::DRIVER_FEATURES, static_cast<u32>(accepted >> 32));
    // Steps 5-6: FEATURES_OK, then read it back: a device that cannot work with this subset clears it.
    set_status_bits(status::FEATURES_OK);
    if (!(m_registers->read32(reg::STATUS) & status::FEATURES_OK)) {
      fail();
      return Error::NOTSUP;
    }
  } else {
    // 4.2.4: the legacy transport's queue addresses are page numbers of this size (written before any queue).
    m_registers->write32(reg::LEGACY_GUEST_PAGE_SIZE, PAGE_SIZE);
  }
  return accepted;
}

u32 VirtioMmioTransport::queue_max_size(u16 index) {
  m_registers->write32(reg::QUEUE_SEL, index);
  // 4.2.3.2 step 2 (legacy: 4.2.4): a queue already in use cannot be set up again.
  u32 in_use = is_legacy() ? m_registers->read32(reg::LEGACY_QUEUE_PFN) : m_registers->read32(reg::QUEUE_READY);
  if (in_use) return 0;
  return m_registers->read32(reg::QUEUE_NUM_MAX);
}

Result<void> VirtioMmioTransport::enable_queue(u16 index, const SplitVirtqueue& queue) {
  m_registers->write32(reg::QUEUE_SEL, index);
  m_registers->write32(reg::QUEUE_NUM, queue.size());
  if (is_legacy()) {
    // 4.2.4: one page number; the used ring at QueueAlign bytes (the block is laid out with a page).
    u64 pfn = queue.desc_address().get() / PAGE_SIZE;
    if (queue.desc_address().get() % PAGE_SIZE || pfn > 0xffffffffull) return Error::INVAL;
    m_registers->write32(reg::LEGACY_QUEUE_ALIGN, PAGE_SIZE);
    m_registers->write32(reg::LEGACY_QUEUE_PFN, static_cast<u32>(pfn));
    return {};
  }
  // 4.2.3.2 steps 5-7: sizes and the three areas, then QueueReady.
  auto write64 = [&](u32 low, u64 value) {
    m_registers->write32(low, static_cast<u32>(value));
    m_registers->write32(low + 4, static_cast<u32>(value >> 32));
  };
  write64(reg::QUEUE_DESC_LOW, queue.desc_address().get());
  write64(reg::QUEUE_DRIVER_LOW, queue.avail_address().get());
  write64(reg::QUEUE_DEVICE_LOW, queue.used_address().get());
  m_registers->write32(reg::QUEUE_READY, 1);
  return {};
}

void VirtioMmioTransport::driver_ok() { set_status_bits(status::DRIVER_OK); }

u32 VirtioMmioTransport::acknowledge_interrupt() {
  u32 pending = m_registers->read32(reg::INTERRUPT_STATUS);
  // 4.2.3.4: acknowledge what we are about to handle. Doing it before looking at the used ring (not after)
  // matters: a completion that arrives while we drain the ring raises the line again instead of being
  // acknowledged unseen.
  if (pending) m_registers->write32(reg::INTERRUPT_ACK, pending & (INTERRUPT_USED_BUFFER | INTERRUPT_CONFIG_CHANGE));
  return pending;
}

u32 VirtioMmioTransport::config32(u32 offset) { return m_registers->read32(reg::CONFIG + offset); }

u64 VirtioMmioTransport::config64(u32 offset) {
  u64 value = 0;
  // A device changes its configuration rarely (a disk resized): a few retries always suffice; a device that
  // keeps changing it gets its last reading rather than a hung boot.
  for (int attempt = 0; attempt < 100; attempt++) {
    u32 before = is_legacy() ? 0 : m_registers->read32(reg::CONFIG_GENERATION);
    u64 low = m_registers->read32(reg::CONFIG + offset);
    u64 high = m_registers->read32(reg::CONFIG + offset + 4);
    u32 after = is_legacy() ? 0 : m_registers->read32(reg::CONFIG_GENERATION);
    value = low | (high << 32);
    if (before == after) break;
  }
  return value;
}
