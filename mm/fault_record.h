// A fault as the machine-independent code sees it: an instruction that could not complete, with what it tried
// and where. arch/ decodes the machine's trap registers into a FaultRecord (on riscv scause, stval and sepc:
// arch/riscv/trap.cpp) and hands it to the kernel's one entry for faults (kernel/user_trap.h), which passes
// page faults on to the VM system (AddressSpace::handle_fault) and turns the rest into signals. Nothing here
// depends on the machine, so the kernel, mm/ and the host tests can all use it.
#pragma once

#include "mm/types.h"

enum class FaultKind : u8 {
  Page,                // no valid translation allows the access. Absent or forbidden? The hardware may not say
                       // (RISC-V does not): the VM system decides from its regions and the page table.
  Access,              // refused beneath the page tables (on riscv: physical memory protection, a bus error)
  Misaligned,          // the address is not aligned for the access
  IllegalInstruction,
  Breakpoint,
  Unknown,             // a cause the machine reserves
};

struct FaultRecord {
  VirtAddr address;    // the address accessed (Page, Access, Misaligned); for the other kinds what the machine
                       // reported alongside (on riscv stval: the instruction bits, or 0)
  VirtAddr pc;         // the instruction that faulted
  Access access;       // what it tried: read (a load), write (a store or atomic), or execute (a fetch)
  FaultKind kind;

  bool is_memory_fault() const {
    return kind == FaultKind::Page || kind == FaultKind::Access || kind == FaultKind::Misaligned;
  }
};

// The fault's name in log lines and panic reports: "load page fault", "store/AMO access fault", "illegal
// instruction". (The words are the RISC-V privileged spec's, which say plainly what happened on any machine.)
constexpr const char* fault_name(const FaultRecord& f) {
  constexpr const char* by_access[3][3] = {
      // Read, Write, Exec
      {"load page fault", "store/AMO page fault", "instruction page fault"},
      {"load access fault", "store/AMO access fault", "instruction access fault"},
      {"load address misaligned", "store/AMO address misaligned", "instruction address misaligned"},
  };
  switch (f.kind) {
    case FaultKind::Page: return by_access[0][static_cast<u8>(f.access)];
    case FaultKind::Access: return by_access[1][static_cast<u8>(f.access)];
    case FaultKind::Misaligned: return by_access[2][static_cast<u8>(f.access)];
    case FaultKind::IllegalInstruction: return "illegal instruction";
    case FaultKind::Breakpoint: return "breakpoint";
    case FaultKind::Unknown: break;
  }
  return "unknown exception";
}
