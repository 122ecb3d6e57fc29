// Kernel errors are Linux errno values, so that a system call can hand them to user space unchanged
// (as -errno in a0) and so that students can look them up in errno(3). Each member is the errno name without
// its leading E (Error::NOMEM is ENOMEM): the C library defines the E names as macros. E2BIG and EACCES are
// spelled TOO_BIG and ACCESS.
#pragma once

#include "lib/types.h"


enum class Error : i32 {
  PERM = 1,
  NOENT = 2,
  SRCH = 3,
  INTR = 4,
  IO = 5,
  NXIO = 6,
  TOO_BIG = 7,
  NOEXEC = 8,
  BADF = 9,
  CHILD = 10,
  AGAIN = 11,
  NOMEM = 12,
  ACCESS = 13,
  FAULT = 14,
  NOTBLK = 15,
  BUSY = 16,
  EXIST = 17,
  XDEV = 18,
  NODEV = 19,
  NOTDIR = 20,
  ISDIR = 21,
  INVAL = 22,
  NFILE = 23,
  MFILE = 24,
  NOTTY = 25,
  TXTBSY = 26,
  FBIG = 27,
  NOSPC = 28,
  SPIPE = 29,
  ROFS = 30,
  MLINK = 31,
  PIPE = 32,
  RANGE = 34,
  DEADLK = 35,
  NAMETOOLONG = 36,
  NOSYS = 38,
  NOTEMPTY = 39,
  LOOP = 40,
  OVERFLOW = 75,
  LIBBAD = 80,  // a program's interpreter (ld.so) is not a usable ELF file
  NOTSUP = 95,
  TIMEDOUT = 110,
  // Not errnos: a system call interrupted by a signal, to be restarted or to fail with EINTR depending on what
  // the signal does (Linux's values; kernel/signal/deliver.cpp decides on the way back to user mode, so user
  // space never sees them). RESTARTSYS: restart if the handler has SA_RESTART (or there is no handler);
  // RESTARTNOINTR: always restart; RESTARTNOHAND: restart only if no handler runs; RESTART_RESTARTBLOCK: like
  // RESTARTNOHAND, but restart through restart_syscall (nanosleep, with the time left).
  RESTARTSYS = 512,
  RESTARTNOINTR = 513,
  RESTARTNOHAND = 514,
  RESTART_RESTARTBLOCK = 516,
  // Not an errno: a page past the end of an object (the fault becomes SIGBUS). Never returned to user space.
  BUSERR = 4096,
};

constexpr i64 errno_value(Error e) { return static_cast<i64>(e); }

// The symbolic name ("ENOMEM") of an error, for log lines.
const char* error_name(Error e);
