// The mount table (kernel/fs/mount.h): a list of mounts, oldest first.
#include "kernel/fs/mount.h"

#include <cstring>

#include "kernel/fs/namei.h"
#include "kernel/log.h"
#include "lib/list.h"
#include "mm/heap.h"

namespace {

struct Mount {
  ListNode m_link;                 // in g_mounts
  RefPtr<FileSystem> m_fs;
  RefPtr<Inode> m_root;
  RefPtr<Inode> m_mount_point;     // nullptr for the system root
  u32 m_flags = 0;                 // mount_flags::PER_MOUNT bits
  char* m_source = nullptr;        // kmalloc'ed
};

// mount_detach's flag for power-off: detach whatever uses the file system, and finish its unmount now.
constexpr u32 UNMOUNT_AT_SHUTDOWN = 1u << 31;

Spinlock g_mount_lock{"mounts"};
IntrusiveList<Mount, &Mount::m_link> g_mounts;  // guarded by g_mount_lock
Mount* g_system_root_mount = nullptr;           // set once at boot

Mount* find_by_root_locked(const Inode& root) {
  ASSERT_LOCKED(g_mount_lock);
  for (Mount& m : g_mounts)
    if (m.m_root.get() == &root) return &m;
  return nullptr;
}

Mount* find_by_fs_locked(const FileSystem& fs) {
  ASSERT_LOCKED(g_mount_lock);
  for (Mount& m : g_mounts)
    if (m.m_fs.get() == &fs) return &m;
  return nullptr;
}

// Recompute the flags of an inode from the table (after a mount left).
void update_flags_locked(Inode& inode) {
  ASSERT_LOCKED(g_mount_lock);
  u32 flags = 0;
  for (Mount& m : g_mounts) {
    if (m.m_mount_point.get() == &inode) flags |= Inode::MOUNTED_ON;
    if (m.m_root.get() == &inode) flags |= Inode::MOUNT_ROOT;
  }
  inode.m_mount_flags.store(flags, MemoryOrder::Release);
}

void destroy(Mount* m) {
  if (!m) return;
  kfree(m->m_source);
  m->~Mount();
  kfree(m);
}

// A snapshot of the mounts (references held), so that callers can call into file systems without the lock.
struct MountList {
  struct Item {
    RefPtr<FileSystem> fs;
    RefPtr<Inode> root;
    u32 flags;
    char* source;  // kmalloc'ed copy
  };
  Item* items = nullptr;
  usize count = 0;

  ~MountList() {
    for (usize i = 0; i < count; i++) {
      kfree(items[i].source);
      items[i].~Item();
    }
    kfree(items);
  }

  Result<void> take() {
    for (;;) {
      usize capacity;
      {
        SpinlockGuard guard(g_mount_lock);
        capacity = g_mounts.size_slow();
      }
      items = static_cast<Item*>(kzalloc(sizeof(Item) * (capacity ? capacity : 1)));
      if (!items) return Error::NOMEM;
      SpinlockGuard guard(g_mount_lock);
      if (g_mounts.size_slow() > capacity) {  // a mount arrived in between: try again
        guard.unlock();
        kfree(items);
        items = nullptr;
        continue;
      }
      for (Mount& m : g_mounts) {
        Item* item = new (&items[count]) Item{m.m_fs, m.m_root, m.m_flags, nullptr};
        count++;
        usize len = strlen(m.m_source);
        item->source = static_cast<char*>(kmalloc(len + 1));  // the heap may be used under spinlocks
        if (item->source) memcpy(item->source, m.m_source, len + 1);
      }
      return {};
    }
  }
};

}  // namespace

