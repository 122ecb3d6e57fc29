// The file-system system calls on path names: openat, newfstatat, mkdirat, mknodat, unlinkat, renameat2,
// linkat, symlinkat, readlinkat, faccessat, chdir, getcwd (statx is left to glibc's fallback: kernel/syscall.cpp).
//
// A path is copied into the kernel first (EFAULT, ENAMETOOLONG), then walked from the root or from dirfd /
// the working directory (kernel/fs/namei.h). Results are copied out last, so a bad output pointer gives EFAULT
// after the work is done, as on Linux.
#include <cstring>

#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/fs/vfs.h"
#include "kernel/syscall_raw.h"
#include "mm/heap.h"

// ---- shared helpers (syscall_support.h) ----

UserPath::~UserPath() { kfree(m_text); }

Result<void> UserPath::copy_from(u64 user_address) {
  if (!m_text) {
    m_text = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
    if (!m_text) return Error::NOMEM;
  }
  m_text[0] = '\0';
  TRY(copy_string_from_user(m_text, user_address, fs_limits::MAX_PATH));
  return {};
}

Result<RefPtr<File>> file_at(i32 fd) { return current_thread()->m_files->get(fd); }

int descriptor_limit() {
  u64 limit = current_process()->m_limits[linux::RLIMIT_NOFILE].rlim_cur;
  return limit < static_cast<u64>(FdTable::MAX_FDS) ? static_cast<int>(limit) : FdTable::MAX_FDS;
}

Result<WalkStart> walk_start(i32 dirfd, const char* path) {
  WalkStart start;
  start.root = vfs_root();
  start.umask = current_thread()->m_fs->umask();
  if (path[0] == '/') {
    start.base = start.root;
  } else if (dirfd == linux::AT_FDCWD) {
    start.base = current_thread()->m_fs->working_directory();
  } else {
    RefPtr<File> file = TRY(file_at(dirfd));
    Inode* inode = file->inode();
    if (!inode || !inode->is_directory()) return Error::NOTDIR;
    start.base = RefPtr<Inode>(inode);
  }
  if (!start.base) start.base = start.root;
  return start;
}

void set_working_directory(RefPtr<Inode> dir) {
  // (The old directory is dropped on return, outside the context's lock: dropping it may free it.)
  (void)current_thread()->m_fs->set_working_directory(static_cast<RefPtr<Inode>&&>(dir));
}

