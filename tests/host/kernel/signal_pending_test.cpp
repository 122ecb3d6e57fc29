// kernel/signal/sigset.h and kernel/signal/pending.cpp: sets of signals, their default actions, and pending
// sets with their siginfo (the queue order real-time signals keep, the siginfo a signal gets when there was no
// memory for one, discarding), and a thread's spare queue entry. AddressSanitizer checks that every entry
// taken off or discarded is freed exactly once.
#include <doctest/doctest.h>

#include "kernel/signal/thread_signals.h"

using namespace linux;

namespace {

PendingSignal* entry(unsigned sig, i32 code, u64 value = 0) {
  auto* node = new PendingSignal();
  node->m_info.si_signo = static_cast<i32>(sig);
  node->m_info.si_code = code;
  node->m_info.rt.value = value;
  return node;
}

}  // namespace

TEST_SUITE("signal sets") {
  TEST_CASE("bits, lowest, and the classes of signals") {
    SigSet s = SigSet::of(SIGUSR1, SIGTERM, SIGRTMIN);
    CHECK(s.has(SIGUSR1));
    CHECK(s.has(SIGRTMIN));
    CHECK_FALSE(s.has(SIGUSR2));
    CHECK(s.lowest() == SIGUSR1);
    CHECK(s.bits() == (sig_bit(SIGUSR1) | sig_bit(SIGTERM) | sig_bit(SIGRTMIN)));
    s.remove(SIGUSR1);
    CHECK(s.lowest() == SIGTERM);
    CHECK((s & ~SigSet::of(SIGTERM)) == SigSet::of(SIGRTMIN));
    CHECK(SigSet::of(64).has(64));

    CHECK(default_action(SIGCHLD) == DefaultAction::Ignore);
    CHECK(default_action(SIGCONT) == DefaultAction::Ignore);
    CHECK(default_action(SIGTSTP) == DefaultAction::Stop);
    CHECK(default_action(SIGSTOP) == DefaultAction::Stop);
    CHECK(default_action(SIGSEGV) == DefaultAction::Terminate);
    CHECK(default_action(SIGRTMIN + 3) == DefaultAction::Terminate);
    CHECK(sigsets::UNBLOCKABLE == SigSet::of(SIGKILL, SIGSTOP));
    CHECK(sigsets::SYNCHRONOUS.has(SIGBUS));
    CHECK_FALSE(is_valid_signal(0));
    CHECK(is_valid_signal(64));
    CHECK_FALSE(is_valid_signal(65));
  }
}

TEST_SUITE("pending sets") {
  TEST_CASE("real-time signals come out in the order they were sent, each with its value") {
    PendingSet p;
    unsigned rt = SIGRTMIN + 1;
    p.add_locked(rt, entry(rt, SI_QUEUE, 10));
    p.add_locked(SIGUSR1, entry(SIGUSR1, SI_USER));
    p.add_locked(rt, entry(rt, SI_QUEUE, 20));
    CHECK(p.queued() == 3);
    siginfo info;
    PendingSignal* node = p.take_locked(rt, &info);
    CHECK(info.rt.value == 10);
    CHECK(p.has(rt));  // another one waits
    delete node;
    delete p.take_locked(rt, &info);
    CHECK(info.rt.value == 20);
    CHECK_FALSE(p.has(rt));
    CHECK(p.has(SIGUSR1));
    CHECK(p.queued() == 1);
  }

  TEST_CASE("a signal pending without its siginfo is taken as SI_USER from pid 0") {
    PendingSet p;
    p.add_locked(SIGTERM, nullptr);
    CHECK(p.has(SIGTERM));
    CHECK(p.queued() == 0);
    siginfo info;
    info.rt.pid = 77;
    CHECK(p.take_locked(SIGTERM, &info) == nullptr);
    CHECK(info.si_signo == static_cast<i32>(SIGTERM));
    CHECK(info.si_code == SI_USER);
    CHECK(info.rt.pid == 0);
    CHECK(p.signals().is_empty());
  }

  TEST_CASE("discarding removes every instance, and destroying a set frees what it holds") {
    auto* p = new PendingSet();
    unsigned rt = SIGRTMIN;
    p->add_locked(rt, entry(rt, SI_QUEUE));
    p->add_locked(rt, entry(rt, SI_QUEUE));
    p->add_locked(SIGHUP, entry(SIGHUP, SI_USER));
    p->add_locked(SIGINT, entry(SIGINT, SI_KERNEL));
    p->discard_locked(SigSet::of(rt, SIGHUP));
    CHECK(p->signals() == SigSet::of(SIGINT));
    CHECK(p->queued() == 1);
    delete p;  // (the SIGINT entry goes with it: ASan reports a leak otherwise)
  }

  TEST_CASE("the fault slot is never freed") {
    ThreadSignals t;
    PendingSet& p = t.m_pending;
    t.m_fault_slot.m_info.si_signo = static_cast<i32>(SIGSEGV);
    p.add_locked(SIGSEGV, &t.m_fault_slot);
    siginfo info;
    PendingSignal* node = p.take_locked(SIGSEGV, &info);
    CHECK(node == &t.m_fault_slot);
    t.recycle_locked(node);  // not kept as the spare, not freed
    CHECK(t.m_spare == nullptr);
    p.add_locked(SIGSEGV, &t.m_fault_slot);
    p.discard_locked(sigsets::ALL);  // not freed either
    CHECK_FALSE(t.m_fault_slot.m_link.is_linked());
  }

  TEST_CASE("a thread keeps one spare entry") {
    ThreadSignals t;
    t.recycle_locked(entry(SIGUSR1, SI_USER));
    PendingSignal* spare = t.m_spare;
    CHECK(spare != nullptr);
    t.recycle_locked(entry(SIGUSR2, SI_USER));  // a second one is freed
    CHECK(t.m_spare == spare);
    CHECK(t.new_entry_locked() == spare);
    CHECK(t.m_spare == nullptr);
    PendingSignal* fresh = t.new_entry_locked();
    CHECK(fresh != spare);
    delete spare;
    delete fresh;
  }
}
