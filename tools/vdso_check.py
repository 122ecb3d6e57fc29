#!/usr/bin/env python3
"""Check the linked vDSO and write the header that tells the kernel where its symbols are.

  vdso_check.py --script arch/riscv/vdso/vdso.lds --vvar-size 4096 --header OUT.h VDSO.so.dbg VDSO.so

The kernel maps the vDSO into every process as it is, at an address of its choosing, and nothing ever
relocates it; glibc finds its functions by name and version. So the build refuses an image that
  - is not a riscv64 ELF shared object (ET_DYN) linked at 0, with exactly one PT_LOAD segment, read+execute, that
    starts with the ELF header and has no zero-filled part;
  - has an interpreter, a TLS segment, or writable data (the pages are shared by everyone; only .dynamic and the
    GOT's header entry, which nothing writes, are allowed);
  - has any relocation (non-empty REL/RELA/RELR sections or tables, DT_TEXTREL) or needs another library;
  - lacks the dynamic-linking tables glibc's lookup reads (DT_HASH or DT_GNU_HASH, DT_SYMTAB, DT_STRTAB,
    DT_VERSYM, DT_VERDEF) or the soname linux-vdso.so.1;
  - exports anything but the functions the linker script's VERSION block lists, or any of them without that
    block's version (LINUX_4.15), or undefined or outside the segment;
  - does not put the hidden symbol vdso_vvar (the clock data page) VVAR_SIZE bytes below the image.
The header gives each exported function's offset in the image (VDSO_OFFSET_<name without __vdso_>), the image
size and the vvar offset, for arch/riscv/vdso.cpp.
"""
import argparse
import re
import struct
import sys

PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_TLS = 1, 2, 3, 7
PF_X, PF_W, PF_R = 1, 2, 4
SHT_SYMTAB, SHT_RELA, SHT_REL, SHT_DYNSYM, SHT_RELR = 2, 4, 9, 11, 19
SHF_WRITE, SHF_ALLOC = 1, 2
DT_NULL, DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_RELA, DT_RELASZ, DT_SONAME, DT_REL = 0, 1, 4, 5, 6, 7, 8, 14, 17
DT_TEXTREL, DT_JMPREL, DT_RELR = 22, 23, 36
DT_GNU_HASH, DT_VERSYM, DT_VERDEF, DT_VERDEFNUM = 0x6FFFFEF5, 0x6FFFFFF0, 0x6FFFFFFC, 0x6FFFFFFD
STB_GLOBAL, STB_WEAK, STT_FUNC = 1, 2, 2
SHN_UNDEF = 0
EM_RISCV, ET_DYN = 243, 3
SONAME = "linux-vdso.so.1"


