// The kernel's view of the Sv39 address space (RISC-V privileged spec 4.4: 39-bit virtual addresses, the
// upper half is 0xffffffc000000000 and up, the lower half ends at 0x4000000000).
//
//   0x0000000000000000 - 0x0000003fffffffff   user (256 GiB), private to each process
//   0xffffffc000000000 - 0xffffffcfffffffff   direct map: physical address P is at DIRECT_MAP_BASE + P
//   0xffffffd000000000 - 0xffffffd0ffffffff   kernel stacks, each below an unmapped guard page
//   0xffffffff80000000 - ...                  the kernel image (linked at 0xffffffff80200000)
//
// Everything above USER_END is mapped global (PTE G bit) in every address space and never with PTE U.
#pragma once

#include "arch/riscv/pte.h"
#include "lib/types.h"

namespace memlayout {

constexpr u64 USER_END = sv39::USER_END;  // the user half is Sv39's whole lower half
constexpr u64 KERNEL_HALF_BASE = 0xffffffc000000000ull;  // bit 38 set, sign-extended (spec 4.4.1)
constexpr u64 DIRECT_MAP_BASE = KERNEL_HALF_BASE;
constexpr u64 DIRECT_MAP_SIZE = 64 * GiB;
constexpr u64 KSTACK_BASE = 0xffffffd000000000ull;
constexpr u64 KSTACK_REGION_SIZE = 4 * GiB;
constexpr u64 KERNEL_IMAGE_BASE = 0xffffffff80000000ull;

// Kernel stacks: each slot is KSTACK_SLOT bytes, the lowest KSTACK_GUARD of them never mapped, so running off
// the bottom of a stack faults at a recognisable address instead of corrupting memory.
constexpr u64 KSTACK_SIZE = 16 * KiB;
constexpr u64 KSTACK_GUARD = 16 * KiB;
constexpr u64 KSTACK_SLOT = KSTACK_SIZE + KSTACK_GUARD;

inline bool is_user_address(u64 va) { return va < USER_END; }
inline bool is_kernel_half(u64 va) { return va >= KERNEL_HALF_BASE; }
// What an address outside the user half is, for log lines: a kernel address, or one between the halves, which
// Sv39 does not translate at all (its bits 63-39 are not copies of bit 38).
inline const char* non_user_address_kind(u64 va) {
  return is_kernel_half(va) ? "kernel address" : "not a valid Sv39 address";
}
inline bool is_direct_map(u64 va) { return va >= DIRECT_MAP_BASE && va < DIRECT_MAP_BASE + DIRECT_MAP_SIZE; }
inline bool is_kernel_stack_region(u64 va) { return va >= KSTACK_BASE && va < KSTACK_BASE + KSTACK_REGION_SIZE; }
inline bool is_kernel_stack_guard(u64 va) {
  return is_kernel_stack_region(va) && (va - KSTACK_BASE) % KSTACK_SLOT < KSTACK_GUARD;
}

}  // namespace memlayout

// Physical memory is reached only through the direct map.
template <typename T = void>
inline T* phys_to_virt(u64 pa) {
  return reinterpret_cast<T*>(pa + memlayout::DIRECT_MAP_BASE);
}
inline u64 virt_to_phys(const void* va) {
  return reinterpret_cast<u64>(va) - memlayout::DIRECT_MAP_BASE;
}

// Physical address of a kernel-image symbol (text, data, bss): the image is mapped at a fixed offset from where
// it was loaded. Set once at boot (kernel_phys_offset in arch/riscv/kernel_map.cpp).
extern u64 kernel_image_phys_offset;
inline u64 kernel_image_to_phys(const void* va) { return reinterpret_cast<u64>(va) - kernel_image_phys_offset; }