Result<void> mount_attach(FileSystem& fs, Inode* mount_point, const char* source, u32 flags) {
  RefPtr<Inode> root = TRY(fs.root());
  if (mount_point && mount_point->is_directory() != root->is_directory()) return Error::NOTDIR;
  void* memory = kmalloc(sizeof(Mount));
  if (!memory) return Error::NOMEM;
  Mount* m = new (memory) Mount();
  usize len = strlen(source);
  m->m_source = static_cast<char*>(kmalloc(len + 1));
  if (!m->m_source) {
    destroy(m);
    return Error::NOMEM;
  }
  memcpy(m->m_source, source, len + 1);
  m->m_fs = RefPtr<FileSystem>(&fs);
  m->m_root = root;
  m->m_mount_point = RefPtr<Inode>(mount_point);
  m->m_flags = flags & mount_flags::PER_MOUNT;
  {
    SpinlockGuard guard(g_mount_lock);
    if (!mount_point && g_system_root_mount) {
      guard.unlock();
      destroy(m);
      return Error::BUSY;
    }
    if (find_by_fs_locked(fs)) {
      guard.unlock();
      destroy(m);
      return Error::BUSY;  // one mount per file system
    }
    g_mounts.push_back(*m);
    if (!mount_point) g_system_root_mount = m;
    if (mount_point) mount_point->m_mount_flags.fetch_or(Inode::MOUNTED_ON, MemoryOrder::Release);
    root->m_mount_flags.fetch_or(Inode::MOUNT_ROOT, MemoryOrder::Release);
  }
  return {};
}

namespace {

// Move m and every mount below it (mounted on a directory of a file system being detached, at any depth) from
// the table to `tree`, in an order where each mount comes after the one it sits in. Lock held.
void take_tree_locked(Mount* m, IntrusiveList<Mount, &Mount::m_link>& tree) {
  ASSERT_LOCKED(g_mount_lock);
  g_mounts.remove(*m);
  tree.push_back(*m);
  for (bool moved = true; moved;) {
    moved = false;
    for (Mount& other : g_mounts) {
      if (!other.m_mount_point) continue;
      const FileSystem* under = &other.m_mount_point->file_system();
      bool is_below = false;
      for (Mount& t : tree) is_below = is_below || t.m_fs.get() == under;
      if (!is_below) continue;
      g_mounts.remove(other);
      tree.push_back(other);
      moved = true;
      break;  // the table changed under the iteration: look again
    }
  }
  for (Mount& t : tree) {
    if (t.m_mount_point) update_flags_locked(*t.m_mount_point);
    update_flags_locked(*t.m_root);
  }
}

}  // namespace

Result<void> mount_detach(Inode& root, u32 flags, u32 caller_references) {
  RefPtr<FileSystem> fs;
  {
    SpinlockGuard guard(g_mount_lock);
    Mount* m = find_by_root_locked(root);
    if (!m || m == g_system_root_mount) return Error::INVAL;
    if (!(flags & mount_flags::MNT_DETACH)) {
      // Another mount inside this file system keeps it in the name space.
      for (Mount& other : g_mounts)
        if (other.m_mount_point && &other.m_mount_point->file_system() == m->m_fs.get()) return Error::BUSY;
    }
    fs = m->m_fs;
  }
  // The busy check calls into the file system (which may sleep): outside the lock. A user that appears in
  // between can only come through the name space, which only root changes (Linux has the same window).
  if (!(flags & mount_flags::MNT_DETACH) && fs->is_busy(root, caller_references)) return Error::BUSY;
  // MNT_DETACH takes the mounts inside along (Linux's umount_tree): left in the table, they would keep the
  // detached file system alive through their mount points, and themselves for ever, out of every path's reach.
  IntrusiveList<Mount, &Mount::m_link> tree;
  {
    SpinlockGuard guard(g_mount_lock);
    Mount* m = find_by_root_locked(root);
    if (!m || m->m_fs != fs) return Error::INVAL;  // someone else unmounted it meanwhile
    take_tree_locked(m, tree);
  }
  // Innermost first: each file system is unmounted before the one it sits in. A lazy unmount (not the one at
  // shutdown) finishes when the last user lets go of each file system.
  bool is_lazy = (flags & mount_flags::MNT_DETACH) && !(flags & UNMOUNT_AT_SHUTDOWN);
  while (Mount* m = tree.back()) {
    tree.remove(*m);
    Result<void> flushed = m->m_fs->unmount(is_lazy ? FileSystem::Unmount::WhenUnused : FileSystem::Unmount::Now);
    if (flushed.is_error())
      LOG_WARN("umount: %s on %s: could not write everything back (%s)", m->m_fs->type_name(), m->m_source,
               error_name(flushed.error()));
    destroy(m);
  }
  return {};
}

