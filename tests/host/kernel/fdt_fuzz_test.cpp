// Robustness of kernel/fdt.cpp and kernel/machine.cpp: QEMU's real device tree, mutated at random (bit flips,
// overwritten tokens and lengths, corrupted header fields, truncation, copied chunks), is fed to every reader
// entry point and to parse_machine. Errors are fine; crashes, hangs and reads outside the blob are not
// (each mutant sits in a heap buffer of exactly its size, so AddressSanitizer reports any such read).
//
// The run is deterministic. FDT_FUZZ_ITERATIONS and FDT_FUZZ_SEED in the environment make it longer or
// different, e.g.   FDT_FUZZ_ITERATIONS=200000 FDT_FUZZ_SEED=7 build/host/tests/host/host_fdt -ts=kernel/fdt_fuzz
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel/fdt.h"
#include "kernel/machine.h"
#include "support/fdt_builder.h"
#include "support/qemu_dtb.h"

namespace {

u64 env_or(const char* name, u64 fallback) {
  const char* v = getenv(name);
  return v ? strtoull(v, nullptr, 0) : fallback;
}

struct Outcome {
  bool accepted = false;  // Fdt::create succeeded
  bool parsed = false;    // parse_machine succeeded
};

// Calls every reader entry point on the blob. Only the absence of crashes and bad reads matters, plus the
// bounds of the fixed-size tables in Machine.
Outcome exercise(const std::vector<u8>& blob, std::mt19937_64& rng) {
  Outcome outcome;
  Result<Fdt> created = Fdt::create(blob.data(), blob.size());
  if (created.is_error()) return outcome;
  outcome.accepted = true;
  const Fdt& fdt = created.value();

  int visited = 0;
  fdt.for_each_node([&](Fdt::Node n) {
    visited++;
    (void)strlen(fdt.node_name(n));
    (void)fdt.property(n, "compatible").contains_string("virtio,mmio");
    if (const char* s = fdt.property(n, "status").as_string()) (void)strlen(s);
    Fdt::Property reg = fdt.property(n, "reg");
    (void)reg.read_cells(0, 2);
    (void)reg.read_cells(reg.cell_count(), 2);
    // parent() and reg() walk the tree from the root: sample a few nodes to keep the run fast.
    if (rng() % 8 == 0) {
      (void)fdt.parent(n);
      (void)fdt.reg(n, static_cast<u32>(rng() % 3));
      int children = 0;
      fdt.for_each_child(n, [&](Fdt::Node) { children++; });
    }
  });
  CHECK(visited >= 1);
  for (const char* path : {"/", "/cpus", "/cpus/cpu@0", "/soc/serial", "/soc/plic@c000000", "/chosen", "/a/b/c"})
    (void)fdt.find_path(path);
  int found = 0;
  for (auto n = fdt.find_compatible("virtio,mmio"); n.has_value() && found < 64;
       n = fdt.find_compatible("virtio,mmio", n.value()))
    found++;
  (void)fdt.find_phandle(static_cast<u32>(rng() % 16));
  usize reservations = std::min<usize>(fdt.reservation_count(), 64);
  for (usize i = 0; i < reservations; i++) (void)fdt.reservation(i);

  Machine m;
  outcome.parsed = parse_machine(fdt, 0x87e00000, m).has_value();
  CHECK(m.memory_count <= MAX_MEMORY_RANGES);
  CHECK(m.reserved_count <= MAX_RESERVED_RANGES);
  CHECK(m.hart_count <= MAX_HARTS);
  CHECK(m.virtio_count <= MAX_VIRTIO_SLOTS);
  CHECK(m.rng_seed_size <= sizeof(m.rng_seed));
  CHECK(strlen(m.bootargs) < MAX_BOOTARGS);
  return outcome;
}

// Values that tend to matter in a device tree: tokens, small and huge lengths, offsets near the ends.
u32 interesting_u32(std::mt19937_64& rng, u32 total) {
  const u32 values[] = {0, 1, 2, 3, 4, 9, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, total - 4, total, total + 1,
                        0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff};
  return rng() % 4 == 0 ? static_cast<u32>(rng()) : values[rng() % std::size(values)];
}

std::vector<u8> mutate(const std::vector<u8>& original, std::mt19937_64& rng) {
  std::vector<u8> b = original;
  const u32 total = static_cast<u32>(b.size());
  const u32 off_struct = fdt_header::get(b, fdt_header::OFF_STRUCT);
  const u32 size_struct = fdt_header::get(b, fdt_header::SIZE_STRUCT);
  switch (rng() % 6) {
    case 0: {  // flip a few random bits anywhere
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < flips; i++) b[rng() % b.size()] ^= static_cast<u8>(1u << (rng() % 8));
      break;
    }
    case 1: {  // overwrite aligned words of the structure block (tokens, lengths, name offsets)
      // The header may be corrupt already (mutations compound): then any word of the blob.
      bool sane = size_struct >= 4 && off_struct <= total && size_struct <= total - off_struct;
      u32 first = sane ? off_struct : 0, words_in = sane ? size_struct / 4 : total / 4;
      int words = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < words; i++) {
        u32 at = first + static_cast<u32>(rng() % words_in) * 4;
        fdt_header::set(b, at, interesting_u32(rng, total));
      }
      break;
    }
    case 2: {  // one header field
      static const usize fields[] = {fdt_header::TOTAL_SIZE,   fdt_header::OFF_STRUCT,   fdt_header::OFF_STRINGS,
                                     fdt_header::OFF_RSVMAP,   fdt_header::VERSION,      fdt_header::LAST_COMP_VERSION,
                                     fdt_header::SIZE_STRINGS, fdt_header::SIZE_STRUCT};
      fdt_header::set(b, fields[rng() % std::size(fields)], interesting_u32(rng, total));
      break;
    }
    case 3: {  // truncate, sometimes with the header made to agree
      usize n = rng() % b.size();
      b.resize(n);
      b.shrink_to_fit();
      if (n >= 40 && rng() % 2) {
        fdt_header::set(b, fdt_header::TOTAL_SIZE, static_cast<u32>(n));
        if (off_struct < n)
          fdt_header::set(b, fdt_header::SIZE_STRUCT, std::min<u32>(size_struct, static_cast<u32>(n) - off_struct));
        u32 off_strings = fdt_header::get(b, fdt_header::OFF_STRINGS);
        if (off_strings <= n) fdt_header::set(b, fdt_header::SIZE_STRINGS, static_cast<u32>(n) - off_strings);
      }
      break;
    }
    case 4: {  // random bytes in a random place (often strings and names)
      usize at = rng() % b.size();
      usize len = std::min<usize>(1 + rng() % 16, b.size() - at);
      for (usize i = 0; i < len; i++) b[at + i] = static_cast<u8>(rng());
      break;
    }
    case 5: {  // copy a chunk of the blob over another place (duplicated tokens, misplaced nodes)
      usize len = 4 + rng() % 64;
      if (len >= b.size()) break;
      usize from = rng() % (b.size() - len), to = rng() % (b.size() - len);
      std::memmove(b.data() + to, b.data() + from, len);
      break;
    }
  }
  return b;
}

}  // namespace

