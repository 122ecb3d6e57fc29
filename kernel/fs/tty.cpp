// The console's line discipline (Linux's n_tty, much reduced) and the console files.
//
// Input arrives a byte at a time from the UART interrupt (receive()). In canonical mode (ICANON, the default)
// bytes are collected into the line being edited — backspace/DEL erases a character, ^U the line, ^W a word,
// ^D ends the input without a newline (at the
// start of a line: end of file) — and a completed line moves to the ready queue, which read() takes from, at
// most one line per call. Echo goes back to the console. In non-canonical mode each byte is ready at once and
// read() honours VMIN/VTIME. Output needs no processing here: the console turns "\n" into "\r\n" itself.
//
// ^T (BSD's status key; xv6's ^P), with ISIG: the kernel prints the list of processes on the console at once,
// whatever runs, so that a program that seems hung can be seen (its threads' states, the hart one runs on).
//
// Job control (kernel/signal/job_control.h): with ISIG, ^C, ^\ and ^Z send SIGINT, SIGQUIT and SIGTSTP to the
// foreground process group of the session the console belongs to (and discard the input, unless NOFLSH); a
// background process that reads (or, with TOSTOP, writes, or changes the settings) gets SIGTTIN (SIGTTOU).
// Unlike Linux's /dev/console, which is only a redirection, the console here is the terminal itself: a shell
// on it has job control.
//
// In multiplexed mode (tools/run running a program, console=mux) the console is not a terminal to the program:
// its files answer TCGETS with ENOTTY and stat as FIFOs, as the pipes of the Linux reference run would, so
// glibc buffers output identically; input is taken raw, without echo.
//
// Lock: m_lock (a spinlock, taken in the interrupt handler too) protects all the state. Readers copy the
// bytes they take into a kernel buffer under it, and to user memory after releasing it. Echo is written to
// the console after releasing it.
#include "kernel/fs/tty.h"

#include <cstring>

#include "kernel/console.h"
#include "kernel/fs/poll.h"
#include "kernel/fs/vfs.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "mm/heap.h"
#include "kernel/process.h"
#include "kernel/signal/job_control.h"

namespace {

using namespace linux;

// Flags and control characters linux.h leaves out (asm-generic/termbits.h).
constexpr u32 IGNCR = 0000200, INLCR = 0000100, ISTRIP = 0000040, IUTF8 = 0040000;
constexpr u32 HUPCL = 0002000;
constexpr u32 ECHONL = 0000100, ECHOCTL = 0001000, ECHOKE = 0004000, NOFLSH = 0000200, TOSTOP = 0000400;
constexpr unsigned VEOL = 11, VWERASE = 14, VLNEXT = 15, VEOL2 = 16;
constexpr u8 STATUS_KEY = 0x14;  // ^T
constexpr u64 TCSBRK = 0x5409, TCXONC = 0x540A, TCFLSH = 0x540B, TIOCSTI = 0x5412;

constexpr usize READY_SIZE = 4096;  // bytes waiting for read() (Linux's N_TTY_BUF_SIZE)
constexpr usize MAX_CANON = 4095;   // the longest line one can type
constexpr usize MAX_LINES = 256;    // completed lines waiting

// Collects echo while the lock is held; written to the console afterwards.
struct Echo {
  char text[96];
  usize length = 0;
  usize erase_columns = 0;  // then this many "\b \b"

  void put(char c) {
    if (length < sizeof(text)) text[length++] = c;
  }
  void put(const char* s) {
    while (*s) put(*s++);
  }
  void flush() {
    if (length) console_write(ConsoleChannel::Stdout, text, length);
    static const char erase[] = "\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b";  // 8 columns
    while (erase_columns) {
      usize n = erase_columns < 8 ? erase_columns : 8;
      console_write(ConsoleChannel::Stdout, erase, n * 3);
      erase_columns -= n;
    }
  }
};

// Control characters echo as ^X (ECHOCTL), except tab and newline.
usize echo_width(u8 c) { return (c < 32 && c != '\t' && c != '\n') || c == 0x7f ? 2 : 1; }

class LineDiscipline {
 public:
  LineDiscipline() { reset_termios(); }

