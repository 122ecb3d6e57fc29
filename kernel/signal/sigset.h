// Sets of signals, and what each signal does by default (signal(7)).
//
// Signals are numbered 1..64: 1..31 are the standard ones, each pending at most once; 32..64 are the real-time
// ones, which queue. A set is one 64-bit word, bit sig-1, which is also the kernel's sigset_t on riscv64 (what
// rt_sigprocmask and the signal frame carry).
#pragma once

#include "kernel/abi/linux_signal.h"
#include "lib/bits.h"
#include "lib/types.h"

class SigSet {
 public:
  constexpr SigSet() = default;
  constexpr explicit SigSet(u64 bits) : m_bits(bits) {}
  template <typename... Sigs>
  static constexpr SigSet of(Sigs... sigs) {
    return SigSet(((u64{1} << (sigs - 1)) | ...));
  }

  constexpr bool has(unsigned sig) const { return m_bits & (u64{1} << (sig - 1)); }
  constexpr bool is_empty() const { return m_bits == 0; }
  constexpr u64 bits() const { return m_bits; }
  // The lowest-numbered signal in the set (the set must not be empty).
  unsigned lowest() const { return lowest_set_bit(m_bits) + 1; }

  constexpr SigSet& add(unsigned sig) {
    m_bits |= u64{1} << (sig - 1);
    return *this;
  }
  constexpr SigSet& remove(unsigned sig) {
    m_bits &= ~(u64{1} << (sig - 1));
    return *this;
  }
  constexpr SigSet operator|(SigSet o) const { return SigSet(m_bits | o.m_bits); }
  constexpr SigSet operator&(SigSet o) const { return SigSet(m_bits & o.m_bits); }
  constexpr SigSet operator~() const { return SigSet(~m_bits); }
  constexpr SigSet& operator|=(SigSet o) {
    m_bits |= o.m_bits;
    return *this;
  }
  constexpr SigSet& operator&=(SigSet o) {
    m_bits &= o.m_bits;
    return *this;
  }
  constexpr bool operator==(const SigSet&) const = default;

 private:
  u64 m_bits = 0;
};

namespace sigsets {
using namespace linux;
// Never blocked, caught or ignored.
constexpr SigSet UNBLOCKABLE = SigSet::of(SIGKILL, SIGSTOP);
// Sent by the machine for an instruction of the thread itself: delivered before any other pending signal.
constexpr SigSet SYNCHRONOUS = SigSet::of(SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS);
// Stop the process by default.
constexpr SigSet STOP = SigSet::of(SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU);
// The terminal's stop signals: discarded in an orphaned process group (nobody could continue it).
constexpr SigSet TERMINAL_STOP = SigSet::of(SIGTSTP, SIGTTIN, SIGTTOU);
// Do nothing by default (SIGCONT continues a stopped process whatever its action).
constexpr SigSet IGNORE = SigSet::of(SIGCHLD, SIGURG, SIGWINCH, SIGCONT);
// Terminate and dump core by default (there are no core files here: such a death is reported as plain
// termination, as Linux does when RLIMIT_CORE is 0).
constexpr SigSet CORE = SigSet::of(SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ,
                                   SIGSYS);
// Every signal number.
constexpr SigSet ALL = SigSet(~u64{0});
}  // namespace sigsets

enum class DefaultAction : u8 { Terminate, Ignore, Stop };

constexpr DefaultAction default_action(unsigned sig) {
  if (sigsets::IGNORE.has(sig)) return DefaultAction::Ignore;
  if (sigsets::STOP.has(sig)) return DefaultAction::Stop;
  return DefaultAction::Terminate;
}

constexpr bool is_valid_signal(unsigned sig) { return sig >= 1 && sig <= linux::NSIG; }
constexpr bool is_realtime_signal(unsigned sig) { return sig >= linux::SIGRTMIN; }
