// Pipes (kernel/fs/pipe.h).
//
// Locks: m_read_lock and m_write_lock (sleeping) let one reader and one writer at a time work on the pipe;
// m_lock (a spinlock) protects the ring's indices and the counts of open ends, and is what the wait queues
// sleep on. The reader copies bytes out of the ring, and the writer into it, without m_lock: the reader alone
// consumes, so the bytes it saw under m_lock stay put; the writer alone appends, and the free space it saw can
// only grow. So no spinlock is held across a copy to or from user memory, and no bounce buffer is needed.
// Order: m_read_lock or m_write_lock, then m_lock, then the scheduler's lock (inside the wait queues).
//
// The ring is a table of pages (m_pages), each allocated by the writer that first writes into it. Resizing
// (F_SETPIPE_SZ) replaces the table under m_lock alone, so that it can also free a writer that waits for room
// or run beside a reader that waits for bytes (both sleep holding their turn locks): a reader or writer counts
// itself in m_copying for as long as it copies without m_lock, and the resize waits until none does.
//
// Named pipes (FIFOs, mknod S_IFIFO): the same Pipe, one per FIFO inode while any end of it is open, found
// through g_fifos (its lock comes before a pipe's m_lock). Opening follows fifo(7): a reader waits for a
// writer and a writer for a reader (each counts the other's opens, as Linux's r_counter/w_counter, so that a
// partner who came and went already counts); O_NONBLOCK readers do not wait, O_NONBLOCK writers with no
// reader get ENXIO; O_RDWR opens both ends at once. When the last end closes, the bytes left are gone.
#include "kernel/fs/pipe.h"

#include <cstring>
#include <new>

#include "kernel/fs/inode.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/poll.h"
#include "kernel/fs/sleep_lock.h"
#include "lib/list.h"
#include "lib/format.h"
#include "mm/heap.h"
#include "kernel/process.h"
#include "kernel/signal/signal.h"
#include "kernel/time.h"

namespace {

constexpr usize PIPE_BUF = 4096;  // writes up to this size are atomic
// st_dev of pipes (Linux's pipefs is an anonymous device too).
constexpr u64 PIPEFS_DEVICE = make_device(0, 12);

Atomic<u64> g_next_pipe_number{1};

// The size F_SETPIPE_SZ makes of a request (Linux's round_pipe_size): at least a page, a power of two; 0 (EINVAL)
// above 2 GiB.
u64 round_pipe_size(u64 size) {
  if (size > (1ull << 31)) return 0;
  u64 rounded = PAGE_SIZE;
  while (rounded < size) rounded <<= 1;
  return rounded;
}

// A table of `count` ring pages, none allocated yet (nullptr if the heap has no room for it).
u8** new_page_table(usize count) { return static_cast<u8**>(kzalloc(count * sizeof(u8*))); }

void free_page_table(u8** pages, usize count) {
  if (!pages) return;
  for (usize i = 0; i < count; i++) kfree(pages[i]);
  kfree(pages);
}

class Pipe : public RefCounted {
 public:
  static RefPtr<Pipe> create() {
    auto* pipe = new Pipe();
    if (!pipe) return nullptr;
    pipe->m_page_count = PIPE_DEFAULT_SIZE / PAGE_SIZE;
    pipe->m_pages = new_page_table(pipe->m_page_count);
    if (!pipe->m_pages) {
      delete pipe;
      return nullptr;
    }
    return RefPtr<Pipe>::adopt(pipe);
  }
  // A FIFO's pipe starts with no end open (fifo_open opens them).
  static RefPtr<Pipe> create_unopened() {
    RefPtr<Pipe> pipe = create();
    if (pipe) pipe->m_readers = pipe->m_writers = 0;
    return pipe;
  }
  ~Pipe() { free_page_table(m_pages, m_page_count); }

