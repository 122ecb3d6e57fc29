// A thread's file-system context (Linux's fs_struct): its working directory and its umask. clone with CLONE_FS
// shares one between threads or processes (a chdir or umask in one is seen by all of them); without it the new
// thread gets a copy. unshare(CLONE_FS) gives the caller a copy of its own.
// Lock: m_lock guards both fields; the directory is returned as a reference, so a reader keeps it while another
// sharer changes directory.
#pragma once

#include "kernel/fs/inode.h"
#include "kernel/spinlock.h"
#include "lib/atomic.h"
#include "lib/refptr.h"

struct FsContext : RefCounted {
  static constexpr u32 DEFAULT_UMASK = 022;  // init's (Linux's init_fs), inherited by everything

  RefPtr<Inode> working_directory() const {
    SpinlockGuard guard(m_lock);
    return m_cwd;
  }
  // Returns the directory it replaces, for the caller to drop outside the lock (dropping may free it).
  RefPtr<Inode> set_working_directory(RefPtr<Inode> dir) {
    SpinlockGuard guard(m_lock);
    RefPtr<Inode> old = static_cast<RefPtr<Inode>&&>(m_cwd);
    m_cwd = static_cast<RefPtr<Inode>&&>(dir);
    return old;
  }
  u32 umask() const { return m_umask.load(MemoryOrder::Relaxed); }
  u32 exchange_umask(u32 mask) { return m_umask.exchange(mask & 0777, MemoryOrder::Relaxed); }
  // A copy for a new thread or process without CLONE_FS (or unshare): nullptr without memory.
  RefPtr<FsContext> copy() const {
    auto* fresh = new FsContext();
    if (!fresh) return nullptr;
    fresh->m_cwd = working_directory();
    fresh->m_umask.store(umask(), MemoryOrder::Relaxed);
    return RefPtr<FsContext>::adopt(fresh);
  }

 private:
  mutable Spinlock m_lock{"fs-context"};
  RefPtr<Inode> m_cwd;                // guarded by m_lock
  Atomic<u32> m_umask{DEFAULT_UMASK};
};
