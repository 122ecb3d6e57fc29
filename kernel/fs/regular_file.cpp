// The open file descriptions of regular files and of directories (any file system's), and the read-only text
// files /proc serves (kernel/fs/open_file.h).
//
// Each keeps its offset in File::m_offset. Operations that use the offset hold m_position_lock, a sleeping
// lock, from reading the offset to storing the new one, so that two threads or processes sharing the
// description (dup, fork) each get their own bytes, as Linux's f_pos_lock gives them.
#include <cstring>

#include "kernel/fs/open_file.h"
#include "kernel/fs/sleep_lock.h"
#include "kernel/process.h"
#include "kernel/signal/signal.h"
#include "mm/heap.h"
#include "mm/vm_object.h"

namespace {

// RLIMIT_FSIZE of the calling process; none for a kernel thread (the self-tests write files too).
u64 file_size_limit() {
  Process* p = current_process();
  if (!p) return linux::RLIM_INFINITY;
  SpinlockGuard guard(p->m_limits_lock);
  return p->m_limits[linux::RLIMIT_FSIZE].rlim_cur;
}

// SIGXFSZ, as Linux's send_sig(SIGXFSZ, current, 0) (SI_USER from the caller itself); then EFBIG.
Error file_too_big() {
  (void)signal_send_to_self(siginfo_from_current(linux::SIGXFSZ, linux::SI_USER));
  return Error::FBIG;
}

// RLIMIT_FSIZE for a write of len bytes at position (Linux's generic_write_check_limits): one starting at or
// past the limit sends SIGXFSZ and fails with EFBIG; one that would cross it is cut short at it.
Result<usize> within_file_size_limit(u64 position, usize len) {
  if (len == 0) return len;
  u64 limit = file_size_limit();
  if (limit == linux::RLIM_INFINITY) return len;
  if (position >= limit) return file_too_big();
  return limit - position < len ? static_cast<usize>(limit - position) : len;
}

// The new offset of lseek(2) from a base, or EINVAL if it would be negative or past `limit`.
Result<u64> offset_from(u64 base, i64 delta, u64 limit) {
  if (delta < 0 && static_cast<u64>(-(delta + 1)) + 1 > base) return Error::INVAL;
  u64 result = base + static_cast<u64>(delta);
  if (delta > 0 && result < base) return Error::INVAL;
  if (result > limit) return Error::INVAL;
  return result;
}

// A file whose offset operations serialize on m_position_lock.
class PositionedFile : public File {
 public:
  explicit PositionedFile(u32 flags) : File(flags) {}

 protected:
  u64 offset() {
    SpinlockGuard guard(m_offset_lock);
    return m_offset;
  }
  void set_offset(u64 offset) {
    SpinlockGuard guard(m_offset_lock);
    m_offset = offset;
  }
  SleepLock m_position_lock{"file-position"};
};

class RegularFile final : public PositionedFile {
 public:
  // A writable one holds the inode's write access (taken by regular_file_open) until it is closed.
  RegularFile(Inode& inode, u32 flags) : PositionedFile(flags), m_inode(&inode) {}
  ~RegularFile() override {
    if (is_writable()) m_inode->put_write_access();
  }

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    SleepLockGuard position(m_position_lock);
    u64 at = offset();
    usize n = TRY(m_inode->read_ahead_of(buffer, len, at, m_read_ahead));
    set_offset(at + n);
    return n;
  }

  Result<usize> write(const IoBuffer& buffer, usize len) override {
    SleepLockGuard position(m_position_lock);
    u64 at = offset();
    WriteMode mode = flags() & linux::O_APPEND ? WriteMode::Append : WriteMode::AtOffset;
    len = TRY(within_file_size_limit(mode == WriteMode::Append ? m_inode->size() : at, len));
    usize n = TRY(m_inode->write(buffer, len, at, mode));
    set_offset(at + n);
    return n;
  }

  Result<usize> read_at(const IoBuffer& buffer, usize len, u64 at) override {
    return m_inode->read_ahead_of(buffer, len, at, m_read_ahead);
  }

  // Linux's pwrite on an O_APPEND file appends, whatever the offset (pwrite(2), BUGS).
  Result<usize> write_at(const IoBuffer& buffer, usize len, u64 at) override {
    WriteMode mode = flags() & linux::O_APPEND ? WriteMode::Append : WriteMode::AtOffset;
    len = TRY(within_file_size_limit(mode == WriteMode::Append ? m_inode->size() : at, len));
    return m_inode->write(buffer, len, at, mode);
  }

  Result<u64> seek(i64 delta, int whence) override {
    constexpr int SEEK_DATA = 3, SEEK_HOLE = 4;
    SleepLockGuard position(m_position_lock);
    u64 size = m_inode->size();
    u64 limit = m_inode->max_file_size();
    u64 result;
    switch (whence) {
      case linux::SEEK_SET:
        if (delta < 0) return Error::INVAL;
        result = TRY(offset_from(0, delta, limit));
        break;
      case linux::SEEK_CUR: result = TRY(offset_from(offset(), delta, limit)); break;
      case linux::SEEK_END: result = TRY(offset_from(size, delta, limit)); break;
      // Holes are not tracked for these: the whole file is data, with one hole at its end (Linux's default).
      case SEEK_DATA:
        if (delta < 0 || static_cast<u64>(delta) >= size) return Error::NXIO;
        result = static_cast<u64>(delta);
        break;
      case SEEK_HOLE:
        if (delta < 0 || static_cast<u64>(delta) >= size) return Error::NXIO;
        result = size;
        break;
      default: return Error::INVAL;
    }
    set_offset(result);
    return result;
  }

