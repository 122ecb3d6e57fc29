// The file-system system calls on descriptors: read, write and their vector and positioned forms, lseek,
// ioctl, fstat, getdents64, ftruncate, close, dup, dup3, fcntl, pipe2, fchdir — with Linux's argument checks
// and errnos, in Linux's order where a test could tell.
//
// User buffers are checked to lie in user space before anything happens (Linux's access_ok: a kernel address
// or a wrapping range is EFAULT at once), then reached only through IoBuffer::user. No spinlock is held here.
#include <cstring>

#include "kernel/fs/file_lock.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/syscall_raw.h"
#include "mm/heap.h"

namespace {

using namespace linux;

constexpr u64 MAX_RW_COUNT = 0x7ffff000;  // Linux caps one transfer at INT_MAX rounded down to a page
constexpr u64 SSIZE_MAX = ~0ull >> 1;
constexpr u64 FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451;

FdTable& fds() { return *current_thread()->m_files; }

enum class Direction : u8 { Read, Write };

// read/write.
Result<usize> do_transfer(i32 fd, u64 buffer, u64 count, Direction direction) {
  RefPtr<File> file = TRY(file_at(fd));
  if (direction == Direction::Read ? !file->is_readable() : !file->is_writable()) return Error::BADF;
  if (!is_user_range(buffer, count)) return Error::FAULT;
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  IoBuffer io = IoBuffer::user(buffer, count);
  return direction == Direction::Read ? file->read(io, count) : file->write(io, count);
}

// readv/writev: the vector is copied in and checked whole before any transfer.
Result<usize> do_vector(i32 fd, u64 iov_address, u64 iov_count_argument, Direction direction) {
  RefPtr<File> file = TRY(file_at(fd));
  if (direction == Direction::Read ? !file->is_readable() : !file->is_writable()) return Error::BADF;
  i32 iov_count = static_cast<i32>(iov_count_argument);
  if (iov_count < 0 || static_cast<u64>(iov_count) > IOV_MAX) return Error::INVAL;
  if (iov_count == 0) return 0;
  auto* iov = static_cast<iovec*>(kmalloc(sizeof(iovec) * static_cast<usize>(iov_count)));
  if (!iov) return Error::NOMEM;
  Result<usize> result = [&]() -> Result<usize> {
    TRY(copy_from_user(iov, iov_address, sizeof(iovec) * static_cast<usize>(iov_count)));
    u64 total = 0;
    for (i32 i = 0; i < iov_count; i++) {
      if (iov[i].iov_len > SSIZE_MAX - total) return Error::INVAL;
      total += iov[i].iov_len;
      if (!is_user_range(iov[i].iov_base, iov[i].iov_len)) return Error::FAULT;
    }
    u64 budget = total < MAX_RW_COUNT ? total : MAX_RW_COUNT;
    usize done = 0;
    for (i32 i = 0; i < iov_count && budget > 0; i++) {
      u64 len = iov[i].iov_len < budget ? iov[i].iov_len : budget;
      if (len == 0) continue;
      IoBuffer buffer = IoBuffer::user(iov[i].iov_base, len);
      auto n = direction == Direction::Read ? file->read(buffer, len) : file->write(buffer, len);
      if (n.is_error()) {
        if (done) break;  // what was transferred counts
        return n.error();
      }
      done += n.value();
      budget -= n.value();
      if (n.value() < len) break;  // a short transfer ends the call, as Linux does
    }
    return done;
  }();
  kfree(iov);
  return result;
}

Result<usize> do_positioned(i32 fd, u64 buffer, u64 count, i64 offset, Direction direction) {
  if (offset < 0) return Error::INVAL;
  RefPtr<File> file = TRY(file_at(fd));
  if (direction == Direction::Read ? !file->is_readable() : !file->is_writable()) return Error::BADF;
  if (!is_user_range(buffer, count)) return Error::FAULT;
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  IoBuffer io = IoBuffer::user(buffer, count);
  u64 at = static_cast<u64>(offset);
  return direction == Direction::Read ? file->read_at(io, count, at) : file->write_at(io, count, at);
}

Result<i64> do_ioctl(i32 fd, u64 request, u64 argument) {
  RefPtr<File> file = TRY(file_at(fd));
  // The requests every descriptor understands (fs/ioctl.c).
  switch (request) {
    case FIOCLEX: TRY(fds().set_cloexec(fd, true)); return 0;
    case FIONCLEX: TRY(fds().set_cloexec(fd, false)); return 0;
    case FIONBIO: {
      i32 on = TRY(copy_value_from_user<i32>(argument));
      file->set_status_flags(on ? file->flags() | O_NONBLOCK : file->flags() & ~O_NONBLOCK);
      return 0;
    }
  }
  return file->ioctl(request, argument);
}

Result<void> do_fstat(i32 fd, u64 address) {
  RefPtr<File> file = TRY(file_at(fd));
  linux::stat st;
  TRY(file->stat(st));
  return copy_value_to_user(address, st);
}

Result<usize> do_getdents64(i32 fd, u64 buffer, u64 count) {
  RefPtr<File> file = TRY(file_at(fd));
  if (!is_user_range(buffer, count)) return Error::FAULT;
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  return file->getdents64(IoBuffer::user(buffer, count), count);
}

Result<void> do_ftruncate(i32 fd, i64 length) {
  if (length < 0) return Error::INVAL;
  RefPtr<File> file = TRY(file_at(fd));
  if (!file->is_writable()) return Error::INVAL;
  Inode* inode = file->inode();
  if (!inode || !inode->is_regular()) return Error::INVAL;
  TRY(inode->file_system().check_writable());
  TRY(check_file_size_limit(static_cast<u64>(length)));  // RLIMIT_FSIZE: SIGXFSZ, EFBIG
  return inode->truncate(static_cast<u64>(length));
}

// fallocate(2): Linux 6.1's vfs_fallocate checks, in its order, then the file system's (Inode::fallocate).
Result<void> do_fallocate(i32 fd, u32 mode, i64 offset, i64 len) {
  constexpr u32 KEEP_SIZE = Inode::FALLOC_KEEP_SIZE, PUNCH_HOLE = Inode::FALLOC_PUNCH_HOLE, COLLAPSE_RANGE = 0x08,
                ZERO_RANGE = 0x10, INSERT_RANGE = 0x20, UNSHARE_RANGE = 0x40, SUPPORTED = 0x7f;
  if (offset < 0 || len <= 0) return Error::INVAL;
  if (mode & ~SUPPORTED) return Error::NOTSUP;
  if ((mode & (PUNCH_HOLE | ZERO_RANGE)) == (PUNCH_HOLE | ZERO_RANGE)) return Error::NOTSUP;
  if ((mode & PUNCH_HOLE) && !(mode & KEEP_SIZE)) return Error::NOTSUP;
  if ((mode & COLLAPSE_RANGE) && (mode & ~COLLAPSE_RANGE)) return Error::INVAL;
  if ((mode & INSERT_RANGE) && (mode & ~INSERT_RANGE)) return Error::INVAL;
  if ((mode & UNSHARE_RANGE) && (mode & ~(UNSHARE_RANGE | KEEP_SIZE))) return Error::INVAL;
  RefPtr<File> file = TRY(file_at(fd));
  if (!file->is_writable()) return Error::BADF;
  Inode* inode = file->inode();
  if (!inode || inode->type() == InodeType::Fifo) return Error::SPIPE;  // a pipe
  if (inode->is_directory()) return Error::ISDIR;
  if (!inode->is_regular()) return Error::NODEV;
  u64 end = static_cast<u64>(offset) + static_cast<u64>(len);
  if (end > inode->max_file_size() || end < static_cast<u64>(offset)) return Error::FBIG;
  // Only KEEP_SIZE and PUNCH_HOLE exist anywhere here (tmpfs's set); the rest: EOPNOTSUPP, as shmem says.
  if (mode & ~(KEEP_SIZE | PUNCH_HOLE)) return Error::NOTSUP;
  TRY(inode->file_system().check_writable());
  if (!(mode & KEEP_SIZE)) TRY(check_file_size_limit(end));  // RLIMIT_FSIZE: SIGXFSZ, EFBIG
  return inode->fallocate(mode, static_cast<u64>(offset), static_cast<u64>(len));
}

Result<i64> do_dup3(i32 old_fd, i32 new_fd, u64 flags) {
  if (flags & ~static_cast<u64>(O_CLOEXEC)) return Error::INVAL;
  if (old_fd == new_fd) return Error::INVAL;
  RefPtr<File> file = TRY(file_at(old_fd));
  if (new_fd < 0 || new_fd >= descriptor_limit()) return Error::BADF;
  TRY(fds().install_at(new_fd, file, flags & O_CLOEXEC));
  return new_fd;
}

Result<i64> do_fcntl(i32 fd, u32 command, u64 argument) {
  RefPtr<File> file = TRY(file_at(fd));
  switch (command) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      i32 minimum = static_cast<i32>(argument);
      if (minimum < 0 || minimum >= descriptor_limit()) return Error::INVAL;
      return TRY(fds().allocate(file, command == F_DUPFD_CLOEXEC, descriptor_limit(), minimum));
    }
    case F_GETFD: return TRY(fds().cloexec(fd)) ? FD_CLOEXEC : 0;
    case F_SETFD: TRY(fds().set_cloexec(fd, argument & FD_CLOEXEC)); return 0;
    case F_GETFL: return file->flags();
    case F_ADD_SEALS:
    case F_GET_SEALS: return TRY(memfd_fcntl_seals(*file, command, argument));
    case F_SETFL: file->set_status_flags(static_cast<u32>(argument)); return 0;
    case F_SETPIPE_SZ:
    case F_GETPIPE_SZ: return file->pipe_fcntl(command, argument);
    case F_GETLK:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: return file_lock_fcntl(*file, &fds(), command, argument);
    case F_SETLK:
    case F_SETLKW: {
      TRY(file_lock_fcntl(*file, &fds(), command, argument));
      // Another thread closed the descriptor meanwhile (its close released the record locks before this one
      // was set): this one goes too, as Linux's fcntl_setlk does.
      auto now = fds().get(fd);
      if (now.is_error() || now.value().get() != file.get()) file_locks_close(*file, &fds());
      return 0;
    }
    default: return Error::INVAL;
  }
}

