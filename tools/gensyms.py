#!/usr/bin/env python3
"""Generate the kernel's symbol table (for symbolized backtraces) from a first link of the kernel.

  gensyms.py NM KERNEL_PASS1.elf OUT.S        write the table as assembly, placed in section .ksymtab
  gensyms.py --check NM PASS1.elf FINAL.elf   fail if a function moved between the two links

Table layout (read by kernel/ksyms.cpp):
  u64 count; u64 addresses[count] (sorted); u32 name_offsets[count]; char names[] (NUL-terminated)
"""
import re
import subprocess
import sys


def symbols(nm, elf):
    out = subprocess.run([nm, "-n", "-C", "--defined-only", elf], check=True, capture_output=True,
                         text=True).stdout
    result = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) != 3:
            continue
        addr, kind, name = parts
        if kind not in "tTrRdDbB" or name.startswith(".L") or name.startswith("$"):
            continue
        # Drop argument lists: "Foo::bar(unsigned long)" -> "Foo::bar" keeps backtraces readable.
        if "(" in name and not name.startswith("("):
            depth = 0
            for i, c in enumerate(name):
                if c == "<":
                    depth += 1
                elif c == ">":
                    depth -= 1
                elif c == "(" and depth == 0:
                    name = name[:i]
                    break
        result.append((int(addr, 16), kind, name))
    return result


def generate(nm, elf, out):
    syms = [(a, n) for a, k, n in symbols(nm, elf) if a >= 0xffffffc000000000 and not n.startswith("_ksymtab")]
    syms.sort()
    lines = ["  .section .ksymtab, \"a\"", "  .balign 8", f"  .dword {len(syms)}"]
    lines += [f"  .dword 0x{a:x}" for a, _ in syms]
    offset = 0
    offsets = []
    for _, n in syms:
        offsets.append(offset)
        offset += len(n.encode()) + 1
    lines += [f"  .word {o}" for o in offsets]
    for _, n in syms:
        escaped = n.replace("\\", "\\\\").replace("\"", "\\\"")
        lines.append(f"  .asciz \"{escaped}\"")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def check(nm, pass1, final):
    a = {(n, k) : addr for addr, k, n in symbols(nm, pass1) if k in "tT"}
    b = {(n, k) : addr for addr, k, n in symbols(nm, final) if k in "tT"}
    moved = [n for n in a if n in b and a[n] != b[n]]
    if moved:
        sys.exit(f"gensyms: functions moved between the two kernel links: {moved[:5]}")


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        check(*sys.argv[2:5])
    else:
        generate(*sys.argv[1:4])
