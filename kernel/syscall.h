// System calls: the Linux riscv64 ABI (ecall with the number in a7 from the asm-generic table, arguments in
// a0..a5, the result or -errno in a0). kernel/syscall.cpp holds the table; each subsystem implements its calls
// with this signature and returns a value or a negative errno (use syscall_return on a Result).
#pragma once

#include "lib/result.h"
#include "lib/types.h"

struct SyscallArgs {
  u64 a0, a1, a2, a3, a4, a5;
};

using SyscallHandler = i64 (*)(const SyscallArgs&);

template <typename T>
inline i64 syscall_return(const Result<T>& r) {
  if (r.is_error()) return -errno_value(r.error());
  return static_cast<i64>(r.value());
}
inline i64 syscall_return(const Result<void>& r) { return r.is_error() ? -errno_value(r.error()) : 0; }
inline i64 syscall_error(Error e) { return -errno_value(e); }

// Names of system calls by number, for the "missing system call" log line and tracing.
const char* syscall_name(u64 number);
