// Futexes: the hash table of waiters, the operations of futex(2), robust lists. See kernel/futex.h.
#include "kernel/futex.h"

#include "arch/riscv/usercopy.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"
#include "kernel/time.h"
#include "kernel/wait_queue.h"
#include "mm/address_space.h"

using namespace linux;

namespace {

// futex(2)'s operation word (include/uapi/linux/futex.h).
constexpr u32 FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
              FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
constexpr u32 FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
constexpr u32 FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
constexpr u32 FUTEX_BITSET_MATCH_ANY = 0xffffffff;
// The lock word of a robust mutex.
constexpr u32 FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
constexpr u32 ROBUST_LIST_LIMIT = 2048;  // entries walked at most (a list made circular must not hang exit)

struct RobustListHead {  // struct robust_list_head
  u64 next;              // the first entry (bit 0: a PI futex), or the head's own address when empty
  i64 futex_offset;      // the lock word's offset from an entry
  u64 list_op_pending;   // the entry being added or removed right now, or 0
};
static_assert(sizeof(RobustListHead) == 24);

enum class KeyKind : u8 {
  Private,   // FUTEX_PRIVATE_FLAG: (address space, address)
  MmShared,  // no flag, memory private to one address space: the same pair, a different kind (as Linux)
  Object,    // no flag, a page of a VM object: (object, offset in the object)
};

struct FutexKey {
  KeyKind kind = KeyKind::Private;
  const void* base = nullptr;  // AddressSpace* or VmObject*
  u64 offset = 0;              // the user address, or the byte offset in the object
  bool operator==(const FutexKey&) const = default;
};

// A key with the reference that keeps its object alive.
struct HeldKey {
  FutexKey key;
  RefPtr<VmObject> object;
};

struct FutexBucket;

// A thread waiting on a futex. It lives on the waiter's kernel stack; `m_bucket` says where it is queued and
// is cleared by a waker as its very last access, so the waiter may return as soon as it reads nullptr there.
struct FutexWaiter {
  ListNode m_link;                     // in m_bucket's list, guarded by that bucket's lock
  FutexKey m_key;                      // guarded by the bucket lock (REQUEUE changes it)
  RefPtr<VmObject> m_object;           // the key's object, if any; guarded by the bucket lock
  u32 m_bitset = FUTEX_BITSET_MATCH_ANY;
  Atomic<FutexBucket*> m_bucket{nullptr};  // where it is queued; nullptr once woken
  WaitQueue m_sleep;                   // the thread sleeps here
};

struct FutexBucket {
  Spinlock lock{"futex"};
  IntrusiveList<FutexWaiter, &FutexWaiter::m_link> waiters;  // guarded by lock
};

constexpr unsigned BUCKETS = 256;
FutexBucket g_buckets[BUCKETS];

FutexBucket& bucket_of(const FutexKey& key) {
  u64 h = reinterpret_cast<u64>(key.base) ^ (key.offset * 0x9e3779b97f4a7c15ull) ^ static_cast<u64>(key.kind);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return g_buckets[h % BUCKETS];
}

// Two buckets locked together, in address order (one lock if they are the same bucket).
void lock_pair(FutexBucket& a, FutexBucket& b) {
  FutexBucket& first = &a < &b ? a : b;
  FutexBucket& second = &a < &b ? b : a;
  first.lock.lock();
  if (&second != &first) second.lock.lock();
}
void unlock_pair(FutexBucket& a, FutexBucket& b) {
  if (&a != &b) b.lock.unlock();
  a.lock.unlock();
}

// Linux's get_futex_key: EINVAL for a misaligned word, EFAULT outside the user half or (shared) where no
// mapping allows the access.
Result<HeldKey> get_key(u64 address, bool shared, Access access) {
  if (address % sizeof(u32)) return Error::INVAL;
  if (!is_user_range(address, sizeof(u32))) return Error::FAULT;
  AddressSpace* space = current_process()->m_space.get();
  if (!shared) return HeldKey{{KeyKind::Private, space, address}, nullptr};
  PageIdentity page = TRY(space->page_identity(VirtAddr(address), access));
  if (!page.object) return HeldKey{{KeyKind::MmShared, space, address}, nullptr};
  const void* base = page.object.get();
  return HeldKey{{KeyKind::Object, base, page.object_page * PAGE_SIZE + address % PAGE_SIZE}, std::move(page.object)};
}

// Take w off its bucket and make its thread runnable. The bucket's lock is held.
void wake_waiter_locked(FutexBucket& bucket, FutexWaiter& w) {
  bucket.waiters.remove(w);
  w.m_sleep.wake_one();
  w.m_bucket.store(nullptr, MemoryOrder::Release);  // the last access to w: its thread may return now
}

// Wake waiters of key whose bitset meets `bitset`, at least one and at most max(limit, 1) (Linux's loop: it
// checks the count after waking). The bucket's lock is held.
u32 wake_locked(FutexBucket& bucket, const FutexKey& key, u32 bitset, i64 limit) {
  u32 woken = 0;
  for (FutexWaiter* w = bucket.waiters.front(); w;) {
    FutexWaiter* next = bucket.waiters.next_of(*w);
    if (w->m_key == key && (w->m_bitset & bitset)) {
      wake_waiter_locked(bucket, *w);
      if (++woken >= limit) break;
    }
    w = next;
  }
  return woken;
}

// Take w off whatever bucket it is on, if a waker has not already: true if it was still queued (so nobody
// woke it). Linux's futex_unqueue: the bucket may change under us (REQUEUE), so lock, re-check, retry.
bool unqueue(FutexWaiter& w) {
  for (;;) {
    FutexBucket* b = w.m_bucket.load(MemoryOrder::Acquire);
    if (!b) return false;
    SpinlockGuard guard(b->lock);
    if (w.m_bucket.load(MemoryOrder::Relaxed) != b) continue;
    b->waiters.remove(w);
    w.m_bucket.store(nullptr, MemoryOrder::Relaxed);
    return true;
  }
}

// A deadline on the monotonic clock; 0 = none.
struct Deadline {
  u64 monotonic_ns = 0;
  bool is_set() const { return monotonic_ns != 0; }
  bool has_passed() const { return is_set() && time_monotonic_ns() >= monotonic_ns; }
};

constexpr u64 NS_PER_SEC = 1'000'000'000ull;
constexpr u64 NEVER = ~0ull;  // a time too far to reach: no deadline

// A timespec from user space in nanoseconds, saturating (Linux's ktime does); EINVAL for an invalid one.
Result<u64> timespec_ns_from_user(u64 address) {
  timespec ts = TRY(copy_value_from_user<timespec>(address));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= static_cast<i64>(NS_PER_SEC)) return Error::INVAL;
  if (static_cast<u64>(ts.tv_sec) >= NEVER / NS_PER_SEC - 1) return NEVER;
  return static_cast<u64>(ts.tv_sec) * NS_PER_SEC + static_cast<u64>(ts.tv_nsec);
}

