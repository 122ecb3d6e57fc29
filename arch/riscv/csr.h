// Typed access to the supervisor CSRs (RISC-V privileged spec, chapter 4 "Supervisor-Level ISA").
// Each CSR is a struct with read()/write() and named bits, so call sites read csr::Sstatus::SIE instead of a
// magic number and no raw "csrr" strings spread through the kernel.
#pragma once

#include "lib/types.h"

namespace csr {

#define CSR_ACCESSORS(csrname)                                                                             \
  static inline u64 read() {                                                                               \
    u64 v;                                                                                                 \
    asm volatile("csrr %0, " #csrname : "=r"(v));                                                          \
    return v;                                                                                              \
  }                                                                                                        \
  static inline void write(u64 v) { asm volatile("csrw " #csrname ", %0" ::"rK"(v) : "memory"); }        \
  static inline void set(u64 bits) { asm volatile("csrs " #csrname ", %0" ::"rK"(bits) : "memory"); }     \
  static inline void clear(u64 bits) { asm volatile("csrc " #csrname ", %0" ::"rK"(bits) : "memory"); }   \
  static inline u64 swap(u64 v) {                                                                          \
    u64 old;                                                                                               \
    asm volatile("csrrw %0, " #csrname ", %1" : "=r"(old) : "rK"(v) : "memory");                           \
    return old;                                                                                            \
  }                                                                                                        \
  /* Clear bits and return the old value, in one instruction (csrrc, or csrrci for a small constant). */   \
  static inline u64 read_and_clear(u64 bits) {                                                             \
    u64 old;                                                                                               \
    asm volatile("csrrc %0, " #csrname ", %1" : "=r"(old) : "rK"(bits) : "memory");                        \
    return old;                                                                                            \
  }

// sstatus (spec 4.1.1).
struct Sstatus {
  CSR_ACCESSORS(sstatus)
  static constexpr u64 SIE = 1ull << 1;    // supervisor interrupts enabled
  static constexpr u64 SPIE = 1ull << 5;   // SIE before the trap
  static constexpr u64 SPP = 1ull << 8;    // privilege before the trap: 1 = S, 0 = U
  static constexpr u64 FS_MASK = 3ull << 13;  // floating-point unit state
  static constexpr u64 FS_OFF = 0ull << 13;
  static constexpr u64 FS_INITIAL = 1ull << 13;
  static constexpr u64 FS_CLEAN = 2ull << 13;
  static constexpr u64 FS_DIRTY = 3ull << 13;
  static constexpr u64 SUM = 1ull << 18;   // S-mode may access U pages (only inside copy-in/copy-out)
  static constexpr u64 MXR = 1ull << 19;   // loads from execute-only pages
  static constexpr u64 UXL_64 = 2ull << 32;
};

// Trap vector (4.1.2). Direct mode: every trap goes to BASE.
struct Stvec {
  CSR_ACCESSORS(stvec)
};

// Interrupt pending/enable (4.1.3): bit numbers are the interrupt cause numbers.
struct Sie {
  CSR_ACCESSORS(sie)
  static constexpr u64 SSIE = 1ull << 1;  // software (IPI)
  static constexpr u64 STIE = 1ull << 5;  // timer
  static constexpr u64 SEIE = 1ull << 9;  // external (PLIC)
};
struct Sip {
  CSR_ACCESSORS(sip)
  static constexpr u64 SSIP = 1ull << 1;
  static constexpr u64 STIP = 1ull << 5;
  static constexpr u64 SEIP = 1ull << 9;
};

struct Sscratch {
  CSR_ACCESSORS(sscratch)
};
struct Sepc {
  CSR_ACCESSORS(sepc)
};
// The cause of a trap (4.1.9). With INTERRUPT set the rest is an interrupt number (the bit numbers of sip/sie),
// without it an exception code (table 4.2).
struct Scause {
  CSR_ACCESSORS(scause)
  static constexpr u64 INTERRUPT = 1ull << 63;
  // Interrupts.
  static constexpr u64 IRQ_SOFTWARE = 1;
  static constexpr u64 IRQ_TIMER = 5;
  static constexpr u64 IRQ_EXTERNAL = 9;
  // Exceptions.
  static constexpr u64 INSTRUCTION_MISALIGNED = 0;
  static constexpr u64 INSTRUCTION_ACCESS_FAULT = 1;
  static constexpr u64 ILLEGAL_INSTRUCTION = 2;
  static constexpr u64 BREAKPOINT = 3;
  static constexpr u64 LOAD_MISALIGNED = 4;
  static constexpr u64 LOAD_ACCESS_FAULT = 5;
  static constexpr u64 STORE_MISALIGNED = 6;  // store or AMO
  static constexpr u64 STORE_ACCESS_FAULT = 7;
  static constexpr u64 ECALL_U = 8;           // environment call from U-mode: a system call
  static constexpr u64 ECALL_S = 9;
  static constexpr u64 INSTRUCTION_PAGE_FAULT = 12;
  static constexpr u64 LOAD_PAGE_FAULT = 13;
  static constexpr u64 STORE_PAGE_FAULT = 15;
};
struct Stval {
  CSR_ACCESSORS(stval)
};

// Counter enable (4.1.5): lets U-mode read cycle, time and instret, which the benchmarks use.
struct Scounteren {
  CSR_ACCESSORS(scounteren)
  static constexpr u64 CY = 1ull << 0;
  static constexpr u64 TM = 1ull << 1;
  static constexpr u64 IR = 1ull << 2;
};

// Address translation and protection (4.1.11).
struct Satp {
  CSR_ACCESSORS(satp)
  static constexpr u64 MODE_BARE = 0;
  static constexpr u64 MODE_SV39 = 8ull << 60;
  static constexpr unsigned ASID_SHIFT = 44;
  static constexpr u64 ASID_MASK = 0xffffull;
  static constexpr u64 PPN_MASK = (1ull << 44) - 1;

  // The satp value that selects the Sv39 table whose root is at physical address root_pa, tagged with asid.
  static constexpr u64 make_sv39(u64 root_pa, u64 asid) {
    return MODE_SV39 | ((asid & ASID_MASK) << ASID_SHIFT) | ((root_pa >> 12) & PPN_MASK);
  }
};

// Sstc timer compare (the Sstc extension), used when the device tree says the hart has it.
struct Stimecmp {
  CSR_ACCESSORS(stimecmp)
};

#undef CSR_ACCESSORS

inline u64 read_time() {
  u64 v;
  asm volatile("rdtime %0" : "=r"(v));
  return v;
}

inline u64 read_instret() {
  u64 v;
  asm volatile("rdinstret %0" : "=r"(v));
  return v;
}

}  // namespace csr

// Flush the whole TLB of this hart for all address spaces (spec 4.2.1).
inline void sfence_vma_all() { asm volatile("sfence.vma zero, zero" ::: "memory"); }
// Flush this hart's TLB entries for one virtual address in one address space.
inline void sfence_vma(u64 va, u64 asid) { asm volatile("sfence.vma %0, %1" ::"r"(va), "r"(asid) : "memory"); }
// Flush one address space's non-global entries.
inline void sfence_vma_asid(u64 asid) { asm volatile("sfence.vma zero, %0" ::"r"(asid) : "memory"); }

inline void wait_for_interrupt() { asm volatile("wfi"); }

// Make this hart's instruction fetches see the stores to memory before it (Zifencei: code written as data).
inline void fence_i() { asm volatile("fence.i" ::: "memory"); }
