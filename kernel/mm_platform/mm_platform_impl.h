// The kernel's side of mm/mm_platform.h.
#pragma once

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/memlayout.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "mm/types.h"

constexpr u64 MM_USER_END = memlayout::USER_END;

inline u8* phys_to_kernel(PhysAddr pa) { return phys_to_virt<u8>(pa.get()); }
inline PhysAddr kernel_to_phys(const void* p) { return PhysAddr(virt_to_phys(p)); }
#define mm_log(...) klog(LogLevel::Info, __VA_ARGS__)
inline unsigned mm_current_cpu() { return this_cpu()->index; }

// Hand-unrolled page operations (arch/riscv/page_ops.S).
extern "C" void zero_page_memory(void* page);
extern "C" void copy_page_memory(void* dst, const void* src);

// Interrupts off for a few instructions, restored as they were: one CSR instruction each way (read_and_clear
// keeps the old SIE bit). Spinlocks taken inside still nest correctly: they see interrupts already off.
class IrqSave {
 public:
  IrqSave() : m_before(csr::Sstatus::read_and_clear(csr::Sstatus::SIE)) {}
  ~IrqSave() {
    if (m_before & csr::Sstatus::SIE) csr::Sstatus::set(csr::Sstatus::SIE);
  }
  IrqSave(const IrqSave&) = delete;
  IrqSave& operator=(const IrqSave&) = delete;

 private:
  u64 m_before;
};
