// kernel/fdt.cpp: the flattened-device-tree reader, on small hand-made blobs (support/fdt_builder.h): lookups
// by path, compatible and phandle, properties and cells, parents and children, the reservation block, and
// the header and structure checks that keep a corrupt blob from causing wild reads (AddressSanitizer watches
// every test: each blob sits in a heap buffer of exactly its size).
#include "kernel/fdt.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/fdt_builder.h"

namespace {

// A small tree in the shape of QEMU's virt machine.
std::vector<u8> sample_tree() {
  return FdtBuilder()
      .reserve(0x80000000, 0x40000)
      .reserve(0x87e00000, 0x1000)
      .begin_node("")
      .prop_u32("#address-cells", {2})
      .prop_u32("#size-cells", {2})
      .prop_string("model", "test,board")
      .begin_node("chosen")
      .prop_string("bootargs", "console=ttyS0")
      .end_node()
      .begin_node("memory@80000000")
      .prop_string("device_type", "memory")
      .prop_u32("reg", {0, 0x80000000, 0, 0x4000000})
      .end_node()
      .begin_node("cpus")
      .prop_u32("#address-cells", {1})
      .prop_u32("#size-cells", {0})
      .prop_u32("timebase-frequency", {10000000})
      .begin_node("cpu@0")
      .prop_string("device_type", "cpu")
      .prop_u32("reg", {0})
      .begin_node("interrupt-controller")
      .prop_u32("phandle", {3})
      .prop_strings("compatible", {"riscv,cpu-intc"})
      .end_node()
      .end_node()
      .end_node()
      .nop()
      .begin_node("soc")
      .prop_u32("#address-cells", {2})
      .prop_u32("#size-cells", {2})
      .prop_empty("ranges")
      .begin_node("serial@10000000")
      .prop_u32("interrupts", {10})
      .prop_u32("reg", {0, 0x10000000, 0, 0x100})
      .prop_strings("compatible", {"ns16550a"})
      .end_node()
      .begin_node("virtio_mmio@10002000")
      .prop_u32("reg", {0, 0x10002000, 0, 0x1000})
      .prop_strings("compatible", {"virtio,mmio"})
      .end_node()
      .begin_node("virtio_mmio@10001000")
      .nop()
      .prop_u32("reg", {0, 0x10001000, 0, 0x1000})
      .prop_strings("compatible", {"virtio,mmio"})
      .end_node()
      .begin_node("test@100000")
      .prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"})
      .prop_u32("reg", {0, 0x100000, 0, 0x1000})
      .prop_u32("phandle", {7})
      .end_node()
      .end_node()
      .end_node()
      .finish();
}

// A reader over blob, which must outlive it (the reader does not copy the blob).
Fdt parse(const std::vector<u8>& blob) {
  Result<Fdt> fdt = Fdt::create(blob.data(), blob.size());
  REQUIRE(fdt.has_value());
  return fdt.release_value();
}

std::string name_at(const Fdt& fdt, const char* path) {
  Result<Fdt::Node> node = fdt.find_path(path);
  return node.has_value() ? fdt.node_name(node.value()) : "<" + std::string(error_name(node.error())) + ">";
}

}  // namespace

TEST_SUITE("kernel/fdt") {

// A well-formed blob is accepted; the root node has the empty name.
TEST_CASE("fdt: create on a well-formed blob") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  CHECK(fdt.total_size() == blob.size());
  CHECK(std::string(fdt.node_name(fdt.root())) == "");
  CHECK(fdt.property(fdt.root(), "model").as_string() == std::string("test,board"));
}

// Paths name nodes from the root; a component without "@unit" matches any unit address, one with a unit
// must match exactly; prefixes of names do not match.
TEST_CASE("fdt: find_path") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  CHECK(fdt.find_path("/").value() == fdt.root());
  CHECK(name_at(fdt, "/cpus") == "cpus");
  CHECK(name_at(fdt, "/cpus/cpu@0") == "cpu@0");
  CHECK(name_at(fdt, "/cpus/cpu") == "cpu@0");
  CHECK(name_at(fdt, "/cpus/cpu@0/interrupt-controller") == "interrupt-controller");
  CHECK(name_at(fdt, "/soc/serial@10000000") == "serial@10000000");
  CHECK(name_at(fdt, "/soc/serial") == "serial@10000000");
  CHECK(name_at(fdt, "/soc/virtio_mmio") == "virtio_mmio@10002000");  // the first in document order
  CHECK(name_at(fdt, "/soc/virtio_mmio@10001000") == "virtio_mmio@10001000");
  CHECK(name_at(fdt, "/memory") == "memory@80000000");
  CHECK(name_at(fdt, "/soc/serial@1") == "<ENOENT>");
  CHECK(name_at(fdt, "/cpu") == "<ENOENT>");
  CHECK(name_at(fdt, "/cpus/cpu@0/nothing") == "<ENOENT>");
  CHECK(name_at(fdt, "/chosen/bootargs") == "<ENOENT>");  // a property is not a node
  CHECK(name_at(fdt, "cpus") == "<EINVAL>");
  CHECK(fdt.find_path(nullptr).error() == Error::INVAL);
}

