#include "lib/bits.h"
#include "kernel/sched.h"

#include <cstring>

#include "arch/riscv/usercopy.h"

#include "lib/atomic.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/smp.h"
#include "mm/heap.h"
#include "kernel/cpu_time.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/ktimer.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/time.h"
#include "kernel/wait_queue.h"

extern "C" void switch_context(SwitchContext* save, const SwitchContext* load);
extern "C" void thread_trampoline();
extern "C" void user_thread_trampoline();

Spinlock g_sched_lock("sched");

namespace {

IntrusiveList<Thread, &Thread::m_run_link> g_run_queue;  // guarded by g_sched_lock
Atomic<u64> g_idle_harts{0};                         // bit i: hart index i is idle (may be in wfi)
Atomic<u32> g_next_kernel_tid{1'000'000};
// Context switches per hart (/proc/stat's ctxt): each hart counts its own under g_sched_lock, no atomic add.
Atomic<u64> g_context_switches[MAX_HARTS];

// Threads sleeping with a deadline, sorted by deadline (guarded by g_sched_lock).
struct TimedSleeper {
  Thread* thread;
  u64 deadline_ns;
  TimedSleeper* next;
  bool fired;
};
TimedSleeper* g_timed = nullptr;

// Wake an idle hart (one of `allowed`, bit = hart index) to run a thread that became runnable.
void kick_idle_hart(u64 allowed = ~0ull) {
  u64 idle = g_idle_harts.load(MemoryOrder::Acquire) & allowed;
  u64 self = 1ull << this_cpu()->index;
  idle &= ~self;
  if (!idle) return;
  unsigned index = lowest_set_bit(idle);
  smp_send_ipi(1ull << g_cpus[index].hart_id);
}

bool allowed_here(const Thread* t, const Cpu* c) { return t->m_cpus_allowed & (1ull << c->index); }

// A woken thread's place in the run queue. One that slept for a time slice or more used no hart meanwhile: it
// goes first, ahead of the threads that kept running (as Linux's CFS places a woken sleeper by its small
// vruntime), so a process waking from nanosleep does not wait behind hundreds of runnable ones. One that slept
// less goes last: threads that keep waking each other (pipes, futexes) cannot keep the hart from the others.
// Either way, the next tick sends it to the back if it runs on. Threads woken together keep their order:
// `ahead` is the last of them placed first (nullptr for the first).
void enqueue_woken_locked(Thread* t, Thread** ahead = nullptr) {
  ASSERT_LOCKED(g_sched_lock);
  t->m_state = ThreadState::Runnable;
  if (time_monotonic_ns() - t->m_slept_at_ns < CPU_TICK_NS) {
    g_run_queue.push_back(*t);
    return;
  }
  if (ahead && *ahead)
    g_run_queue.insert_after_item(**ahead, *t);
  else
    g_run_queue.push_front(*t);
  if (ahead) *ahead = t;
}

// The first thread of the run queue that may run on this hart (usually the first), taken off the queue.
Thread* pick_next_locked(const Cpu* c) {
  for (Thread& t : g_run_queue) {
    if (LIKELY(allowed_here(&t, c))) {
      g_run_queue.remove(t);
      return &t;
    }
  }
  return nullptr;
}

bool has_work_for_locked(const Cpu* c) {
  for (Thread& t : g_run_queue)
    if (allowed_here(&t, c)) return true;
  return false;
}

}  // namespace

static Thread* allocate_thread(const char* name) {
  auto* t = new Thread();
  if (!t) return nullptr;
  auto stack = kernel_stack_alloc();
  if (stack.is_error()) {
    delete t;
    return nullptr;
  }
  t->m_kstack_top = stack.value();
  t->m_name = name;
  return t;
}

Thread* thread_create_kernel(const char* name, void (*fn)(void*), void* arg) {
  Thread* t = allocate_thread(name);
  if (!t) return nullptr;
  t->m_tid = g_next_kernel_tid.fetch_add(1);
  t->m_context.ra = reinterpret_cast<u64>(&thread_trampoline);
  t->m_context.sp = t->m_kstack_top;
  t->m_context.s[0] = reinterpret_cast<u64>(fn);
  t->m_context.s[1] = reinterpret_cast<u64>(arg);
  sched_make_runnable(t);
  return t;
}

