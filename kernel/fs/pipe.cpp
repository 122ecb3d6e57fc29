// Pipes (kernel/fs/pipe.h).
//
// Locks: m_read_lock and m_write_lock (sleeping) let one reader and one writer at a time work on the pipe;
// m_lock (a spinlock) protects the ring's indices and the counts of open ends, and is what the wait queues
// sleep on. The reader copies bytes out of the ring, and the writer into it, without m_lock: the reader alone
// consumes, so the bytes it saw under m_lock stay put; the writer alone appends, and the free space it saw can
// only grow. So no spinlock is held across a copy to or from user memory, and no bounce buffer is needed.
// Order: m_read_lock or m_write_lock, then m_lock, then the scheduler's lock (inside the wait queues).
#include "kernel/fs/pipe.h"

#include <cstring>

#include "kernel/fs/inode.h"
#include "kernel/fs/sleep_lock.h"
#include "lib/format.h"
#include "mm/heap.h"
#include "kernel/process.h"
#include "kernel/signal/signal.h"
#include "kernel/time.h"

namespace {

constexpr usize CAPACITY = 64 * KiB;
constexpr usize PIPE_BUF = 4096;  // writes up to this size are atomic
// st_dev of pipes (Linux's pipefs is an anonymous device too).
constexpr u64 PIPEFS_DEVICE = make_device(0, 12);

Atomic<u64> g_next_pipe_number{1};

class Pipe : public RefCounted {
 public:
  static RefPtr<Pipe> create() {
    auto* pipe = new Pipe();
    if (!pipe) return nullptr;
    pipe->m_buffer = static_cast<u8*>(kmalloc(CAPACITY));
    if (!pipe->m_buffer) {
      delete pipe;
      return nullptr;
    }
    return RefPtr<Pipe>::adopt(pipe);
  }
  ~Pipe() { kfree(m_buffer); }

  Result<usize> read(const IoBuffer& buffer, usize len, bool nonblocking);
  Result<usize> write(const IoBuffer& buffer, usize len, bool nonblocking);
  void close_end(bool is_write_end);
  usize available() {
    SpinlockGuard guard(m_lock);
    return m_count;
  }
  u64 number() const { return m_number; }
  u64 created_ns() const { return m_created_ns; }

 private:
  Pipe() = default;
  // Copies between the ring (from index `at`, wrapping) and the buffer at buffer_offset.
  Result<void> copy_out(const IoBuffer& buffer, usize buffer_offset, usize at, usize n);
  Result<void> copy_in(const IoBuffer& buffer, usize buffer_offset, usize at, usize n);

