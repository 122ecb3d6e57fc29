// Advisory file locks (kernel/fs/file_lock.h): fcntl record locks, open-file-description locks and flock(2).
#include "kernel/fs/file_lock.h"

#include <new>

#include "arch/riscv/usercopy.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/process.h"
#include "kernel/spinlock.h"
#include "kernel/wait_queue.h"
#include "lib/atomic.h"
#include "lib/list.h"
#include "lib/refptr.h"

namespace {

constexpr u64 OFFSET_MAX = 0x7fffffffffffffffull;  // a range "to the end of the file", whatever its size
constexpr unsigned MAX_DEADLOCK_STEPS = 10;        // Linux's MAX_DEADLK_ITERATIONS

enum class Kind : u8 { Record, OpenFile, Flock };

// One held lock: bytes [start, end] of a file (end inclusive, OFFSET_MAX for "to the end").
struct FileLock {
  ListNode link;                // in g_locks
  const void* key = nullptr;    // the inode (or the open file, for files without one)
  RefPtr<Inode> inode;          // kept while locked (the key must not be reused by another inode)
  const void* owner = nullptr;  // Record: the FdTable; OpenFile and Flock: the File
  i32 pid = 0;                  // the locking process (F_GETLK's l_pid for a record lock)
  Kind kind = Kind::Record;
  bool write = false;
  u64 start = 0;
  u64 end = 0;
  FileLock* next_dead = nullptr;  // in a chain of locks to free once g_lock is released
};

// A thread waiting in F_SETLKW or flock, and for whom (the deadlock check follows these).
struct Waiter {
  ListNode link;                  // in g_waiters
  const void* owner = nullptr;    // the waiting owner
  const void* blocker = nullptr;  // the owner of the lock it waits for (record locks only, else nullptr)
};

Spinlock g_lock{"file-locks"};
IntrusiveList<FileLock, &FileLock::link> g_locks;  // guarded by g_lock
IntrusiveList<Waiter, &Waiter::link> g_waiters;    // guarded by g_lock
WaitQueue g_released;                              // woken whenever a lock goes or gets weaker
Atomic<u64> g_count{0};                            // locks in g_locks (close skips the lock when 0)

bool same_space(const FileLock& a, const FileLock& b) {
  return a.key == b.key && (a.kind == Kind::Flock) == (b.kind == Kind::Flock);
}
bool overlap(const FileLock& a, const FileLock& b) { return a.start <= b.end && b.start <= a.end; }
bool conflicts(const FileLock& held, const FileLock& wanted) {
  return same_space(held, wanted) && held.owner != wanted.owner && overlap(held, wanted) && (held.write || wanted.write);
}

FileLock* first_conflict_locked(const FileLock& wanted) {
  ASSERT_LOCKED(g_lock);
  for (FileLock& l : g_locks)
    if (conflicts(l, wanted)) return &l;
  return nullptr;
}

void drop_locked(FileLock* l) {
  ASSERT_LOCKED(g_lock);
  g_locks.remove(*l);
  g_count.fetch_sub(1, MemoryOrder::Relaxed);
}

// Out of g_locks (if in it) and onto the chain `dead`, freed after the spinlock (an inode reference may go).
void retire_locked(FileLock* l, FileLock*& dead) {
  ASSERT_LOCKED(g_lock);
  if (l->link.is_linked()) drop_locked(l);
  l->next_dead = dead;
  dead = l;
}

void add_locked(FileLock* l) {
  ASSERT_LOCKED(g_lock);
  g_locks.push_back(*l);
  g_count.fetch_add(1, MemoryOrder::Relaxed);
}

// Waiting for `blocker` would close a cycle back to `owner` (record locks: each waiting owner waits for one).
bool would_deadlock_locked(const void* owner, const void* blocker) {
  ASSERT_LOCKED(g_lock);
  for (unsigned step = 0; step < MAX_DEADLOCK_STEPS; step++) {
    if (blocker == owner) return true;
    const void* next = nullptr;
    for (Waiter& w : g_waiters)
      if (w.owner == blocker && w.blocker) {
        next = w.blocker;
        break;
      }
    if (!next) return false;
    blocker = next;
  }
  return false;
}

// The owner's locks of the request's file give way to it (Record and OpenFile kinds): the ones of the same type
// it overlaps or touches merge into it, the others lose the part it covers (one may split in two: `spare`).
// An unlock request is not inserted. Returns whether any lock went or got smaller (waiters may now proceed).
bool apply_range_locked(FileLock* request, bool unlock, FileLock*& spare, FileLock*& garbage) {
  ASSERT_LOCKED(g_lock);
  bool released = false;
  for (FileLock* l = g_locks.front(); l;) {
    FileLock* next = g_locks.next_of(*l);
    if (l->owner != request->owner || !same_space(*l, *request)) {
      l = next;
      continue;
    }
    bool touches = l->start <= (request->end == OFFSET_MAX ? OFFSET_MAX : request->end + 1) &&
                   request->start <= (l->end == OFFSET_MAX ? OFFSET_MAX : l->end + 1);
    if (!unlock && l->write == request->write && touches) {  // merge into the request
      if (l->start < request->start) request->start = l->start;
      if (l->end > request->end) request->end = l->end;
      retire_locked(l, garbage);
    } else if (overlap(*l, *request)) {
      released = true;
      bool left = l->start < request->start, right = l->end > request->end;
      if (left && right) {  // split: l keeps the left part, the spare takes the right one
        FileLock* r = spare;  // (one split at most: the owner's locks are disjoint)
        ASSERT(r);
        spare = nullptr;
        r->key = l->key;
        r->inode = l->inode;
        r->owner = l->owner;
        r->pid = l->pid;
        r->kind = l->kind;
        r->write = l->write;
        r->start = request->end + 1;
        r->end = l->end;
        l->end = request->start - 1;
        add_locked(r);
      } else if (left) {
        l->end = request->start - 1;
      } else if (right) {
        l->start = request->end + 1;
      } else {
        retire_locked(l, garbage);
      }
    }
    l = next;
  }
  return released;
}

void free_chain(FileLock* dead) {
  while (dead) {
    FileLock* next = dead->next_dead;
    delete dead;
    dead = next;
  }
}

// Sets (or waits for) the lock `request` describes, or unlocks its range. Takes over `request`.
Result<void> set_lock(FileLock* request, bool unlock, bool wait) {
  // A lock may split another of its owner's in two: the second part is allocated before the spinlock.
  FileLock* spare = request->kind == Kind::Flock ? nullptr : new FileLock;
  if (request->kind != Kind::Flock && !spare) {
    delete request;
    return Error::NOMEM;
  }
  FileLock* garbage = nullptr;
  Result<void> result;
  bool wake = false;
  {
    SpinlockGuard guard(g_lock);
    if (request->kind == Kind::Flock) {
      // flock: the file's own lock goes first, even if the new one must wait (Linux's flock_lock_inode); one
      // of the type asked for already is kept as it is.
      bool held = false;
      for (FileLock& l : g_locks)
        if (l.owner == request->owner && same_space(l, *request)) {
          if (!unlock && l.write == request->write) {
            held = true;
          } else {
            retire_locked(&l, garbage);
            wake = true;
          }
          break;
        }
      if (unlock || held) {
        retire_locked(request, garbage);
        request = nullptr;
      }
    }
    Waiter me;
    me.owner = request ? request->owner : nullptr;
    while (request && !unlock) {
      FileLock* blocker = first_conflict_locked(*request);
      if (!blocker) break;
      if (!wait) {
        result = Error::AGAIN;
        break;
      }
      if (request->kind == Kind::Record && blocker->kind == Kind::Record &&
          would_deadlock_locked(request->owner, blocker->owner)) {
        result = Error::DEADLK;
        break;
      }
      me.blocker = request->kind == Kind::Record && blocker->kind == Kind::Record ? blocker->owner : nullptr;
      g_waiters.push_back(me);
      auto woken = g_released.wait(g_lock);
      g_waiters.remove(me);
      if (woken.is_error()) {
        result = woken.error();
        break;
      }
    }
    if (request && result.is_error()) {
      retire_locked(request, garbage);
      request = nullptr;
    }
    if (request) {
      if (request->kind != Kind::Flock && apply_range_locked(request, unlock, spare, garbage)) wake = true;
      if (unlock) retire_locked(request, garbage);
      else add_locked(request);
    }
  }
  if (wake) g_released.wake_all();
  delete spare;
  free_chain(garbage);
  return result;
}

// The key a file's locks are found by: its inode, or the open file itself.
const void* key_of(File& file) {
  Inode* inode = file.inode();
  return inode ? static_cast<const void*>(inode) : static_cast<const void*>(&file);
}

// struct flock -> [start, end] (Linux's flock64_to_posix_lock).
Result<void> range_of(File& file, const linux::flock& f, FileLock& l) {
  i64 base;
  switch (f.l_whence) {
    case linux::SEEK_SET: base = 0; break;
    case linux::SEEK_CUR: base = static_cast<i64>(file.position()); break;
    case linux::SEEK_END: {
      Inode* inode = file.inode();
      base = inode ? static_cast<i64>(inode->size()) : 0;
      break;
    }
    default: return Error::INVAL;
  }
  if (f.l_start > static_cast<i64>(OFFSET_MAX) - base) return Error::OVERFLOW;
  i64 start = base + f.l_start;
  if (start < 0) return Error::INVAL;
  i64 end;
  if (f.l_len > 0) {
    if (f.l_len - 1 > static_cast<i64>(OFFSET_MAX) - start) return Error::OVERFLOW;
    end = start + (f.l_len - 1);
  } else if (f.l_len < 0) {
    if (start + f.l_len < 0) return Error::INVAL;
    end = start - 1;
    start += f.l_len;
  } else {
    end = static_cast<i64>(OFFSET_MAX);
  }
  l.start = static_cast<u64>(start);
  l.end = static_cast<u64>(end);
  return {};
}

}  // namespace