// Properties: presence, size, big-endian cells, strings and string lists; an empty property is present but
// not a string; reading past the end of a property gives 0, not a wild read.
TEST_CASE("fdt: properties and cells") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  Fdt::Node serial = fdt.find_path("/soc/serial").value();
  Fdt::Property reg = fdt.property(serial, "reg");
  REQUIRE(reg.is_present());
  CHECK(reg.size == 16);
  CHECK(reg.cell_count() == 4);
  CHECK(reg.cell(1) == 0x10000000);
  CHECK(reg.cell(4) == 0);
  CHECK(reg.cell(0x40000000) == 0);  // index * 4 wraps around 32 bits
  CHECK(reg.cell(0xffffffff) == 0);
  CHECK(reg.read_cells(0, 2) == 0x10000000);
  CHECK(reg.read_cells(2, 2) == 0x100);
  CHECK(reg.read_cells(1, 1) == 0x10000000);
  CHECK(fdt.property(serial, "interrupts").as_string() == nullptr);  // 00 00 00 0a: not NUL-terminated
  CHECK_FALSE(fdt.property(serial, "no-such-property").is_present());
  CHECK(fdt.property(serial, "no-such-property").size == 0);

  Fdt::Property ranges = fdt.property(fdt.find_path("/soc").value(), "ranges");
  CHECK(ranges.is_present());
  CHECK(ranges.size == 0);
  CHECK(ranges.as_string() == nullptr);

  Fdt::Property compat = fdt.property(fdt.find_path("/soc/test").value(), "compatible");
  CHECK(compat.contains_string("sifive,test0"));
  CHECK(compat.contains_string("syscon"));
  CHECK_FALSE(compat.contains_string("sifive,test"));
  CHECK_FALSE(compat.contains_string("syscon2"));
  CHECK(std::string(compat.as_string()) == "sifive,test1");  // a string list reads as its first string
  CHECK_FALSE(Fdt::Property{}.contains_string("x"));
}

// Properties of a node are found only in that node, not in its children.
TEST_CASE("fdt: property lookup stays in its node") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  CHECK_FALSE(fdt.property(fdt.root(), "device_type").is_present());
  CHECK_FALSE(fdt.property(fdt.find_path("/cpus").value(), "reg").is_present());
  CHECK(fdt.property(fdt.find_path("/cpus/cpu").value(), "reg").is_present());
}

// parent() walks up; the root has none.
TEST_CASE("fdt: parent") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  Fdt::Node intc = fdt.find_path("/cpus/cpu@0/interrupt-controller").value();
  Fdt::Node cpu = fdt.parent(intc).value();
  CHECK(std::string(fdt.node_name(cpu)) == "cpu@0");
  Fdt::Node cpus = fdt.parent(cpu).value();
  CHECK(std::string(fdt.node_name(cpus)) == "cpus");
  CHECK(fdt.parent(cpus).value() == fdt.root());
  CHECK(fdt.parent(fdt.root()).error() == Error::NOENT);
  CHECK(fdt.parent(Fdt::Node{3}).is_error());  // not the offset of any node
}

