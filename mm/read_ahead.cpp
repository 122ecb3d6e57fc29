#include "mm/read_ahead.h"

namespace {

u64 round_up_power_of_two(u64 n) {
  u64 p = 1;
  while (p < n) p <<= 1;
  return p;
}

u64 min_u64(u64 a, u64 b) { return a < b ? a : b; }

}  // namespace

u64 ReadAhead::initial_size(u64 wanted, u64 max) {
  u64 size = round_up_power_of_two(wanted ? wanted : 1);
  if (size <= max / 32) return size * 4;
  if (size <= max / 4) return size * 2;
  return max;
}

u64 ReadAhead::next_size(u64 pages, u64 max) {
  if (pages < max / 16) return pages * 4;
  if (pages <= max / 2) return pages * 2;
  return max;
}

ReadAhead::Window ReadAhead::on_miss(u64 index, u64 wanted, u64 max) {
  max = min_u64(max, MAX_PAGES);
  if (max == 0) return {index, 1};  // read-ahead off: a page at a time (Linux's forced read of one page)
  wanted = min_u64(wanted ? wanted : 1, MAX_PAGES);
  u64 size;
  if (m_size && index == m_window_end) size = next_size(m_size, max);  // the reader reached the end of the window
  else if (index == m_next) size = initial_size(wanted, max);  // a sequential start (page 0 of a fresh file too)
  else size = wanted;                                           // a random read: only what it wants
  if (size < wanted) size = wanted;
  size = min_u64(size, MAX_PAGES);
  m_window_end = index + size;
  m_size = size;
  return {index, size};
}

ReadAhead::Window ReadAhead::on_fault_miss(u64 index, u64 max) {
  max = min_u64(max, MAX_PAGES);
  if (max == 0) return {index, 1};
  Window w;
  if (m_size && index == m_window_end) {
    w = {index, max};  // a scan through the mapping: the next window
  } else {
    w.first = index > max / 2 ? index - max / 2 : 0;
    w.pages = max;
  }
  m_window_end = w.first + w.pages;
  m_size = w.pages;
  return w;
}