Result<void> do_flock(i32 fd, u32 operation) {
  RefPtr<File> file = TRY(file_at(fd));
  return file_lock_flock(*file, operation);
}

Result<void> do_pipe2(u64 address, u64 flags) {
  if (flags & ~static_cast<u64>(O_CLOEXEC | O_NONBLOCK)) return Error::INVAL;
  PipeEnds ends = TRY(pipe_create(static_cast<u32>(flags)));
  bool cloexec = flags & O_CLOEXEC;
  i32 pair[2];
  pair[0] = TRY(fds().allocate(ends.read_end, cloexec, descriptor_limit()));
  auto write_fd = fds().allocate(ends.write_end, cloexec, descriptor_limit());
  if (write_fd.is_error()) {
    (void)fds().close(pair[0]);
    return write_fd.error();
  }
  pair[1] = write_fd.value();
  // If the pair cannot reach the caller, it must not find the descriptors installed either. (The process
  // has one thread, so nobody can have used them in between.)
  auto copied = copy_to_user(address, pair, sizeof(pair));
  if (copied.is_error()) {
    (void)fds().close(pair[0]);
    (void)fds().close(pair[1]);
    return copied.error();
  }
  return {};
}

Result<void> do_fchdir(i32 fd) {
  RefPtr<File> file = TRY(file_at(fd));
  Inode* inode = file->inode();
  if (!inode || !inode->is_directory()) return Error::NOTDIR;
  set_working_directory(RefPtr<Inode>(inode));
  return {};
}

}  // namespace

