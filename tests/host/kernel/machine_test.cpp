// kernel/machine.cpp: parse_machine on hand-made device trees, for the cases QEMU's own trees do not show:
// several memory ranges, reservations, disabled harts, harts without an S-mode PLIC context, fixed-size
// tables that overflow, odd /chosen properties, missing mandatory nodes.
#include "kernel/machine.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/fdt_builder.h"

namespace {

// Adds a hart node: cpu@<id> with an interrupt controller whose phandle is 100 + id.
void add_cpu(FdtBuilder& b, u32 id, const char* status = "okay", const char* isa = "rv64imafdc_zicsr_sstc") {
  b.begin_node("cpu@" + std::to_string(id))
      .prop_string("device_type", "cpu")
      .prop_u32("reg", {id})
      .prop_string("riscv,isa", isa);
  if (status) b.prop_string("status", status);
  b.begin_node("interrupt-controller").prop_u32("phandle", {100 + id}).end_node().end_node();
}

// The skeleton every test starts from: root cells, one memory node, /cpus with timebase (harts added by the
// caller between cpus_begin and cpus_end).
FdtBuilder& root_begin(FdtBuilder& b) {
  return b.begin_node("").prop_u32("#address-cells", {2}).prop_u32("#size-cells", {2});
}
FdtBuilder& memory(FdtBuilder& b, std::initializer_list<u32> reg) {
  return b.begin_node("memory@80000000").prop_string("device_type", "memory").prop_u32("reg", reg).end_node();
}
FdtBuilder& cpus_begin(FdtBuilder& b) {
  return b.begin_node("cpus").prop_u32("#address-cells", {1}).prop_u32("#size-cells", {0}).prop_u32(
      "timebase-frequency", {10000000});
}

Result<void> parse(const std::vector<u8>& blob, Machine& m) {
  Result<Fdt> fdt = Fdt::create(blob.data(), blob.size());
  REQUIRE(fdt.has_value());
  return parse_machine(fdt.value(), 0x87e00000, m);
}

std::vector<u8> one_hart_tree() {
  FdtBuilder b;
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x4000000});
  cpus_begin(b);
  add_cpu(b, 0);
  b.end_node().end_node();
  return b.finish();
}

}  // namespace

