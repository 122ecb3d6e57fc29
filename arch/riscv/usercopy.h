// Copying between kernel and user memory. Every access the kernel makes to user memory goes through these,
// so one place checks that a user pointer really is a user pointer: a range that is not entirely inside the
// user half (kernel addresses, wrap-around, absurd lengths) fails with EFAULT before anything is touched, and a
// fault during the copy that the VM system cannot resolve also gives EFAULT. Never a panic.
#pragma once

#include "arch/riscv/memlayout.h"
#include "arch/riscv/trap_frame.h"
#include "lib/result.h"
#include "lib/types.h"

// The raw routines (usercopy.S) check nothing: they run with SUM set and would store through any address,
// kernel ones included. Only the checked wrappers below may call them; tools/check_user_access.sh (a test in
// `make test`) fails the build's tests if any other file names them.
extern "C" long user_copy_raw(void* dst, const void* src, usize n);
extern "C" long user_strncpy_raw(char* dst, const char* user_src, usize max);
extern "C" long user_memset_raw(void* user_dst, int c, usize n);
extern "C" long user_cmpxchg_u32_raw(u32* user, u32 expected, u32 desired, u32* old);
extern "C" long user_fault_in_writeable_raw(u32* user);
// The no-fault routines (usercopy.S): a fault in them is not resolved, the routine fails at once.
extern "C" long user_load_u32_nofault_raw(const u32* user, u32* out);
extern "C" long user_cmpxchg_u32_nofault_raw(u32* user, u32 expected, u32 desired, u32* old);
extern "C" long user_atomic_op_u32_nofault_raw(u32* user, u32 op, u32 operand, u32* old);

// A user range must lie entirely in the user half.
inline bool is_user_range(u64 addr, u64 len) {
  return addr < memlayout::USER_END && len <= memlayout::USER_END - addr;
}

inline Result<void> copy_from_user(void* dst, u64 user_src, usize n) {
  if (!is_user_range(user_src, n)) return Error::FAULT;
  if (user_copy_raw(dst, reinterpret_cast<const void*>(user_src), n) != 0) return Error::FAULT;
  return {};
}

inline Result<void> copy_to_user(u64 user_dst, const void* src, usize n) {
  if (!is_user_range(user_dst, n)) return Error::FAULT;
  if (user_copy_raw(reinterpret_cast<void*>(user_dst), src, n) != 0) return Error::FAULT;
  return {};
}

inline Result<void> clear_user(u64 user_dst, usize n) {
  if (!is_user_range(user_dst, n)) return Error::FAULT;
  if (user_memset_raw(reinterpret_cast<void*>(user_dst), 0, n) != 0) return Error::FAULT;
  return {};
}

template <typename T>
inline Result<T> copy_value_from_user(u64 user_src) {
  T value;
  TRY(copy_from_user(&value, user_src, sizeof(T)));
  return value;
}

template <typename T>
inline Result<void> copy_value_to_user(u64 user_dst, const T& value) {
  return copy_to_user(user_dst, &value, sizeof(T));
}

// Linux's put_user for the stores the kernel makes on its own account (the tid words of clone and
// set_tid_address): to a user address only, and only where the process itself could store (a read-only or
// PROT_NONE page fails). The caller ignores a failure, as Linux does.
inline void store_u32_to_user_or_ignore(u64 user_dst, u32 value) { (void)copy_value_to_user<u32>(user_dst, value); }

// ---- Atomic operations on one aligned user word (futexes, robust lists) ----
//
// The address must be 4-byte aligned (EINVAL is the caller's to give) and in the user half (EFAULT here). Each is
// one atomic access with the program's own page protections: a read-only page fails a cmpxchg or an operation.

// Compare-and-exchange: the value found (the word now holds desired if that equals expected). Faults are
// resolved as for copy_from_user.
inline Result<u32> cmpxchg_u32_user(u64 user, u32 expected, u32 desired) {
  if (!is_user_range(user, sizeof(u32)) || user % sizeof(u32)) return Error::FAULT;
  u32 old;
  if (user_cmpxchg_u32_raw(reinterpret_cast<u32*>(user), expected, desired, &old) != 0) return Error::FAULT;
  return old;
}

// Make the word writable now (break copy-on-write, map the page) without changing it: Linux's
// fault_in_user_writeable, used after a no-fault operation failed.
inline Result<void> fault_in_user_writeable(u64 user) {
  if (!is_user_range(user, sizeof(u32)) || user % sizeof(u32)) return Error::FAULT;
  if (user_fault_in_writeable_raw(reinterpret_cast<u32*>(user)) != 0) return Error::FAULT;
  return {};
}

// The no-fault variants, for use under a spinlock (Linux's pagefault_disable()): if the page is not mapped
// with the access they need right now, they fail with EFAULT without trying to resolve the fault. The caller
// then drops its locks, makes the page present (copy_value_from_user, fault_in_user_writeable) and retries.
inline Result<u32> load_u32_user_nofault(u64 user) {
  if (!is_user_range(user, sizeof(u32)) || user % sizeof(u32)) return Error::FAULT;
  u32 value;
  if (user_load_u32_nofault_raw(reinterpret_cast<const u32*>(user), &value) != 0) return Error::FAULT;
  return value;
}
inline Result<u32> cmpxchg_u32_user_nofault(u64 user, u32 expected, u32 desired) {
  if (!is_user_range(user, sizeof(u32)) || user % sizeof(u32)) return Error::FAULT;
  u32 old;
  if (user_cmpxchg_u32_nofault_raw(reinterpret_cast<u32*>(user), expected, desired, &old) != 0) return Error::FAULT;
  return old;
}
// FUTEX_WAKE_OP's operations on a word (the op numbers are Linux's FUTEX_OP_*).
enum class UserAtomicOp : u32 { Set = 0, Add = 1, Or = 2, AndNot = 3, Xor = 4 };
// The value before; NOSYS for an op number that is not one of the above.
inline Result<u32> atomic_op_u32_user_nofault(u64 user, u32 op, u32 operand) {
  if (!is_user_range(user, sizeof(u32)) || user % sizeof(u32)) return Error::FAULT;
  u32 old;
  long r = user_atomic_op_u32_nofault_raw(reinterpret_cast<u32*>(user), op, operand, &old);
  if (r == -38) return Error::NOSYS;
  if (r != 0) return Error::FAULT;
  return old;
}

// Copies a NUL-terminated string of at most max-1 characters into dst (size max). ENAMETOOLONG if longer,
// EFAULT on a bad pointer. Returns the length.
inline Result<usize> copy_string_from_user(char* dst, u64 user_src, usize max) {
  if (user_src >= memlayout::USER_END) return Error::FAULT;
  usize limit = max;
  if (limit > memlayout::USER_END - user_src) limit = memlayout::USER_END - user_src;
  long n = user_strncpy_raw(dst, reinterpret_cast<const char*>(user_src), limit);
  if (n < 0) return Error::FAULT;
  if (static_cast<usize>(n) >= max) return Error::NAMETOOLONG;
  if (static_cast<usize>(n) == limit) return Error::FAULT;  // ran into the end of the user half
  return static_cast<usize>(n);
}

// trap.cpp: is the faulting pc inside the user-copy routines (and inside the no-fault ones, whose faults are
// never resolved), and the recovery.
bool usercopy_contains(u64 pc);
bool usercopy_nofault_contains(u64 pc);
void usercopy_fixup(TrapFrame* tf);