Result<u64> sys_read(const SyscallArgs& a) { return do_transfer(static_cast<i32>(a.a0), a.a1, a.a2, Direction::Read); }
Result<u64> sys_write(const SyscallArgs& a) { return do_transfer(static_cast<i32>(a.a0), a.a1, a.a2, Direction::Write); }
Result<u64> sys_readv(const SyscallArgs& a) { return do_vector(static_cast<i32>(a.a0), a.a1, a.a2, Direction::Read); }
Result<u64> sys_writev(const SyscallArgs& a) {
  return do_vector(static_cast<i32>(a.a0), a.a1, a.a2, Direction::Write);
}
Result<u64> sys_pread64(const SyscallArgs& a) {
  return do_positioned(static_cast<i32>(a.a0), a.a1, a.a2, static_cast<i64>(a.a3), Direction::Read);
}
Result<u64> sys_pwrite64(const SyscallArgs& a) {
  return do_positioned(static_cast<i32>(a.a0), a.a1, a.a2, static_cast<i64>(a.a3), Direction::Write);
}

Result<u64> sys_lseek(const SyscallArgs& a) {
  RefPtr<File> file = TRY(file_at(static_cast<i32>(a.a0)));
  return file->seek(static_cast<i64>(a.a1), static_cast<int>(a.a2));
}

