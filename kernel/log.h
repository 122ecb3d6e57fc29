// Kernel log lines: "[    1.234567] h0 I message" — time since boot, the hart, the level, then the text.
// They go to the console's kernel channel (see kernel/console.h), which tools/run shows on the terminal's
// stderr or writes to a log file, and to the message buffer that dmesg reads (kernel/syslog.h).
#pragma once

#include <cstdarg>

#include "lib/types.h"

enum class LogLevel : u8 { Debug, Info, Warn, Error };

void klog(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vklog(LogLevel level, const char* fmt, va_list args);
// Lines at a level below this are dropped (kernel command line: loglevel=debug|info|warn|error).
void log_set_level(LogLevel level);

// For lines that user programs cause (a fault that kills, a missing system call): they share a budget, as
// Linux's printk_ratelimit does, so that a program cannot flood the console every hart writes to (a fork bomb
// of crashing processes once did). Lines over the budget are dropped and counted; the next line printed
// says how many.
void klog_from_user(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_DEBUG(...) klog(LogLevel::Debug, __VA_ARGS__)
#define LOG_INFO(...) klog(LogLevel::Info, __VA_ARGS__)
#define LOG_WARN(...) klog(LogLevel::Warn, __VA_ARGS__)
#define LOG_ERROR(...) klog(LogLevel::Error, __VA_ARGS__)

// Raw text on the kernel channel, no prefix (panic reports use it for multi-line output).
void kputs(const char* s);
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
