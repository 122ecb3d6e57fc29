#include "kernel/machine.h"

#include <cstring>

namespace {

void add_reserved(Machine& m, u64 base, u64 size) {
  if (size == 0 || m.reserved_count == MAX_RESERVED_RANGES) return;
  m.reserved[m.reserved_count++] = {base, size};
}

// True if the ISA string of a hart ("rv64imafdch_zicsr_..._sstc") names the multi-letter extension ext.
bool isa_has_extension(const char* isa, const char* ext) {
  usize len = strlen(ext);
  for (const char* p = isa; *p; p++) {
    if (*p == '_' && strncmp(p + 1, ext, len) == 0 && (p[1 + len] == '_' || p[1 + len] == '\0')) return true;
  }
  return false;
}

Result<void> parse_harts(const Fdt& fdt, Machine& m) {
  Fdt::Node cpus = TRY(fdt.find_path("/cpus"));
  Fdt::Property tb = fdt.property(cpus, "timebase-frequency");
  if (tb.size == 4 || tb.size == 8) m.timebase_hz = tb.read_cells(0, tb.size / 4);
  fdt.for_each_child(cpus, [&](Fdt::Node cpu) {
    Fdt::Property type = fdt.property(cpu, "device_type");
    if (!type.as_string() || strcmp(type.as_string(), "cpu") != 0) return;
    Fdt::Property status = fdt.property(cpu, "status");
    if (status.as_string() && strcmp(status.as_string(), "okay") != 0 && strcmp(status.as_string(), "ok") != 0)
      return;
    Fdt::Property reg = fdt.property(cpu, "reg");
    if (reg.size < 4 || m.hart_count == MAX_HARTS) return;
    HartInfo& h = m.harts[m.hart_count++];
    h.hart_id = reg.cell(0);
    const char* isa = fdt.property(cpu, "riscv,isa").as_string();
    h.has_sstc = isa && isa_has_extension(isa, "sstc");
  });
  if (m.hart_count == 0 || m.timebase_hz == 0) return Error::INVAL;
  return {};
}

// The PLIC's interrupts-extended property lists (interrupt-controller phandle, cause) per context; the
// context whose cause is 9 (supervisor external interrupt) belongs to that hart's S-mode.
void parse_plic_contexts(const Fdt& fdt, Fdt::Node plic, Machine& m) {
  Fdt::Property ext = fdt.property(plic, "interrupts-extended");
  for (u32 ctx = 0; (ctx + 1) * 2 <= ext.cell_count(); ctx++) {
    u32 phandle = ext.cell(ctx * 2);
    u32 cause = ext.cell(ctx * 2 + 1);
    if (cause != 9) continue;
    auto intc = fdt.find_phandle(phandle);
    if (intc.is_error()) continue;
    auto cpu = fdt.parent(intc.value());
    if (cpu.is_error()) continue;
    Fdt::Property reg = fdt.property(cpu.value(), "reg");
    if (reg.size < 4) continue;
    for (usize i = 0; i < m.hart_count; i++)
      if (m.harts[i].hart_id == reg.cell(0)) m.harts[i].plic_context = ctx;
  }
}

Device read_device(const Fdt& fdt, Fdt::Node node) {
  Device d;
  auto reg = fdt.reg(node);
  if (reg.is_error()) return d;
  d.base = reg.value().address;
  d.size = reg.value().size;
  Fdt::Property irq = fdt.property(node, "interrupts");
  if (irq.size >= 4) d.irq = irq.cell(0);
  return d;
}

}  // namespace

const HartInfo* Machine::hart_by_id(u32 hart_id) const {
  for (usize i = 0; i < hart_count; i++)
    if (harts[i].hart_id == hart_id) return &harts[i];
  return nullptr;
}

u64 Machine::memory_end() const {
  u64 end = 0;
  for (usize i = 0; i < memory_count; i++)
    if (memory[i].end() > end) end = memory[i].end();
  return end;
}