// FUTEX_WAIT's timeout is relative (on CLOCK_MONOTONIC); FUTEX_WAIT_BITSET's is absolute on CLOCK_MONOTONIC, or
// CLOCK_REALTIME with FUTEX_CLOCK_REALTIME. Both become a monotonic deadline here. (Nothing sets the realtime
// clock after boot, so converting once is exact.)
Deadline deadline_from(u64 ns, bool relative, bool realtime) {
  if (ns == NEVER) return {};
  u64 now = time_monotonic_ns();
  u64 deadline;
  if (relative) {
    deadline = ns > NEVER - now ? NEVER : now + ns;
  } else if (realtime) {
    u64 real_now = time_realtime_ns();
    deadline = ns <= real_now ? 1 : ns - real_now > NEVER - now ? NEVER : now + (ns - real_now);
  } else {
    deadline = ns == 0 ? 1 : ns;
  }
  if (deadline == NEVER) return {};
  return {deadline};
}

// FUTEX_WAIT, FUTEX_WAIT_BITSET.
Result<u64> futex_wait(u64 address, bool shared, u32 expected, Deadline deadline, u32 bitset) {
  if (!bitset) return Error::INVAL;
  FutexWaiter w;
  w.m_bitset = bitset;
  for (;;) {
    HeldKey key = TRY(get_key(address, shared, Access::Read));
    FutexBucket& bucket = bucket_of(key.key);
    bucket.lock.lock();
    Result<u32> value = load_u32_user_nofault(address);
    if (value.is_error()) {
      // Not mapped now: fault it in without the lock (which may sleep), then start again.
      bucket.lock.unlock();
      TRY(copy_value_from_user<u32>(address));
      continue;
    }
    if (value.value() != expected) {
      bucket.lock.unlock();
      return Error::AGAIN;
    }
    w.m_key = key.key;
    w.m_object = std::move(key.object);
    w.m_bucket.store(&bucket, MemoryOrder::Relaxed);
    bucket.waiters.push_back(w);
    Result<void> slept = deadline.has_passed() ? Result<void>(Error::TIMEDOUT)
                                               : w.m_sleep.wait_until(bucket.lock, deadline.monotonic_ns);
    bucket.lock.unlock();
    // Woken (a waker took us off the queue): success, whatever else happened meanwhile.
    if (!unqueue(w)) return 0;
    if (slept.is_error() && slept.error() != Error::TIMEDOUT && deadline.is_set()) {
      // A signal, with a timeout: if the call is restarted, it waits until the same deadline (restart_syscall).
      RestartBlock& r = current_thread()->m_signals.m_restart;
      r.m_kind = RestartKind::Futex;
      r.m_futex_address = address;
      r.m_futex_shared = shared;
      r.m_futex_value = expected;
      r.m_futex_bitset = bitset;
      r.m_deadline_ns = deadline.monotonic_ns;
      return Error::RESTART_RESTARTBLOCK;
    }
    if (slept.is_error()) return slept.error();  // TIMEDOUT, or RESTARTSYS: a signal (no timeout)
    // Nothing woke us and no time ran out or signal came: wait again from the start (Linux does the same).
  }
}