  // A FIFO end opens: the other side's waiters see it. Returns how many ends of the other kind have opened so
  // far, read with the same lock (what wait_for_partner waits to see change).
  u64 open_end(bool is_write_end) {
    SpinlockGuard guard(m_lock);
    if (is_write_end) {
      m_writers++;
      m_writer_opens++;
    } else {
      m_readers++;
      m_reader_opens++;
    }
    m_partner.wake_all();
    return is_write_end ? m_reader_opens : m_writer_opens;
  }
  // Waits until an end of the other kind has opened since `since` (interruptible: INTR).
  Result<void> wait_for_partner(bool for_writer, u64 since) {
    SpinlockGuard guard(m_lock);
    while ((for_writer ? m_writer_opens : m_reader_opens) == since) TRY(m_partner.wait(m_lock, Interruptible::Yes));
    return {};
  }
  u32 open_ends(bool of_writers) {
    SpinlockGuard guard(m_lock);
    return of_writers ? m_writers : m_readers;
  }
  bool is_unused() {
    SpinlockGuard guard(m_lock);
    return m_readers == 0 && m_writers == 0;
  }

  Result<usize> read(const IoBuffer& buffer, usize len, bool nonblocking);
  Result<usize> write(const IoBuffer& buffer, usize len, bool nonblocking);
  void close_end(bool is_write_end);
  u32 poll_events(bool is_write_end);
  usize available() {
    SpinlockGuard guard(m_lock);
    return m_count;
  }
  u64 size() {
    SpinlockGuard guard(m_lock);
    return capacity_locked();
  }
  Result<u64> set_size(u64 bytes);
  u64 number() const { return m_number; }
  u64 created_ns() const { return m_created_ns; }

 private:
  Pipe() = default;
  usize capacity_locked() const { return m_page_count * PAGE_SIZE; }
  // Copies between the ring (from index `at`, wrapping) and the buffer at buffer_offset, with m_copying
  // counting the caller; copy_in allocates the pages it reaches.
  Result<void> copy_out(const IoBuffer& buffer, usize buffer_offset, usize at, usize n);
  Result<void> copy_in(const IoBuffer& buffer, usize buffer_offset, usize at, usize n);
  // Calls fn(page slot, offset in the page, length, bytes done before) for each piece of the ring's [at, at + n).
  template <typename Fn>
  Result<void> for_each_piece(usize at, usize n, Fn fn);
  void end_copy_locked() {
    if (--m_copying == 0) m_copies_done.wake_all();
  }