Result<u64> sys_ioctl(const SyscallArgs& a) {
  return syscall_result(do_ioctl(static_cast<i32>(a.a0), static_cast<u32>(a.a1), a.a2));
}
Result<u64> sys_fstat(const SyscallArgs& a) { return syscall_result(do_fstat(static_cast<i32>(a.a0), a.a1)); }
Result<u64> sys_getdents64(const SyscallArgs& a) { return do_getdents64(static_cast<i32>(a.a0), a.a1, a.a2); }
Result<u64> sys_ftruncate(const SyscallArgs& a) {
  return syscall_result(do_ftruncate(static_cast<i32>(a.a0), static_cast<i64>(a.a1)));
}
Result<u64> sys_fallocate(const SyscallArgs& a) {
  return syscall_result(do_fallocate(static_cast<i32>(a.a0), static_cast<u32>(a.a1), static_cast<i64>(a.a2),
                                     static_cast<i64>(a.a3)));
}
Result<u64> sys_close(const SyscallArgs& a) { return syscall_result(fds().close(static_cast<i32>(a.a0))); }

Result<u64> sys_dup(const SyscallArgs& a) {
  RefPtr<File> file = TRY(file_at(static_cast<i32>(a.a0)));
  return TRY(fds().allocate(file, false, descriptor_limit()));
}

Result<u64> sys_dup3(const SyscallArgs& a) {
  return syscall_result(do_dup3(static_cast<i32>(a.a0), static_cast<i32>(a.a1), a.a2));
}
Result<u64> sys_fcntl(const SyscallArgs& a) {
  return syscall_result(do_fcntl(static_cast<i32>(a.a0), static_cast<u32>(a.a1), a.a2));
}
Result<u64> sys_flock(const SyscallArgs& a) {
  return syscall_result(do_flock(static_cast<i32>(a.a0), static_cast<u32>(a.a1)));
}
Result<u64> sys_pipe2(const SyscallArgs& a) { return syscall_result(do_pipe2(a.a0, a.a1)); }
Result<u64> sys_fchdir(const SyscallArgs& a) { return syscall_result(do_fchdir(static_cast<i32>(a.a0))); }

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_read);
RAW_SYSCALL(sys_write);
RAW_SYSCALL(sys_readv);
RAW_SYSCALL(sys_writev);
RAW_SYSCALL(sys_pread64);
RAW_SYSCALL(sys_pwrite64);
RAW_SYSCALL(sys_lseek);
RAW_SYSCALL(sys_ioctl);
RAW_SYSCALL(sys_fstat);
RAW_SYSCALL(sys_getdents64);
RAW_SYSCALL(sys_ftruncate);
RAW_SYSCALL(sys_fallocate);
RAW_SYSCALL(sys_close);
RAW_SYSCALL(sys_dup);
RAW_SYSCALL(sys_dup3);
RAW_SYSCALL(sys_fcntl);
RAW_SYSCALL(sys_flock);
RAW_SYSCALL(sys_pipe2);
RAW_SYSCALL(sys_fchdir);