Result<i64> file_lock_fcntl(File& file, const FdTable* owner, u32 command, u64 argument) {
  using namespace linux;
  flock f;
  TRY(copy_from_user(&f, argument, sizeof(f)));
  bool ofd = command == F_OFD_GETLK || command == F_OFD_SETLK || command == F_OFD_SETLKW;
  FileLock wanted;
  wanted.key = key_of(file);
  wanted.owner = ofd ? static_cast<const void*>(&file) : static_cast<const void*>(owner);
  wanted.kind = ofd ? Kind::OpenFile : Kind::Record;
  if (command == F_GETLK || command == F_OFD_GETLK) {
    if (f.l_type != F_RDLCK && f.l_type != F_WRLCK) return Error::INVAL;
    TRY(range_of(file, f, wanted));
    if (ofd && f.l_pid != 0) return Error::INVAL;
    wanted.write = f.l_type == F_WRLCK;
    {
      SpinlockGuard guard(g_lock);
      // The conflicting lock that starts first (Linux keeps an owner's locks in order and finds its first).
      FileLock* held = nullptr;
      for (FileLock& l : g_locks)
        if (conflicts(l, wanted) && (!held || l.start < held->start)) held = &l;
      if (held) {
        f.l_type = held->write ? F_WRLCK : F_RDLCK;
        f.l_whence = SEEK_SET;
        f.l_start = static_cast<i64>(held->start);
        f.l_len = held->end == OFFSET_MAX ? 0 : static_cast<i64>(held->end - held->start + 1);
        f.l_pid = held->kind == Kind::Record ? held->pid : -1;
      } else {
        f.l_type = F_UNLCK;
      }
    }
    TRY(copy_to_user(argument, &f, sizeof(f)));
    return 0;
  }
  if (f.l_type != F_RDLCK && f.l_type != F_WRLCK && f.l_type != F_UNLCK) return Error::INVAL;
  TRY(range_of(file, f, wanted));
  if (f.l_type == F_RDLCK && !file.is_readable()) return Error::BADF;
  if (f.l_type == F_WRLCK && !file.is_writable()) return Error::BADF;
  if (ofd && f.l_pid != 0) return Error::INVAL;
  auto* request = new FileLock;
  if (!request) return Error::NOMEM;
  request->key = wanted.key;
  request->inode = RefPtr<Inode>(file.inode());
  request->owner = wanted.owner;
  request->pid = current_process() ? current_process()->m_pid : 0;
  request->kind = wanted.kind;
  request->write = f.l_type == F_WRLCK;
  request->start = wanted.start;
  request->end = wanted.end;
  TRY(set_lock(request, f.l_type == F_UNLCK, command == F_SETLKW || command == F_OFD_SETLKW));
  return 0;
}

