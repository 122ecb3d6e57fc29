// The Linux riscv64 system-call numbers by name: linux::Sys::getppid is 173. The list itself is generated from
// Linux's headers (kernel/abi/syscall_list.h, tools/gen-syscall-numbers.py); this file gives it a type.
#pragma once

#include "kernel/abi/syscall_list.h"
#include "lib/types.h"

#undef linux  // GNU C++ predefines it as 1 (see kernel/abi/linux.h)

namespace linux {

enum class Sys : u16 {
#define LINUX_SYSCALL_NUMBER(name, number) name = number,
  LINUX_RISCV64_SYSCALLS(LINUX_SYSCALL_NUMBER)
#undef LINUX_SYSCALL_NUMBER
};

// One past the highest number Linux gives a system call on riscv64 (451 in Linux 6.1).
constexpr u32 SYSCALL_NUMBER_END = [] {
  u32 end = 0;
#define LINUX_SYSCALL_END(name, number) end = number + 1 > end ? number + 1 : end;
  LINUX_RISCV64_SYSCALLS(LINUX_SYSCALL_END)
#undef LINUX_SYSCALL_END
  return end;
}();

}  // namespace linux