  void receive(u8 c);
  // tools/run's standard input ended (multiplexed mode): reads return 0 once the queued bytes are taken.
  void receive_end_of_input();
  Result<usize> read(const IoBuffer& buffer, usize len, bool nonblocking);
  Result<i64> ioctl(u64 request, u64 argument);
  // poll(2): POLLIN once read() would not block (a line, or in raw mode a byte, or the end of the input).
  u32 poll_events();
  // May the caller write now? (With TOSTOP a background process may not: SIGTTOU.)
  Result<void> check_write();

 private:
  void reset_termios();
  bool is_raw() const { return console_is_multiplexed(); }
  bool is_canonical_locked() const {
    ASSERT_LOCKED(m_lock);
    return (m_termios.c_lflag & ICANON) && !is_raw();
  }
  void receive_canonical_locked(u8 c, Echo& echo);
  void echo_char_locked(u8 c, Echo& echo);
  void erase_locked(Echo& echo, bool whole_line, bool word);
  // Moves the edited line to the ready queue (a zero-length line is an end of file).
  void push_line_locked();
  bool push_ready_locked(u8 c);
  u8 take_ready_locked();
  void flush_input_locked();
  void set_termios_locked(const termios& t);
  // Non-canonical: whether read() may return now, given VMIN/VTIME.
  usize wanted_bytes_locked(usize len) const;

  Spinlock m_lock{"tty"};
  termios m_termios;          // guarded by m_lock
  winsize m_winsize{};        // guarded by m_lock
  u8 m_ready[READY_SIZE];     // bytes read() can take, a ring; guarded by m_lock
  usize m_ready_head = 0;
  usize m_ready_count = 0;
  u32 m_lines[MAX_LINES];     // canonical mode: lengths of the lines in m_ready (a ring); guarded by m_lock
  usize m_lines_head = 0;
  usize m_lines_count = 0;
  u8 m_line[MAX_CANON];       // the line being edited; guarded by m_lock
  bool m_input_ended = false; // guarded by m_lock
  usize m_line_length = 0;
  WaitQueue m_readers;
  Terminal m_terminal;        // the session and foreground group; guarded by g_process_lock
};

LineDiscipline g_tty;

void LineDiscipline::reset_termios() {
  // Linux's tty_std_termios.
  memset(&m_termios, 0, sizeof(m_termios));
  m_termios.c_iflag = ICRNL | IXON | IUTF8;
  m_termios.c_oflag = OPOST | ONLCR;
  m_termios.c_cflag = B38400 | CS8 | CREAD | HUPCL;
  m_termios.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
  static const u8 default_cc[] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0};
  memcpy(m_termios.c_cc, default_cc, sizeof(default_cc));
  m_winsize.ws_row = 24;
  m_winsize.ws_col = 80;
}

bool LineDiscipline::push_ready_locked(u8 c) {
  ASSERT_LOCKED(m_lock);
  if (m_ready_count == READY_SIZE) return false;
  m_ready[(m_ready_head + m_ready_count) % READY_SIZE] = c;
  m_ready_count++;
  return true;
}

u8 LineDiscipline::take_ready_locked() {
  ASSERT_LOCKED(m_lock);
  u8 c = m_ready[m_ready_head];
  m_ready_head = (m_ready_head + 1) % READY_SIZE;
  m_ready_count--;
  return c;
}

void LineDiscipline::flush_input_locked() {
  ASSERT_LOCKED(m_lock);
  m_ready_head = m_ready_count = 0;
  m_lines_head = m_lines_count = 0;
  m_line_length = 0;
}

void LineDiscipline::push_line_locked() {
  ASSERT_LOCKED(m_lock);
  // A line that does not fit is lost, as when Linux's buffer overflows.
  if (m_lines_count < MAX_LINES && READY_SIZE - m_ready_count >= m_line_length) {
    for (usize i = 0; i < m_line_length; i++) push_ready_locked(m_line[i]);
    m_lines[(m_lines_head + m_lines_count) % MAX_LINES] = static_cast<u32>(m_line_length);
    m_lines_count++;
  }
  m_line_length = 0;
  m_readers.wake_all();
  poll_notify();
}