// FUTEX_WAKE, FUTEX_WAKE_BITSET: how many were woken.
Result<u64> futex_wake(u64 address, bool shared, i32 count, u32 bitset) {
  if (!bitset) return Error::INVAL;
  HeldKey key = TRY(get_key(address, shared, Access::Read));
  FutexBucket& bucket = bucket_of(key.key);
  SpinlockGuard guard(bucket.lock);
  return wake_locked(bucket, key.key, bitset, count);
}

// FUTEX_REQUEUE, FUTEX_CMP_REQUEUE (cmp != nullptr): wake up to wake_count waiters of the first word and move up
// to requeue_count more to the second; how many were woken and moved.
Result<u64> futex_requeue(u64 address, bool shared, u64 address2, i32 wake_count, i32 requeue_count, const u32* cmp) {
  if (wake_count < 0 || requeue_count < 0) return Error::INVAL;
  for (;;) {
    HeldKey key1 = TRY(get_key(address, shared, Access::Read));
    HeldKey key2 = TRY(get_key(address2, shared, Access::Read));
    FutexBucket& b1 = bucket_of(key1.key);
    FutexBucket& b2 = bucket_of(key2.key);
    lock_pair(b1, b2);
    if (cmp) {
      Result<u32> value = load_u32_user_nofault(address);
      if (value.is_error()) {
        unlock_pair(b1, b2);
        TRY(copy_value_from_user<u32>(address));
        continue;
      }
      if (value.value() != *cmp) {
        unlock_pair(b1, b2);
        return Error::AGAIN;
      }
    }
    // Linux's loop: stop once requeue_count have been moved; the first wake_count found are woken.
    i64 done = 0;
    for (FutexWaiter* w = b1.waiters.front(); w;) {
      FutexWaiter* next = b1.waiters.next_of(*w);
      if (done - wake_count >= requeue_count) break;
      if (w->m_key == key1.key) {
        if (++done <= wake_count) {
          wake_waiter_locked(b1, *w);
        } else {
          w->m_key = key2.key;
          w->m_object = key2.object;
          if (&b1 != &b2) {
            b1.waiters.remove(*w);
            b2.waiters.push_back(*w);
            w->m_bucket.store(&b2, MemoryOrder::Release);
          }
        }
      }
      w = next;
    }
    unlock_pair(b1, b2);
    return static_cast<u64>(done);
  }
}

