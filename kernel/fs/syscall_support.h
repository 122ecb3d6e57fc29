// Helpers shared by the file-system system calls (kernel/fs/fs_syscalls_*.cpp): copying path arguments in,
// finding where a *at() call's walk starts, and reaching the caller's descriptors.
#pragma once

#include "kernel/fs/fd_table.h"
#include "kernel/fs/namei.h"
#include "kernel/process.h"

// A path argument copied into the kernel (freed with the object).
class UserPath {
 public:
  UserPath() = default;
  ~UserPath();
  AS_NONCOPYABLE(UserPath);
  // EFAULT for a bad pointer, ENAMETOOLONG for 4096 bytes or more without a NUL.
  Result<void> copy_from(u64 user_address);
  const char* get() const { return m_text; }
  bool is_empty() const { return !m_text || !m_text[0]; }

 private:
  char* m_text = nullptr;
};

// Where a walk starts: the root, and the directory relative paths are resolved from. The references keep
// both alive for the duration of the call.
struct WalkStart {
  RefPtr<Inode> root;
  RefPtr<Inode> base;
  u32 umask = 022;  // the caller's (FsContext)
  PathContext context() const { return PathContext{root.get(), base.get(), 0, umask}; }
};

// dirfd is AT_FDCWD (the working directory) or a descriptor of a directory (EBADF, ENOTDIR). An absolute
// path ignores it, as on Linux.
Result<WalkStart> walk_start(i32 dirfd, const char* path);
// The caller's open file at fd (EBADF).
Result<RefPtr<File>> file_at(i32 fd);
// The descriptor limit (RLIMIT_NOFILE, at most FdTable::MAX_FDS).
int descriptor_limit();
// chdir/fchdir: make dir the caller's working directory.
void set_working_directory(RefPtr<Inode> dir);