void LineDiscipline::echo_char_locked(u8 c, Echo& echo) {
  ASSERT_LOCKED(m_lock);
  if (!(m_termios.c_lflag & ECHO)) return;
  if (echo_width(c) == 2 && (m_termios.c_lflag & ECHOCTL)) {
    echo.put('^');
    echo.put(static_cast<char>(c ^ 0x40));
  } else {
    echo.put(static_cast<char>(c));
  }
}

void LineDiscipline::erase_locked(Echo& echo, bool whole_line, bool word) {
  ASSERT_LOCKED(m_lock);
  bool seen_word = false;
  while (m_line_length > 0) {
    u8 c = m_line[m_line_length - 1];
    if (word) {
      bool blank = c == ' ' || c == '\t';
      if (blank && seen_word) break;
      seen_word |= !blank;
    }
    m_line_length--;
    if ((m_termios.c_lflag & ECHO) && (m_termios.c_lflag & ECHOE)) echo.erase_columns += echo_width(c);
    if (!whole_line && !word) break;
  }
}

void LineDiscipline::receive_canonical_locked(u8 c, Echo& echo) {
  ASSERT_LOCKED(m_lock);
  const u8* cc = m_termios.c_cc;
  if (c == cc[VERASE] || c == '\b') return erase_locked(echo, false, false);
  if (c == cc[VKILL]) return erase_locked(echo, true, false);
  if (c == cc[VWERASE] && (m_termios.c_lflag & IEXTEN)) return erase_locked(echo, false, true);
  if (c == cc[VEOF]) return push_line_locked();  // no echo; at the start of a line, end of file
  if (c == '\n' || (cc[VEOL] && c == cc[VEOL]) || (cc[VEOL2] && c == cc[VEOL2])) {
    if (m_line_length < MAX_CANON) m_line[m_line_length++] = c;
    if ((m_termios.c_lflag & ECHO) || (c == '\n' && (m_termios.c_lflag & ECHONL))) echo.put(static_cast<char>(c));
    return push_line_locked();
  }
  if (m_line_length >= MAX_CANON - 1) return;  // full: only a newline gets in
  m_line[m_line_length++] = c;
  echo_char_locked(c, echo);
}

namespace {

// ^T: one line per process (pid, parent, state, threads, name), written after g_process_lock is dropped. Called
// from the console's interrupt, as terminal_signal_foreground is (the lock disables interrupts where it is held,
// so the interrupt cannot arrive while this hart holds it). A second ^T while one is being printed is dropped.
void print_process_list() {
  static char text[4096];
  static Atomic<u32> busy{0};  // (a word: rv64 has no byte-sized atomic swap)
  if (busy.exchange(1, MemoryOrder::Acquire)) return;
  usize n = format(text, sizeof(text), "\n  PID  PPID  STATE              THREADS  NAME\n");
  {
    process_for_each([&](Process& p) {  // (under g_process_lock, which keeps m_threads still)
      u32 threads = 0, running = 0, runnable = 0, hart = 0;
      for (Thread& t : p.m_threads) {
        ThreadState s = __atomic_load_n(&t.m_state, __ATOMIC_RELAXED);  // (a snapshot: g_sched_lock not taken)
        threads++;
        if (s == ThreadState::Running) {
          if (!running++) hart = g_cpus[t.m_last_cpu].hart_id;
        } else if (s == ThreadState::Runnable) {
          runnable++;
        }
      }
      char state[32];
      if (p.m_state == ProcessState::Zombie)
        format(state, sizeof(state), "zombie");
      else if (running)
        format(state, sizeof(state), "running (hart %u)", hart);
      else
        format(state, sizeof(state), runnable ? "runnable" : "sleeping");
      if (n < sizeof(text))
        n += format(text + n, sizeof(text) - n, "%5d %5d  %-18s %7u  %s\n", p.m_pid, p.m_parent ? p.m_parent->m_pid : 0,
                    state, threads, p.m_name);
    });
  }
  kputs(text);
  busy.store(0, MemoryOrder::Release);
}

}  // namespace

