#include "kernel/ksyms.h"

#include <cstring>

extern "C" const u8 _ksymtab_start[];
extern "C" const u8 _ksymtab_end[];
extern "C" const u8 _text_start[];
extern "C" const u8 _kernel_end[];

namespace {

struct Table {
  u64 count = 0;
  const u64* addresses = nullptr;
  const u32* name_offsets = nullptr;
  const char* names = nullptr;
};

Table table() {
  Table t;
  if (static_cast<usize>(_ksymtab_end - _ksymtab_start) < 8) return t;
  t.count = *reinterpret_cast<const u64*>(_ksymtab_start);
  t.addresses = reinterpret_cast<const u64*>(_ksymtab_start + 8);
  t.name_offsets = reinterpret_cast<const u32*>(t.addresses + t.count);
  t.names = reinterpret_cast<const char*>(t.name_offsets + t.count);
  return t;
}

}  // namespace

SymbolInfo ksym_lookup(u64 addr) {
  Table t = table();
  if (t.count == 0 || addr < t.addresses[0] || addr >= reinterpret_cast<u64>(_kernel_end)) return {};
  // Binary search for the last symbol at or below addr.
  u64 lo = 0, hi = t.count;
  while (hi - lo > 1) {
    u64 mid = (lo + hi) / 2;
    if (t.addresses[mid] <= addr)
      lo = mid;
    else
      hi = mid;
  }
  return {t.names + t.name_offsets[lo], t.addresses[lo], addr - t.addresses[lo]};
}

