// The kernel's message buffer (Linux's log_buf): the most recent kernel log lines, which syslog(2) (klogctl) and
// so `dmesg` read back. Every line klog prints is kept here as "<L>[  time] hN X text\n", L its syslog level
// (3 error, 4 warning, 6 info, 7 debug), whether or not the console showed it.
//
// Lock: g_log_buffer_lock (a spinlock, taken by klog from any context; never held across a copy to user
// memory or a sleep).
#pragma once

#include "kernel/log.h"
#include "kernel/syscall.h"
#include "lib/result.h"

constexpr usize LOG_BUFFER_SIZE = 32 * 1024;  // bytes kept (Linux: 1 << CONFIG_LOG_BUF_SHIFT)

// Called by vklog with the line it formatted (ending in '\n').
void log_buffer_append(LogLevel level, const char* line, usize length);

// syslog(2): SYSLOG_ACTION_READ (waits for new lines), READ_ALL, READ_CLEAR, CLEAR, CONSOLE_OFF/ON/LEVEL,
// SIZE_UNREAD and SIZE_BUFFER, as Linux 6.1's do_syslog.
Result<u64> sys_syslog(const SyscallArgs&);