TEST_SUITE("kernel/machine") {

// The smallest acceptable machine: memory, one hart, a timebase. Devices that are absent stay absent.
TEST_CASE("machine: minimal tree") {
  std::vector<u8> blob = one_hart_tree();
  Machine m;
  REQUIRE(parse(blob, m).has_value());
  CHECK(m.memory_count == 1);
  CHECK(m.memory_total() == 64 * MiB);
  CHECK(m.memory_end() == 0x84000000);
  CHECK(m.hart_count == 1);
  CHECK(m.timebase_hz == 10000000);
  CHECK(m.fdt.base == 0x87e00000);
  CHECK(m.fdt.size == blob.size());
  CHECK_FALSE(m.uart.is_present());
  CHECK_FALSE(m.plic.is_present());
  CHECK(m.harts[0].plic_context == ~0u);
  CHECK(m.virtio_count == 0);
  CHECK(m.initrd.size == 0);
  CHECK(m.bootargs[0] == '\0');
  CHECK(m.rng_seed_size == 0);
  CHECK(m.reserved_count == 0);
}

// Memory, /cpus, a hart and the timebase are mandatory.
TEST_CASE("machine: missing mandatory parts") {
  Machine m;
  {
    FdtBuilder b;
    root_begin(b);
    cpus_begin(b);
    add_cpu(b, 0);
    b.end_node().end_node();
    CHECK(parse(b.finish(), m).error() == Error::INVAL);  // no memory
  }
  {
    FdtBuilder b;
    root_begin(b);
    memory(b, {0, 0x80000000, 0, 0x4000000});
    b.end_node();
    Machine m2;
    CHECK(parse(b.finish(), m2).error() == Error::NOENT);  // no /cpus
  }
  {
    FdtBuilder b;
    root_begin(b);
    memory(b, {0, 0x80000000, 0, 0x4000000});
    cpus_begin(b);
    b.end_node().end_node();
    Machine m3;
    CHECK(parse(b.finish(), m3).error() == Error::INVAL);  // no hart
  }
  {
    FdtBuilder b;
    root_begin(b);
    memory(b, {0, 0x80000000, 0, 0x4000000});
    b.begin_node("cpus").prop_u32("#address-cells", {1}).prop_u32("#size-cells", {0});
    add_cpu(b, 0);
    b.end_node().end_node();
    Machine m4;
    CHECK(parse(b.finish(), m4).error() == Error::INVAL);  // no timebase
  }
}

// Several memory nodes and several reg entries each; zero-sized entries are skipped; a 64-bit timebase.
TEST_CASE("machine: memory ranges") {
  FdtBuilder b;
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x10000000, 0, 0x90000000, 0, 0});
  b.begin_node("memory@100000000")
      .prop_string("device_type", "memory")
      .prop_u32("reg", {0x1, 0x0, 0x0, 0x40000000})
      .end_node();
  b.begin_node("cpus").prop_u32("#address-cells", {1}).prop_u32("#size-cells", {0}).prop_u32(
      "timebase-frequency", {0x1, 0x0});
  add_cpu(b, 0);
  b.end_node().end_node();
  Machine m;
  REQUIRE(parse(b.finish(), m).has_value());
  REQUIRE(m.memory_count == 2);
  CHECK(m.memory[0].base == 0x80000000);
  CHECK(m.memory[0].size == 0x10000000);
  CHECK(m.memory[1].base == 0x100000000ull);
  CHECK(m.memory[1].size == 0x40000000);
  CHECK(m.memory_end() == 0x140000000ull);
  CHECK(m.memory_total() == 0x50000000);
  CHECK(m.timebase_hz == 0x100000000ull);
}

// Reserved ranges come from the reservation block and from /reserved-memory's children; the table is
// bounded (MAX_RESERVED_RANGES) and extra entries are dropped, not written past the end.
TEST_CASE("machine: reserved ranges") {
  FdtBuilder b;
  b.reserve(0x80000000, 0x40000);
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x4000000});
  b.begin_node("reserved-memory").prop_u32("#address-cells", {2}).prop_u32("#size-cells", {2}).prop_empty("ranges");
  b.begin_node("mmode_resv0@80000000").prop_u32("reg", {0, 0x80000000, 0, 0x20000}).end_node();
  b.begin_node("two@80100000").prop_u32("reg", {0, 0x80100000, 0, 0x1000, 0, 0x80200000, 0, 0x2000}).end_node();
  b.end_node();
  cpus_begin(b);
  add_cpu(b, 0);
  b.end_node().end_node();
  Machine m;
  REQUIRE(parse(b.finish(), m).has_value());
  REQUIRE(m.reserved_count == 4);
  CHECK(m.reserved[0].base == 0x80000000);
  CHECK(m.reserved[0].size == 0x40000);
  CHECK(m.reserved[1].size == 0x20000);
  CHECK(m.reserved[2].base == 0x80100000);
  CHECK(m.reserved[3].base == 0x80200000);
  CHECK(m.reserved[3].size == 0x2000);

  FdtBuilder many;
  for (u64 i = 0; i < MAX_RESERVED_RANGES + 5; i++) many.reserve(0x80000000 + i * 0x1000, 0x1000);
  root_begin(many);
  memory(many, {0, 0x80000000, 0, 0x4000000});
  cpus_begin(many);
  add_cpu(many, 0);
  many.end_node().end_node();
  Machine m2;
  REQUIRE(parse(many.finish(), m2).has_value());
  CHECK(m2.reserved_count == MAX_RESERVED_RANGES);
}