Thread* thread_create_user(Process* process) {
  Thread* t = allocate_thread("user");
  if (!t) return nullptr;
  t->m_process = process;
  t->m_trap_frame = reinterpret_cast<TrapFrame*>(t->m_kstack_top - TRAP_FRAME_SIZE);
  *t->m_trap_frame = TrapFrame{};
  t->m_context.ra = reinterpret_cast<u64>(&user_thread_trampoline);
  t->m_context.sp = reinterpret_cast<u64>(t->m_trap_frame);
  t->m_context.s[0] = reinterpret_cast<u64>(t->m_trap_frame);
  return t;
}

void thread_destroy(Thread* t) {
  ASSERT(t != current_thread());
  kernel_stack_free(t->m_kstack_top);
  delete t;
}

void sched_init_hart() {
  // This hart's current context becomes its idle thread (it runs sched_run_idle at the end of boot).
  Cpu* c = this_cpu();
  auto* idle = new Thread();
  ASSERT(idle);
  idle->m_name = "idle";
  idle->m_state = ThreadState::Running;
  idle->m_tid = g_next_kernel_tid.fetch_add(1);
  c->idle_thread = idle;
  c->current = idle;
}

void sched_make_runnable(Thread* t) {
  {
    SpinlockGuard guard(g_sched_lock);
    ASSERT(t->m_state == ThreadState::Embryo || t->m_state == ThreadState::Sleeping);
    t->m_state = ThreadState::Runnable;
    g_run_queue.push_back(*t);
  }
  kick_idle_hart(t->m_cpus_allowed);
}

namespace {
void note_hold(Thread* t, u64 now);
}  // namespace

void sched_switch_locked() {
  Cpu* c = this_cpu();
  ASSERT_LOCKED(g_sched_lock);
  ASSERT_MSG(c->irq_disable_depth == 1, "switching threads while holding a spinlock besides the scheduler's");
  Thread* prev = c->current;
  Thread* next = pick_next_locked(c);
  if (!next) {
    if (prev->m_state == ThreadState::Runnable && allowed_here(prev, c)) {
      prev->m_state = ThreadState::Running;  // nothing else to run: keep going
      return;
    }
    next = c->idle_thread;
  }
  if (prev->m_state == ThreadState::Runnable && prev != c->idle_thread) {
    g_run_queue.push_back(*prev);
    // Its allowed harts changed away from this one: one of them takes it (an idle one now, a busy one at its
    // next tick).
    if (UNLIKELY(!allowed_here(prev, c))) kick_idle_hart(prev->m_cpus_allowed);
  }
  if (next == prev) {
    prev->m_state = ThreadState::Running;
    return;
  }
  next->m_state = ThreadState::Running;
  c->current = next;
  prev->clear_work(WORK_RESCHEDULE);  // it is giving up the hart now
  if (UNLIKELY(prev->m_resched_asked_ns != 0)) note_hold(prev, time_monotonic_ns());
  Atomic<u64>& switches = g_context_switches[c->index];
  switches.store(switches.load(MemoryOrder::Relaxed) + 1, MemoryOrder::Relaxed);

  fpu_switch(prev->m_fpu, prev->m_trap_frame, next->m_fpu, next->m_trap_frame);
  if (next->m_process) {
    process_activate_address_space(next->m_process);
    // The user thread may have written code on the hart it ran on before: make this hart's instruction fetches
    // see it (RISC-V Zifencei; what Linux's flush_icache_deferred does on migration).
    if (next->m_last_cpu != c->index) fence_i();
  }
  else if (prev->m_process)
    process_deactivate_address_space(prev->m_process);  // a kernel thread runs on the kernel's own tables

  next->m_last_cpu = c->index;
  prev->m_irq_enabled_before = c->irq_enabled_before;
  switch_context(&prev->m_context, &next->m_context);
  // Running as prev again, perhaps on another hart.
  c = this_cpu();
  c->irq_enabled_before = prev->m_irq_enabled_before;
}

