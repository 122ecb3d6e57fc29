// ELF64 structures (the System V gABI, "ELF-64 Object File Format"; elf(5)) — only what the loader reads.
#pragma once

#include "lib/types.h"

namespace elf {

constexpr u8 MAGIC[4] = {0x7f, 'E', 'L', 'F'};
constexpr u8 CLASS64 = 2;
constexpr u8 DATA_LSB = 1;
constexpr u8 VERSION_CURRENT = 1;
constexpr u16 ET_EXEC = 2;
constexpr u16 ET_DYN = 3;
constexpr u16 EM_RISCV = 243;

struct Header {
  u8 ident[16];  // magic, class, data, version, OS ABI, ...
  u16 type;
  u16 machine;
  u32 version;
  u64 entry;
  u64 phoff;
  u64 shoff;
  u32 flags;
  u16 ehsize;
  u16 phentsize;
  u16 phnum;
  u16 shentsize;
  u16 shnum;
  u16 shstrndx;
};
static_assert(sizeof(Header) == 64);

constexpr u32 PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6, PT_TLS = 7,
              PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552;
constexpr u32 PF_X = 1, PF_W = 2, PF_R = 4;

struct ProgramHeader {
  u32 type;
  u32 flags;
  u64 offset;
  u64 vaddr;
  u64 paddr;
  u64 filesz;
  u64 memsz;
  u64 align;
};
static_assert(sizeof(ProgramHeader) == 56);

}  // namespace elf
