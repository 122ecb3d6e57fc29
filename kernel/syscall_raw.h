// The adaptor from a system-call handler (Result<u64>) to the raw function trap.S calls (the result or -errno
// in a0), for the files that define handlers. See kernel/syscall.h.
#pragma once

#include "kernel/syscall.h"

// flatten: the handler (and what it calls in the same file) is inlined here, so the two are one function.
template <SyscallHandler Handler>
[[gnu::flatten]] i64 raw_syscall(const SyscallArgs& args) {
  Result<u64> result = Handler(args);
  if (result.is_error()) return -errno_value(result.error());
  return static_cast<i64>(result.value());
}

// Instantiate the raw form of a handler; the line goes in the file that defines the handler.
#define RAW_SYSCALL(handler) template i64 raw_syscall<handler>(const SyscallArgs&)
