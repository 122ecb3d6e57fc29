#include "kernel/log.h"

#include "arch/riscv/cpu.h"
#include "kernel/console.h"
#include "kernel/spinlock.h"
#include "kernel/syslog.h"
#include "kernel/time.h"
#include "lib/format.h"

namespace {
LogLevel g_level = LogLevel::Info;
constexpr char LEVEL_LETTER[] = {'D', 'I', 'W', 'E'};

// The budget of klog_from_user: LINES_PER_INTERVAL lines every INTERVAL_NS. A test's few lines always fit.
constexpr u32 LINES_PER_INTERVAL = 40;
constexpr u64 INTERVAL_NS = 5'000'000'000;
Spinlock g_user_lines_lock("log-budget");
u64 g_interval_start_ns = 0;  // guarded by g_user_lines_lock
u32 g_lines_in_interval = 0;  // guarded by g_user_lines_lock
u64 g_lines_dropped = 0;      // guarded by g_user_lines_lock
}  // namespace

void log_set_level(LogLevel level) { g_level = level; }

void vklog(LogLevel level, const char* fmt, va_list args) {
  if (level < g_level) return;
  char line[512];
  u64 ns = time_monotonic_ns();
  Cpu* c = this_cpu();
  usize n = format(line, sizeof(line), "[%5llu.%06llu] h%u %c ", static_cast<unsigned long long>(ns / 1000000000),
                   static_cast<unsigned long long>((ns / 1000) % 1000000), c ? c->hart_id : 0,
                   LEVEL_LETTER[static_cast<int>(level)]);
  if (n < sizeof(line)) n += vformat(line + n, sizeof(line) - n, fmt, args);
  if (n > sizeof(line) - 2) n = sizeof(line) - 2;
  line[n++] = '\n';
  if (c && c->in_panic) {
    console_write_emergency(line, n);
  } else {
    log_buffer_append(level, line, n);  // for syslog(2) and dmesg
    console_write(ConsoleChannel::Kernel, line, n);
  }
}

void klog(LogLevel level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vklog(level, fmt, args);
  va_end(args);
}

void klog_from_user(LogLevel level, const char* fmt, ...) {
  if (level < g_level) return;
  u64 dropped = 0;
  {
    SpinlockGuard guard(g_user_lines_lock);
    u64 now = time_monotonic_ns();
    if (now - g_interval_start_ns >= INTERVAL_NS) {
      g_interval_start_ns = now;
      g_lines_in_interval = 0;
    }
    if (g_lines_in_interval == LINES_PER_INTERVAL) {
      g_lines_dropped++;
      return;
    }
    g_lines_in_interval++;
    dropped = g_lines_dropped;
    g_lines_dropped = 0;
  }
  if (dropped)
    klog(LogLevel::Warn, "log: %llu lines caused by programs were dropped (at most %u every %llu s)",
         static_cast<unsigned long long>(dropped), LINES_PER_INTERVAL,
         static_cast<unsigned long long>(INTERVAL_NS / 1'000'000'000));
  va_list args;
  va_start(args, fmt);
  vklog(level, fmt, args);
  va_end(args);
}

void kputs(const char* s) {
  usize n = 0;
  while (s[n]) n++;
  Cpu* c = this_cpu();
  if (c && c->in_panic)
    console_write_emergency(s, n);
  else
    console_write(ConsoleChannel::Kernel, s, n);
}

void kprintf(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  vformat(buf, sizeof(buf), fmt, args);
  va_end(args);
  kputs(buf);
}
