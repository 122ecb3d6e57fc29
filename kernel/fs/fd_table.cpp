#include "kernel/fs/fd_table.h"

#include <new>

#include "kernel/fs/file_lock.h"

FdTable::~FdTable() { close_all(); }

Result<void> FdTable::grow_locked(int min_capacity) {
  ASSERT_LOCKED(m_lock);
  int capacity = m_capacity ? m_capacity : 16;
  while (capacity < min_capacity) capacity *= 2;
  if (capacity > MAX_FDS) capacity = MAX_FDS;
  if (capacity < min_capacity) return Error::MFILE;
  auto* files = new RefPtr<File>[capacity];
  if (!files) return Error::NOMEM;
  for (int i = 0; i < m_capacity; i++) files[i] = std::move(m_files[i]);
  delete[] m_files;
  m_files = files;
  m_capacity = capacity;
  return {};
}

Result<RefPtr<File>> FdTable::get(int fd) const {
  SpinlockGuard guard(m_lock);
  if (fd < 0 || fd >= m_capacity || !m_files[fd]) return Error::BADF;
  return m_files[fd];
}

Result<int> FdTable::allocate(RefPtr<File> file, bool cloexec, int limit, int min_fd) {
  if (limit > MAX_FDS) limit = MAX_FDS;
  if (min_fd < 0 || min_fd >= MAX_FDS) return Error::INVAL;
  SpinlockGuard guard(m_lock);
  int fd = min_fd;
  while (fd < m_capacity && m_files[fd]) fd++;
  if (fd >= limit) return Error::MFILE;
  if (fd >= m_capacity) TRY(grow_locked(fd + 1));
  m_files[fd] = std::move(file);
  if (cloexec)
    m_cloexec[fd / 64] |= 1ull << (fd % 64);
  else
    m_cloexec[fd / 64] &= ~(1ull << (fd % 64));
  return fd;
}

Result<void> FdTable::install_at(int fd, RefPtr<File> file, bool cloexec) {
  if (fd < 0 || fd >= MAX_FDS) return Error::BADF;
  RefPtr<File> old;
  {
    SpinlockGuard guard(m_lock);
    if (fd >= m_capacity) TRY(grow_locked(fd + 1));
    old = std::move(m_files[fd]);
    m_files[fd] = std::move(file);
    if (cloexec)
      m_cloexec[fd / 64] |= 1ull << (fd % 64);
    else
      m_cloexec[fd / 64] &= ~(1ull << (fd % 64));
  }
  // `old` is released here, outside the lock: closing a pipe end may wake sleepers.
  if (old) file_locks_close(*old, this);
  return {};
}

Result<void> FdTable::close(int fd) {
  RefPtr<File> old;
  {
    SpinlockGuard guard(m_lock);
    if (fd < 0 || fd >= m_capacity || !m_files[fd]) return Error::BADF;
    old = std::move(m_files[fd]);
    m_cloexec[fd / 64] &= ~(1ull << (fd % 64));
  }
  file_locks_close(*old, this);  // the process's record locks on the file go with any of its descriptors
  return {};
}

Result<bool> FdTable::cloexec(int fd) const {
  SpinlockGuard guard(m_lock);
  if (fd < 0 || fd >= m_capacity || !m_files[fd]) return Error::BADF;
  return (m_cloexec[fd / 64] >> (fd % 64)) & 1;
}

Result<void> FdTable::set_cloexec(int fd, bool cloexec) {
  SpinlockGuard guard(m_lock);
  if (fd < 0 || fd >= m_capacity || !m_files[fd]) return Error::BADF;
  if (cloexec)
    m_cloexec[fd / 64] |= 1ull << (fd % 64);
  else
    m_cloexec[fd / 64] &= ~(1ull << (fd % 64));
  return {};
}

Result<RefPtr<FdTable>> FdTable::clone() const {
  auto* fresh = new FdTable();
  if (!fresh) return Error::NOMEM;
  RefPtr<FdTable> copy = RefPtr<FdTable>::adopt(fresh);
  SpinlockGuard guard(m_lock);
  if (m_capacity) {
    // Nobody else can see the copy yet, but grow_locked checks its lock (never contended). On failure the copy
    // goes after the guards.
    SpinlockGuard copy_guard(copy->m_lock);
    TRY(copy->grow_locked(m_capacity));
    for (int i = 0; i < m_capacity; i++) copy->m_files[i] = m_files[i];
  }
  // (Only the words that cover the table: the rest are 0 in both.)
  for (int i = 0; i < (m_capacity + 63) / 64; i++) copy->m_cloexec[i] = m_cloexec[i];
  return copy;
}

void FdTable::close_on_exec() {
  // Collect under the lock, release outside it.
  for (int fd = 0; fd < m_capacity; fd++) {
    RefPtr<File> old;
    {
      SpinlockGuard guard(m_lock);
      if (!((m_cloexec[fd / 64] >> (fd % 64)) & 1) || !m_files[fd]) continue;
      old = std::move(m_files[fd]);
      m_cloexec[fd / 64] &= ~(1ull << (fd % 64));
    }
    file_locks_close(*old, this);
  }
}

void FdTable::close_all() {
  // A batch of descriptors at a time under the lock; the files are released outside it.
  constexpr int BATCH = 16;
  for (int first = 0; first < m_capacity; first += BATCH) {
    RefPtr<File> old[BATCH];
    {
      SpinlockGuard guard(m_lock);
      for (int i = 0; i < BATCH && first + i < m_capacity; i++) old[i] = std::move(m_files[first + i]);
    }
    for (int i = 0; i < BATCH; i++)
      if (old[i]) file_locks_close(*old[i], this);
  }
  delete[] m_files;
  m_files = nullptr;
  m_capacity = 0;
}
