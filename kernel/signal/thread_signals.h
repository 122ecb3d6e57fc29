// A thread's signal state (part of Thread, kernel/thread.h), and the pending sets it shares with its process.
//
// Linux keeps signal state at three levels, and so do we, so that threads (CLONE_THREAD, CLONE_SIGHAND) only
// have to share what is already separate:
//   - per thread (here): the blocked mask, the signals sent to this thread (tkill, tgkill, faults), the
//     alternate signal stack, and what an interrupted system call needs to be restarted;
//   - per process, i.e. thread group (ProcessSignals, kernel/signal/process_signals.h): the signals sent to the
//     process (kill), job control (stopped, continued), the fatal signal it is dying of, its interval timer;
//   - per handler table (SignalActions, same file): the actions, shared by CLONE_SIGHAND, with the lock that
//     guards the pending sets and blocked masks of every thread using the table (ProcessSignals::lock()).
// With one thread per process these collapse to the obvious; the code already treats them separately.
#pragma once

#include "kernel/signal/sigset.h"
#include "lib/list.h"

// One pending signal with the siginfo it was sent with.
struct PendingSignal {
  ListNode m_link;
  linux::siginfo m_info{};
  bool m_is_preallocated = false;  // a thread's fault slot (ThreadSignals::m_fault_slot): never freed
};

// A set of pending signals (Linux's struct sigpending): which ones, and a queue of their siginfo in the order
// they were sent. A standard signal is in the queue at most once; a real-time one once per time it was sent.
// A signal may be in the set without a queue entry (its siginfo was lost for lack of memory, as Linux allows):
// it is then taken with a plain SI_USER siginfo.
//
// Lock: the signal lock of the process that owns it (ProcessSignals::lock()).
class PendingSet {
 public:
  PendingSet() = default;
  AS_NONCOPYABLE(PendingSet);
  ~PendingSet() { discard_locked(sigsets::ALL); }

  SigSet signals() const { return m_signals; }
  bool has(unsigned sig) const { return m_signals.has(sig); }
  usize queued() const { return m_queued; }

  // Add sig with the siginfo in node (nullptr: the signal without its siginfo). The set takes the node.
  void add_locked(unsigned sig, PendingSignal* node) {
    m_signals.add(sig);
    if (!node) return;
    m_queue.push_back(*node);
    m_queued++;
  }
  // Take one sig off (it must be in the set) and fill *info with its siginfo. Returns the queue entry it came
  // from, which the caller now owns (nullptr if none): see ThreadSignals::recycle_locked.
  PendingSignal* take_locked(unsigned sig, linux::siginfo* info);
  // Remove every instance of the signals in sigs.
  void discard_locked(SigSet sigs);

 private:
  SigSet m_signals;
  IntrusiveList<PendingSignal, &PendingSignal::m_link> m_queue;
  usize m_queued = 0;  // entries in m_queue (bounded by RLIMIT_SIGPENDING)
};

// sigaltstack(2): where handlers with SA_ONSTACK run. Disabled when m_size is 0.
struct AltStack {
  u64 m_sp = 0;
  u64 m_size = 0;
  u32 m_flags = 0;  // SS_AUTODISARM or 0, as given

  bool is_enabled() const { return m_size != 0; }
  // Is sp on this stack? (Linux's on_sig_stack: the top is in, the base is not; with SS_AUTODISARM a handler's
  // stack never counts as on it.)
  bool contains(u64 sp) const {
    if (m_flags & linux::SS_AUTODISARM) return false;
    return sp > m_sp && sp - m_sp <= m_size;
  }
  // ss_flags as sigaltstack reports them for a thread whose stack pointer is sp.
  i32 flags_for(u64 sp) const {
    i32 mode = !is_enabled() ? linux::SS_DISABLE : contains(sp) ? linux::SS_ONSTACK : 0;
    return mode | static_cast<i32>(m_flags);
  }
};

// What restart_syscall(2) needs to resume a call that was interrupted with ERESTART_RESTARTBLOCK.
enum class RestartKind : u8 { None, Nanosleep, Futex };
struct RestartBlock {
  RestartKind m_kind = RestartKind::None;
  u32 m_clock = 0;           // the clock nanosleep sleeps on
  u64 m_deadline_ns = 0;     // when the sleep ends, on that clock (a futex wait's: on the monotonic clock)
  u64 m_remaining_address = 0;  // nanosleep's rem
  // A timed FUTEX_WAIT (kernel/futex.cpp), resumed with the same deadline (Linux's futex_wait_restart).
  u64 m_futex_address = 0;
  u32 m_futex_value = 0;
  u32 m_futex_bitset = 0;
  bool m_futex_shared = false;
};

struct ThreadSignals {
  ThreadSignals() = default;
  AS_NONCOPYABLE(ThreadSignals);
  ~ThreadSignals() { delete m_spare; }

  // A queue entry taken off a pending set: kept as m_spare for the next signal sent to this thread's process
  // (a signal sent and delivered over and over needs no allocation), or freed.
  void recycle_locked(PendingSignal* node) {
    if (!node || node->m_is_preallocated) return;
    if (m_spare) {
      delete node;
      return;
    }
    m_spare = node;
  }
  // A queue entry for a new pending signal: the spare, or a new one (nullptr without memory).
  PendingSignal* new_entry_locked() {
    PendingSignal* node = m_spare;
    m_spare = nullptr;
    return node ? node : new PendingSignal();
  }

  SigSet m_blocked;              // guarded by the handlers' lock (the thread itself reads it without)
  // The mask rt_sigsuspend (and later ppoll, pselect) replaces for the length of the call: put back once the
  // signal that ended the call is delivered (its frame carries this mask, not the temporary one). Only this
  // thread touches them.
  SigSet m_saved_mask;
  bool m_restore_saved_mask = false;
  // The signals rt_sigtimedwait waits for: blocked, but not "ignored" while it waits (sending a signal that is
  // ignored drops it, unless the receiver blocks it or waits for it). Guarded by the handlers' lock.
  SigSet m_waiting_for;
  PendingSet m_pending;          // sent to this thread; guarded by the handlers' lock
  // A fault's signal (SIGSEGV, SIGBUS...) uses this entry: a fault never waits for memory, and a thread has
  // at most one fault signal pending (it is delivered before the thread runs again, or kills it).
  PendingSignal m_fault_slot{{}, {}, true};
  AltStack m_altstack;           // only this thread
  RestartBlock m_restart;        // only this thread
  PendingSignal* m_spare = nullptr;  // guarded by the handlers' lock
};
