// System calls: the Linux riscv64 ABI. A program puts the number in a7 (linux::Sys, kernel/abi/syscall_numbers.h)
// and the arguments in a0..a5, and executes ecall; the result, or -errno, comes back in a0.
//
// Each subsystem writes its calls as handlers that return Result<u64>: errors are values, passed on with TRY,
// never turned into -errno by hand. kernel/syscall.cpp puts the handlers in one table indexed by number, and
// arch/riscv/trap.S calls them through it. What trap.S calls is not the handler itself but its raw form,
// raw_syscall<handler>, which returns the result or -errno in one register.
#pragma once

#include "kernel/abi/syscall_numbers.h"
#include "lib/result.h"
#include "lib/types.h"

struct SyscallArgs {
  u64 a0, a1, a2, a3, a4, a5;
};

// A system call as it is written.
using SyscallHandler = Result<u64> (*)(const SyscallArgs&);
// A system call as trap.S calls it: the result, or -errno, as one value.
using RawSyscall = i64 (*)(const SyscallArgs&);

// The raw form of a handler. Only declared here: kernel/syscall_raw.h defines it, and the file that defines a
// handler instantiates it there (RAW_SYSCALL), where the compiler sees the handler's body and makes one function
// of the two. So the adaptor costs nothing: `return Error::BADF` in a handler compiles to returning -EBADF,
// and the null system call takes as many instructions as it did when handlers returned -errno themselves.
// (A handler file that forgets its RAW_SYSCALL line does not link.)
template <SyscallHandler Handler>
i64 raw_syscall(const SyscallArgs& args);

// A helper's result as a handler's: success with nothing to say is 0, a number (a descriptor, a count) is itself;
// an error stays the error. For handlers that only decode their arguments and call the helper that does the work.
inline Result<u64> syscall_result(const Result<void>& r) {
  if (r.is_error()) return r.error();
  return 0;
}
template <typename T>
Result<u64> syscall_result(const Result<T>& r) {
  if (r.is_error()) return r.error();
  return static_cast<u64>(r.value());
}

// The name of a system-call number ("getppid"), for log lines; "unknown" for a number Linux does not use.
const char* syscall_name(u64 number);

// Whether a call needs the whole user register set in the trap frame. trap.S stores s0-s11 only for the calls
// that do: clone copies the frame into the child, execve writes a new one.
enum class SyscallFrame : u8 { Partial, Full };

// One entry of the table trap.S dispatches through (syscall_table, kernel/syscall.cpp), indexed by number.
struct SyscallEntry {
  RawSyscall handler = nullptr;  // nullptr: not implemented here (-ENOSYS, logged once per process)
  SyscallFrame frame = SyscallFrame::Partial;
};
constexpr usize SYSCALL_TABLE_SIZE = 512;
static_assert(linux::SYSCALL_NUMBER_END <= SYSCALL_TABLE_SIZE);