// Harts: disabled ones and non-cpu children of /cpus are skipped; "ok", "okay" and no status count; the
// Sstc extension is read from the ISA string (as a whole extension name, not a prefix); ids come from reg.
TEST_CASE("machine: harts") {
  FdtBuilder b;
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x4000000});
  cpus_begin(b);
  add_cpu(b, 0, "okay", "rv64imafdc_zicsr_sstc");
  add_cpu(b, 1, "disabled");
  add_cpu(b, 2, "ok", "rv64imafdc_zicsr_sstcx");
  add_cpu(b, 5, nullptr, "rv64imafdc_sstc_zicsr");
  b.begin_node("cpu-map").begin_node("cluster0").end_node().end_node();
  b.end_node().end_node();
  Machine m;
  REQUIRE(parse(b.finish(), m).has_value());
  REQUIRE(m.hart_count == 3);
  CHECK(m.harts[0].hart_id == 0);
  CHECK(m.harts[0].has_sstc);
  CHECK(m.harts[1].hart_id == 2);
  CHECK_FALSE(m.harts[1].has_sstc);
  CHECK(m.harts[2].hart_id == 5);
  CHECK(m.harts[2].has_sstc);
  CHECK(m.hart_by_id(5) == &m.harts[2]);
  CHECK(m.hart_by_id(1) == nullptr);
}

// More harts than MAX_HARTS: the first MAX_HARTS are kept, nothing is written past the table.
TEST_CASE("machine: more harts than MAX_HARTS") {
  FdtBuilder b;
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x4000000});
  cpus_begin(b);
  for (u32 id = 0; id < MAX_HARTS + 4; id++) add_cpu(b, id);
  b.end_node().end_node();
  Machine m;
  REQUIRE(parse(b.finish(), m).has_value());
  CHECK(m.hart_count == MAX_HARTS);
  CHECK(m.harts[MAX_HARTS - 1].hart_id == MAX_HARTS - 1);
}

// The PLIC's interrupts-extended pairs (intc phandle, cause) are its contexts in order; the context with
// cause 9 (S-mode external interrupt) of each hart's interrupt controller is that hart's. A hart the PLIC
// does not serve in S-mode keeps "none".
TEST_CASE("machine: PLIC contexts") {
  FdtBuilder b;
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x4000000});
  cpus_begin(b);
  add_cpu(b, 0);
  add_cpu(b, 1);
  add_cpu(b, 2);
  b.end_node();
  b.begin_node("soc").prop_u32("#address-cells", {2}).prop_u32("#size-cells", {2});
  // Contexts: 0 = hart 1 M, 1 = hart 1 S, 2 = hart 0 M, 3 = hart 0 S, 4 = unknown phandle S; hart 2 M only.
  b.begin_node("plic@c000000")
      .prop_strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"})
      .prop_u32("reg", {0, 0xc000000, 0, 0x600000})
      .prop_u32("riscv,ndev", {0x5f})
      .prop_u32("interrupts-extended", {101, 11, 101, 9, 100, 11, 100, 9, 999, 9, 102, 11})
      .end_node();
  b.end_node().end_node();
  Machine m;
  REQUIRE(parse(b.finish(), m).has_value());
  CHECK(m.plic.base == 0xc000000);
  CHECK(m.plic.irq == 0);
  CHECK(m.plic_ndev == 0x5f);
  CHECK(m.hart_by_id(0)->plic_context == 3);
  CHECK(m.hart_by_id(1)->plic_context == 1);
  CHECK(m.hart_by_id(2)->plic_context == ~0u);
}