// for_each_child visits direct children only, in order, skipping NOPs; for_each_node visits every node in
// document order.
TEST_CASE("fdt: for_each_child and for_each_node") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  std::vector<std::string> children;
  fdt.for_each_child(fdt.root(), [&](Fdt::Node n) { children.push_back(fdt.node_name(n)); });
  CHECK(children == std::vector<std::string>{"chosen", "memory@80000000", "cpus", "soc"});
  std::vector<std::string> soc_children;
  fdt.for_each_child(fdt.find_path("/soc").value(), [&](Fdt::Node n) { soc_children.push_back(fdt.node_name(n)); });
  CHECK(soc_children == std::vector<std::string>{"serial@10000000", "virtio_mmio@10002000", "virtio_mmio@10001000", "test@100000"});
  std::vector<std::string> all;
  fdt.for_each_node([&](Fdt::Node n) { all.push_back(fdt.node_name(n)); });
  CHECK(all == std::vector<std::string>{"", "chosen", "memory@80000000", "cpus", "cpu@0", "interrupt-controller", "soc",
                                        "serial@10000000", "virtio_mmio@10002000", "virtio_mmio@10001000", "test@100000"});
  int leaf_children = 0;
  fdt.for_each_child(fdt.find_path("/soc/serial").value(), [&](Fdt::Node) { leaf_children++; });
  CHECK(leaf_children == 0);
}

// find_compatible finds each match in document order when resumed after the previous one; find_phandle
// finds the node carrying a phandle.
TEST_CASE("fdt: find_compatible and find_phandle") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  std::vector<std::string> virtio;
  for (auto n = fdt.find_compatible("virtio,mmio"); n.has_value(); n = fdt.find_compatible("virtio,mmio", n.value()))
    virtio.push_back(fdt.node_name(n.value()));
  CHECK(virtio == std::vector<std::string>{"virtio_mmio@10002000", "virtio_mmio@10001000"});
  CHECK(std::string(fdt.node_name(fdt.find_compatible("sifive,test0").value())) == "test@100000");
  CHECK(fdt.find_compatible("acme,widget").error() == Error::NOENT);
  CHECK(std::string(fdt.node_name(fdt.find_phandle(3).value())) == "interrupt-controller");
  CHECK(std::string(fdt.node_name(fdt.find_phandle(7).value())) == "test@100000");
  CHECK(fdt.find_phandle(4).error() == Error::NOENT);
}

// reg is decoded with the parent's #address-cells/#size-cells (defaults 2 and 1 when absent); a missing
// entry is ENOENT, unsupported cell counts are EINVAL.
TEST_CASE("fdt: address and size cells, reg") {
  std::vector<u8> blob = FdtBuilder()
                             .begin_node("")
                             .begin_node("defaults")  // no cell properties: 2 and 1
                             .prop_u32("#address-cells", {1})
                             .prop_u32("#size-cells", {1})
                             .begin_node("dev@1000")
                             .prop_u32("reg", {0x1000, 0x100, 0x3000, 0x200})
                             .end_node()
                             .begin_node("wide@0")
                             .prop_u32("#address-cells", {3})
                             .begin_node("child")
                             .prop_u32("reg", {1, 2, 3, 4})
                             .end_node()
                             .end_node()
                             .end_node()
                             .begin_node("dev2")
                             .prop_u32("reg", {0x1, 0x80000000, 0x2000})
                             .end_node()
                             .begin_node("noreg")
                             .end_node()
                             .end_node()
                             .finish();
  Fdt fdt = parse(blob);
  CHECK(fdt.address_cells(fdt.root()) == 2);
  CHECK(fdt.size_cells(fdt.root()) == 1);
  Result<Fdt::Reservation> r = fdt.reg(fdt.find_path("/dev2").value());
  REQUIRE(r.has_value());
  CHECK(r.value().address == 0x180000000ull);
  CHECK(r.value().size == 0x2000);
  Fdt::Node dev = fdt.find_path("/defaults/dev").value();
  CHECK(fdt.reg(dev, 0).value().address == 0x1000);
  CHECK(fdt.reg(dev, 1).value().address == 0x3000);
  CHECK(fdt.reg(dev, 1).value().size == 0x200);
  CHECK(fdt.reg(dev, 2).error() == Error::NOENT);
  CHECK(fdt.reg(dev, 0xffffffff).error() == Error::NOENT);  // (index + 1) * cells wraps around 32 bits
  CHECK(fdt.reg(dev, 0x80000000).error() == Error::NOENT);
  CHECK(fdt.reg(fdt.find_path("/noreg").value()).error() == Error::NOENT);
  CHECK(fdt.reg(fdt.find_path("/defaults/wide/child").value()).error() == Error::INVAL);
  CHECK(fdt.reg(fdt.root()).is_error());  // the root has no parent
}

