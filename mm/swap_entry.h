// SwapEntry: where a page lives on swap — which swap area (mm/swap_area.h) and which page slot in it. A value,
// like a PhysAddr: it names a slot, it does not hold a reference to it (the slot's count, kept by the area, says
// how many anon-table slots hold the entry).
//
// Encoding (an implementation detail of this class; AnonSlot keeps the raw value): the area index in the low
// bits, the page offset above them. Offset 0 of every area is its header page, so no valid entry is all zero.
#pragma once

#include "lib/assert.h"
#include "lib/types.h"

constexpr unsigned MAX_SWAP_AREAS = 8;  // swap areas in use at once (Linux: MAX_SWAPFILES, 32)

class SwapEntry {
 public:
  constexpr SwapEntry() = default;
  constexpr SwapEntry(unsigned area, u64 offset) : m_raw((offset << AREA_BITS) | area) {
    DEBUG_ASSERT(area < MAX_SWAP_AREAS && offset <= MAX_OFFSET);
  }
  static constexpr SwapEntry from_raw(u64 raw) {
    SwapEntry e;
    e.m_raw = raw;
    return e;
  }

  constexpr unsigned area() const { return static_cast<unsigned>(m_raw & AREA_MASK); }
  constexpr u64 offset() const { return m_raw >> AREA_BITS; }
  constexpr u64 raw() const { return m_raw; }
  constexpr bool is_null() const { return m_raw == 0; }
  // The neighbouring slot (for read-ahead and write clusters), in the same area.
  constexpr SwapEntry plus(i64 delta) const { return SwapEntry(area(), offset() + static_cast<u64>(delta)); }

  constexpr bool operator==(const SwapEntry&) const = default;

  static constexpr unsigned AREA_BITS = 3;
  static constexpr u64 MAX_OFFSET = (1ull << 40) - 1;  // 4 PiB of swap per area

 private:
  static constexpr u64 AREA_MASK = (1u << AREA_BITS) - 1;
  static_assert((1u << AREA_BITS) >= MAX_SWAP_AREAS);

  u64 m_raw = 0;
};
