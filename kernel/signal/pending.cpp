// Pending sets: which signals wait for delivery, and the siginfo each was sent with (kernel/signal/
// thread_signals.h). The queue keeps the order of sending; taking a signal takes its first entry, so
// real-time signals come out in the order they were sent, each with its own value.
#include <cstring>

#include "kernel/signal/thread_signals.h"

namespace {

void release(PendingSignal* node) {
  if (!node->m_is_preallocated) delete node;
}

}  // namespace

PendingSignal* PendingSet::take_locked(unsigned sig, linux::siginfo* info) {
  PendingSignal* found = nullptr;
  bool more = false;
  for (PendingSignal& node : m_queue) {
    if (static_cast<unsigned>(node.m_info.si_signo) != sig) continue;
    if (found) {
      more = true;
      break;
    }
    found = &node;
  }
  if (!more) m_signals.remove(sig);
  if (found) {
    *info = found->m_info;
    m_queue.remove(*found);
    m_queued--;
    return found;
  }
  // Pending without a siginfo (there was no memory for one when it was sent): Linux reports SI_USER from pid 0.
  memset(info, 0, sizeof(*info));
  info->si_signo = static_cast<i32>(sig);
  info->si_code = linux::SI_USER;
  return nullptr;
}

void PendingSet::discard_locked(SigSet sigs) {
  if ((m_signals & sigs).is_empty()) return;
  m_signals &= ~sigs;
  for (PendingSignal* node = m_queue.front(); node;) {
    PendingSignal* next = m_queue.next_of(*node);
    if (sigs.has(static_cast<unsigned>(node->m_info.si_signo))) {
      m_queue.remove(*node);
      m_queued--;
      release(node);
    }
    node = next;
  }
}
