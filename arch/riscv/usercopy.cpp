#include "arch/riscv/usercopy.h"

#include "arch/riscv/csr.h"

extern "C" const u8 usercopy_start[], usercopy_end[], usercopy_nofault_start[], usercopy_nofault_end[];

bool usercopy_contains(u64 pc) {
  return (pc >= reinterpret_cast<u64>(usercopy_start) && pc < reinterpret_cast<u64>(usercopy_end)) ||
         usercopy_nofault_contains(pc);
}

bool usercopy_nofault_contains(u64 pc) {
  return pc >= reinterpret_cast<u64>(usercopy_nofault_start) && pc < reinterpret_cast<u64>(usercopy_nofault_end);
}

void usercopy_fixup(TrapFrame* tf) {
  tf->sepc = tf->ra;
  tf->a0 = static_cast<u64>(-14);  // -EFAULT
  tf->sstatus &= ~csr::Sstatus::SUM;
}