  SleepLock m_read_lock{"pipe-reader"};
  SleepLock m_write_lock{"pipe-writer"};
  Spinlock m_lock{"pipe"};
  u8* m_buffer = nullptr;   // CAPACITY bytes
  usize m_head = 0;         // the first unread byte; guarded by m_lock
  usize m_count = 0;        // unread bytes; guarded by m_lock
  u32 m_readers = 1;        // open read ends; guarded by m_lock
  u32 m_writers = 1;        // open write ends; guarded by m_lock
  WaitQueue m_readable;     // readers wait for bytes or for the last writer to go
  WaitQueue m_writable;     // writers wait for room or for the last reader to go
  const u64 m_number = g_next_pipe_number.fetch_add(1, MemoryOrder::Relaxed);
  const u64 m_created_ns = time_realtime_ns();
};

// Takes a reader's or writer's turn: O_NONBLOCK never waits for it; a blocking caller waits interruptibly.
Result<void> take_turn(SleepLock& lock, bool nonblocking) {
  if (nonblocking) return lock.try_lock() ? Result<void>() : Result<void>(Error::AGAIN);
  return lock.lock(Interruptible::Yes);
}

Result<void> Pipe::copy_out(const IoBuffer& buffer, usize buffer_offset, usize at, usize n) {
  usize first = n < CAPACITY - at ? n : CAPACITY - at;
  TRY(buffer.write(buffer_offset, m_buffer + at, first));
  if (n > first) TRY(buffer.write(buffer_offset + first, m_buffer, n - first));
  return {};
}

Result<void> Pipe::copy_in(const IoBuffer& buffer, usize buffer_offset, usize at, usize n) {
  usize first = n < CAPACITY - at ? n : CAPACITY - at;
  TRY(buffer.read(buffer_offset, m_buffer + at, first));
  if (n > first) TRY(buffer.read(buffer_offset + first, m_buffer, n - first));
  return {};
}

Result<usize> Pipe::read(const IoBuffer& buffer, usize len, bool nonblocking) {
  if (len == 0) return 0;
  TRY(take_turn(m_read_lock, nonblocking));
  usize head, count;
  Result<usize> result = [&]() -> Result<usize> {
    {
      SpinlockGuard guard(m_lock);
      while (m_count == 0) {
        if (m_writers == 0) return 0;  // end of file
        if (nonblocking) return Error::AGAIN;
        TRY(m_readable.wait(m_lock));  // RESTARTSYS: a signal came first
      }
      head = m_head;
      count = m_count;
    }
    usize n = len < count ? len : count;
    // A fault leaves the bytes in the pipe, as Linux does.
    TRY(copy_out(buffer, 0, head, n));
    SpinlockGuard guard(m_lock);
    m_head = (m_head + n) % CAPACITY;
    m_count -= n;
    m_writable.wake_all();
    return n;
  }();
  m_read_lock.unlock();
  return result;
}

Result<usize> Pipe::write(const IoBuffer& buffer, usize len, bool nonblocking) {
  if (len == 0) return 0;
  TRY(take_turn(m_write_lock, nonblocking));
  usize done = 0;
  bool broken = false;
  Result<usize> result = [&]() -> Result<usize> {
    bool is_atomic = len <= PIPE_BUF;
    while (done < len) {
      usize tail, room;
      {
        SpinlockGuard guard(m_lock);
        for (;;) {
          if (m_readers == 0) {
            broken = true;
            return Error::PIPE;
          }
          room = CAPACITY - m_count;
          // A small write waits until all of it fits; a large one takes whatever room there is.
          if (room >= (is_atomic ? len : 1)) break;
          if (nonblocking) return Error::AGAIN;
          TRY(m_writable.wait(m_lock));
        }
        tail = (m_head + m_count) % CAPACITY;
      }
      usize n = len - done < room ? len - done : room;
      TRY(copy_in(buffer, done, tail, n));
      SpinlockGuard guard(m_lock);
      m_count += n;
      m_readable.wake_all();
      done += n;
    }
    return done;
  }();
  m_write_lock.unlock();
  // No reader: SIGPIPE, whether or not some bytes went in before the last reader left.
  // (Linux's send_sig: to the writing thread, SI_USER from the writer itself.)
  if (broken && current_process()) (void)signal_send_to_self(siginfo_from_current(linux::SIGPIPE, linux::SI_USER));
  // Bytes already in the pipe count, whatever stopped the write afterwards (Linux returns them).
  if (result.is_error() && done > 0) return done;
  return result;
}

void Pipe::close_end(bool is_write_end) {
  SpinlockGuard guard(m_lock);
  if (is_write_end)
    m_writers--;
  else
    m_readers--;
  m_readable.wake_all();
  m_writable.wake_all();
}

class PipeFile final : public File {
 public:
  PipeFile(RefPtr<Pipe> pipe, u32 flags, bool is_write_end)
      : File(flags), m_pipe(static_cast<RefPtr<Pipe>&&>(pipe)), m_is_write_end(is_write_end) {
    format(m_description, sizeof(m_description), "pipe:[%llu]", static_cast<unsigned long long>(m_pipe->number()));
  }
  // The last reference to this open description is gone: this end of the pipe is closed.
  ~PipeFile() override { m_pipe->close_end(m_is_write_end); }

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    if (m_is_write_end) return Error::BADF;
    return m_pipe->read(buffer, len, is_nonblocking());
  }
  Result<usize> write(const IoBuffer& buffer, usize len) override {
    if (!m_is_write_end) return Error::BADF;
    return m_pipe->write(buffer, len, is_nonblocking());
  }

  Result<i64> ioctl(u64 request, u64 argument) override {
    if (request != linux::FIONREAD) return Error::NOTTY;
    int available = static_cast<int>(m_pipe->available());
    TRY(copy_value_to_user(argument, available));
    return 0;
  }

  Result<void> stat(linux::stat& st) override {
    memset(&st, 0, sizeof(st));
    st.st_dev = PIPEFS_DEVICE;
    st.st_ino = m_pipe->number();
    st.st_mode = linux::S_IFIFO | 0600;
    st.st_nlink = 1;
    st.st_blksize = 4096;  // glibc sizes stdio buffers by this: a pipe's page
    u64 t = m_pipe->created_ns();
    st.st_atime = st.st_mtime = st.st_ctime = static_cast<i64>(t / 1000000000);
    st.st_atime_nsec = st.st_mtime_nsec = st.st_ctime_nsec = t % 1000000000;
    return {};
  }

  const char* describe() const override { return m_description; }

 private:
  RefPtr<Pipe> m_pipe;
  bool m_is_write_end;
  char m_description[32];
};

}  // namespace

Result<PipeEnds> pipe_create(u32 flags) {
  RefPtr<Pipe> pipe = Pipe::create();
  if (!pipe) return Error::NOMEM;
  u32 shared = flags & linux::O_NONBLOCK;
  auto* reader = new PipeFile(pipe, linux::O_RDONLY | shared, false);
  if (!reader) {
    // No end exists yet, so nothing will close one: drop the pipe as is.
    return Error::NOMEM;
  }
  PipeEnds ends;
  ends.read_end = RefPtr<File>::adopt(reader);
  auto* writer = new PipeFile(pipe, linux::O_WRONLY | shared, true);
  if (!writer) {
    // The read end's destructor closes a reader, and counts a writer that never existed: harmless, the
    // pipe dies with it.
    return Error::NOMEM;
  }
  ends.write_end = RefPtr<File>::adopt(writer);
  return ends;
}