// FUTEX_WAKE_OP's operation on the second word (Linux's futex_atomic_op_inuser): true if the comparison of its
// old value holds. NOSYS for an unknown operation or comparison (the operation is done first in the latter case,
// as Linux does).
Result<bool> wake_op_apply_nofault(u64 address, u32 encoded) {
  constexpr u32 FUTEX_OP_OPARG_SHIFT = 8;  // (in bits 28-31) the operand is 1 << operand
  u32 op = (encoded >> 28) & 7;
  u32 cmp = (encoded >> 24) & 15;
  i32 operand = static_cast<i32>(encoded << 8) >> 20;  // bits 12-23, sign-extended
  i32 cmp_operand = static_cast<i32>(encoded << 20) >> 20;  // bits 0-11, sign-extended
  if (encoded & (FUTEX_OP_OPARG_SHIFT << 28)) operand = 1 << (operand & 31);  // Linux masks a bad shift too
  i32 old = static_cast<i32>(TRY(atomic_op_u32_user_nofault(address, op, static_cast<u32>(operand))));
  switch (cmp) {
    case 0: return old == cmp_operand;  // FUTEX_OP_CMP_EQ
    case 1: return old != cmp_operand;  // NE
    case 2: return old < cmp_operand;   // LT
    case 3: return old <= cmp_operand;  // LE
    case 4: return old > cmp_operand;   // GT
    case 5: return old >= cmp_operand;  // GE
    default: return Error::NOSYS;
  }
}

// FUTEX_WAKE_OP: change the second word, wake up to count waiters of the first and, if the comparison held, up to
// count2 of the second (each at least one, as FUTEX_WAKE).
Result<u64> futex_wake_op(u64 address, bool shared, u64 address2, i32 count, i32 count2, u32 encoded) {
  for (;;) {
    HeldKey key1 = TRY(get_key(address, shared, Access::Read));
    HeldKey key2 = TRY(get_key(address2, shared, Access::Write));
    FutexBucket& b1 = bucket_of(key1.key);
    FutexBucket& b2 = bucket_of(key2.key);
    lock_pair(b1, b2);
    Result<bool> compared = wake_op_apply_nofault(address2, encoded);
    if (compared.is_error()) {
      unlock_pair(b1, b2);
      if (compared.error() != Error::FAULT) return compared.error();
      TRY(fault_in_user_writeable(address2));
      continue;
    }
    u64 woken = wake_locked(b1, key1.key, FUTEX_BITSET_MATCH_ANY, count);
    if (compared.value()) woken += wake_locked(b2, key2.key, FUTEX_BITSET_MATCH_ANY, count2);
    unlock_pair(b1, b2);
    return woken;
  }
}