  SleepLock m_read_lock{"pipe-reader"};
  SleepLock m_write_lock{"pipe-writer"};
  Spinlock m_lock{"pipe"};
  // The ring: m_page_count pages (a power of two), each nullptr until written. The table and its size change
  // only under m_lock with m_copying 0; an entry is set by the writer (see copy_in).
  u8** m_pages = nullptr;
  usize m_page_count = 0;
  u32 m_copying = 0;        // readers and writers copying without m_lock; guarded by m_lock
  WaitQueue m_copies_done;  // set_size waits here for m_copying to reach 0
  usize m_head = 0;         // the first unread byte; guarded by m_lock
  usize m_count = 0;        // unread bytes; guarded by m_lock
  u32 m_readers = 1;        // open read ends; guarded by m_lock
  u32 m_writers = 1;        // open write ends; guarded by m_lock
  u64 m_reader_opens = 0;   // FIFO ends opened so far, of each kind; guarded by m_lock
  u64 m_writer_opens = 0;
  WaitQueue m_partner;      // FIFO openers wait here for an end of the other kind
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

template <typename Fn>
Result<void> Pipe::for_each_piece(usize at, usize n, Fn fn) {
  usize capacity = m_page_count * PAGE_SIZE;  // stable: set_size waits for the copy
  for (usize done = 0; done < n;) {
    usize index = (at + done) % capacity;
    usize offset = index % PAGE_SIZE;
    usize piece = n - done < PAGE_SIZE - offset ? n - done : PAGE_SIZE - offset;
    TRY(fn(m_pages[index / PAGE_SIZE], offset, piece, done));
    done += piece;
  }
  return {};
}

Result<void> Pipe::copy_out(const IoBuffer& buffer, usize buffer_offset, usize at, usize n) {
  // Pages with unread bytes were allocated, and their entries published, by the writer (under m_lock).
  return for_each_piece(at, n, [&](u8* page, usize offset, usize piece, usize done) {
    return buffer.write(buffer_offset + done, page + offset, piece);
  });
}

Result<void> Pipe::copy_in(const IoBuffer& buffer, usize buffer_offset, usize at, usize n) {
  // Only the writer sets entries, and only of pages the reader is not reading (free room: the page is either
  // new, or already allocated because it also holds unread bytes).
  return for_each_piece(at, n, [&](u8*& page, usize offset, usize piece, usize done) -> Result<void> {
    if (!page) page = static_cast<u8*>(kmalloc(PAGE_SIZE));
    if (!page) return Error::NOMEM;
    return buffer.read(buffer_offset + done, page + offset, piece);
  });
}

Result<usize> Pipe::read(const IoBuffer& buffer, usize len, bool nonblocking) {
  if (len == 0) return 0;
  TRY(take_turn(m_read_lock, nonblocking));
  Result<usize> result = [&]() -> Result<usize> {
    usize head, n;
    {
      SpinlockGuard guard(m_lock);
      while (m_count == 0) {
        if (m_writers == 0) return 0;  // end of file
        if (nonblocking) return Error::AGAIN;
        TRY(m_readable.wait(m_lock));  // RESTARTSYS: a signal came first
      }
      head = m_head;
      n = len < m_count ? len : m_count;
      m_copying++;
    }
    Result<void> copied = copy_out(buffer, 0, head, n);
    SpinlockGuard guard(m_lock);
    end_copy_locked();
    // A fault leaves the bytes in the pipe, as Linux does.
    TRY(copied);
    m_head = (m_head + n) % capacity_locked();
    m_count -= n;
    m_writable.wake_all();
    poll_notify();
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
          room = capacity_locked() - m_count;
          // A small write waits until all of it fits; a large one takes whatever room there is.
          if (room >= (is_atomic ? len : 1)) break;
          if (nonblocking) return Error::AGAIN;
          TRY(m_writable.wait(m_lock));
        }
        tail = (m_head + m_count) % capacity_locked();
        m_copying++;
      }
      usize n = len - done < room ? len - done : room;
      Result<void> copied = copy_in(buffer, done, tail, n);
      SpinlockGuard guard(m_lock);
      end_copy_locked();
      TRY(copied);
      m_count += n;
      m_readable.wake_all();
      poll_notify();
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
  poll_notify();
}

u32 Pipe::poll_events(bool is_write_end) {
  using namespace linux;
  SpinlockGuard guard(m_lock);
  // As Linux's pipe_poll: a read end is readable with bytes in the pipe and hung up with no writer left; a
  // write end is writable while the pipe is not full, and in error with no reader left.
  if (!is_write_end) return (m_count ? POLLIN | POLLRDNORM : 0) | (m_writers == 0 ? POLLHUP : 0);
  return (m_count < capacity_locked() ? POLLOUT | POLLWRNORM : 0) | (m_readers == 0 ? POLLERR : 0);
}

// F_SETPIPE_SZ to `bytes` (a power of two pages), as Linux's pipe_resize_ring: EBUSY if the unread bytes take
// more pages; otherwise they stay, their pages moving to the new table in order (the head keeps its offset in
// its page). Allocates before taking m_lock.
Result<u64> Pipe::set_size(u64 bytes) {
  usize pages = bytes / PAGE_SIZE;
  u8** table = new_page_table(pages);
  // Unread bytes that wrapped around into the head's own page need a page of their own in the new order.
  u8* spare = static_cast<u8*>(kmalloc(PAGE_SIZE));
  if (!table || !spare) {
    kfree(table);
    kfree(spare);
    return Error::NOMEM;
  }
  u8** old_table = table;
  usize old_count = pages;
  Result<u64> result = [&]() -> Result<u64> {
    SpinlockGuard guard(m_lock);
    while (m_copying) TRY(m_copies_done.wait(m_lock));
    usize offset = m_count ? m_head % PAGE_SIZE : 0;
    usize first = m_head / PAGE_SIZE;
    // The pages the unread bytes take (Linux counts the buffers they fill).
    usize used = (offset + m_count + PAGE_SIZE - 1) / PAGE_SIZE;
    if (used > pages) return Error::BUSY;
    usize next = 0;
    for (; next < used && next < m_page_count; next++) {
      u8*& slot = m_pages[(first + next) % m_page_count];
      table[next] = slot;
      slot = nullptr;
    }
    if (used > m_page_count) {
      // used == m_page_count + 1: the last bytes sit at the start of the head's page.
      memcpy(spare, table[0], (offset + m_count) % PAGE_SIZE);
      table[next++] = spare;
      spare = nullptr;
    }
    // Pages written before and empty now are kept while there are slots for them.
    for (usize i = 0; i < m_page_count && next < pages; i++) {
      if (!m_pages[i]) continue;
      table[next++] = m_pages[i];
      m_pages[i] = nullptr;
    }
    old_table = m_pages;
    old_count = m_page_count;
    m_pages = table;
    m_page_count = pages;
    m_head = offset;
    // More room, or less: writers and poll look again.
    m_writable.wake_all();
    poll_notify();
    return capacity_locked();
  }();
  free_page_table(old_table, old_count);  // the new table, if the resize failed
  kfree(spare);
  return result;
}

// ---- the FIFOs that are open ----

struct FifoLink {
  ListNode m_link;
  Inode* m_inode;  // the FIFO; an open end holds a reference to it
  RefPtr<Pipe> m_pipe;
};

Spinlock g_fifos_lock{"fifos"};
IntrusiveList<FifoLink, &FifoLink::m_link> g_fifos;  // guarded by g_fifos_lock

// The pipe of a FIFO, made for its first opener; the ends asked for opened on it under the table's lock, so
// that the last closer cannot drop the pipe in between. *partner_opens: see Pipe::open_end.
Result<RefPtr<Pipe>> fifo_pipe_open(Inode& inode, bool opens_reader, bool opens_writer, u64* partner_opens) {
  RefPtr<Pipe> fresh = Pipe::create_unopened();  // allocated before the lock (most opens find one)
  auto* link = static_cast<FifoLink*>(kmalloc(sizeof(FifoLink)));
  SpinlockGuard guard(g_fifos_lock);
  RefPtr<Pipe> pipe;
  for (FifoLink& l : g_fifos)
    if (l.m_inode == &inode) pipe = l.m_pipe;
  if (!pipe) {
    if (!fresh || !link) {
      guard.unlock();
      kfree(link);
      return Error::NOMEM;
    }
    new (link) FifoLink();
    link->m_inode = &inode;
    link->m_pipe = fresh;
    g_fifos.push_back(*link);
    link = nullptr;
    pipe = fresh;
  }
  u64 partners = 0;
  if (opens_reader) partners = pipe->open_end(false);
  if (opens_writer) partners = pipe->open_end(true);
  if (partner_opens) *partner_opens = partners;
  guard.unlock();
  kfree(link);
  return pipe;
}

// After an end closed: the FIFO's pipe goes when no end is left.
void fifo_pipe_closed(Pipe& pipe) {
  FifoLink* gone = nullptr;
  {
    SpinlockGuard guard(g_fifos_lock);
    if (!pipe.is_unused()) return;
    for (FifoLink& l : g_fifos)
      if (l.m_pipe.get() == &pipe) gone = &l;
    if (gone) g_fifos.remove(*gone);
  }
  if (gone) {
    gone->~FifoLink();
    kfree(gone);
  }
}

enum class PipeRole : u8 { Read, Write, Both };

class PipeFile final : public File {
 public:
  PipeFile(RefPtr<Pipe> pipe, u32 flags, bool is_write_end)
      : PipeFile(static_cast<RefPtr<Pipe>&&>(pipe), flags, is_write_end ? PipeRole::Write : PipeRole::Read, nullptr) {}
  // A FIFO's end: stat shows the FIFO's inode.
  PipeFile(RefPtr<Pipe> pipe, u32 flags, PipeRole role, Inode* fifo)
      : File(flags), m_pipe(static_cast<RefPtr<Pipe>&&>(pipe)), m_role(role), m_fifo(fifo) {
    format(m_description, sizeof(m_description), "pipe:[%llu]", static_cast<unsigned long long>(m_pipe->number()));
  }
  // The last reference to this open description is gone: this end of the pipe is closed.
  ~PipeFile() override {
    if (m_role != PipeRole::Write) m_pipe->close_end(false);
    if (m_role != PipeRole::Read) m_pipe->close_end(true);
    if (m_fifo) fifo_pipe_closed(*m_pipe);
  }

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    if (m_role == PipeRole::Write) return Error::BADF;
    return m_pipe->read(buffer, len, is_nonblocking());
  }
  Result<usize> write(const IoBuffer& buffer, usize len) override {
    if (m_role == PipeRole::Read) return Error::BADF;
    return m_pipe->write(buffer, len, is_nonblocking());
  }

