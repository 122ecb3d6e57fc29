// What the kernel knows about the machine, all of it read from the device tree at boot (kernel/machine.cpp):
// RAM, reserved ranges, harts, timebase and devices. Nothing here is hard-coded, so `-m 64M`, `-m 2G` and
// `-smp 1..8` need no rebuild. Portable: the host tests parse QEMU's own device tree with it.
#pragma once

#include "kernel/fdt.h"
#include "lib/result.h"
#include "lib/types.h"

struct PhysRange {
  u64 base = 0;
  u64 size = 0;
  u64 end() const { return base + size; }
};

struct Device {
  u64 base = 0;  // physical address of the registers
  u64 size = 0;
  u32 irq = 0;   // PLIC interrupt source, 0 if none
  bool is_present() const { return size != 0; }
};

constexpr usize MAX_HARTS = 8;
constexpr usize MAX_MEMORY_RANGES = 8;
constexpr usize MAX_RESERVED_RANGES = 16;
constexpr usize MAX_VIRTIO_SLOTS = 8;
constexpr usize MAX_BOOTARGS = 512;

struct HartInfo {
  u32 hart_id = 0;
  u32 plic_context = ~0u;  // PLIC context of this hart's S-mode external interrupt
  bool has_sstc = false;   // the Sstc extension: stimecmp instead of an SBI call for the timer
};

struct Machine {
  PhysRange memory[MAX_MEMORY_RANGES];
  usize memory_count = 0;
  PhysRange reserved[MAX_RESERVED_RANGES];  // /reserved-memory, the memory reservation block
  usize reserved_count = 0;
  PhysRange initrd;                         // /chosen linux,initrd-start/end, empty if none
  PhysRange fdt;                            // the device tree blob itself

  HartInfo harts[MAX_HARTS];
  usize hart_count = 0;
  u64 timebase_hz = 0;

  Device uart;           // ns16550a
  u32 uart_clock_hz = 0;
  Device plic;
  u32 plic_ndev = 0;
  Device test_device;    // sifive,test: powers QEMU off with an exit status
  Device rtc;            // goldfish RTC: wall-clock time at boot
  Device virtio[MAX_VIRTIO_SLOTS];
  usize virtio_count = 0;

  char bootargs[MAX_BOOTARGS] = {};
  u8 rng_seed[64] = {};
  usize rng_seed_size = 0;

  const HartInfo* hart_by_id(u32 hart_id) const;
  u64 memory_end() const;  // highest RAM address + 1
  u64 memory_total() const;
};

// Fills `machine` from the device tree at fdt_blob (whose physical address is fdt_pa).
Result<void> parse_machine(const Fdt& fdt, u64 fdt_pa, Machine& machine);
