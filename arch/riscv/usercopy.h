// Copying between kernel and user memory. Every access the kernel makes to user memory goes through these,
// so one place checks that a user pointer really is a user pointer: a range that is not entirely inside the
// user half (kernel addresses, wrap-around, absurd lengths) fails with EFAULT before anything is touched, and a
// fault during the copy that the VM system cannot resolve also gives EFAULT. Never a panic.
#pragma once

#include "arch/riscv/trap_frame.h"
#include "lib/result.h"
#include "lib/types.h"

extern "C" long user_copy_raw(void* dst, const void* src, usize n);
extern "C" long user_strncpy_raw(char* dst, const char* user_src, usize max);
extern "C" long user_memset_raw(void* user_dst, int c, usize n);
extern "C" long user_load_u64_raw(const void* user_src, u64* out);
extern "C" long user_store_u32_raw(void* user_dst, u32 value);

// The end of the user half: a user range must lie entirely below it.
constexpr u64 usercopy_user_limit() { return 0x4000000000ull; }

inline bool is_user_range(u64 addr, u64 len) {
  return addr < usercopy_user_limit() && len <= usercopy_user_limit() - addr;
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

// Copies a NUL-terminated string of at most max-1 characters into dst (size max). ENAMETOOLONG if longer,
// EFAULT on a bad pointer. Returns the length.
inline Result<usize> copy_string_from_user(char* dst, u64 user_src, usize max) {
  if (user_src >= usercopy_user_limit()) return Error::FAULT;
  usize limit = max;
  if (limit > usercopy_user_limit() - user_src) limit = usercopy_user_limit() - user_src;
  long n = user_strncpy_raw(dst, reinterpret_cast<const char*>(user_src), limit);
  if (n < 0) return Error::FAULT;
  if (static_cast<usize>(n) >= max) return Error::NAMETOOLONG;
  if (static_cast<usize>(n) == limit) return Error::FAULT;  // ran into the end of the user half
  return static_cast<usize>(n);
}

// trap.cpp: is the faulting pc inside the user-copy routines, and the recovery.
bool usercopy_contains(u64 pc);
void usercopy_fixup(TrapFrame* tf);
