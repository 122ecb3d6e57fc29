// File: an open file description — what open() and pipe() create and dup() and fork() share: the thing
// opened plus the file offset and the status flags. Each kind of file (regular file, directory, pipe end,
// the console, /proc and /dev files) implements the operations it supports; the defaults return the errno
// Linux gives for an unsupported operation.
#pragma once

#include "kernel/abi/linux.h"
#include "kernel/fs/io_buffer.h"
#include "kernel/spinlock.h"
#include "lib/atomic.h"
#include "lib/refptr.h"
#include "lib/result.h"

class VmObject;
class Inode;
class TextBuilder;

// Open file descriptions in the whole system, and how many there may be (Linux's nr_files and file-max:
// /proc/sys/fs/file-nr and file-max). Linux holds only processes without CAP_SYS_ADMIN to file-max (ENFILE);
// every process here is root, so it is reported, never enforced: an open-file bomb ends at RLIMIT_NOFILE per
// process, or at memory.
extern Atomic<u64> g_open_files;
u64 file_max();

class File : public RefCounted {
 public:
  explicit File(u32 flags) : m_flags(flags) { g_open_files.fetch_add(1, MemoryOrder::Relaxed); }
  virtual ~File();  // its open-file-description and flock locks go (kernel/fs/file_lock.h); one file less

  // read(2)/write(2) at the file offset (files that have one advance it). len <= buffer.size().
  virtual Result<usize> read(const IoBuffer& buffer, usize len);
  virtual Result<usize> write(const IoBuffer& buffer, usize len);
  // pread-style access at an explicit offset, not moving the file offset (exec reads ELF files with it).
  virtual Result<usize> read_at(const IoBuffer& buffer, usize len, u64 offset);
  // pwrite-style (ESPIPE by default, like read_at).
  virtual Result<usize> write_at(const IoBuffer& buffer, usize len, u64 offset);
  virtual Result<u64> seek(i64 offset, int whence);           // ESPIPE by default
  virtual Result<void> stat(linux::stat& st);
  virtual Result<i64> ioctl(u64 request, u64 argument);        // ENOTTY by default
  // fcntl F_GETPIPE_SZ and F_SETPIPE_SZ (kernel/fs/pipe.h): EBADF unless the file is a pipe or a FIFO.
  virtual Result<i64> pipe_fcntl(u32, u64) { return Error::BADF; }
  virtual Result<usize> getdents64(const IoBuffer& buffer, usize len);  // ENOTDIR by default
  // fsync(2)/fdatasync(2): make what was written durable. Nothing to do by default (in-memory files, pipes).
  virtual Result<void> fsync();
  // The VM object to map for mmap(2), or ENODEV if the file cannot be mapped.
  virtual Result<RefPtr<VmObject>> mmap_object();
  // The inode behind the file, if any (fstat, fchdir, exec).
  virtual Inode* inode() { return nullptr; }
  // poll(2): the linux::POLL* events the file is ready for now (without blocking). Whatever makes a file ready
  // calls poll_notify() (kernel/fs/poll.h). By default a file is always ready to read and write, as Linux's
  // DEFAULT_POLLMASK for files without a poll operation (regular files, directories).
  virtual u32 poll_events();
  // A short description for /proc/PID/fd and diagnostics ("pipe:[3]", "/bin/sh", "console").
  virtual const char* describe() const { return "?"; }
  // Lines of its own for /proc/PID/fdinfo/N, after pos, flags, mnt_id and ino (a pidfd's "Pid:").
  virtual void append_fdinfo(TextBuilder&) const {}

  u32 flags() const { return m_flags; }
  // The file offset, for /proc/PID/fdinfo (0 for files without one).
  u64 position() const {
    SpinlockGuard guard(m_offset_lock);
    return m_offset;
  }
  void set_status_flags(u32 flags);  // F_SETFL: only O_APPEND and O_NONBLOCK change
  bool is_readable() const { return (m_flags & linux::O_ACCMODE) != linux::O_WRONLY; }
  bool is_writable() const { return (m_flags & linux::O_ACCMODE) != linux::O_RDONLY; }
  bool is_nonblocking() const { return m_flags & linux::O_NONBLOCK; }

 protected:
  mutable Spinlock m_offset_lock{"file-offset"};
  u64 m_offset = 0;  // guarded by m_offset_lock
  u32 m_flags;
};
