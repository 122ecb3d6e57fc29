// arch/riscv/pte.h: the Sv39 page-table entry value class, checked bit by bit against the layout of the RISC-V
// privileged spec (4.4.1), the Sv39 geometry helpers, and the translation of Prot into leaf bits.
#include "arch/riscv/pte.h"

#include <doctest/doctest.h>

#include <initializer_list>

// Compile-time checks: the class is usable in constant expressions and is exactly one 64-bit word.
static_assert(sizeof(Pte) == 8);
static_assert(Pte::leaf(PhysAddr(0x80200000), Pte::R | Pte::X).is_leaf());
static_assert(Pte::table(PhysAddr(0x80201000)).is_table());
static_assert(pte_bits_for(Prot::Write) == (Pte::R | Pte::W));

TEST_SUITE("arch/pte") {

// Each flag sits at the bit the spec gives it: V R W X U G A D at bits 0..7, RSW at 8..9, PPN from bit 10.
TEST_CASE("pte: bit positions") {
  CHECK(Pte::V == 1ull << 0);
  CHECK(Pte::R == 1ull << 1);
  CHECK(Pte::W == 1ull << 2);
  CHECK(Pte::X == 1ull << 3);
  CHECK(Pte::U == 1ull << 4);
  CHECK(Pte::G == 1ull << 5);
  CHECK(Pte::A == 1ull << 6);
  CHECK(Pte::D == 1ull << 7);
  CHECK(Pte::RSW0 == 1ull << 8);
  CHECK(Pte::RSW1 == 1ull << 9);
  CHECK(Pte::PPN_SHIFT == 10);
  CHECK(Pte::FLAGS_MASK == 0x3ff);
  CHECK(Pte::PPN_MASK == 0x003ffffffffffc00ull);  // bits 10..53
  CHECK((Pte::PPN_MASK & Pte::FLAGS_MASK) == 0);
}

// An all-zero entry is invalid: neither a leaf nor a pointer to a table.
TEST_CASE("pte: the empty entry") {
  Pte e;
  CHECK(e.raw() == 0);
  CHECK_FALSE(e.is_valid());
  CHECK_FALSE(e.is_leaf());
  CHECK_FALSE(e.is_table());
  // R/W/X without V is still invalid.
  CHECK_FALSE(Pte(Pte::R | Pte::W | Pte::X).is_leaf());
}

// leaf() encodes the PPN at bit 10 and adds V; the accessors decode PPN, address and flags.
TEST_CASE("pte: leaf encode and decode") {
  PhysAddr pa(0x80234000);
  Pte e = Pte::leaf(pa, Pte::R | Pte::W | Pte::A | Pte::D);
  CHECK(e.raw() == ((0x80234ull << 10) | Pte::R | Pte::W | Pte::A | Pte::D | Pte::V));
  CHECK(e.ppn() == 0x80234);
  CHECK(e.address() == pa);
  CHECK(e.flags() == (Pte::V | Pte::R | Pte::W | Pte::A | Pte::D));
  CHECK(e.is_valid());
  CHECK(e.is_leaf());
  CHECK_FALSE(e.is_table());
  CHECK(e.has(Pte::R | Pte::W));
  CHECK_FALSE(e.has(Pte::R | Pte::X));
}

// Every one of the 44 PPN bits survives a round trip, the largest 56-bit physical address included, and
// nothing spills into the reserved bits 54..63.
TEST_CASE("pte: every PPN bit") {
  for (unsigned bit = 0; bit < 44; bit++) {
    PhysAddr pa = PhysAddr::from_pfn(1ull << bit);
    Pte e = Pte::leaf(pa, Pte::R);
    INFO("ppn bit ", bit);
    CHECK(e.ppn() == 1ull << bit);
    CHECK(e.address() == pa);
    CHECK(e.raw() == ((1ull << (bit + 10)) | Pte::R | Pte::V));
  }
  PhysAddr top((1ull << 56) - PAGE_SIZE);
  Pte e = Pte::leaf(top, Pte::R | Pte::W);
  CHECK(e.ppn() == (1ull << 44) - 1);
  CHECK(e.address() == top);
  CHECK((e.raw() >> 54) == 0);
  // The page offset of a physical address is not part of the entry.
  CHECK(Pte::leaf(PhysAddr(0x80200fff), Pte::R).address() == PhysAddr(0x80200000));
}

// Each permission bit alone makes a valid entry a leaf (W alone is reserved by the spec, but still not a
// table pointer); with none of R/W/X it points to the next level.
TEST_CASE("pte: leaf or table") {
  for (u64 bits : {Pte::R, Pte::W, Pte::X, Pte::R | Pte::X, Pte::R | Pte::W | Pte::X}) {
    Pte e(Pte::V | bits);
    CHECK(e.is_leaf());
    CHECK_FALSE(e.is_table());
  }
  for (u64 bits : {u64{0}, Pte::U, Pte::G, Pte::A | Pte::D, Pte::RSW0 | Pte::RSW1}) {
    Pte e(Pte::V | bits);
    CHECK(e.is_table());
    CHECK_FALSE(e.is_leaf());
  }
  Pte t = Pte::table(PhysAddr(0x80201000));
  CHECK(t.is_table());
  CHECK(t.flags() == Pte::V);
  CHECK(t.address() == PhysAddr(0x80201000));
}

// with() sets bits, without() clears them, both leave the rest alone; == compares raw values.
TEST_CASE("pte: with, without and equality") {
  Pte e = Pte::leaf(PhysAddr(0x80000000), Pte::R | Pte::W);
  Pte read_only = e.without(Pte::W);
  CHECK(read_only.flags() == (Pte::V | Pte::R));
  CHECK(read_only.ppn() == e.ppn());
  Pte accessed = read_only.with(Pte::A | Pte::D);
  CHECK(accessed.has(Pte::A | Pte::D | Pte::R | Pte::V));
  CHECK(accessed.without(Pte::A | Pte::D) == read_only);
  CHECK_FALSE(accessed == read_only);
  CHECK(e.without(Pte::V).is_valid() == false);
}

// Machine-independent protections become leaf bits; write implies read (W without R is reserved).
TEST_CASE("pte: pte_bits_for") {
  CHECK(pte_bits_for(Prot::None) == 0);
  CHECK(pte_bits_for(Prot::Read) == Pte::R);
  CHECK(pte_bits_for(Prot::Write) == (Pte::R | Pte::W));
  CHECK(pte_bits_for(Prot::Exec) == Pte::X);
  CHECK(pte_bits_for(Prot::ReadWrite) == (Pte::R | Pte::W));
  CHECK(pte_bits_for(Prot::ReadExec) == (Pte::R | Pte::X));
  CHECK(pte_bits_for(Prot::Write | Prot::Exec) == (Pte::R | Pte::W | Pte::X));
  CHECK(pte_bits_for(Prot::All) == (Pte::R | Pte::W | Pte::X));
  // Never anything but R/W/X: U, G, A, D and V are the caller's business.
  for (u8 p = 0; p < 8; p++) CHECK((pte_bits_for(static_cast<Prot>(p)) & ~Pte::PERM_MASK) == 0);
}

// Sv39 geometry: 9-bit VPN fields above the 12-bit offset, leaf sizes per level, canonical addresses.
TEST_CASE("pte: Sv39 geometry") {
  u64 va = (0x1aull << 30) | (0x15bull << 21) | (0x0c3ull << 12) | 0x456;
  CHECK(sv39::vpn(va, 0) == 0x0c3);
  CHECK(sv39::vpn(va, 1) == 0x15b);
  CHECK(sv39::vpn(va, 2) == 0x1a);
  CHECK(sv39::vpn(0xffffffc080200000ull, 2) == 0x102);
  CHECK(sv39::LEVEL_SIZE[0] == 4 * KiB);
  CHECK(sv39::LEVEL_SIZE[1] == 2 * MiB);
  CHECK(sv39::LEVEL_SIZE[2] == 1 * GiB);
  CHECK(sv39::is_canonical(0));
  CHECK(sv39::is_canonical(sv39::USER_END - 1));
  CHECK_FALSE(sv39::is_canonical(sv39::USER_END));
  CHECK_FALSE(sv39::is_canonical(0x0000800000000000ull));
  CHECK(sv39::is_canonical(0xffffffc000000000ull));
  CHECK(sv39::is_canonical(~0ull));
  CHECK_FALSE(sv39::is_canonical(0xffffffbfffffffffull));
}

}  // TEST_SUITE