// One lock of a dying thread's robust list (Linux's handle_futex_death): if the thread still owns it, mark it
// FUTEX_OWNER_DIED and wake one waiter (not for a PI futex, whose waiters the kernel would hand the lock to);
// an entry the thread was adding or removing (pending) whose lock it does not own may have lost a wake-up: wake
// one. false: give up on the list (the word cannot be read or written).
bool robust_lock_died(u64 word, u32 tid, bool pi, bool pending) {
  if (word % sizeof(u32)) return false;
  for (;;) {
    auto value = copy_value_from_user<u32>(word);
    if (value.is_error()) return false;
    u32 old = value.value();
    u32 owner = old & FUTEX_TID_MASK;
    if (owner != tid) {
      if (pending && !pi && (!owner || !(old & FUTEX_WAITERS))) futex_wake_shared(word, 1);
      return true;
    }
    auto found = cmpxchg_u32_user(word, old, (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
    if (found.is_error()) return false;
    if (found.value() != old) continue;  // changed under us: look again
    if (!pi && (old & FUTEX_WAITERS)) futex_wake_shared(word, 1);
    return true;
  }
}

// Walk a dying thread's robust list (Linux's exit_robust_list). Entries are user pointers whose bit 0 says "PI
// futex"; the list ends where it comes back to the head, or after ROBUST_LIST_LIMIT entries.
void walk_robust_list(u64 head_address, u32 tid) {
  auto head = copy_value_from_user<RobustListHead>(head_address);
  if (head.is_error()) return;
  u64 entry = head.value().next & ~1ull;
  bool pi = head.value().next & 1;
  u64 pending = head.value().list_op_pending & ~1ull;
  bool pending_pi = head.value().list_op_pending & 1;
  u64 offset = static_cast<u64>(head.value().futex_offset);
  for (u32 limit = ROBUST_LIST_LIMIT; entry != head_address; ) {
    auto next = copy_value_from_user<u64>(entry);
    if (entry != pending && !robust_lock_died(entry + offset, tid, pi, false)) return;
    if (next.is_error()) return;
    entry = next.value() & ~1ull;
    pi = next.value() & 1;
    if (!--limit) break;
  }
  if (pending) robust_lock_died(pending + offset, tid, pending_pi, true);
}

// get_robust_list(2) of another thread: its head, or ESRCH.
Result<u64> robust_list_of(i32 tid) {
  RefPtr<Process> p = process_find_by_tid(tid);
  if (!p) return Error::SRCH;
  SpinlockGuard guard(g_process_lock);
  Thread* t = process_thread_locked(p.get(), tid);
  if (!t) return Error::SRCH;
  return t->m_robust_list;
}

}  // namespace

Result<u64> futex_wait_restart(u64 address, bool shared, u32 value, u64 deadline_ns, u32 bitset) {
  return futex_wait(address, shared, value, Deadline{deadline_ns}, bitset);
}

u32 futex_wake_shared(u64 address, u32 n) {
  auto key = get_key(address, true, Access::Read);
  if (key.is_error()) return 0;
  FutexBucket& bucket = bucket_of(key.value().key);
  SpinlockGuard guard(bucket.lock);
  return wake_locked(bucket, key.value().key, FUTEX_BITSET_MATCH_ANY, n);
}

void futex_thread_release(Thread* t, bool address_space_shared) {
  if (t->m_robust_list) {
    walk_robust_list(t->m_robust_list, t->m_tid);
    t->m_robust_list = 0;
  }
  if (t->m_clear_child_tid) {
    if (address_space_shared) {
      store_u32_to_user_or_ignore(t->m_clear_child_tid, 0);
      futex_wake_shared(t->m_clear_child_tid, 1);
    }
    t->m_clear_child_tid = 0;
  }
}

Result<u64> sys_futex(const SyscallArgs& a) {
  u64 address = a.a0;
  u32 op = static_cast<u32>(a.a1);
  u32 value = static_cast<u32>(a.a2);
  u64 timeout = a.a3;  // or val2, for the calls without a timeout
  u64 address2 = a.a4;
  u32 value3 = static_cast<u32>(a.a5);
  u32 cmd = op & FUTEX_CMD_MASK;
  bool shared = !(op & FUTEX_PRIVATE_FLAG);
  bool realtime = op & FUTEX_CLOCK_REALTIME;
  Deadline deadline;
  // The timeout is read first, as Linux reads it before it looks at anything else.
  if (timeout && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)) {
    u64 ns = TRY(timespec_ns_from_user(timeout));
    deadline = deadline_from(ns, cmd == FUTEX_WAIT, realtime);
  }
  if (realtime && cmd != FUTEX_WAIT_BITSET) return Error::NOSYS;
  i32 val2 = static_cast<i32>(static_cast<u32>(timeout));
  switch (cmd) {
    case FUTEX_WAIT: return futex_wait(address, shared, value, deadline, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAIT_BITSET: return futex_wait(address, shared, value, deadline, value3);
    case FUTEX_WAKE: return futex_wake(address, shared, static_cast<i32>(value), FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET: return futex_wake(address, shared, static_cast<i32>(value), value3);
    case FUTEX_REQUEUE: return futex_requeue(address, shared, address2, static_cast<i32>(value), val2, nullptr);
    case FUTEX_CMP_REQUEUE: return futex_requeue(address, shared, address2, static_cast<i32>(value), val2, &value3);
    case FUTEX_WAKE_OP: return futex_wake_op(address, shared, address2, static_cast<i32>(value), val2, value3);
    default: return Error::NOSYS;  // the PI operations (LOCK_PI, UNLOCK_PI, ...) are not supported
  }
}

Result<u64> sys_set_robust_list(const SyscallArgs& a) {
  if (a.a1 != sizeof(RobustListHead)) return Error::INVAL;
  current_thread()->m_robust_list = a.a0;  // checked when it is walked, as Linux does
  return 0;
}

Result<u64> sys_get_robust_list(const SyscallArgs& a) {
  i32 tid = static_cast<i32>(a.a0);
  u64 head;
  if (tid == 0) {
    head = current_thread()->m_robust_list;
  } else {
    head = TRY(robust_list_of(tid));
  }
  TRY(copy_value_to_user<u64>(a.a2, sizeof(RobustListHead)));
  TRY(copy_value_to_user<u64>(a.a1, head));
  return 0;
}

RAW_SYSCALL(sys_futex);
RAW_SYSCALL(sys_set_robust_list);
RAW_SYSCALL(sys_get_robust_list);