  u32 poll_events() override {
    u32 events = 0;
    if (m_role != PipeRole::Write) events |= m_pipe->poll_events(false);
    if (m_role != PipeRole::Read) events |= m_pipe->poll_events(true);
    return events;
  }

  Result<i64> pipe_fcntl(u32 command, u64 argument) override {
    if (command == linux::F_GETPIPE_SZ) return static_cast<i64>(m_pipe->size());
    u64 size = round_pipe_size(argument);
    if (size == 0) return Error::INVAL;
    return static_cast<i64>(TRY(m_pipe->set_size(size)));
  }

  Result<i64> ioctl(u64 request, u64 argument) override {
    if (request != linux::FIONREAD) return Error::NOTTY;
    int available = static_cast<int>(m_pipe->available());
    TRY(copy_value_to_user(argument, available));
    return 0;
  }

  Result<void> stat(linux::stat& st) override {
    if (m_fifo) {
      m_fifo->stat(st);
      return {};
    }
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
  Inode* inode() override { return m_fifo.get(); }

 private:
  RefPtr<Pipe> m_pipe;
  PipeRole m_role;
  RefPtr<Inode> m_fifo;  // for a named pipe
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

Result<RefPtr<File>> fifo_open(Inode& fifo, u32 flags) {
  u32 access = flags & linux::O_ACCMODE;
  bool nonblocking = flags & linux::O_NONBLOCK;
  u32 kept = open_flags_to_keep(flags);
  PipeRole role = access == linux::O_RDWR ? PipeRole::Both : access == linux::O_WRONLY ? PipeRole::Write : PipeRole::Read;
  RefPtr<Pipe> pipe;
  u64 partner_opens = 0;
  if (role == PipeRole::Write && nonblocking) {
    // A writer with O_NONBLOCK and no reader: ENXIO (checked before the end counts as open).
    pipe = TRY(fifo_pipe_open(fifo, false, false, nullptr));
    if (pipe->open_ends(false) == 0) {
      fifo_pipe_closed(*pipe);
      return Error::NXIO;
    }
    partner_opens = pipe->open_end(true);
  } else {
    pipe = TRY(fifo_pipe_open(fifo, role != PipeRole::Write, role != PipeRole::Read, &partner_opens));
  }
  auto* file = new PipeFile(pipe, kept, role, &fifo);
  if (!file) {
    // The file's destructor would have closed the ends: do it by hand.
    if (role != PipeRole::Write) pipe->close_end(false);
    if (role != PipeRole::Read) pipe->close_end(true);
    fifo_pipe_closed(*pipe);
    return Error::NOMEM;
  }
  RefPtr<File> ref = RefPtr<File>::adopt(file);
  if (!nonblocking) {
    // fifo(7): a reader waits for a writer, a writer for a reader (unless one is there already).
    if (role == PipeRole::Read && pipe->open_ends(true) == 0) TRY(pipe->wait_for_partner(true, partner_opens));
    if (role == PipeRole::Write && pipe->open_ends(false) == 0) TRY(pipe->wait_for_partner(false, partner_opens));
  }
  return ref;
}