void LineDiscipline::receive(u8 c) {
  Echo echo;
  unsigned signal = 0;
  bool status = false;
  {
    SpinlockGuard guard(m_lock);
    if (is_raw()) {
      push_ready_locked(c);
      m_readers.wake_all();
      poll_notify();
      return;
    }
    u32 iflag = m_termios.c_iflag;
    if (iflag & ISTRIP) c &= 0x7f;
    if (c == '\r') {
      if (iflag & IGNCR) return;
      if (iflag & ICRNL) c = '\n';
    } else if (c == '\n' && (iflag & INLCR)) {
      c = '\r';
    }
    const u8* cc = m_termios.c_cc;
    if ((m_termios.c_lflag & ISIG) && c == STATUS_KEY) {
      status = true;
    } else if ((m_termios.c_lflag & ISIG) && c && (c == cc[VINTR] || c == cc[VQUIT] || c == cc[VSUSP])) {
      // The foreground group gets the signal (after the lock is dropped); the input goes, and the echo shows
      // what was typed.
      signal = c == cc[VINTR] ? SIGINT : c == cc[VQUIT] ? SIGQUIT : SIGTSTP;
      if (!(m_termios.c_lflag & NOFLSH)) flush_input_locked();
      echo_char_locked(c, echo);
      if (m_termios.c_lflag & ECHO) echo.put('\n');
    } else if (is_canonical_locked()) {
      receive_canonical_locked(c, echo);
    } else {
      if (push_ready_locked(c)) echo_char_locked(c, echo);
      m_readers.wake_all();
      poll_notify();
    }
  }
  echo.flush();
  if (signal) terminal_signal_foreground(m_terminal, signal);
  if (status) print_process_list();
}

Result<void> LineDiscipline::check_write() {
  bool tostop;
  {
    SpinlockGuard guard(m_lock);
    tostop = m_termios.c_lflag & TOSTOP;
  }
  return tostop ? terminal_check_change(m_terminal) : Result<void>();
}

usize LineDiscipline::wanted_bytes_locked(usize len) const {
  ASSERT_LOCKED(m_lock);
  usize minimum = is_raw() ? 1 : m_termios.c_cc[VMIN];
  return minimum < len ? minimum : len;
}

Result<usize> LineDiscipline::read(const IoBuffer& buffer, usize len, bool nonblocking) {
  if (len == 0) return 0;
  TRY(terminal_check_read(m_terminal));  // a background job stops here (SIGTTIN)
  usize capacity = len < READY_SIZE ? len : READY_SIZE;
  auto* bounce = static_cast<u8*>(kmalloc(capacity));
  if (!bounce) return Error::NOMEM;
  usize n = 0;
  Result<void> waited;
  {
    SpinlockGuard guard(m_lock);
    for (;;) {
      if (is_canonical_locked()) {
        if (m_lines_count > 0) {
          u32& line = m_lines[m_lines_head];
          while (n < capacity && n < line) bounce[n++] = take_ready_locked();
          line -= static_cast<u32>(n);
          if (line == 0) {  // the line is used up (an empty one was an end of file: n is 0)
            m_lines_head = (m_lines_head + 1) % MAX_LINES;
            m_lines_count--;
          }
          break;
        }
      } else {
        // Non-canonical: VMIN bytes are enough; VTIME (tenths of a second) bounds the wait for the first byte
        // when VMIN is 0, and the wait between bytes otherwise.
        usize wanted = wanted_bytes_locked(capacity);
        u64 vtime_ns = is_raw() ? 0 : static_cast<u64>(m_termios.c_cc[VTIME]) * 100000000ull;
        bool timer_runs = vtime_ns && (wanted == 0 || m_ready_count > 0);
        if (m_ready_count >= wanted && (m_ready_count > 0 || !vtime_ns)) {
          while (n < capacity && m_ready_count > 0) bounce[n++] = take_ready_locked();
          break;
        }
        if (m_input_ended && m_ready_count == 0) break;  // end of input: read returns 0
        if (timer_runs && !nonblocking) {
          waited = m_readers.wait_timeout(m_lock, vtime_ns);
          if (waited.is_error() && waited.error() == Error::TIMEDOUT) {
            while (n < capacity && m_ready_count > 0) bounce[n++] = take_ready_locked();
            waited = {};
            break;
          }
          if (waited.is_error()) break;
          continue;
        }
      }
      if (nonblocking) {
        waited = Error::AGAIN;
        break;
      }
      waited = m_readers.wait(m_lock);
      if (waited.is_error()) break;
    }
  }
  Result<usize> result = n;
  if (waited.is_error() && n == 0) {
    result = waited.error();
  } else if (n > 0) {
    auto copied = buffer.write(0, bounce, n);
    if (copied.is_error()) result = copied.error();
  }
  kfree(bounce);
  return result;
}