// The first switch into a new thread returns here (trap.S trampolines) instead of into sched_switch_locked, so
// finish what that function would have: release the scheduler lock.
extern "C" void thread_first_run() {
  Cpu* c = this_cpu();
  c->irq_enabled_before = true;  // a new thread starts with interrupts enabled once the lock is released
  g_sched_lock.unlock();
  // CLONE_CHILD_SETTID: now that this thread's address space is the current one, store its tid where the
  // program asked — through the checked routines, so only where the program itself could store.
  Thread* t = c->current;
  if (t->m_set_child_tid) {
    store_u32_to_user_or_ignore(t->m_set_child_tid, t->m_tid);
    t->m_set_child_tid = 0;
  }
}

void thread_yield() {
  SpinlockGuard guard(g_sched_lock);
  Thread* t = current_thread();
  t->m_state = ThreadState::Runnable;
  sched_switch_locked();
}

bool preemption_point(StopOn stop_on) {
  DEBUG_ASSERT(this_cpu()->irq_disable_depth == 0);  // no spinlock held, even when there is no need to yield
  Thread* t = current_thread();
  if (t->has_work(WORK_RESCHEDULE)) {
    t->clear_work(WORK_RESCHEDULE);  // as on the way back to user mode (prepare_return_to_user)
    sched_note_resched_taken(t);
    thread_yield();
  }
  return stop_on == StopOn::Kill ? t->has_work(WORK_KILL) : thread_has_interrupting_signal(t);
}

[[noreturn]] void sched_run_idle() {
  Cpu* c = this_cpu();
  for (;;) {
    disable_interrupts();
    g_sched_lock.lock();
    if (has_work_for_locked(c)) {
      g_idle_harts.fetch_and(~(1ull << c->index));
      c->current->m_state = ThreadState::Sleeping;  // idle is never queued; it runs when nothing else can
      sched_switch_locked();
      c = this_cpu();
      c->current->m_state = ThreadState::Running;
      g_sched_lock.unlock();
      continue;
    }
    g_idle_harts.fetch_or(1ull << c->index);
    g_sched_lock.unlock();
    // Interrupts are off: wfi still wakes on a pending interrupt (privileged spec 3.3.3), which is then taken
    // when they are enabled below. No wake-up can be lost between the check and the wfi.
    wait_for_interrupt();
    enable_interrupts();
  }
}

// A kernel thread's function returned: it stops for good. (Its stack is not reclaimed: no kernel thread ends
// today except in self-tests.)
extern "C" void thread_exit_current() {
  g_sched_lock.lock();
  current_thread()->m_state = ThreadState::Zombie;
  sched_switch_locked();
  panic("kernel thread '%s' ran after it ended", current_thread()->m_name);
}

namespace {

// The longest a thread kept a hart after a tick asked for it (issue 14's "no call holds a hart for more than
// 10 ms"), measured exactly at no cost on the common paths: the tick notes in the thread when it was due
// (Thread::m_resched_asked_ns, the first time it asks), and the scheduling point where the thread gives up
// WORK_RESCHEDULE (a preemption point, a sleep, the way back to user mode) measures the time since
// (sched_note_resched_taken). A tick delayed by a section with interrupts off counts from when it was due. Each
// hart keeps its own record, written only by that hart with interrupts off (no lock: sched_switch_locked holds
// the scheduler's lock, after which no other may be taken); a reader may see a record being beaten half-written.
struct HoldRecord {
  SchedHold longest;
  char pad[64 - sizeof(SchedHold) % 64];
};
HoldRecord g_hold_records[MAX_HARTS];

void note_hold(Thread* t, u64 now) {
  u64 asked = t->m_resched_asked_ns;
  if (asked == 0) return;
  t->m_resched_asked_ns = 0;
  u64 held = now > asked ? now - asked : 0;
  SchedHold& record = g_hold_records[this_cpu()->index].longest;
  if (held <= record.held_ns) return;
  record.held_ns = held;
  record.tid = t->m_tid;
  record.syscall = t->m_trap_frame ? t->m_trap_frame->a7 : ~0ull;
  strncpy(record.name, t->m_process ? t->m_process->m_name : t->m_name, sizeof(record.name) - 1);
}

}  // namespace

