// Writing and reading the riscv64 signal frame (the layout is explained in arch/riscv/signal_frame.h).
//
// Both directions go through the checked user-copy routines only, so a frame address anywhere but in writable
// (or, for rt_sigreturn, readable) user memory fails with EFAULT and the caller turns that into SIGSEGV. Only
// the parts of the frame Linux writes are written (the padding after uc_sigmask and most of the Q-extension
// part of the FP union keep whatever the stack held). The copies go straight between the user stack and the
// TrapFrame or the F/D registers, four each way: a signal is on the path of every Appel-Li trap, and
// BENCHMARKS.md counts its instructions. rt_sigreturn reads and checks the rest of the frame before it copies
// the registers into the TrapFrame, so a frame that cannot be read leaves the thread as it was.
#include "arch/riscv/signal_frame.h"

#include <cstring>

#include "arch/riscv/csr.h"
#include "arch/riscv/fpu.h"
#include "arch/riscv/usercopy.h"

namespace riscv_signal {

namespace {

// uc_flags .. uc_sigmask: the 48 bytes at the start of the ucontext, written and read as one piece.
struct UContextHead {
  u64 uc_flags;
  u64 uc_link;
  linux::stack_t uc_stack;
  u64 uc_sigmask;
};
static_assert(sizeof(UContextHead) == offsetof(UContext, unused));

// __riscv_d_ext_state, f0..f31 and fcsr (264 bytes with its padding), is the layout of our FpState: fp_save
// and fp_restore (trap.S) move the registers straight between the machine and the frame's copy.
static_assert(sizeof(FpState) == 264 && offsetof(FpState, fcsr) == offsetof(FpRegs, fcsr));

constexpr u64 at(u64 frame, usize offset) { return frame + offset; }
constexpr usize GREGS = offsetof(RtSigframe, uc) + offsetof(UContext, uc_mcontext) + offsetof(MContext, gregs);
constexpr usize FPREGS = offsetof(RtSigframe, uc) + offsetof(UContext, uc_mcontext) + offsetof(MContext, fpregs);
// The three reserved words, with the word before them (the Q layout's fcsr, unused by the D layout): 16
// aligned bytes, so that writing and checking them is two doubleword moves.
constexpr usize RESERVED_WORDS = FPREGS + offsetof(FpRegs, reserved) - 4;
static_assert(RESERVED_WORDS % 8 == 0);

// The live F/D registers are the thread's own whenever it is in the kernel on its own behalf: the switch to the
// thread loads them (arch/riscv/fpu.h) and sstatus.FS is never Off for a user thread. After loading new values,
// FS is Dirty, so that the next switch away saves them (the thread's saved copy is stale now).
void load_fp(TrapFrame* tf, const FpState& fp) {
  fp_restore(&fp);
  fpu_detail::set_fs(*tf, csr::Sstatus::FS_DIRTY);
}

}  // namespace

Result<void> setup_frame(TrapFrame* tf, const FrameRequest& request) {
  // Below the stack top, 16-byte aligned (the psABI's stack alignment). A top near 0 wraps to a huge address,
  // which the user-copy check refuses.
  u64 frame = (request.stack_top - sizeof(RtSigframe)) & ~u64{15};

  // siginfo (the kernel's 48 bytes, then zeros) and the head of the ucontext are contiguous: one copy.
  struct {
    linux::siginfo info;
    u64 zeros[(linux::SIGINFO_USER_SIZE - sizeof(linux::siginfo)) / 8];
    UContextHead head;
  } start;
  static_assert(sizeof(start) == offsetof(RtSigframe, uc) + sizeof(UContextHead));
  start.info = *request.info;
  for (u64& word : start.zeros) word = 0;  // (ten stores: cheaper than a call to memset)
  start.head = {0, 0, request.altstack, request.blocked_to_restore};
  FpState fp;
  fp.pad = 0;
  fp_save(&fp);
  u64 reserved[2] = {};

  TRY(copy_to_user(at(frame, 0), &start, sizeof(start)));
  TRY(copy_to_user(at(frame, GREGS), tf, sizeof(MContext::gregs)));  // the TrapFrame starts with pc, x1..x31
  TRY(copy_to_user(at(frame, FPREGS), &fp, sizeof(fp)));
  TRY(copy_to_user(at(frame, RESERVED_WORDS), reserved, sizeof(reserved)));

  tf->sepc = request.handler;
  tf->ra = request.return_address;
  tf->sp = frame;
  tf->a0 = request.info->si_signo;
  tf->a1 = at(frame, 0);
  tf->a2 = at(frame, offsetof(RtSigframe, uc));
  return {};
}

Result<RestoredState> restore_frame(TrapFrame* tf) {
  u64 frame = tf->sp;
  struct {  // uc_stack and uc_sigmask: what rt_sigreturn needs of the ucontext's head
    linux::stack_t uc_stack;
    u64 uc_sigmask;
  } head;
  static_assert(offsetof(UContextHead, uc_sigmask) - offsetof(UContextHead, uc_stack) == sizeof(linux::stack_t));
  FpState fp;
  u64 reserved[2];  // the unused word before the three reserved ones, then them
  TRY(copy_from_user(&head, at(frame, offsetof(RtSigframe, uc) + offsetof(UContextHead, uc_stack)), sizeof(head)));
  TRY(copy_from_user(&fp, at(frame, FPREGS), sizeof(fp)));
  TRY(copy_from_user(reserved, at(frame, RESERVED_WORDS), sizeof(reserved)));
  if ((reserved[0] >> 32) | reserved[1]) return Error::INVAL;  // state of an extension we do not have
  // pc and x1..x31, straight into the TrapFrame (sstatus, stval, scause and the rest are not in the frame).
  // Last: __gregs lies between the ucontext's head and __fpregs, on a page one of them is on (a frame spans
  // at most two pages), so this copy cannot fail once those have been read.
  TRY(copy_from_user(tf, at(frame, GREGS), sizeof(MContext::gregs)));
  load_fp(tf, fp);
  return RestoredState{head.uc_sigmask, head.uc_stack};
}

}  // namespace riscv_signal