// /chosen: bootargs longer than the buffer are cut (and terminated); initrd bounds in 32- or 64-bit cells;
// an empty or inverted initrd is ignored; a seed longer than the buffer is cut.
TEST_CASE("machine: chosen") {
  std::string long_args(MAX_BOOTARGS + 100, 'x');
  std::vector<u8> seed(100);
  for (usize i = 0; i < seed.size(); i++) seed[i] = static_cast<u8>(i + 1);
  auto tree = [&](std::initializer_list<u32> start, std::initializer_list<u32> end) {
    FdtBuilder b;
    root_begin(b);
    b.begin_node("chosen")
        .prop_string("bootargs", long_args)
        .prop_u32("linux,initrd-start", start)
        .prop_u32("linux,initrd-end", end)
        .prop("rng-seed", seed)
        .end_node();
    memory(b, {0, 0x80000000, 0, 0x4000000});
    cpus_begin(b);
    add_cpu(b, 0);
    b.end_node().end_node();
    return b.finish();
  };
  Machine m;
  REQUIRE(parse(tree({0x82200000}, {0x82210000}), m).has_value());
  CHECK(std::string(m.bootargs) == long_args.substr(0, MAX_BOOTARGS - 1));
  CHECK(m.initrd.base == 0x82200000);
  CHECK(m.initrd.size == 0x10000);
  CHECK(m.rng_seed_size == sizeof(m.rng_seed));
  CHECK(m.rng_seed[0] == 1);
  CHECK(m.rng_seed[sizeof(m.rng_seed) - 1] == sizeof(m.rng_seed));

  Machine m64;
  REQUIRE(parse(tree({0x1, 0x0}, {0x1, 0x2000}), m64).has_value());
  CHECK(m64.initrd.base == 0x100000000ull);
  CHECK(m64.initrd.size == 0x2000);

  Machine inverted;
  REQUIRE(parse(tree({0x82210000}, {0x82200000}), inverted).has_value());
  CHECK(inverted.initrd.size == 0);
}

// Devices are found by compatible string; the UART's clock; at most MAX_VIRTIO_SLOTS virtio slots, in
// document order.
TEST_CASE("machine: devices") {
  FdtBuilder b;
  root_begin(b);
  memory(b, {0, 0x80000000, 0, 0x4000000});
  cpus_begin(b);
  add_cpu(b, 0);
  b.end_node();
  b.begin_node("soc").prop_u32("#address-cells", {2}).prop_u32("#size-cells", {2});
  b.begin_node("serial@10000000")
      .prop_u32("interrupts", {10})
      .prop_u32("clock-frequency", {3686400})
      .prop_u32("reg", {0, 0x10000000, 0, 0x100})
      .prop_strings("compatible", {"ns16550a"})
      .end_node();
  b.begin_node("test@100000")
      .prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"})
      .prop_u32("reg", {0, 0x100000, 0, 0x1000})
      .end_node();
  b.begin_node("rtc@101000")
      .prop_u32("interrupts", {11})
      .prop_u32("reg", {0, 0x101000, 0, 0x1000})
      .prop_strings("compatible", {"google,goldfish-rtc"})
      .end_node();
  for (u32 i = 0; i < MAX_VIRTIO_SLOTS + 3; i++) {
    b.begin_node("virtio_mmio@" + std::to_string(i))
        .prop_u32("interrupts", {i + 1})
        .prop_u32("reg", {0, 0x10001000 + i * 0x1000, 0, 0x1000})
        .prop_strings("compatible", {"virtio,mmio"})
        .end_node();
  }
  b.end_node().end_node();
  Machine m;
  REQUIRE(parse(b.finish(), m).has_value());
  CHECK(m.uart.base == 0x10000000);
  CHECK(m.uart.size == 0x100);
  CHECK(m.uart.irq == 10);
  CHECK(m.uart_clock_hz == 3686400);
  CHECK(m.test_device.base == 0x100000);
  CHECK(m.test_device.irq == 0);
  CHECK(m.rtc.base == 0x101000);
  CHECK(m.rtc.irq == 11);
  REQUIRE(m.virtio_count == MAX_VIRTIO_SLOTS);
  for (u32 i = 0; i < MAX_VIRTIO_SLOTS; i++) {
    CHECK(m.virtio[i].base == 0x10001000 + i * 0x1000);
    CHECK(m.virtio[i].irq == i + 1);
  }
}

}  // TEST_SUITE