void LineDiscipline::set_termios_locked(const termios& t) {
  ASSERT_LOCKED(m_lock);
  bool was_canonical = is_canonical_locked();
  m_termios = t;
  bool canonical = is_canonical_locked();
  if (was_canonical && !canonical) {
    // The half-edited line becomes ready input; line boundaries no longer matter.
    for (usize i = 0; i < m_line_length; i++) push_ready_locked(m_line[i]);
    m_line_length = 0;
    m_lines_head = m_lines_count = 0;
  } else if (!was_canonical && canonical && m_ready_count > 0) {
    // What was typed in raw mode reads as one line.
    m_lines_head = 0;
    m_lines[0] = static_cast<u32>(m_ready_count);
    m_lines_count = 1;
  }
  m_readers.wake_all();
  poll_notify();
}

Result<i64> LineDiscipline::ioctl(u64 request, u64 argument) {
  switch (request) {
    case TCGETS: {
      termios t;
      {
        SpinlockGuard guard(m_lock);
        t = m_termios;
      }
      TRY(copy_value_to_user(argument, t));
      return 0;
    }
    case TCSETS:
    case TCSETSW:  // output is never queued: nothing to drain
    case TCSETSF: {
      TRY(terminal_check_change(m_terminal));
      termios t = TRY(copy_value_from_user<termios>(argument));
      SpinlockGuard guard(m_lock);
      if (request == TCSETSF) flush_input_locked();
      set_termios_locked(t);
      return 0;
    }
    case TIOCGWINSZ: {
      winsize w;
      {
        SpinlockGuard guard(m_lock);
        w = m_winsize;
      }
      TRY(copy_value_to_user(argument, w));
      return 0;
    }
    case TIOCSWINSZ: {
      winsize w = TRY(copy_value_from_user<winsize>(argument));
      bool changed;
      {
        SpinlockGuard guard(m_lock);
        changed = memcmp(&m_winsize, &w, sizeof(w)) != 0;
        m_winsize = w;
      }
      if (changed) terminal_signal_foreground(m_terminal, SIGWINCH);  // as Linux's tty_do_resize
      return 0;
    }
    case TIOCSTI: {
      // Input, as if typed (everyone is root, whom Linux allows this on any terminal). Not under m_lock:
      // receive takes it, and may signal the foreground group.
      u8 c = TRY(copy_value_from_user<u8>(argument));
      receive(c);
      return 0;
    }
    case TIOCGPGRP:
    case TIOCSPGRP:
    case TIOCSCTTY:
    case TIOCNOTTY:
    case TIOCGSID:
      return terminal_job_ioctl(m_terminal, request, argument);
    case FIONREAD: {
      i32 available;
      {
        SpinlockGuard guard(m_lock);
        available = static_cast<i32>(m_ready_count);
      }
      TRY(copy_value_to_user(argument, available));
      return 0;
    }
    case TCFLSH: {
      TRY(terminal_check_change(m_terminal));
      if (argument > 2) return Error::INVAL;
      SpinlockGuard guard(m_lock);
      if (argument != 1) flush_input_locked();  // TCIFLUSH or TCIOFLUSH; output is never queued
      return 0;
    }
    case TCSBRK:
    case TCXONC: return 0;
    default: return Error::NOTTY;
  }
}

