// syslog(2) and the message buffer behind it (kernel/syslog.h).
//
// The buffer is a ring of LOG_BUFFER_SIZE bytes addressed by sequence numbers: byte number s (counted since boot)
// lives at s % LOG_BUFFER_SIZE while s >= g_end - LOG_BUFFER_SIZE. Readers start at a line boundary: the oldest
// kept line may have lost its beginning, and is skipped. Two marks, as Linux keeps: g_read_seq, where
// SYSLOG_ACTION_READ goes on (it consumes), and g_clear_seq, where READ_ALL starts (CLEAR moves it to the end).
#include "kernel/syslog.h"

#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/spinlock.h"
#include "kernel/syscall_raw.h"
#include "kernel/wait_queue.h"
#include "mm/heap.h"

namespace {

Spinlock g_log_buffer_lock("log-buffer");
char g_ring[LOG_BUFFER_SIZE];  // guarded by g_log_buffer_lock
u64 g_end = 0;                 // sequence number of the next byte written; same lock
u64 g_read_seq = 0;            // same lock
u64 g_clear_seq = 0;           // same lock

// The first line boundary at or after `seq` that the ring still holds.
u64 first_kept_locked(u64 seq) {
  ASSERT_LOCKED(g_log_buffer_lock);
  u64 oldest = g_end > LOG_BUFFER_SIZE ? g_end - LOG_BUFFER_SIZE : 0;
  if (seq >= oldest) return seq;
  // Skip the partial line at the start of what is kept.
  for (u64 s = oldest; s < g_end; s++)
    if (g_ring[s % LOG_BUFFER_SIZE] == '\n') return s + 1;
  return g_end;
}

// Copies [from, from + n) out of the ring.
void copy_out_locked(char* out, u64 from, usize n) {
  ASSERT_LOCKED(g_log_buffer_lock);
  for (usize i = 0; i < n; i++) out[i] = g_ring[(from + i) % LOG_BUFFER_SIZE];
}

// The start of the line after `seq`'s (or `end`).
u64 next_line_locked(u64 seq, u64 end) {
  while (seq < end && g_ring[seq % LOG_BUFFER_SIZE] != '\n') seq++;
  return seq < end ? seq + 1 : end;
}

constexpr i32 ACTION_CLOSE = 0, ACTION_OPEN = 1, ACTION_READ = 2, ACTION_READ_ALL = 3, ACTION_READ_CLEAR = 4,
              ACTION_CLEAR = 5, ACTION_CONSOLE_OFF = 6, ACTION_CONSOLE_ON = 7, ACTION_CONSOLE_LEVEL = 8,
              ACTION_SIZE_UNREAD = 9, ACTION_SIZE_BUFFER = 10;

// READ: whole lines from g_read_seq that fit in `size` (at least the first line's first `size` bytes, as
// Linux's syslog_print), consumed. Waits while there is nothing new.
Result<u64> read_new(u64 buffer, usize size) {
  auto* text = static_cast<char*>(kmalloc(LOG_BUFFER_SIZE));
  if (!text) return Error::NOMEM;
  usize n = 0;
  for (;;) {
    {
      SpinlockGuard guard(g_log_buffer_lock);
      u64 from = first_kept_locked(g_read_seq);
      if (from < g_end) {
        u64 to = from;
        while (to < g_end) {
          u64 next = next_line_locked(to, g_end);
          if (next - from > size) break;
          to = next;
        }
        if (to == from) to = from + size;  // a line longer than the buffer: its start
        n = static_cast<usize>(to - from);
        copy_out_locked(text, from, n);
        g_read_seq = to;
        break;
      }
    }
    // Nothing new: wait (a poll every 20 ms; klog itself, which may run under any lock, wakes no one).
    if (auto slept = sleep_ns(20'000'000); slept.is_error()) {
      kfree(text);
      return slept.error();
    }
  }
  auto copied = copy_to_user(buffer, text, n);
  kfree(text);
  TRY(copied);
  return n;
}

// READ_ALL (and READ_CLEAR): the most recent lines since the clear mark that fit in `size`.
Result<u64> read_all(u64 buffer, usize size, bool clear) {
  auto* text = static_cast<char*>(kmalloc(LOG_BUFFER_SIZE));
  if (!text) return Error::NOMEM;
  usize n;
  {
    SpinlockGuard guard(g_log_buffer_lock);
    u64 from = first_kept_locked(g_clear_seq);
    while (g_end - from > size) from = next_line_locked(from, g_end);
    n = static_cast<usize>(g_end - from);
    copy_out_locked(text, from, n);
    if (clear) g_clear_seq = g_end;
  }
  auto copied = copy_to_user(buffer, text, n);
  kfree(text);
  TRY(copied);
  return n;
}

}  // namespace

void log_buffer_append(LogLevel level, const char* line, usize length) {
  static constexpr char SYSLOG_LEVEL[] = {'7', '6', '4', '3'};  // Debug, Info, Warn, Error
  SpinlockGuard guard(g_log_buffer_lock);
  char prefix[3] = {'<', SYSLOG_LEVEL[static_cast<int>(level)], '>'};
  for (char c : prefix) g_ring[g_end++ % LOG_BUFFER_SIZE] = c;
  for (usize i = 0; i < length; i++) g_ring[g_end++ % LOG_BUFFER_SIZE] = line[i];
}

Result<u64> sys_syslog(const SyscallArgs& a) {
  i32 action = static_cast<i32>(a.a0);
  u64 buffer = a.a1;
  i32 length = static_cast<i32>(a.a2);
  switch (action) {
    case ACTION_CLOSE:
    case ACTION_OPEN: return 0;
    case ACTION_READ:
    case ACTION_READ_ALL:
    case ACTION_READ_CLEAR:
      if (!buffer || length < 0) return Error::INVAL;
      if (length == 0) return 0;
      if (action == ACTION_READ) return read_new(buffer, static_cast<usize>(length));
      return read_all(buffer, static_cast<usize>(length), action == ACTION_READ_CLEAR);
    case ACTION_CLEAR: {
      SpinlockGuard guard(g_log_buffer_lock);
      g_clear_seq = g_end;
      return 0;
    }
    // The console's level: accepted (the kernel command line's loglevel= says what the console shows).
    case ACTION_CONSOLE_OFF:
    case ACTION_CONSOLE_ON: return 0;
    case ACTION_CONSOLE_LEVEL: return length < 1 || length > 8 ? Result<u64>(Error::INVAL) : Result<u64>(0);
    case ACTION_SIZE_UNREAD: {
      SpinlockGuard guard(g_log_buffer_lock);
      return g_end - first_kept_locked(g_read_seq);
    }
    case ACTION_SIZE_BUFFER: return LOG_BUFFER_SIZE;
    default: return Error::INVAL;
  }
}

RAW_SYSCALL(sys_syslog);