Result<void> mount_reconfigure(Inode& root, u32 flags) {
  RefPtr<FileSystem> fs;
  {
    SpinlockGuard guard(g_mount_lock);
    Mount* m = find_by_root_locked(root);
    if (!m) return Error::INVAL;
    fs = m->m_fs;
  }
  TRY(fs->set_read_only(flags & mount_flags::RDONLY));
  SpinlockGuard guard(g_mount_lock);
  if (Mount* m = find_by_root_locked(root)) m->m_flags = flags & mount_flags::PER_MOUNT;
  return {};
}

RefPtr<Inode> mount_covering(Inode& mount_point) {
  SpinlockGuard guard(g_mount_lock);
  RefPtr<Inode> root;
  for (Mount& m : g_mounts)
    if (m.m_mount_point.get() == &mount_point) root = m.m_root;  // the newest wins
  return root;
}

RefPtr<Inode> mount_covered(Inode& root) {
  SpinlockGuard guard(g_mount_lock);
  Mount* m = find_by_root_locked(root);
  return m ? m->m_mount_point : nullptr;
}

RefPtr<Inode> mount_system_root() {
  SpinlockGuard guard(g_mount_lock);
  return g_system_root_mount ? g_system_root_mount->m_root : nullptr;
}

u32 mount_flags_of(const FileSystem& fs) {
  SpinlockGuard guard(g_mount_lock);
  Mount* m = find_by_fs_locked(fs);
  return m ? m->m_flags : 0;
}

Result<void> mount_print_table(TextBuilder& out, Inode& root) {
  MountList mounts;
  TRY(mounts.take());
  char* path = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
  if (!path) return Error::NOMEM;
  for (usize i = 0; i < mounts.count; i++) {
    MountList::Item& m = mounts.items[i];
    auto length = path_of(&root, m.root.get(), path, fs_limits::MAX_PATH);
    if (length.is_error()) continue;  // not below this root (or gone)
    out.appendf("%s %s %s %s", m.source ? m.source : "none", path, m.fs->type_name(),
                m.fs->is_read_only() ? "ro" : "rw");
    if (m.flags & mount_flags::NOSUID) out.append(",nosuid");
    if (m.flags & mount_flags::NODEV) out.append(",nodev");
    if (m.flags & mount_flags::NOEXEC) out.append(",noexec");
    if (m.flags & mount_flags::NOATIME) out.append(",noatime");
    if (m.flags & mount_flags::NODIRATIME) out.append(",nodiratime");
    if (m.flags & mount_flags::RELATIME) out.append(",relatime");
    out.append(m.fs->mount_options());
    out.append(" 0 0\n");
  }
  kfree(path);
  return {};
}

namespace {
// Calls op on every mounted file system; the first error.
Result<void> for_each_mounted(Result<void> (FileSystem::*op)()) {
  MountList mounts;
  TRY(mounts.take());
  Result<void> result;
  for (usize i = 0; i < mounts.count; i++) {
    auto done = (mounts.items[i].fs.get()->*op)();
    if (done.is_error() && !result.is_error()) result = done.error();
  }
  return result;
}
}  // namespace

Result<void> mount_sync_all() { return for_each_mounted(&FileSystem::sync); }
Result<void> mount_write_back_all() { return for_each_mounted(&FileSystem::write_back); }

void mount_shutdown() {
  for (;;) {
    RefPtr<Inode> root;
    {
      SpinlockGuard guard(g_mount_lock);
      Mount* newest = g_mounts.back();
      if (!newest || newest == g_system_root_mount) break;
      root = newest->m_root;
    }
    auto detached = mount_detach(*root, mount_flags::MNT_DETACH | UNMOUNT_AT_SHUTDOWN, 1);
    if (detached.is_error()) break;
  }
  auto synced = mount_sync_all();
  if (synced.is_error()) LOG_WARN("shutdown: sync failed (%s)", error_name(synced.error()));
}