void sched_note_resched_taken(Thread* t) {
  if (LIKELY(t->m_resched_asked_ns == 0)) return;
  u64 before = csr::Sstatus::read_and_clear(csr::Sstatus::SIE);  // this hart's tick writes the same field
  note_hold(t, time_monotonic_ns());
  if (before & csr::Sstatus::SIE) csr::Sstatus::set(csr::Sstatus::SIE);
}

void sched_tick() {
  Cpu* c = this_cpu();
  u64 now = time_monotonic_ns();
  if (c->current != c->idle_thread) {
    Thread* t = c->current;
    if (t->m_resched_asked_ns == 0) t->m_resched_asked_ns = now > c->tick_late_ns ? now - c->tick_late_ns : 1;
    t->add_work(WORK_RESCHEDULE);
  }
  if (c->index != 0) return;
  // The boot hart wakes timed sleepers whose deadline passed.
  SpinlockGuard guard(g_sched_lock);
  while (g_timed && g_timed->deadline_ns <= now) {
    TimedSleeper* s = g_timed;
    g_timed = s->next;
    s->fired = true;
    Thread* t = s->thread;
    if (t->m_state == ThreadState::Sleeping) {
      if (t->m_waiting_on) t->m_waiting_on->remove_locked(*t);
      t->m_waiting_on = nullptr;
      enqueue_woken_locked(t);
    }
  }
  bool wake_idle = !g_run_queue.is_empty();
  guard.unlock();
  if (wake_idle) kick_idle_hart();
  ktimer_run_expired(now);  // kernel timers (kernel/ktimer.h), without the scheduler's lock
}

SchedHold sched_longest_hold() {
  SchedHold longest;
  for (usize i = 0; i < g_cpu_count; i++)
    if (g_hold_records[i].longest.held_ns > longest.held_ns) longest = g_hold_records[i].longest;
  return longest;
}

u64 sched_context_switches() {
  u64 total = 0;
  for (auto& switches : g_context_switches) total += switches.load(MemoryOrder::Relaxed);
  return total;
}

u32 sched_active_threads() {
  SpinlockGuard guard(g_sched_lock);
  u32 count = static_cast<u32>(g_run_queue.size_slow());
  for (usize i = 0; i < g_cpu_count; i++)
    if (g_cpus[i].is_online && g_cpus[i].current && g_cpus[i].current != g_cpus[i].idle_thread) count++;
  return count;
}

// ---- Wait queues ----

static Result<void> wait_common(WaitQueue& wq, Spinlock* held, u64 deadline_ns, Interruptible interruptible) {
  Thread* t = current_thread();
  g_sched_lock.lock();
  if (held) held->unlock();
  if ((interruptible == Interruptible::Yes && thread_has_interrupting_signal(t)) ||
      (interruptible == Interruptible::Killable && t->has_work(WORK_KILL))) {
    g_sched_lock.unlock();
    if (held) held->lock();
    return Error::RESTARTSYS;
  }
  TimedSleeper sleeper{t, deadline_ns, nullptr, false};
  if (deadline_ns) {
    TimedSleeper** link = &g_timed;
    while (*link && (*link)->deadline_ns <= deadline_ns) link = &(*link)->next;
    sleeper.next = *link;
    *link = &sleeper;
  }
  t->m_state = ThreadState::Sleeping;
  t->m_slept_at_ns = time_monotonic_ns();
  t->m_interruptible = interruptible == Interruptible::Yes;
  t->m_killable = interruptible == Interruptible::Killable;
  t->m_wait_interrupted = false;
  t->m_waiting_on = &wq;
  wq.m_waiters_push(*t);
  sched_switch_locked();
  bool interrupted = t->m_wait_interrupted;
  if (deadline_ns && !sleeper.fired) {
    TimedSleeper** link = &g_timed;
    while (*link && *link != &sleeper) link = &(*link)->next;
    if (*link) *link = sleeper.next;
  }
  g_sched_lock.unlock();
  if (held) held->lock();
  if (interrupted) return Error::RESTARTSYS;
  if (deadline_ns && sleeper.fired) return Error::TIMEDOUT;
  return {};
}

Result<void> WaitQueue::wait(Spinlock& held, Interruptible interruptible) {
  return wait_common(*this, &held, 0, interruptible);
}