u64 Machine::memory_total() const {
  u64 total = 0;
  for (usize i = 0; i < memory_count; i++) total += memory[i].size;
  return total;
}

Result<void> parse_machine(const Fdt& fdt, u64 fdt_pa, Machine& m) {
  m.fdt = {fdt_pa, fdt.total_size()};

  // Memory: every node with device_type = "memory", each reg entry a range.
  fdt.for_each_node([&](Fdt::Node n) {
    Fdt::Property type = fdt.property(n, "device_type");
    if (!type.as_string() || strcmp(type.as_string(), "memory") != 0) return;
    for (u32 i = 0; m.memory_count < MAX_MEMORY_RANGES; i++) {
      auto r = fdt.reg(n, i);
      if (r.is_error()) break;
      if (r.value().size) m.memory[m.memory_count++] = {r.value().address, r.value().size};
    }
  });
  if (m.memory_count == 0) return Error::INVAL;

  // Reserved: the memory reservation block and the children of /reserved-memory (OpenSBI puts its own
  // firmware region there).
  for (usize i = 0; i < fdt.reservation_count(); i++) add_reserved(m, fdt.reservation(i).address, fdt.reservation(i).size);
  if (auto rm = fdt.find_path("/reserved-memory"); rm.has_value()) {
    fdt.for_each_child(rm.value(), [&](Fdt::Node child) {
      for (u32 i = 0;; i++) {
        auto r = fdt.reg(child, i);
        if (r.is_error()) break;
        add_reserved(m, r.value().address, r.value().size);
      }
    });
  }

  TRY(parse_harts(fdt, m));

  // /chosen: kernel command line, initrd, random seed.
  if (auto chosen = fdt.find_path("/chosen"); chosen.has_value()) {
    if (const char* args = fdt.property(chosen.value(), "bootargs").as_string()) {
      strncpy(m.bootargs, args, MAX_BOOTARGS - 1);
      m.bootargs[MAX_BOOTARGS - 1] = '\0';
    }
    Fdt::Property start = fdt.property(chosen.value(), "linux,initrd-start");
    Fdt::Property end = fdt.property(chosen.value(), "linux,initrd-end");
    if (start.is_present() && end.is_present()) {
      u64 s = start.read_cells(0, start.size / 4);
      u64 e = end.read_cells(0, end.size / 4);
      if (e > s) m.initrd = {s, e - s};
    }
    Fdt::Property seed = fdt.property(chosen.value(), "rng-seed");
    if (seed.is_present()) {
      m.rng_seed_size = seed.size < sizeof(m.rng_seed) ? seed.size : sizeof(m.rng_seed);
      memcpy(m.rng_seed, seed.data, m.rng_seed_size);
    }
  }

  // Devices.
  if (auto n = fdt.find_compatible("ns16550a"); n.has_value()) {
    m.uart = read_device(fdt, n.value());
    Fdt::Property clk = fdt.property(n.value(), "clock-frequency");
    if (clk.size == 4) m.uart_clock_hz = clk.cell(0);
  }
  if (auto n = fdt.find_compatible("riscv,plic0"); n.has_value()) {
    m.plic = read_device(fdt, n.value());
    m.plic.irq = 0;
    Fdt::Property ndev = fdt.property(n.value(), "riscv,ndev");
    if (ndev.size == 4) m.plic_ndev = ndev.cell(0);
    parse_plic_contexts(fdt, n.value(), m);
  }
  if (auto n = fdt.find_compatible("sifive,test0"); n.has_value()) m.test_device = read_device(fdt, n.value());
  if (auto n = fdt.find_compatible("google,goldfish-rtc"); n.has_value()) m.rtc = read_device(fdt, n.value());
  for (auto n = fdt.find_compatible("virtio,mmio"); n.has_value() && m.virtio_count < MAX_VIRTIO_SLOTS;
       n = fdt.find_compatible("virtio,mmio", n.value())) {
    m.virtio[m.virtio_count++] = read_device(fdt, n.value());
  }
  return {};
}
