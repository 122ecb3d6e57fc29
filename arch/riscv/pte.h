// An Sv39 page-table entry (RISC-V privileged spec 4.4.1, figure "Sv39 page table entry"):
//
//   63      54 53    28 27    19 18    10 9   8 7 6 5 4 3 2 1 0
//   reserved   PPN[2]   PPN[1]   PPN[0]   RSW  D A G U X W R V
//
// A value class over the raw u64; bits have names, no C bitfields. Portable (host tests use it).
#pragma once

#include "lib/types.h"
#include "mm/types.h"

class Pte {
 public:
  static constexpr u64 V = 1ull << 0;  // valid
  static constexpr u64 R = 1ull << 1;  // readable
  static constexpr u64 W = 1ull << 2;  // writable (W without R is reserved, spec 4.3.1)
  static constexpr u64 X = 1ull << 3;  // executable
  static constexpr u64 U = 1ull << 4;  // accessible in U-mode (and not by S-mode unless sstatus.SUM)
  static constexpr u64 G = 1ull << 5;  // global: present in every address space (the kernel half)
  static constexpr u64 A = 1ull << 6;  // accessed
  static constexpr u64 D = 1ull << 7;  // dirty
  static constexpr u64 RSW0 = 1ull << 8;  // reserved for software
  static constexpr u64 RSW1 = 1ull << 9;
  static constexpr u64 PERM_MASK = R | W | X;
  static constexpr unsigned PPN_SHIFT = 10;
  static constexpr u64 PPN_MASK = ((1ull << 44) - 1) << PPN_SHIFT;
  static constexpr u64 FLAGS_MASK = (1ull << PPN_SHIFT) - 1;

  constexpr Pte() = default;
  explicit constexpr Pte(u64 raw) : m_raw(raw) {}
  constexpr u64 raw() const { return m_raw; }

  constexpr bool is_valid() const { return m_raw & V; }
  // A valid entry with any of R, W, X is a leaf; with none it points to the next level (spec 4.3.2 step 4).
  constexpr bool is_leaf() const { return is_valid() && (m_raw & PERM_MASK); }
  constexpr bool is_table() const { return is_valid() && !(m_raw & PERM_MASK); }
  constexpr bool has(u64 bits) const { return (m_raw & bits) == bits; }
  constexpr u64 ppn() const { return (m_raw & PPN_MASK) >> PPN_SHIFT; }
  constexpr PhysAddr address() const { return PhysAddr(ppn() << PAGE_SHIFT); }
  constexpr u64 flags() const { return m_raw & FLAGS_MASK; }

  static constexpr Pte leaf(PhysAddr pa, u64 flags) { return Pte(((pa.get() >> PAGE_SHIFT) << PPN_SHIFT) | flags | V); }
  static constexpr Pte table(PhysAddr pa) { return Pte(((pa.get() >> PAGE_SHIFT) << PPN_SHIFT) | V); }
  constexpr Pte with(u64 bits) const { return Pte(m_raw | bits); }
  constexpr Pte without(u64 bits) const { return Pte(m_raw & ~bits); }

  constexpr bool operator==(const Pte&) const = default;

 private:
  u64 m_raw = 0;
};

static_assert(sizeof(Pte) == 8);

// Sv39 geometry (spec 4.4): three levels of 512 entries; level 2 is the root.
namespace sv39 {
constexpr unsigned LEVELS = 3;
constexpr unsigned ENTRIES = 512;
constexpr u64 LEVEL_SIZE[LEVELS] = {4 * KiB, 2 * MiB, 1 * GiB};  // bytes mapped by a leaf at each level
constexpr unsigned vpn(u64 va, unsigned level) { return (va >> (12 + 9 * level)) & 511; }
// Sv39 requires bits 63..39 of a virtual address to equal bit 38 (spec 4.4.1).
constexpr bool is_canonical(u64 va) {
  u64 top = va >> 38;
  return top == 0 || top == (1ull << 26) - 1;
}
constexpr u64 USER_END = 1ull << 38;  // 0x4000000000: the lower half, every address below it canonical
}  // namespace sv39

// Translate machine-independent protections to leaf bits (A and D preset: see Sv39PageTable::map).
constexpr u64 pte_bits_for(Prot prot) {
  u64 bits = 0;
  if (has(prot, Prot::Read)) bits |= Pte::R;
  if (has(prot, Prot::Write)) bits |= Pte::W | Pte::R;  // W without R is reserved: writable implies readable
  if (has(prot, Prot::Exec)) bits |= Pte::X;
  return bits;
}
