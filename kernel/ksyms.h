// The kernel's own symbol table (generated at build time by tools/gensyms.py, see kernel/CMakeLists.txt), so
// that panic reports can say "vm_fault+0x3a" instead of a bare address.
#pragma once

#include "lib/types.h"

struct SymbolInfo {
  const char* name = nullptr;  // nullptr if no symbol covers the address
  u64 address = 0;             // start of the symbol
  u64 offset = 0;              // addr - address
};

SymbolInfo ksym_lookup(u64 addr);
// The address of a symbol by exact name, 0 if absent (tests use it).
u64 ksym_address(const char* name);
