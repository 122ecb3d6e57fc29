// Finding virtio devices at boot (drivers/drivers.h): each "virtio,mmio" node of the device tree is a register
// window and an interrupt; QEMU's virt machine has eight, most of them empty (DeviceID 0).
#include "arch/riscv/memlayout.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/trap.h"
#include "drivers/block/virtio_blk.h"
#include "drivers/drivers.h"
#include "kernel/log.h"

namespace {

// A device's registers through the direct map (kernel_map.cpp maps every virtio slot there, uncached by
// nature: QEMU traps each access). The fences are those Linux's riscv readl/writel use (RISC-V unprivileged
// spec 2.7; the "i" and "o" sets are device input and output):
//   before a write, "fence w,o": our earlier stores to memory (a ring entry) are visible to the device before
//     the register write (a notification) that tells it to look;
//   after a read, "fence i,r": memory reads that follow (the used ring after InterruptStatus) are not performed
//     before the register read.
class DirectMmio final : public MmioRegisters {
 public:
  explicit DirectMmio(u64 physical) : m_base(phys_to_virt<volatile u32>(physical)) {}

  u32 read32(u32 offset) override {
    u32 value = m_base[offset / 4];
    asm volatile("fence i,r" ::: "memory");
    return value;
  }
  void write32(u32 offset, u32 value) override {
    asm volatile("fence w,o" ::: "memory");
    m_base[offset / 4] = value;
  }

 private:
  volatile u32* m_base;
};

void virtio_blk_interrupt(void* context) { static_cast<VirtioBlockDevice*>(context)->handle_interrupt(); }

// Starts the virtio-blk driver for the device in `slot`. Returns true if a disk was added.
bool start_block_device(const Device& slot, VirtioMmioTransport transport, u32 index, u32 plic_context) {
  if (slot.irq == 0) {
    LOG_ERROR("virtio-blk at %#llx has no interrupt in the device tree: not used",
              static_cast<unsigned long long>(slot.base));
    transport.fail();
    return false;
  }
  auto created = VirtioBlockDevice::create(transport, index);
  if (created.is_error()) {
    LOG_ERROR("virtio-blk at %#llx: cannot use the device (%s)", static_cast<unsigned long long>(slot.base),
              error_name(created.error()));
    return false;
  }
  RefPtr<VirtioBlockDevice> disk = created.release_value();
  // The registry keeps the disk (disks are never removed), so the interrupt table may point at it.
  if (!register_irq_handler(slot.irq, virtio_blk_interrupt, disk.get())) {
    LOG_ERROR("%s: interrupt %u is out of range: not used", disk->name(), slot.irq);
    return false;
  }
  if (auto registered = block_device_register(disk); registered.is_error()) {
    register_irq_handler(slot.irq, nullptr, nullptr);
    LOG_ERROR("%s: cannot register the disk (%s)", disk->name(), error_name(registered.error()));
    return false;
  }
  plic_enable(slot.irq, plic_context);
  char line[160];
  disk->describe(line, sizeof line);
  LOG_INFO("%s at %#llx, irq %u", line, static_cast<unsigned long long>(slot.base), slot.irq);
  return true;
}

}  // namespace

void drivers_init(const Machine& machine, u32 plic_context) {
  u32 disks = 0;
  for (usize i = 0; i < machine.virtio_count; i++) {
    const Device& slot = machine.virtio[i];
    if (slot.size < 0x200) continue;
    auto* registers = new DirectMmio(slot.base);  // kept for the device's lifetime (forever)
    if (!registers) break;
    auto transport = VirtioMmioTransport::probe(*registers);
    if (transport.is_error()) {
      if (transport.error() != Error::NODEV)
        LOG_WARN("virtio-mmio at %#llx: not a virtio device this kernel understands",
                 static_cast<unsigned long long>(slot.base));
      delete registers;
      continue;
    }
    if (transport.value().device_id() == virtio::DEVICE_ID_BLOCK) {
      if (start_block_device(slot, transport.value(), disks, plic_context)) {
        disks++;
      } else {
        delete registers;
      }
    } else {
      LOG_INFO("virtio-mmio at %#llx: device type %u, no driver", static_cast<unsigned long long>(slot.base),
               transport.value().device_id());
      delete registers;
    }
  }
  if (disks == 0) LOG_INFO("block: no disks");
}