Result<void> WaitQueue::wait_timeout(Spinlock& held, u64 timeout_ns, Interruptible interruptible) {
  u64 deadline = time_monotonic_ns() + timeout_ns;
  if (deadline == 0) deadline = 1;
  return wait_common(*this, &held, deadline, interruptible);
}

Result<void> WaitQueue::wait_until(Spinlock& held, u64 deadline_ns, Interruptible interruptible) {
  return wait_common(*this, &held, deadline_ns, interruptible);
}

void WaitQueue::m_waiters_push(Thread& t) { m_waiters.push_back(t); }

void WaitQueue::remove_locked(Thread& t) {
  ASSERT_LOCKED(g_sched_lock);
  m_waiters.remove(t);
}

void WaitQueue::wake_all_locked() {
  ASSERT_LOCKED(g_sched_lock);
  Thread* ahead = nullptr;
  while (Thread* t = m_waiters.pop_front()) {
    t->m_waiting_on = nullptr;
    enqueue_woken_locked(t, &ahead);
  }
}

void WaitQueue::wake_all() {
  {
    SpinlockGuard guard(g_sched_lock);
    if (m_waiters.is_empty()) return;
    wake_all_locked();
  }
  kick_idle_hart();
}

void WaitQueue::wake_one() {
  u64 allowed;
  {
    SpinlockGuard guard(g_sched_lock);
    Thread* t = m_waiters.pop_front();
    if (!t) return;
    t->m_waiting_on = nullptr;
    enqueue_woken_locked(t);
    allowed = t->m_cpus_allowed;
  }
  kick_idle_hart(allowed);
}

void interrupt_thread(Thread* t) {
  {
    SpinlockGuard guard(g_sched_lock);
    if (t->m_state == ThreadState::Running && t != current_thread()) {
      // Running on another hart, perhaps in user mode, where it would notice its work only at the next tick:
      // an IPI makes that hart trap now, and the trap's way back to user mode does the work.
      smp_send_ipi(1ull << g_cpus[t->m_last_cpu].hart_id);
      return;
    }
    if (t->m_state != ThreadState::Sleeping) return;
    if (!t->m_interruptible && !(t->m_killable && t->has_work(WORK_KILL))) return;
    if (t->m_waiting_on) t->m_waiting_on->remove_locked(*t);
    t->m_waiting_on = nullptr;
    t->m_wait_interrupted = true;
    enqueue_woken_locked(t);
  }
  kick_idle_hart();
}

Result<void> sleep_ns(u64 ns) {
  WaitQueue never_woken;
  Spinlock dummy("sleep");
  dummy.lock();
  auto r = never_woken.wait_timeout(dummy, ns);
  dummy.unlock();
  if (r.is_error() && r.error() == Error::TIMEDOUT) return {};
  return r;
}

void sched_fork(Thread* child, const Thread* parent) {
  SpinlockGuard guard(g_sched_lock);
  child->m_cpus_allowed = parent->m_cpus_allowed;
  if (parent->m_sched_reset_on_fork) {
    child->m_sched_policy = 0;  // SCHED_OTHER (Linux resets only real-time policies; the others have no priority)
    child->m_sched_priority = 0;
    child->m_sched_reset_on_fork = false;
    if (parent->m_sched_policy != 1 && parent->m_sched_policy != 2) child->m_sched_policy = parent->m_sched_policy;
  } else {
    child->m_sched_policy = parent->m_sched_policy;
    child->m_sched_priority = parent->m_sched_priority;
  }
}

void sched_set_cpus_allowed(Thread* t, u64 allowed) {
  Cpu* c = this_cpu();
  bool move_self = false;
  {
    SpinlockGuard guard(g_sched_lock);
    t->m_cpus_allowed = allowed;
    if (t == c->current) {
      move_self = !allowed_here(t, c);
    } else if (t->m_state == ThreadState::Running && !(allowed & (1ull << t->m_last_cpu))) {
      // Running on a hart it may no longer use: it gives it up at its next return to user mode.
      t->add_work(WORK_RESCHEDULE);
      smp_send_ipi(1ull << g_cpus[t->m_last_cpu].hart_id);
    }
  }
  // Linux returns from sched_setaffinity on an allowed CPU: leave this hart now.
  if (move_self) thread_yield();
}