void receive_byte(u8 c) { g_tty.receive(c); }
void receive_end_of_input() { g_tty.receive_end_of_input(); }

u32 LineDiscipline::poll_events() {
  SpinlockGuard guard(m_lock);
  bool readable = m_input_ended || (is_canonical_locked() ? m_lines_count > 0 : m_ready_count > 0);
  return readable ? linux::POLLIN | linux::POLLRDNORM : 0;
}

void LineDiscipline::receive_end_of_input() {
  SpinlockGuard guard(m_lock);
  m_input_ended = true;
  m_readers.wake_all();
  poll_notify();
}

// An open console: reads come from the terminal, writes go to one console channel.
class ConsoleFile final : public File {
 public:
  ConsoleFile(ConsoleChannel output, u32 flags, bool is_terminal, Inode* inode)
      : File(flags), m_output(output), m_is_terminal(is_terminal), m_inode(inode) {}

  Result<usize> read(const IoBuffer& buffer, usize len) override { return g_tty.read(buffer, len, is_nonblocking()); }

  u32 poll_events() override {
    u32 events = linux::POLLOUT | linux::POLLWRNORM;  // console output never waits
    if (is_readable()) events |= g_tty.poll_events();
    return events;
  }

  Result<usize> write(const IoBuffer& buffer, usize len) override {
    if (m_is_terminal) TRY(g_tty.check_write());
    // Through a small kernel buffer: console_write holds the console's spinlock while it sends.
    char chunk[256];
    usize done = 0;
    while (done < len) {
      usize n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
      auto copied = buffer.read(done, chunk, n);
      if (copied.is_error()) {
        if (done) break;
        return copied.error();
      }
      console_write(m_output, chunk, n);
      done += n;
    }
    return done;
  }

  Result<i64> ioctl(u64 request, u64 argument) override {
    if (!m_is_terminal) return Error::NOTTY;
    return g_tty.ioctl(request, argument);
  }

  Result<void> stat(linux::stat& st) override {
    if (m_inode) {
      m_inode->stat(st);
      return {};
    }
    memset(&st, 0, sizeof(st));
    st.st_nlink = 1;
    st.st_blksize = 4096;
    if (m_is_terminal) {
      st.st_dev = make_device(0, 5);
      st.st_mode = S_IFCHR | 0620;
      st.st_rdev = make_device(5, 1);  // /dev/console
    } else {
      st.st_dev = make_device(0, 12);  // as a pipe would be
      st.st_mode = S_IFIFO | 0600;
    }
    return {};
  }

  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return "console"; }

 private:
  ConsoleChannel m_output;
  bool m_is_terminal;
  RefPtr<Inode> m_inode;
};

}  // namespace

void tty_init() { console_set_input_handler(receive_byte, receive_end_of_input); }

Result<RefPtr<File>> tty_open(u32 flags, Inode* inode) {
  auto* file = new ConsoleFile(ConsoleChannel::Stdout, flags, true, inode);
  if (!file) return Error::NOMEM;
  return RefPtr<File>::adopt(file);
}

RefPtr<File> console_open(ConsoleChannel channel) {
  bool is_multiplexed = console_is_multiplexed();
  ConsoleChannel output = channel == ConsoleChannel::Stderr ? ConsoleChannel::Stderr : ConsoleChannel::Stdout;
  u32 flags = O_RDWR;
  if (is_multiplexed) flags = channel == ConsoleChannel::Stdin ? O_RDONLY : O_WRONLY;
  auto* file = new ConsoleFile(output, flags, !is_multiplexed, nullptr);
  return file ? RefPtr<File>::adopt(file) : nullptr;
}
