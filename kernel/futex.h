// Futexes (futex(2)): user-space locks sleep in the kernel only when they must. A thread waits on a 32-bit user
// word while it still holds an expected value; another thread changes the word and wakes it.
//
// Waiters sit in a hash table of buckets, keyed by what the word *is*, not only where it is (Linux's futex_key):
//   private   (FUTEX_PRIVATE_FLAG)  the address space and the address
//   mm-shared (no flag, the word in memory private to one address space)  the same, as a distinct kind
//   object    (no flag, the word in a shared mapping)  the VM object and the offset in it, so that two processes
//             mapping the same object at different addresses meet
// A waiter holds a reference to its key's object while it waits, so the object cannot go and another take its
// address.
//
// No lost wake-ups: a waiter reads the word with its bucket locked and queues itself before unlocking, and a
// waker changes the word before it takes the bucket lock (the user-space protocol), so either the waiter sees the
// new value or the waker sees the waiter. The word is read under the lock with the no-fault routines of
// arch/riscv/usercopy.h; on a fault the lock is dropped, the page faulted in, and the operation starts again.
//
// Lock order: a bucket lock (two, in address order, for REQUEUE and WAKE_OP), then g_sched_lock.
#pragma once

#include "kernel/syscall.h"
#include "lib/result.h"
#include "lib/types.h"

struct Thread;

Result<u64> sys_futex(const SyscallArgs& args);
Result<u64> sys_set_robust_list(const SyscallArgs& args);
Result<u64> sys_get_robust_list(const SyscallArgs& args);

// What a thread's end (exit, or exec) does to user memory it shares with others (Linux's mm_release), in its own
// context: walk its robust futex list (FUTEX_OWNER_DIED on every lock it still holds, waking a waiter of each),
// and, when another thread still uses the address space, store 0 at its CLONE_CHILD_CLEARTID word and wake a
// waiter there (pthread_join). A bad address is ignored, as Linux does.
void futex_thread_release(Thread* t, bool address_space_shared);

// restart_syscall after a timed FUTEX_WAIT a signal interrupted: wait again until the same deadline (monotonic).
Result<u64> futex_wait_restart(u64 address, bool shared, u32 value, u64 deadline_ns, u32 bitset);

// Wake up to n waiters of the shared futex word at user address `address` in the current address space (the
// wake of FUTEX_WAKE without FUTEX_PRIVATE_FLAG). Returns how many were woken.
u32 futex_wake_shared(u64 address, u32 n);