namespace {

using namespace linux;

constexpr u32 AT_SYMLINK_FOLLOW = 0x400;
constexpr u32 AT_NO_AUTOMOUNT = 0x800;
constexpr u32 X_OK = 1, W_OK = 2, R_OK = 4;

// Copies the path in and finds where its walk starts; an empty path is ENOENT (callers that accept one with
// AT_EMPTY_PATH check first).
Result<WalkStart> path_argument(i32 dirfd, u64 address, UserPath& path) {
  TRY(path.copy_from(address));
  if (path.is_empty()) return Error::NOENT;
  return walk_start(dirfd, path.get());
}

Result<i64> do_openat(i32 dirfd, u64 address, u32 flags, u32 mode) {
  UserPath path;
  WalkStart start = TRY(path_argument(dirfd, address, path));
  RefPtr<File> file = TRY(path_open(start.context(), path.get(), flags, mode));
  return TRY(current_thread()->m_files->allocate(file, flags & O_CLOEXEC, descriptor_limit()));
}

Result<void> do_newfstatat(i32 dirfd, u64 address, u64 stat_address, u32 flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return Error::INVAL;
  UserPath path;
  TRY(path.copy_from(address));
  linux::stat st;
  if (path.is_empty()) {
    if (!(flags & AT_EMPTY_PATH)) return Error::NOENT;
    if (dirfd == AT_FDCWD) {
      current_thread()->m_fs->working_directory()->stat(st);
    } else {
      RefPtr<File> file = TRY(file_at(dirfd));
      TRY(file->stat(st));
    }
  } else {
    WalkStart start = TRY(walk_start(dirfd, path.get()));
    Follow follow = flags & AT_SYMLINK_NOFOLLOW ? Follow::No : Follow::Yes;
    RefPtr<Inode> inode = TRY(path_lookup(start.context(), path.get(), follow));
    inode->stat(st);
  }
  return copy_value_to_user(stat_address, st);
}

Result<void> do_mkdirat(i32 dirfd, u64 address, u32 mode) {
  UserPath path;
  WalkStart start = TRY(path_argument(dirfd, address, path));
  return path_mkdir(start.context(), path.get(), mode);
}

Result<void> do_unlinkat(i32 dirfd, u64 address, u32 flags) {
  if (flags & ~AT_REMOVEDIR) return Error::INVAL;
  UserPath path;
  WalkStart start = TRY(path_argument(dirfd, address, path));
  return path_unlink(start.context(), path.get(), flags & AT_REMOVEDIR ? UnlinkKind::Directory : UnlinkKind::NonDirectory);
}

Result<void> do_renameat2(i32 from_dirfd, u64 from_address, i32 to_dirfd, u64 to_address, u32 flags) {
  UserPath from, to;
  WalkStart from_start = TRY(path_argument(from_dirfd, from_address, from));
  WalkStart to_start = TRY(path_argument(to_dirfd, to_address, to));
  return path_rename(from_start.context(), from.get(), to_start.context(), to.get(), flags);
}

Result<void> do_linkat(i32 from_dirfd, u64 from_address, i32 to_dirfd, u64 to_address, u32 flags) {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return Error::INVAL;
  UserPath from, to;
  WalkStart from_start = TRY(path_argument(from_dirfd, from_address, from));
  WalkStart to_start = TRY(path_argument(to_dirfd, to_address, to));
  Follow follow = flags & AT_SYMLINK_FOLLOW ? Follow::Yes : Follow::No;
  return path_link(from_start.context(), from.get(), to_start.context(), to.get(), follow);
}

Result<void> do_symlinkat(u64 target_address, i32 dirfd, u64 address) {
  UserPath target, path;
  TRY(target.copy_from(target_address));
  WalkStart start = TRY(path_argument(dirfd, address, path));
  return path_symlink(target.get(), start.context(), path.get());
}

Result<usize> do_readlinkat(i32 dirfd, u64 address, u64 buffer, i32 size) {
  if (size <= 0) return Error::INVAL;
  UserPath path;
  WalkStart start = TRY(path_argument(dirfd, address, path));
  usize capacity = static_cast<usize>(size) < fs_limits::MAX_PATH ? static_cast<usize>(size) : fs_limits::MAX_PATH;
  auto* text = static_cast<char*>(kmalloc(capacity));
  if (!text) return Error::NOMEM;
  Result<usize> result = path_readlink(start.context(), path.get(), text, capacity);
  if (!result.is_error()) {
    auto copied = copy_to_user(buffer, text, result.value());  // no NUL is added (readlink(2))
    if (copied.is_error()) result = copied.error();
  }
  kfree(text);
  return result;
}

// As root: any existing file may be read and written; X_OK needs an execute bit unless it is a directory.
// (The flags of faccessat2 are not looked at: the older faccessat, which shares this entry, has none, and its
// fourth register is whatever the caller left there.)
Result<void> do_faccessat(i32 dirfd, u64 address, u32 mode) {
  if (mode & ~(X_OK | W_OK | R_OK)) return Error::INVAL;
  UserPath path;
  WalkStart start = TRY(path_argument(dirfd, address, path));
  RefPtr<Inode> inode = TRY(path_lookup(start.context(), path.get(), Follow::Yes));
  if ((mode & X_OK) && !inode->is_directory() && !inode->is_executable()) return Error::ACCESS;
  return {};
}

// truncate(2): by path, following links; the same checks as ftruncate but for a directory (EISDIR).
Result<void> do_truncate(u64 address, i64 length) {
  UserPath path;
  WalkStart start = TRY(path_argument(AT_FDCWD, address, path));
  if (length < 0) return Error::INVAL;
  RefPtr<Inode> inode = TRY(path_lookup(start.context(), path.get(), Follow::Yes));
  if (inode->is_directory()) return Error::ISDIR;
  if (!inode->is_regular()) return Error::INVAL;
  TRY(inode->file_system().check_writable());
  return truncate_inode(*inode, static_cast<u64>(length));  // ETXTBSY for a running program
}

Result<void> do_mknodat(i32 dirfd, u64 address, u32 mode, u32 dev) {
  UserPath path;
  WalkStart start = TRY(path_argument(dirfd, address, path));
  return path_mknod(start.context(), path.get(), mode, dev);
}

Result<void> do_chdir(u64 address) {
  UserPath path;
  WalkStart start = TRY(path_argument(AT_FDCWD, address, path));
  RefPtr<Inode> inode = TRY(path_lookup(start.context(), path.get(), Follow::Yes));
  if (!inode->is_directory()) return Error::NOTDIR;
  set_working_directory(static_cast<RefPtr<Inode>&&>(inode));
  return {};
}

// Returns the length with the NUL, as the system call does (glibc's getcwd returns the buffer).
Result<usize> do_getcwd(u64 buffer, u64 size) {
  RefPtr<Inode> cwd = current_thread()->m_fs->working_directory();
  auto* text = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
  if (!text) return Error::NOMEM;
  Result<usize> result = vfs_path_of(cwd ? cwd.get() : vfs_root().get(), text, fs_limits::MAX_PATH);
  if (!result.is_error()) {
    usize length = result.value() + 1;
    if (length > size) {
      result = Error::RANGE;
    } else {
      auto copied = copy_to_user(buffer, text, length);
      result = copied.is_error() ? Result<usize>(copied.error()) : Result<usize>(length);
    }
  }
  kfree(text);
  return result;
}

}  // namespace