Result<void> file_lock_flock(File& file, u32 operation) {
  using namespace linux;
  if (operation & LOCK_MAND) return {};  // Linux 6.1 warns once and ignores it
  u32 what = operation & ~LOCK_NB;
  if (what != LOCK_SH && what != LOCK_EX && what != LOCK_UN) return Error::INVAL;
  auto* request = new FileLock;
  if (!request) return Error::NOMEM;
  request->key = key_of(file);
  request->inode = RefPtr<Inode>(file.inode());
  request->owner = &file;
  request->pid = current_process() ? current_process()->m_pid : 0;
  request->kind = Kind::Flock;
  request->write = what == LOCK_EX;
  request->start = 0;
  request->end = OFFSET_MAX;
  return set_lock(request, what == LOCK_UN, !(operation & LOCK_NB));
}

void file_locks_close(File& file, const FdTable* owner) {
  if (g_count.load(MemoryOrder::Relaxed) == 0) return;
  const void* key = key_of(file);
  FileLock* garbage = nullptr;
  {
    SpinlockGuard guard(g_lock);
    for (FileLock* l = g_locks.front(); l;) {
      FileLock* next = g_locks.next_of(*l);
      if (l->kind == Kind::Record && l->owner == owner && l->key == key) retire_locked(l, garbage);
      l = next;
    }
  }
  if (!garbage) return;
  g_released.wake_all();
  free_chain(garbage);
}

void file_locks_release_file(const File* file) {
  if (g_count.load(MemoryOrder::Relaxed) == 0) return;
  FileLock* garbage = nullptr;
  {
    SpinlockGuard guard(g_lock);
    for (FileLock* l = g_locks.front(); l;) {
      FileLock* next = g_locks.next_of(*l);
      if (l->kind != Kind::Record && l->owner == file) retire_locked(l, garbage);
      l = next;
    }
  }
  if (!garbage) return;
  g_released.wake_all();
  free_chain(garbage);
}

u64 file_lock_count() { return g_count.load(MemoryOrder::Relaxed); }
