// The file-descriptor table of a thread (Linux's files_struct): small integers naming open file descriptions,
// each with its own close-on-exec flag. Threads share one (pthreads: CLONE_FILES), and so may processes (clone
// with CLONE_FILES without CLONE_THREAD): it is reference-counted, and its files are closed when the last user
// drops it. fork() copies the table (sharing the descriptions); exec closes the close-on-exec ones, in a copy of
// its own first if another process shares the table (Linux's unshare_files).
// Lock: m_lock protects the slots.
#pragma once

#include "kernel/fs/file.h"
#include "kernel/spinlock.h"
#include "lib/refptr.h"

class FdTable : public RefCounted {
 public:
  static constexpr int MAX_FDS = 4096;  // the most any RLIMIT_NOFILE can give here (Linux's default hard limit)

  FdTable() = default;
  ~FdTable();
  AS_NONCOPYABLE(FdTable);

  // The file at fd, or EBADF.
  Result<RefPtr<File>> get(int fd) const;
  // Install file at the lowest free descriptor >= min_fd and below limit (the caller's RLIMIT_NOFILE):
  // EMFILE if there is none.
  Result<int> allocate(RefPtr<File> file, bool cloexec, int limit, int min_fd = 0);
  // Install file at exactly fd, closing what was there (dup2/dup3).
  Result<void> install_at(int fd, RefPtr<File> file, bool cloexec);
  Result<void> close(int fd);
  Result<bool> cloexec(int fd) const;
  Result<void> set_cloexec(int fd, bool cloexec);
  // A copy sharing every open description (fork, unshare(CLONE_FILES), exec of a shared table).
  Result<RefPtr<FdTable>> clone() const;
  // Close every close-on-exec descriptor (exec).
  void close_on_exec();
  void close_all();
  // For /proc/PID/fd listings: fn(int fd, File&).
  template <typename Fn>
  void for_each(Fn fn) const {
    SpinlockGuard guard(m_lock);
    for (int i = 0; i < m_capacity; i++)
      if (m_files[i]) fn(i, *m_files[i]);
  }

 private:
  Result<void> grow_locked(int min_capacity);

  mutable Spinlock m_lock{"fd-table"};
  RefPtr<File>* m_files = nullptr;  // m_capacity slots (grows by doubling up to MAX_FDS), guarded by m_lock
  int m_capacity = 0;
  u64 m_cloexec[MAX_FDS / 64] = {};  // guarded by m_lock
};