class Elf:
    def __init__(self, data):
        self.data = data
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not a 64-bit little-endian ELF file")
        (self.type, self.machine, _, self.entry, self.phoff, self.shoff, _, _, self.phentsize, self.phnum,
         self.shentsize, self.shnum, self.shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
        self.phdrs = [struct.unpack_from("<IIQQQQQQ", data, self.phoff + i * self.phentsize) for i in range(self.phnum)]
        self.shdrs = [struct.unpack_from("<IIQQQQIIQQ", data, self.shoff + i * self.shentsize) for i in range(self.shnum)]
        names = self.shdrs[self.shstrndx] if self.shnum else None
        self.section_names = [self.cstring(names[4] + s[0]) if names else "" for s in self.shdrs]

    def cstring(self, offset):
        end = self.data.index(b"\0", offset)
        return self.data[offset:end].decode()

    def symbols(self, sh_type):
        """(name, value, size, bind, type, shndx, index) of each symbol in the first section of sh_type."""
        for s in self.shdrs:
            if s[1] != sh_type:
                continue
            strtab = self.shdrs[s[6]]
            out = []
            for i in range(s[5] // 24):
                name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", self.data, s[4] + i * 24)
                out.append((self.cstring(strtab[4] + name), value, size, info >> 4, info & 15, shndx, i))
            return out
        return []

    def section(self, name):
        for n, s in zip(self.section_names, self.shdrs):
            if n == name:
                return s
        return None


def exported_names(script):
    """The names in the global: part of the linker script's VERSION block, and the block's version name."""
    text = re.sub(r"/\*.*?\*/", "", open(script).read(), flags=re.S)
    m = re.search(r"VERSION\s*\{\s*([A-Za-z0-9_.]+)\s*\{\s*global:(.*?)local:", text, re.S)
    if not m:
        raise ValueError(f"{script}: no VERSION block with global: and local: parts")
    return m.group(1), [n.strip() for n in m.group(2).split(";") if n.strip()]


def check(elf, dbg, version, names, vvar_size):
    problems = []
    if elf.type != ET_DYN or elf.machine != EM_RISCV:
        problems.append(f"not a RISC-V shared object (e_type {elf.type}, e_machine {elf.machine})")
    loads = [p for p in elf.phdrs if p[0] == PT_LOAD]
    if len(loads) != 1:
        problems.append(f"{len(loads)} PT_LOAD segments, want exactly 1")
    else:
        _, flags, offset, vaddr, _, filesz, memsz, _ = loads[0]
        if offset != 0 or vaddr != 0:
            problems.append(f"the segment starts at offset {offset:#x}, address {vaddr:#x}: want the ELF header at 0")
        if flags != PF_R | PF_X:
            problems.append(f"the segment's flags are {flags:#x}, want read+execute")
        if filesz != memsz:
            problems.append("the segment has a zero-filled part (.bss): the vDSO can have no data")
        image_size = memsz
    for p in elf.phdrs:
        if p[0] in (PT_INTERP, PT_TLS):
            problems.append(f"program header of type {p[0]} (interpreter or TLS)")
    if not any(p[0] == PT_DYNAMIC for p in elf.phdrs):
        problems.append("no PT_DYNAMIC")
    for name, s in zip(elf.section_names, elf.shdrs):
        sh_type, flags, size = s[1], s[2], s[5]
        if sh_type in (SHT_REL, SHT_RELA, SHT_RELR) and size:
            problems.append(f"relocation section {name} ({size} bytes)")
        # The linker marks .dynamic writable (a dynamic linker may write DT_DEBUG into it; glibc does not in
        # the vDSO) and always makes a GOT header entry; both are mapped read-only with the rest.
        allowed = {".dynamic": size, ".got": 8}
        if flags & SHF_ALLOC and flags & SHF_WRITE and size > allowed.get(name, 0):
            problems.append(f"writable section {name} ({size} bytes)")

    dynamic = elf.section(".dynamic")
    tags = {}
    if dynamic:
        for i in range(dynamic[5] // 16):
            tag, value = struct.unpack_from("<qQ", elf.data, dynamic[4] + i * 16)
            if tag == DT_NULL:
                break
            tags.setdefault(tag & 0xFFFFFFFFFFFFFFFF, []).append(value)
    # ld leaves DT_RELA (with DT_RELASZ 0) even when there is no relocation: that is harmless.
    if DT_RELA in tags and tags.get(DT_RELASZ, [0])[0] != 0:
        problems.append(f"{tags[DT_RELASZ][0]} bytes of RELA relocations")
    for tag, what in ((DT_REL, "DT_REL"), (DT_RELR, "DT_RELR"), (DT_JMPREL, "DT_JMPREL"),
                      (DT_TEXTREL, "DT_TEXTREL"), (DT_NEEDED, "DT_NEEDED")):
        if tag in tags:
            problems.append(f"dynamic tag {what}")
    for tag, what in ((DT_SYMTAB, "DT_SYMTAB"), (DT_STRTAB, "DT_STRTAB"), (DT_VERSYM, "DT_VERSYM"),
                      (DT_VERDEF, "DT_VERDEF")):
        if tag not in tags:
            problems.append(f"no {what}")
    if DT_HASH not in tags and DT_GNU_HASH not in tags:
        problems.append("no DT_HASH or DT_GNU_HASH")
    dynstr = elf.section(".dynstr")
    if DT_SONAME not in tags or not dynstr or elf.cstring(dynstr[4] + tags[DT_SONAME][0]) != SONAME:
        problems.append(f"soname is not {SONAME}")

    # Version definitions: index -> name.
    versions = {}
    verdef = elf.section(".gnu.version_d")
    if verdef and dynstr:
        offset = verdef[4]
        while True:
            _, _, ndx, cnt, _, aux, nxt = struct.unpack_from("<HHHHIII", elf.data, offset)
            if cnt:
                name, _ = struct.unpack_from("<II", elf.data, offset + aux)
                versions[ndx] = elf.cstring(dynstr[4] + name)
            if not nxt:
                break
            offset += nxt
    versym = elf.section(".gnu.version")
    exported = {}
    for name, value, size, bind, kind, shndx, index in elf.symbols(SHT_DYNSYM):
        if not name or bind not in (STB_GLOBAL, STB_WEAK):
            continue
        ver = struct.unpack_from("<H", elf.data, versym[4] + 2 * index)[0] & 0x7FFF if versym else 0
        if shndx == SHN_UNDEF:
            problems.append(f"undefined dynamic symbol {name}")
            continue
        if ver in versions and versions[ver] == name:
            continue  # the version definition's own symbol (LINUX_4.15 itself)
        if versions.get(ver) != version:
            problems.append(f"{name} has version {versions.get(ver, ver)!r}, want {version}")
        exported[name] = value
        if loads and not 0 < value < image_size:
            problems.append(f"{name} at {value:#x} is outside the image")
    if sorted(exported) != sorted(names):
        problems.append(f"exports {sorted(exported)}, want {sorted(names)}")

    vvar = [s for s in dbg.symbols(SHT_SYMTAB) if s[0] == "vdso_vvar"]
    if not vvar or vvar[0][1] != (-vvar_size) & 0xFFFFFFFFFFFFFFFF:
        problems.append(f"vdso_vvar is not {vvar_size} bytes below the image")
    return problems, exported, (image_size if loads else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--vvar-size", type=int, required=True)
    ap.add_argument("--header", required=True)
    ap.add_argument("debug_image")
    ap.add_argument("image")
    opts = ap.parse_args()
    version, names = exported_names(opts.script)
    try:
        elf = Elf(open(opts.image, "rb").read())
        dbg = Elf(open(opts.debug_image, "rb").read())
        problems, exported, size = check(elf, dbg, version, names, opts.vvar_size)
    except (ValueError, struct.error, IndexError) as e:
        problems, exported, size = [f"cannot read it: {e}"], {}, 0
    if problems:
        for p in problems:
            print(f"vdso_check: {opts.image}: {p}", file=sys.stderr)
        return 1
    lines = [f"// Generated by tools/vdso_check.py from {opts.image}: where the vDSO's functions are. Do not edit.",
             "#pragma once", "", '#include "lib/types.h"', "",
             f"constexpr u64 VDSO_IMAGE_SIZE = {size:#x};",
             f"constexpr i64 VDSO_VVAR_OFFSET = -{opts.vvar_size:#x};"]
    for name in sorted(exported):
        short = name[len("__vdso_"):] if name.startswith("__vdso_") else name
        lines.append(f"constexpr u64 VDSO_OFFSET_{short} = {exported[name]:#x};")
    with open(opts.header, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