// The memory reservation block lists (address, size) pairs up to the terminating empty entry.
TEST_CASE("fdt: memory reservation block") {
  const std::vector<u8> blob = sample_tree();
  Fdt fdt = parse(blob);
  REQUIRE(fdt.reservation_count() == 2);
  CHECK(fdt.reservation(0).address == 0x80000000);
  CHECK(fdt.reservation(0).size == 0x40000);
  CHECK(fdt.reservation(1).address == 0x87e00000);
  CHECK(fdt.reservation(1).size == 0x1000);
  CHECK(fdt.reservation(1000000).size == 0);  // far past the blob: no read, an empty entry
  // Indexes whose byte offset wraps around 32 bits (here to 0xfffffff0 and to 0) are past the blob too.
  CHECK(fdt.reservation((0xfffffff0 - 48) / 16).size == 0);
  CHECK(fdt.reservation((0x100000000 - 48) / 16).size == 0);
  CHECK(fdt.reservation(~usize(0)).size == 0);
  std::vector<u8> none = FdtBuilder().begin_node("").end_node().finish();
  CHECK(parse(none).reservation_count() == 0);  // "none" outlives the reader: a full expression
}

// Every header check: null or short buffers, bad magic, unsupported versions, sizes and offsets outside the
// blob (including ones that would overflow), misaligned blocks, and a structure block that does not start
// with a node. Each is rejected with EINVAL.
TEST_CASE("fdt: header checks") {
  using namespace fdt_header;
  const std::vector<u8> good = sample_tree();
  const u32 total = static_cast<u32>(good.size());
  REQUIRE(Fdt::create(good.data(), good.size()).has_value());
  auto rejected = [](const std::vector<u8>& blob, usize size) {
    Result<Fdt> r = Fdt::create(blob.data(), size);
    return r.is_error() && r.error() == Error::INVAL;
  };
  auto with = [&](usize field, u32 value) {
    std::vector<u8> b = good;
    set(b, field, value);
    return b;
  };
  CHECK(Fdt::create(nullptr).error() == Error::INVAL);
  CHECK(rejected(good, 39));
  CHECK(rejected(good, total - 1));  // totalsize larger than the buffer
  CHECK(rejected(with(MAGIC, 0xedfe0dd0), total));
  CHECK(rejected(with(VERSION, 16), total));
  CHECK(rejected(with(LAST_COMP_VERSION, 18), total));
  CHECK(rejected(with(TOTAL_SIZE, 39), total));
  CHECK(rejected(with(OFF_STRUCT, total), total));
  CHECK(rejected(with(OFF_STRUCT, get(good, OFF_STRUCT) + 2), total));  // misaligned
  CHECK(rejected(with(SIZE_STRUCT, total), total));
  CHECK(rejected(with(SIZE_STRUCT, 0xfffffff0), total));  // offset + size overflows 32 bits
  CHECK(rejected(with(OFF_STRINGS, total - 1), total));
  CHECK(rejected(with(SIZE_STRINGS, 0xffffffff), total));
  CHECK(rejected(with(OFF_RSVMAP, total - 8), total));
  CHECK(rejected(with(OFF_RSVMAP, 44), total));  // misaligned (8 bytes required)
  CHECK(rejected(with(SIZE_STRUCT, 0), total));
  // The structure block must open with BEGIN_NODE (after optional NOPs) and the root's name must end in it.
  std::vector<u8> starts_with_prop = good;
  set(starts_with_prop, get(good, OFF_STRUCT), 3);
  CHECK(rejected(starts_with_prop, total));
  std::vector<u8> nops_first = FdtBuilder().nop().nop().begin_node("").end_node().finish();
  CHECK(Fdt::create(nops_first.data(), nops_first.size()).has_value());
  std::vector<u8> only_nops = FdtBuilder().nop().nop().finish();
  CHECK(rejected(only_nops, only_nops.size()));
  std::vector<u8> long_name = FdtBuilder().begin_node("abcdefgh").end_node().finish();
  set(long_name, SIZE_STRUCT, 8);  // the block ends inside the root's name
  CHECK(rejected(long_name, long_name.size()));
  // Version 16 as last compatible, 17 as current: what QEMU writes, accepted.
  CHECK(Fdt::create(with(LAST_COMP_VERSION, 16).data(), total).has_value());
}

