// Calls into the Supervisor Binary Interface (OpenSBI in M-mode), following the RISC-V SBI specification v1.0:
// extension id in a7, function id in a6, arguments in a0..a5; the result is an error code in a0 and a
// value in a1 (chapter 3, "Binary Encoding").
#pragma once

#include "lib/types.h"

namespace sbi {

struct Ret {
  i64 error;  // 0 on success, a negative SBI error code otherwise (spec table 1)
  i64 value;
};

// Extension ids (spec chapters 4-10).
constexpr u64 EXT_TIME = 0x54494D45;    // "TIME"
constexpr u64 EXT_IPI = 0x735049;       // "sPI"
constexpr u64 EXT_RFENCE = 0x52464E43;  // "RFNC"
constexpr u64 EXT_HSM = 0x48534D;       // "HSM"
constexpr u64 EXT_SRST = 0x53525354;    // "SRST"

inline Ret call(u64 ext, u64 fid, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0, u64 a4 = 0) {
  register u64 r_a0 asm("a0") = a0;
  register u64 r_a1 asm("a1") = a1;
  register u64 r_a2 asm("a2") = a2;
  register u64 r_a3 asm("a3") = a3;
  register u64 r_a4 asm("a4") = a4;
  register u64 r_a6 asm("a6") = fid;
  register u64 r_a7 asm("a7") = ext;
  asm volatile("ecall"
               : "+r"(r_a0), "+r"(r_a1)
               : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a6), "r"(r_a7)
               : "memory");
  return {static_cast<i64>(r_a0), static_cast<i64>(r_a1)};
}

// Timer (chapter 6): the next timer interrupt at absolute time stime_value (in timebase ticks).
inline void set_timer(u64 stime_value) { call(EXT_TIME, 0, stime_value); }

// IPI (chapter 7): raise a supervisor software interrupt on the harts hart_mask_base + bits of hart_mask.
inline Ret send_ipi(u64 hart_mask, u64 hart_mask_base) { return call(EXT_IPI, 0, hart_mask, hart_mask_base); }

// RFENCE (chapter 8): sfence.vma on other harts, for one ASID and range (size ~0 = everything).
inline Ret remote_sfence_vma_asid(u64 hart_mask, u64 hart_mask_base, u64 start, u64 size, u64 asid) {
  return call(EXT_RFENCE, 2, hart_mask, hart_mask_base, start, size, asid);
}
inline Ret remote_sfence_vma(u64 hart_mask, u64 hart_mask_base, u64 start, u64 size) {
  return call(EXT_RFENCE, 1, hart_mask, hart_mask_base, start, size);
}
inline Ret remote_fence_i(u64 hart_mask, u64 hart_mask_base) { return call(EXT_RFENCE, 0, hart_mask, hart_mask_base); }

// Hart state management (chapter 9).
inline Ret hart_start(u64 hartid, u64 start_pa, u64 opaque) { return call(EXT_HSM, 0, hartid, start_pa, opaque); }

// System reset (chapter 10).
constexpr u64 RESET_SHUTDOWN = 0;
constexpr u64 RESET_REASON_NONE = 0;
constexpr u64 RESET_REASON_FAILURE = 1;
inline Ret system_reset(u64 type, u64 reason) { return call(EXT_SRST, 0, type, reason); }

// Legacy console output (extension 0x01), usable before the UART driver is set up.
inline void legacy_putchar(char c) { call(0x01, 0, static_cast<u8>(c)); }

}  // namespace sbi
