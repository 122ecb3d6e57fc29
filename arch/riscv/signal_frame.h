// The signal frame of the Linux riscv64 ABI: what the kernel pushes on the user stack before it runs a signal
// handler, and what rt_sigreturn reads back. (Linux: arch/riscv/kernel/signal.c, and the layouts in
// arch/riscv/include/uapi/asm/{sigcontext,ucontext,ptrace}.h; glibc's ucontext_t and mcontext_t in
// sysdeps/unix/sysv/linux/riscv/sys/ucontext.h describe the same bytes.)
//
// When a handler is about to run, the user stack looks like this (addresses grow upwards):
//
//     sp of the handler ->  +0     siginfo_t            128 bytes  (a1 points here)
//                           +128   ucontext_t                      (a2 points here)
//                           +128     uc_flags              8       always 0
//                           +136     uc_link               8       always NULL
//                           +144     uc_stack             24       the sigaltstack settings (stack_t)
//                           +168     uc_sigmask            8       the mask to restore on return
//                           +176     (room for a larger sigset: 120 bytes, not written)
//                           +304     uc_mcontext (16-byte aligned)
//                           +304       __gregs[32]       256       pc, then x1 (ra) .. x31 (t6)
//                           +560       __fpregs          528       f0..f31 (64 bits each), fcsr, and
//                                                                  three reserved words that must be 0
//                           +1088  end of the frame; the interrupted code's sp is above it
//
// The frame starts 16-byte aligned below the interrupted sp (or at the top of the alternate signal stack, with
// SA_ONSTACK). The handler is entered with pc = the handler, a0 = the signal number, a1 = &siginfo,
// a2 = &ucontext, sp = the frame, and ra = __vdso_rt_sigreturn, so that its `ret` calls rt_sigreturn; every
// other register keeps the interrupted value. glibc passes no SA_RESTORER on riscv: the vDSO is the only way
// back.
//
// __gregs has the layout of struct user_regs_struct, which is also the start of our TrapFrame (pc in the slot
// of x0): saving and restoring the integer registers is one copy each way. A handler may change any of them,
// for example advance __gregs[REG_PC] past a faulting instruction, and rt_sigreturn makes the change real.
// What it can never change is what is not in the frame: sstatus (the privilege the sret returns to, SUM,
// the interrupt bits) and the kernel stack stay the kernel's, so a forged frame can at worst make the process
// fault in user mode.
#pragma once

#include <cstddef>

#include "arch/riscv/trap_frame.h"
#include "kernel/abi/linux_signal.h"
#include "lib/result.h"
#include "lib/types.h"

namespace riscv_signal {

// union __riscv_fp_state, as the D extension fills it: 32 doubles and fcsr, then the Q extension's longer
// layout (which sets the union's size and 16-byte alignment) of which only the three reserved words at its end
// are looked at: they must be zero, to leave room for extensions (Linux checks this in rt_sigreturn).
struct alignas(16) FpRegs {
  u64 f[32];
  u32 fcsr;
  u8 unused[512 + 4 - 32 * 8 - 4];  // the rest of the Q layout's 64 registers and fcsr
  u32 reserved[3];
};
static_assert(sizeof(FpRegs) == 528 && offsetof(FpRegs, fcsr) == 256 && offsetof(FpRegs, reserved) == 516);

// struct sigcontext = glibc's mcontext_t.
struct MContext {
  u64 gregs[32];  // __gregs: pc (REG_PC = 0), then x1..x31
  FpRegs fpregs;  // __fpregs
};
static_assert(sizeof(MContext) == 784 && offsetof(MContext, fpregs) == 256);

// struct ucontext.
struct UContext {
  u64 uc_flags;
  u64 uc_link;
  linux::stack_t uc_stack;
  u64 uc_sigmask;             // sigset_t of the kernel: 64 signals
  u8 unused[1024 / 8 - 8];    // room for a 1024-bit sigset
  MContext uc_mcontext;       // 16-byte aligned: 8 bytes of padding before it
};
static_assert(offsetof(UContext, uc_stack) == 16 && offsetof(UContext, uc_sigmask) == 40);
static_assert(offsetof(UContext, uc_mcontext) == 176 && sizeof(UContext) == 960);

// struct rt_sigframe.
struct RtSigframe {
  u8 info[linux::SIGINFO_USER_SIZE];  // siginfo_t
  UContext uc;
};
static_assert(offsetof(RtSigframe, uc) == 128 && sizeof(RtSigframe) == 1088);
static_assert(sizeof(MContext::gregs) == 32 * 8 && offsetof(TrapFrame, sepc) == 0 && offsetof(TrapFrame, t6) == 31 * 8,
              "__gregs is the first 32 words of the TrapFrame");

// Where the frame goes and what the handler starts with.
struct FrameRequest {
  u64 handler;             // the handler's address
  u64 return_address;      // __vdso_rt_sigreturn
  u64 stack_top;           // where the frame is placed below (the interrupted sp, or the alternate stack's top)
  u64 blocked_to_restore;  // uc_sigmask: the mask rt_sigreturn puts back
  linux::stack_t altstack; // uc_stack
  const linux::siginfo* info;
};

// Write the frame for the interrupted context in tf (its registers, and the live F/D registers) below
// request.stack_top and point tf at the handler. FAULT if the frame cannot be written: the caller then kills
// the process with SIGSEGV. tf is unchanged on failure.
Result<void> setup_frame(TrapFrame* tf, const FrameRequest& request);

// What rt_sigreturn found in the frame at the user's sp, besides the registers it restored.
struct RestoredState {
  u64 blocked;              // uc_sigmask
  linux::stack_t altstack;  // uc_stack (only ss_sp, ss_flags and ss_size matter)
};
// rt_sigreturn: read the frame at tf->sp and restore the registers of tf (pc and x1..x31, nothing else) and
// the F/D registers. FAULT if the frame cannot be read; INVAL if it is malformed (the reserved FP words are
// not zero). Either way the caller gives the process SIGSEGV, and tf is as it was (unless another thread
// unmaps the frame in the middle of the call).
Result<RestoredState> restore_frame(TrapFrame* tf);

}  // namespace riscv_signal