Result<u64> sys_openat(const SyscallArgs& a) {
  return syscall_result(do_openat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2), static_cast<u32>(a.a3)));
}
Result<u64> sys_newfstatat(const SyscallArgs& a) {
  return syscall_result(do_newfstatat(static_cast<i32>(a.a0), a.a1, a.a2, static_cast<u32>(a.a3)));
}
Result<u64> sys_mkdirat(const SyscallArgs& a) {
  return syscall_result(do_mkdirat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2)));
}
Result<u64> sys_unlinkat(const SyscallArgs& a) {
  return syscall_result(do_unlinkat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2)));
}
Result<u64> sys_renameat2(const SyscallArgs& a) {
  return syscall_result(
      do_renameat2(static_cast<i32>(a.a0), a.a1, static_cast<i32>(a.a2), a.a3, static_cast<u32>(a.a4)));
}
Result<u64> sys_linkat(const SyscallArgs& a) {
  return syscall_result(
      do_linkat(static_cast<i32>(a.a0), a.a1, static_cast<i32>(a.a2), a.a3, static_cast<u32>(a.a4)));
}
Result<u64> sys_symlinkat(const SyscallArgs& a) {
  return syscall_result(do_symlinkat(a.a0, static_cast<i32>(a.a1), a.a2));
}
Result<u64> sys_readlinkat(const SyscallArgs& a) {
  return do_readlinkat(static_cast<i32>(a.a0), a.a1, a.a2, static_cast<i32>(a.a3));
}
Result<u64> sys_faccessat(const SyscallArgs& a) {
  return syscall_result(do_faccessat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2)));
}
Result<u64> sys_truncate(const SyscallArgs& a) {
  return syscall_result(do_truncate(a.a0, static_cast<i64>(a.a1)));
}
Result<u64> sys_mknodat(const SyscallArgs& a) {
  return syscall_result(
      do_mknodat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2), static_cast<u32>(a.a3)));
}
Result<u64> sys_chdir(const SyscallArgs& a) { return syscall_result(do_chdir(a.a0)); }
Result<u64> sys_getcwd(const SyscallArgs& a) { return do_getcwd(a.a0, a.a1); }

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_openat);
RAW_SYSCALL(sys_newfstatat);
RAW_SYSCALL(sys_mkdirat);
RAW_SYSCALL(sys_unlinkat);
RAW_SYSCALL(sys_renameat2);
RAW_SYSCALL(sys_linkat);
RAW_SYSCALL(sys_symlinkat);
RAW_SYSCALL(sys_readlinkat);
RAW_SYSCALL(sys_faccessat);
RAW_SYSCALL(sys_mknodat);
RAW_SYSCALL(sys_truncate);
RAW_SYSCALL(sys_chdir);
RAW_SYSCALL(sys_getcwd);
