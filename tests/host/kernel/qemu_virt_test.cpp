// kernel/fdt.cpp + kernel/machine.cpp on the device trees QEMU itself generates for the virt machine
// (dumped at build time with -M virt,dumpdtb=...: -smp 1/4/8/9, -m 64M/2G, and one with -kernel, -initrd and
// -append). The expected values are QEMU virt's memory map (hw/riscv/virt.c) and the command lines used.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "kernel/fdt.h"
#include "kernel/machine.h"
#include "support/qemu_dtb.h"

namespace {

constexpr u64 FDT_PA = 0x87e00000;

struct Parsed {
  std::vector<u8> blob;
  Machine machine;
};

void parse_config(const QemuConfig& config, Parsed& out) {
  out.blob = load_qemu_dtb(config.name);
  Result<Fdt> fdt = Fdt::create(out.blob.data(), out.blob.size());
  REQUIRE(fdt.has_value());
  REQUIRE(parse_machine(fdt.value(), FDT_PA, out.machine).has_value());
}

}  // namespace

TEST_SUITE("kernel/qemu_virt") {

// RAM is one range at 0x80000000 of the size given with -m; QEMU's dump reserves nothing (OpenSBI adds its
// own reservation at boot, not here).
TEST_CASE("qemu virt: memory") {
  for (const QemuConfig& config : QEMU_CONFIGS) {
    INFO(config.name);
    Parsed p;
    parse_config(config, p);
    const Machine& m = p.machine;
    REQUIRE(m.memory_count == 1);
    CHECK(m.memory[0].base == 0x80000000);
    CHECK(m.memory[0].size == config.memory);
    CHECK(m.memory_end() == 0x80000000 + config.memory);
    CHECK(m.memory_total() == config.memory);
    CHECK(m.reserved_count == 0);
    CHECK(m.fdt.base == FDT_PA);
    CHECK(m.fdt.size == p.blob.size());
  }
}

// Harts 0..n-1 in order (at most MAX_HARTS kept with -smp 9), each with S-mode PLIC context 2h+1 (context
// 2h is its M-mode), Sstc exactly when the ISA string lists it, and the 10 MHz timebase.
TEST_CASE("qemu virt: harts, PLIC contexts and timebase") {
  for (const QemuConfig& config : QEMU_CONFIGS) {
    INFO(config.name);
    Parsed p;
    parse_config(config, p);
    const Machine& m = p.machine;
    usize expected = std::min<usize>(config.harts, MAX_HARTS);
    REQUIRE(m.hart_count == expected);
    Fdt fdt = Fdt::create(p.blob.data(), p.blob.size()).release_value();
    for (u32 h = 0; h < expected; h++) {
      INFO("hart ", h);
      CHECK(m.harts[h].hart_id == h);
      CHECK(m.harts[h].plic_context == 2 * h + 1);
      CHECK(m.hart_by_id(h) == &m.harts[h]);
      std::string path = "/cpus/cpu@" + std::to_string(h);
      const char* isa = fdt.property(fdt.find_path(path.c_str()).value(), "riscv,isa").as_string();
      REQUIRE(isa);
      CHECK(m.harts[h].has_sstc == (strstr(isa, "_sstc") != nullptr));
    }
    CHECK(m.hart_by_id(static_cast<u32>(expected)) == nullptr);
    CHECK(m.timebase_hz == 10000000);
  }
}

// The devices at their fixed virt addresses: the 16550 UART (IRQ 10, 3.6864 MHz), the PLIC, the SiFive test
// device, the Goldfish RTC (IRQ 11) and eight virtio-mmio slots (slot i at 0x10001000 + i * 0x1000, IRQ i+1).
TEST_CASE("qemu virt: devices") {
  for (const QemuConfig& config : QEMU_CONFIGS) {
    INFO(config.name);
    Parsed p;
    parse_config(config, p);
    const Machine& m = p.machine;
    CHECK(m.uart.base == 0x10000000);
    CHECK(m.uart.size == 0x100);
    CHECK(m.uart.irq == 10);
    CHECK(m.uart_clock_hz == 3686400);
    CHECK(m.plic.base == 0xc000000);
    CHECK(m.plic.is_present());
    CHECK(m.plic_ndev >= 32);
    CHECK(m.test_device.base == 0x100000);
    CHECK(m.test_device.size == 0x1000);
    CHECK(m.rtc.base == 0x101000);
    CHECK(m.rtc.irq == 11);
    REQUIRE(m.virtio_count == 8);
    std::set<u64> bases;
    for (usize i = 0; i < m.virtio_count; i++) {
      const Device& d = m.virtio[i];
      CHECK(d.size == 0x1000);
      CHECK(d.irq == (d.base - 0x10000000) / 0x1000);
      bases.insert(d.base);
    }
    CHECK(bases.size() == 8);
    CHECK(*bases.begin() == 0x10001000);
    CHECK(*bases.rbegin() == 0x10008000);
  }
}

// /chosen: bootargs and the initrd only with -append and -initrd (the initrd's size is the file's, and it
// lies in RAM); QEMU always provides a random seed.
TEST_CASE("qemu virt: chosen") {
  const u64 initrd_size = file_size(dtb_path("initrd.img"));
  for (const QemuConfig& config : QEMU_CONFIGS) {
    INFO(config.name);
    Parsed p;
    parse_config(config, p);
    const Machine& m = p.machine;
    if (config.has_chosen_args) {
      CHECK(std::string(m.bootargs) == QEMU_BOOTARGS);
      CHECK(m.initrd.size == initrd_size);
      CHECK(m.initrd.base >= m.memory[0].base);
      CHECK(m.initrd.end() <= m.memory_end());
    } else {
      CHECK(std::string(m.bootargs).empty());
      CHECK(m.initrd.size == 0);
    }
    CHECK(m.rng_seed_size > 0);
    CHECK(std::any_of(m.rng_seed, m.rng_seed + m.rng_seed_size, [](u8 b) { return b != 0; }));
  }
}

// Generic parser lookups on a real tree: the stdout path names the UART node, each hart has an interrupt
// controller, and phandles resolve.
TEST_CASE("qemu virt: lookups on a real tree") {
  std::vector<u8> blob = load_qemu_dtb("virt-smp4-64M");
  Fdt fdt = Fdt::create(blob.data(), blob.size()).release_value();
  CHECK(fdt.property(fdt.root(), "compatible").contains_string("riscv-virtio"));
  const char* stdout_path = fdt.property(fdt.find_path("/chosen").value(), "stdout-path").as_string();
  REQUIRE(stdout_path);
  Result<Fdt::Node> uart = fdt.find_path(stdout_path);
  REQUIRE(uart.has_value());
  CHECK(fdt.property(uart.value(), "compatible").contains_string("ns16550a"));
  CHECK(fdt.reg(uart.value()).value().address == 0x10000000);
  int intcs = 0;
  for (auto n = fdt.find_compatible("riscv,cpu-intc"); n.has_value(); n = fdt.find_compatible("riscv,cpu-intc", n.value())) {
    intcs++;
    Fdt::Property phandle = fdt.property(n.value(), "phandle");
    REQUIRE(phandle.size == 4);
    CHECK(fdt.find_phandle(phandle.cell(0)).value() == n.value());
    CHECK(std::string(fdt.node_name(fdt.parent(n.value()).value())).rfind("cpu@", 0) == 0);
  }
  CHECK(intcs == 4);
}

}  // TEST_SUITE