TEST_SUITE("kernel/fdt_fuzz") {

// The unmodified trees pass through the same harness (a baseline for the mutants).
TEST_CASE("fdt fuzz: real trees pass the harness") {
  std::mt19937_64 rng(0);
  for (const QemuConfig& config : QEMU_CONFIGS) {
    INFO(config.name);
    Outcome o = exercise(load_qemu_dtb(config.name), rng);
    CHECK(o.accepted);
    CHECK(o.parsed);
  }
}

// Random mutants of QEMU's tree: no crash, no out-of-bounds read, bounded Machine tables. A good share of
// mutants must still be accepted, or the run would only test the header checks.
TEST_CASE("fdt fuzz: mutated trees") {
  const std::vector<u8> original = load_qemu_dtb("virt-smp4-2G-chosen");
  const u64 iterations = env_or("FDT_FUZZ_ITERATIONS", 1500);
  const u64 seed = env_or("FDT_FUZZ_SEED", 20240611);
  std::mt19937_64 rng(seed);
  u64 accepted = 0, parsed = 0;
  for (u64 i = 0; i < iterations; i++) {
    std::vector<u8> mutant = mutate(original, rng);
    // Mutations compound sometimes.
    if (rng() % 4 == 0 && mutant.size() >= 40) mutant = mutate(mutant, rng);
    INFO("iteration ", i, " of seed ", seed);
    Outcome o = exercise(mutant, rng);
    accepted += o.accepted;
    parsed += o.parsed;
  }
  MESSAGE(accepted, " of ", iterations, " mutants accepted by Fdt::create, ", parsed, " by parse_machine");
  CHECK(accepted > iterations / 3);
  CHECK(parsed > iterations / 4);
}

// Every truncation of the real tree, with the header's sizes cut to match (so the parser does run on it).
TEST_CASE("fdt fuzz: every truncation of a real tree") {
  const std::vector<u8> original = load_qemu_dtb("virt-smp1-64M");
  std::mt19937_64 rng(1);
  const u32 off_struct = fdt_header::get(original, fdt_header::OFF_STRUCT);
  const u32 size_struct = fdt_header::get(original, fdt_header::SIZE_STRUCT);
  const u32 off_strings = fdt_header::get(original, fdt_header::OFF_STRINGS);
  // Step through the structure block token by token, and byte by byte around the strings block.
  for (usize n = 40; n < original.size(); n += (n >= off_struct && n < off_struct + size_struct) ? 4 : 1) {
    std::vector<u8> cut(original.begin(), original.begin() + static_cast<long>(n));
    fdt_header::set(cut, fdt_header::TOTAL_SIZE, static_cast<u32>(n));
    if (off_struct < n) fdt_header::set(cut, fdt_header::SIZE_STRUCT, std::min<u32>(size_struct, static_cast<u32>(n) - off_struct));
    if (off_strings <= n) fdt_header::set(cut, fdt_header::SIZE_STRINGS, static_cast<u32>(n) - off_strings);
    INFO("truncated to ", n, " bytes");
    (void)exercise(cut, rng);
  }
}

}  // TEST_SUITE
