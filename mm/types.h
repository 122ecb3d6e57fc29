// Basic vocabulary of the VM system: page size, strong physical and virtual address types, protections.
// Machine-independent: only arch/ turns these into page-table bits.
#pragma once

#include <compare>

#include "lib/types.h"

constexpr u64 PAGE_SHIFT = 12;
constexpr u64 PAGE_SIZE = 1ull << PAGE_SHIFT;

// A physical address. Explicit construction, no implicit conversion to an integer: a physical address can only
// be turned into a pointer through the direct map (phys_to_kernel in mm_platform.h).
class PhysAddr {
 public:
  constexpr PhysAddr() = default;
  explicit constexpr PhysAddr(u64 value) : m_value(value) {}
  constexpr u64 get() const { return m_value; }
  constexpr u64 pfn() const { return m_value >> PAGE_SHIFT; }
  static constexpr PhysAddr from_pfn(u64 pfn) { return PhysAddr(pfn << PAGE_SHIFT); }
  constexpr PhysAddr page_base() const { return PhysAddr(m_value & ~(PAGE_SIZE - 1)); }
  constexpr u64 offset_in_page() const { return m_value & (PAGE_SIZE - 1); }
  constexpr bool is_page_aligned() const { return offset_in_page() == 0; }
  constexpr PhysAddr operator+(u64 delta) const { return PhysAddr(m_value + delta); }
  constexpr auto operator<=>(const PhysAddr&) const = default;

 private:
  u64 m_value = 0;
};

// A user or kernel virtual address.
class VirtAddr {
 public:
  constexpr VirtAddr() = default;
  explicit constexpr VirtAddr(u64 value) : m_value(value) {}
  constexpr u64 get() const { return m_value; }
  constexpr u64 page_number() const { return m_value >> PAGE_SHIFT; }
  constexpr VirtAddr page_base() const { return VirtAddr(m_value & ~(PAGE_SIZE - 1)); }
  constexpr VirtAddr page_round_up() const { return VirtAddr((m_value + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)); }
  constexpr u64 offset_in_page() const { return m_value & (PAGE_SIZE - 1); }
  constexpr bool is_page_aligned() const { return offset_in_page() == 0; }
  constexpr VirtAddr operator+(u64 delta) const { return VirtAddr(m_value + delta); }
  constexpr VirtAddr operator-(u64 delta) const { return VirtAddr(m_value - delta); }
  constexpr u64 operator-(VirtAddr other) const { return m_value - other.m_value; }
  constexpr VirtAddr& operator+=(u64 delta) {
    m_value += delta;
    return *this;
  }
  constexpr auto operator<=>(const VirtAddr&) const = default;

 private:
  u64 m_value = 0;
};

// Access rights of a mapping. Combine with |, test with has().
enum class Prot : u8 { None = 0, Read = 1, Write = 2, Exec = 4, ReadWrite = 3, ReadExec = 5, All = 7 };

constexpr Prot operator|(Prot a, Prot b) { return static_cast<Prot>(static_cast<u8>(a) | static_cast<u8>(b)); }
constexpr Prot operator&(Prot a, Prot b) { return static_cast<Prot>(static_cast<u8>(a) & static_cast<u8>(b)); }
constexpr Prot operator~(Prot a) { return static_cast<Prot>(~static_cast<u8>(a) & 7); }
constexpr bool has(Prot set, Prot bits) { return (static_cast<u8>(set) & static_cast<u8>(bits)) == static_cast<u8>(bits) && bits != Prot::None; }
constexpr bool is_subset(Prot a, Prot of) { return (static_cast<u8>(a) & ~static_cast<u8>(of)) == 0; }

// What a mapping with protection p really allows: no machine has write-only pages (on riscv W without R is
// reserved, privileged spec 4.3.1), so writable implies readable — as on Linux, where PROT_WRITE alone reads.
constexpr Prot effective_prot(Prot p) { return has(p, Prot::Write) ? p | Prot::Read : p; }

// How the pmap enters a mapping (mm/pmap.h): Normal, or Dirty — the page is being written now, so mark the
// mapping modified at once.
enum class PmapEnter : u8 { Normal, Dirty };

// What kind of access caused a fault.
enum class Access : u8 { Read, Write, Exec };