  // FIONREAD on a regular file: the bytes between the offset and the end (Linux's generic answer).
  Result<i64> ioctl(u64 request, u64 argument) override {
    if (request != linux::FIONREAD) return Error::NOTTY;
    u64 size = m_inode->size(), at = offset();
    i32 remaining = static_cast<i32>(at < size ? (size - at < 0x7fffffff ? size - at : 0x7fffffff) : 0);
    TRY(copy_value_to_user(argument, remaining));
    return 0;
  }

  Result<RefPtr<VmObject>> mmap_object() override { return m_inode->mmap_object(); }
  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return "file"; }

 private:
  RefPtr<Inode> m_inode;
  FileReadAhead m_read_ahead;
};

// Fills a kernel buffer with struct linux_dirent64 records.
class DirentWriter final : public DirSink {
 public:
  DirentWriter(u8* buffer, usize capacity) : m_buffer(buffer), m_capacity(capacity) {}

  bool emit(u64 next, u64 ino, u8 d_type, const char* name, usize len) override {
    constexpr usize header = __builtin_offsetof(linux::dirent64, d_name);
    usize record = align_up(header + len + 1, 8);
    if (m_used + record > m_capacity) {
      m_is_full = true;
      return false;
    }
    auto* d = reinterpret_cast<linux::dirent64*>(m_buffer + m_used);
    d->d_ino = ino;
    d->d_off = static_cast<i64>(next);
    d->d_reclen = static_cast<u16>(record);
    d->d_type = d_type;
    memcpy(d->d_name, name, len);
    memset(d->d_name + len, 0, record - header - len);  // the NUL and the padding: no stale kernel bytes
    m_used += record;
    m_next = next;
    return true;
  }

  usize used() const { return m_used; }
  u64 next() const { return m_next; }
  bool is_full() const { return m_is_full; }

 private:
  u8* m_buffer;
  usize m_capacity;
  usize m_used = 0;
  u64 m_next = 0;
  bool m_is_full = false;
};

class DirectoryFile final : public PositionedFile {
 public:
  DirectoryFile(Inode& inode, u32 flags) : PositionedFile(flags), m_inode(&inode) {}

  Result<usize> read(const IoBuffer&, usize) override { return Error::ISDIR; }
  Result<usize> write(const IoBuffer&, usize) override { return Error::ISDIR; }
  Result<usize> read_at(const IoBuffer&, usize, u64) override { return Error::ISDIR; }
  Result<usize> write_at(const IoBuffer&, usize, u64) override { return Error::ISDIR; }

  // The offset is a cookie (kernel/fs/inode.h): only values getdents64 handed out, or 0, mean anything.
  Result<u64> seek(i64 delta, int whence) override {
    SleepLockGuard position(m_position_lock);
    u64 result;
    if (whence == linux::SEEK_SET) {
      if (delta < 0) return Error::INVAL;
      result = static_cast<u64>(delta);
    } else if (whence == linux::SEEK_CUR) {
      result = TRY(offset_from(offset(), delta, ~0ull >> 1));
    } else {
      return Error::INVAL;
    }
    set_offset(result);
    return result;
  }

  Result<usize> getdents64(const IoBuffer& buffer, usize len) override {
    // Entries are gathered under the directory's lock into a kernel buffer, then copied out without it. A page
    // holds a dozen of the longest entries: when memory is short, the call returns fewer.
    constexpr usize MAX_BOUNCE = 32 * KiB;
    usize want = len < MAX_BOUNCE ? len : MAX_BOUNCE;
    if (want == 0) return Error::INVAL;
    HeapBuffer heap = kmalloc_up_to(want, PAGE_SIZE);
    if (!heap.data) return Error::NOMEM;
    auto* bounce = static_cast<u8*>(heap.data);
    usize capacity = heap.size;
    SleepLockGuard position(m_position_lock);
    DirentWriter writer(bounce, capacity);
    Result<usize> result = [&]() -> Result<usize> {
      TRY(m_inode->list(offset(), writer));
      if (writer.used() == 0) {
        if (writer.is_full()) return Error::INVAL;  // not even one entry fits
        return 0;                                    // the end
      }
      TRY(buffer.write(0, bounce, writer.used()));
      set_offset(writer.next());  // only once the entries have reached the caller
      return writer.used();
    }();
    kfree(bounce);
    return result;
  }

  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return "directory"; }

 private:
  RefPtr<Inode> m_inode;
};

}  // namespace

Result<void> check_file_size_limit(u64 size) {
  u64 limit = file_size_limit();
  if (limit != linux::RLIM_INFINITY && size > limit) return file_too_big();
  return {};
}

Result<RefPtr<File>> regular_file_open(Inode& inode, u32 flags) {
  bool writable = (flags & linux::O_ACCMODE) != linux::O_RDONLY;
  if (writable) TRY(inode.get_write_access());  // ETXTBSY while a process runs the file
  auto* file = new RegularFile(inode, open_flags_to_keep(flags));
  if (!file) {
    if (writable) inode.put_write_access();
    return Error::NOMEM;
  }
  return RefPtr<File>::adopt(file);
}

Result<RefPtr<File>> directory_file_open(Inode& inode, u32 flags) {
  // open(2) already refused write access (EISDIR).
  auto* file = new DirectoryFile(inode, open_flags_to_keep(flags));
  if (!file) return Error::NOMEM;
  return RefPtr<File>::adopt(file);
}