// A corrupt structure block yields "not found" answers, never reads outside the blob: a property whose
// length runs past the block, a property name offset outside the strings block, a node that never ends,
// and nesting deeper than parent() tracks.
TEST_CASE("fdt: corrupt structure blocks") {
  // A property length running past the end of the structure block.
  std::vector<u8> blob = FdtBuilder().begin_node("").prop_u32("a", {1}).prop_u32("b", {2}).end_node().finish();
  const u32 struct_off = fdt_header::get(blob, fdt_header::OFF_STRUCT);
  // Root: BEGIN_NODE, name "" padded to 4 → first PROP at +8: token, len, nameoff.
  fdt_header::set(blob, struct_off + 12, 0x7ffffff0);
  Fdt fdt = parse(blob);
  CHECK_FALSE(fdt.property(fdt.root(), "a").is_present());
  CHECK_FALSE(fdt.property(fdt.root(), "b").is_present());

  // A name offset outside the strings block.
  blob = FdtBuilder().begin_node("").prop_u32("a", {1}).prop_u32("b", {2}).end_node().finish();
  fdt_header::set(blob, struct_off + 16, 0xfffffff0);
  fdt = parse(blob);
  CHECK_FALSE(fdt.property(fdt.root(), "a").is_present());
  CHECK(fdt.property(fdt.root(), "b").cell(0) == 2);

  // A tree whose nodes are never closed.
  blob = FdtBuilder().begin_node("").begin_node("a").begin_node("b").finish();
  fdt = parse(blob);
  CHECK(name_at(fdt, "/a/b") == "b");
  int nodes = 0;
  fdt.for_each_node([&](Fdt::Node) { nodes++; });
  CHECK(nodes == 3);
  CHECK(fdt.parent(fdt.find_path("/a/b").value()).has_value());

  // Nesting deeper than parent() follows: an error, not a stack overflow.
  FdtBuilder deep;
  deep.begin_node("");
  for (int i = 0; i < 40; i++) deep.begin_node("n");
  deep.prop_u32("reg", {1});
  for (int i = 0; i < 40; i++) deep.end_node();
  deep.end_node();
  blob = deep.finish();
  fdt = parse(blob);
  Fdt::Node deepest = fdt.root();
  fdt.for_each_node([&](Fdt::Node n) { deepest = n; });
  CHECK(fdt.parent(deepest).error() == Error::INVAL);
  CHECK(fdt.reg(deepest).is_error());

  // An unknown token ends the walk.
  blob = FdtBuilder().begin_node("").begin_node("a").end_node().begin_node("b").end_node().end_node().finish();
  usize b_token = struct_off + 8 + 4 + 4 + 4;  // root header, then "a": BEGIN_NODE, "a\0" padded, END_NODE
  REQUIRE(fdt_header::get(blob, b_token) == 1);
  fdt_header::set(blob, b_token, 0x77);
  fdt = parse(blob);
  CHECK(name_at(fdt, "/a") == "a");
  CHECK(name_at(fdt, "/b") == "<ENOENT>");
}

// Every truncation of a blob: with the header unchanged, create() refuses a buffer shorter than totalsize;
// with totalsize and the block sizes cut to match, whatever is parsed stays inside the buffer.
TEST_CASE("fdt: truncated blobs") {
  const std::vector<u8> good = sample_tree();
  for (usize n = 0; n < good.size(); n++) {
    std::vector<u8> cut(good.begin(), good.begin() + static_cast<long>(n));
    CHECK(Fdt::create(cut.data(), cut.size()).is_error());
    if (n < 40) continue;
    using namespace fdt_header;
    set(cut, TOTAL_SIZE, static_cast<u32>(n));
    u32 off_struct = get(cut, OFF_STRUCT), off_strings = get(cut, OFF_STRINGS);
    if (off_struct < n) set(cut, SIZE_STRUCT, std::min<u32>(get(cut, SIZE_STRUCT), static_cast<u32>(n) - off_struct));
    if (off_strings <= n) set(cut, SIZE_STRINGS, static_cast<u32>(n) - off_strings);
    Result<Fdt> fdt = Fdt::create(cut.data(), cut.size());
    if (fdt.is_error()) continue;
    int nodes = 0;
    fdt.value().for_each_node([&](Fdt::Node node) {
      nodes++;
      (void)fdt.value().node_name(node);
      (void)fdt.value().property(node, "compatible").contains_string("ns16550a");
      (void)fdt.value().reg(node);
    });
    CHECK(nodes >= 1);
    (void)fdt.value().find_path("/soc/serial");
    (void)fdt.value().reservation_count();
  }
}

}  // TEST_SUITE
