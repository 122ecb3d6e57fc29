// ramfs directories (kernel/fs/ramfs.h): named entries, link counts, and the name-space operations with the
// errnos Linux gives.
//
// Every operation here holds g_namespace_lock only while it looks at or changes entries. Memory is allocated
// before taking it, and entries (with the references to their inodes) are destroyed after dropping it:
// dropping the last reference to an inode frees its pages, which has no business under the name-space lock.
#include <cstring>
#include <new>

#include "kernel/fs/open_file.h"
#include "kernel/fs/ramfs.h"
#include "mm/heap.h"

Spinlock g_namespace_lock{"namespace"};

namespace {

// What tmpfs reports as a directory's size per entry (BOGO_DIRENT_SIZE): any size would do, this one matches.
constexpr u64 BOGO_DIRENT_SIZE = 20;

}  // namespace

// ---- DirEntry ----

bool DirEntry::has_name(const char* other, usize len) const {
  return m_name_length == len && memcmp(name(), other, len) == 0;
}

DirEntry* DirEntry::create(const char* name, usize len, RefPtr<Inode> inode) {
  void* memory = kmalloc(sizeof(DirEntry) + len + 1);
  if (!memory) return nullptr;
  auto* entry = new (memory) DirEntry();
  entry->m_inode = static_cast<RefPtr<Inode>&&>(inode);
  entry->m_name_length = static_cast<u32>(len);
  char* copy = reinterpret_cast<char*>(entry + 1);
  memcpy(copy, name, len);
  copy[len] = '\0';
  return entry;
}

void DirEntry::destroy(DirEntry* entry) {
  if (!entry) return;
  entry->~DirEntry();
  kfree(entry);
}

// ---- RamFs ----

u64 RamFs::default_size_pages() { return g_phys.total_frames() / 2; }

Result<RefPtr<RamDirectory>> RamFs::create(const char* type_name, u64 device, u32 root_permissions,
                                           u64 size_pages) {
  auto* fs = new RamFs(type_name, device);
  if (!fs) return Error::NOMEM;
  RefPtr<RamFs> fs_ref = RefPtr<RamFs>::adopt(fs);  // the root's reference keeps it from here on
  if (size_pages != NO_LIMIT) {
    fs->m_budget = PageBudget::create(size_pages);
    if (!fs->m_budget) return Error::NOMEM;
  }
  auto* root = new RamDirectory(*fs, root_permissions, nullptr);
  if (!root) return Error::NOMEM;
  fs->m_root = root;
  return RefPtr<RamDirectory>::adopt(root);
}

Result<RefPtr<Inode>> RamFs::root() {
  SpinlockGuard guard(g_namespace_lock);
  if (!m_root) return Error::NOENT;
  return RefPtr<Inode>(m_root);
}

void RamFs::set_size_pages(u64 size_pages) {
  if (m_budget) m_budget->set_limit(size_pages);
}

Result<void> RamFs::statfs(linux::statfs& out) {
  TRY(FileSystem::statfs(out));
  out.f_type = strcmp(m_type_name, "tmpfs") == 0 ? linux::TMPFS_MAGIC : linux::RAMFS_MAGIC;
  // ramfs has no size limit and reports no blocks at all (as Linux's ramfs does); a tmpfs reports its size and
  // what its files hold (df).
  if (m_budget) {
    u64 limit = m_budget->limit(), used = m_budget->used();
    out.f_blocks = limit;
    out.f_bfree = out.f_bavail = used < limit ? limit - used : 0;
  }
  return {};
}

// Walks the tree without recursion (a deep tree must not overflow the kernel stack): down into the first
// subdirectory, and back up through m_parent to continue after the entry that named it.
bool RamFs::is_busy(Inode& root_inode, u32 caller_references) {
  SpinlockGuard guard(g_namespace_lock);
  if (!m_root || &root_inode != m_root) return true;
  if (m_root->ref_count() > 1 + caller_references) return true;
  u64 held = 1;  // inodes the tree holds: the root, each subdirectory, each name of another inode
  RamDirectory* dir = m_root;
  DirEntry* e = dir->m_entries.front();
  for (;;) {
    if (!e) {
      if (dir == m_root) break;
      RamDirectory* parent = dir->m_parent;
      DirEntry* named = nullptr;
      for (DirEntry& p : parent->m_entries)
        if (p.m_inode.get() == dir) named = &p;
      if (!named) return true;  // cannot happen: a live subdirectory is named in its parent
      dir = parent;
      e = dir->m_entries.next_of(*named);
      continue;
    }
    Inode& inode = *e->m_inode;
    held++;
    if (inode.is_directory()) {
      if (inode.ref_count() > 1) return true;  // a working directory, an open directory
      dir = static_cast<RamDirectory*>(&inode);
      e = dir->m_entries.front();
      continue;
    }
    if (inode.ref_count() > inode.nlink()) return true;  // each name holds one reference
    e = dir->m_entries.next_of(*e);
  }
  return live_inodes() > held;
}

// ---- RamDirectory ----

RamDirectory::RamDirectory(RamFs& fs, u32 permissions, RamDirectory* parent)
    : Inode(InodeType::Directory, permissions, fs), m_parent(parent), m_is_root(parent == nullptr) {
  m_nlink.store(2, MemoryOrder::Relaxed);  // its name in the parent, and "."
}

// Within one RamFs, every directory is a RamDirectory (the name-space operations are only called with
// directories of the same file system: kernel/fs/namei.cpp checks).
RamDirectory* RamDirectory::as_ram_directory(Inode& inode) {
  ASSERT(inode.is_directory());
  return static_cast<RamDirectory*>(&inode);
}

// Only a root is destroyed with entries left (an unmounted tmpfs, the self-test's private tree): its
// subdirectories may outlive it (someone's working directory), so they must forget their back-link first.
RamDirectory::~RamDirectory() {
  IntrusiveList<DirEntry, &DirEntry::m_link> doomed;
  {
    SpinlockGuard guard(g_namespace_lock);
    if (m_is_root && ram_fs().m_root == this) ram_fs().m_root = nullptr;
    while (DirEntry* e = m_entries.pop_front()) {
      if (e->m_inode->is_directory()) {
        RamDirectory* child = as_ram_directory(*e->m_inode);
        if (child->m_parent == this) detach_directory_locked(*child, KeepParent::No);
      }
      doomed.push_back(*e);
    }
  }
  while (DirEntry* e = doomed.pop_front()) DirEntry::destroy(e);
}

bool RamDirectory::is_empty_locked() const {
  ASSERT_LOCKED(g_namespace_lock);
  return m_entries.is_empty();
}

bool RamDirectory::is_removed() const {
  SpinlockGuard guard(g_namespace_lock);
  return m_is_removed;
}

u64 RamDirectory::size() const {
  SpinlockGuard guard(g_namespace_lock);
  return (m_entry_count + 2) * BOGO_DIRENT_SIZE;
}

Result<RefPtr<File>> RamDirectory::open(u32 flags) { return directory_file_open(*this, flags); }

DirEntry* RamDirectory::find_locked(const char* name, usize len) const {
  ASSERT(g_namespace_lock.is_held());
  for (DirEntry& e : m_entries)
    if (e.has_name(name, len)) return &e;
  return nullptr;
}

void RamDirectory::insert_locked(DirEntry* entry) {
  ASSERT_LOCKED(g_namespace_lock);
  entry->m_cookie = m_next_cookie++;
  m_entries.push_back(*entry);
  m_entry_count++;
}

Result<void> RamDirectory::check_can_add_locked(const char* name, usize len) const {
  ASSERT_LOCKED(g_namespace_lock);
  if (m_is_removed) return Error::NOENT;  // Linux: creating in a removed directory is ENOENT
  if (find_locked(name, len)) return Error::EXIST;
  return {};
}

void RamDirectory::detach_directory_locked(RamDirectory& dir, KeepParent keep) {
  ASSERT_LOCKED(g_namespace_lock);
  if (keep == KeepParent::Yes && dir.m_parent) dir.m_former_parent = RefPtr<Inode>(dir.m_parent);
  dir.m_parent = nullptr;
  dir.m_is_removed = true;
  dir.m_nlink.store(0, MemoryOrder::Relaxed);
}

Result<RefPtr<Inode>> RamDirectory::lookup(const char* name, usize len) {
  SpinlockGuard guard(g_namespace_lock);
  if (m_is_removed) return Error::NOENT;
  DirEntry* e = find_locked(name, len);
  if (!e) return Error::NOENT;
  return e->m_inode;
}

Result<RefPtr<Inode>> RamDirectory::parent() {
  SpinlockGuard guard(g_namespace_lock);
  if (m_is_root) return RefPtr<Inode>(this);
  if (m_is_removed) {
    if (!m_former_parent) return Error::NOENT;
    return m_former_parent;
  }
  // The parent is alive: it names us, and removing or moving us (which changes m_parent) needs this lock.
  return RefPtr<Inode>(m_parent);
}

Result<void> RamDirectory::list(u64 cookie, DirSink& sink) {
  SpinlockGuard guard(g_namespace_lock);
  if (m_is_removed) return {};  // Linux lists nothing at all, not even "." and "..", in a removed directory
  if (cookie == 0 && !sink.emit(1, number(), linux::DT_DIR, ".", 1)) return {};
  if (cookie <= 1) {
    u64 parent_number = m_is_root || !m_parent ? number() : m_parent->number();
    if (!sink.emit(2, parent_number, linux::DT_DIR, "..", 2)) return {};
  }
  for (DirEntry& e : m_entries) {
    if (e.m_cookie < cookie) continue;
    if (!sink.emit(e.m_cookie + 1, e.m_inode->number(), dirent_type(e.m_inode->type()), e.name(), e.m_name_length))
      return {};
  }
  return {};
}

Result<usize> RamDirectory::name_of(const Inode& child, char* buffer, usize size) {
  SpinlockGuard guard(g_namespace_lock);
  for (DirEntry& e : m_entries) {
    if (e.m_inode.get() != &child) continue;
    if (e.m_name_length > size) return Error::NAMETOOLONG;
    memcpy(buffer, e.name(), e.m_name_length);
    return e.m_name_length;
  }
  return Error::NOENT;
}

Result<RefPtr<RamDirectory>> RamDirectory::make_directory(const char* name, usize len, u32 permissions) {
  auto* child = new RamDirectory(ram_fs(), permissions, this);
  if (!child) return Error::NOMEM;
  RefPtr<RamDirectory> ref = RefPtr<RamDirectory>::adopt(child);
  auto added = add_entry(name, len, ref, LinkCount::Unchanged);
  if (added.is_error()) {
    child->m_parent = nullptr;  // never linked
    return added.error();
  }
  return ref;
}

// ramfs_tmpfile: a file of the same file system that no directory names (it goes when its last user does).
Result<RefPtr<Inode>> RamDirectory::create_unnamed(const NewInode& what) {
  {
    SpinlockGuard guard(g_namespace_lock);
    if (m_is_removed) return Error::NOENT;
  }
  RefPtr<RamFile> file = TRY(RamFile::create(ram_fs(), what.permissions, what.object_name));
  set_links(*file, 0);  // no name links to it (Linux: d_tmpfile)
  return RefPtr<Inode>(static_cast<RefPtr<RamFile>&&>(file));
}

Result<RefPtr<Inode>> RamDirectory::create(const char* name, usize len, const NewInode& what, CreateMode mode) {
  RefPtr<Inode> inode;
  switch (what.type) {
    case InodeType::Regular: return create_file(name, len, what, mode);
    case InodeType::Directory: inode = TRY(make_directory(name, len, what.permissions)); break;
    case InodeType::Symlink: {
      RefPtr<RamSymlink> link = TRY(RamSymlink::create(ram_fs(), what.target, what.target_length));
      TRY(add_entry(name, len, link, LinkCount::Unchanged));
      inode = link;
      break;
    }
    default: {
      RefPtr<RamDevice> node = TRY(RamDevice::create(ram_fs(), what.type, what.permissions, what.rdev));
      TRY(add_entry(name, len, node, LinkCount::Unchanged));
      inode = node;
      break;
    }
  }
  if (what.uid || what.gid) {
    AttributeChange owner{AttributeChange::Uid | AttributeChange::Gid, 0, what.uid, what.gid, 0, 0};
    TRY(inode->set_attributes(owner));
  }
  return inode;
}

Result<RefPtr<Inode>> RamDirectory::create_file(const char* name, usize len, const NewInode& what, CreateMode mode) {
  // The common case of open(O_CREAT) finds the file: look before allocating anything.
  {
    SpinlockGuard guard(g_namespace_lock);
    if (m_is_removed) return Error::NOENT;
    if (DirEntry* e = find_locked(name, len)) {
      if (mode == CreateMode::Exclusive) return Error::EXIST;
      return e->m_inode;
    }
  }
  RefPtr<RamFile> file = TRY(RamFile::create(ram_fs(), what.permissions, what.object_name));
  if (what.uid || what.gid) {
    AttributeChange owner{AttributeChange::Uid | AttributeChange::Gid, 0, what.uid, what.gid, 0, 0};
    TRY(file->set_attributes(owner));
  }
  DirEntry* entry = DirEntry::create(name, len, file);
  if (!entry) return Error::NOMEM;
  RefPtr<Inode> result;
  Error error = Error::EXIST;
  {
    SpinlockGuard guard(g_namespace_lock);
    if (m_is_removed) {
      error = Error::NOENT;
    } else if (DirEntry* e = find_locked(name, len)) {
      // Someone created it since we looked.
      if (mode == CreateMode::OpenExisting) result = e->m_inode;
    } else {
      insert_locked(entry);
      entry = nullptr;
      result = file;
    }
  }
  DirEntry::destroy(entry);
  if (!result) return error;
  touch_modified();
  return result;
}

// Names inode here, if the name is free. A new subdirectory's ".." links back to this one, so this directory's
// link count grows; another inode's grows when it gets a further name (LinkCount::Increment), not when a freshly
// created inode (count already 1) gets its first.
Result<void> RamDirectory::add_entry(const char* name, usize len, RefPtr<Inode> inode, LinkCount count) {
  Inode* target = inode.get();
  DirEntry* entry = DirEntry::create(name, len, static_cast<RefPtr<Inode>&&>(inode));
  if (!entry) return Error::NOMEM;
  Result<void> added;
  {
    SpinlockGuard guard(g_namespace_lock);
    added = check_can_add_locked(name, len);
    if (!added.is_error()) {
      insert_locked(entry);
      entry = nullptr;
      if (target->is_directory())
        m_nlink.fetch_add(1, MemoryOrder::Relaxed);
      else if (count == LinkCount::Increment)
        adjust_links(*target, 1);
    }
  }
  DirEntry::destroy(entry);
  if (added.is_error()) return added.error();
  touch_modified();
  return {};
}

Result<void> RamDirectory::link(const char* name, usize len, Inode& inode) {
  if (inode.is_directory()) return Error::PERM;
  TRY(add_entry(name, len, RefPtr<Inode>(&inode), LinkCount::Increment));
  inode.touch_changed();
  return {};
}

Result<void> RamDirectory::unlink(const char* name, usize len, UnlinkKind kind) {
  DirEntry* removed = nullptr;
  {
    SpinlockGuard guard(g_namespace_lock);
    if (m_is_removed) return Error::NOENT;
    DirEntry* e = find_locked(name, len);
    if (!e) return Error::NOENT;
    Inode& inode = *e->m_inode;
    if (kind == UnlinkKind::NonDirectory) {
      if (inode.is_directory()) return Error::ISDIR;
      adjust_links(inode, -1);
    } else {
      if (!inode.is_directory()) return Error::NOTDIR;
      RamDirectory* dir = as_ram_directory(inode);
      if (!dir->is_empty_locked()) return Error::NOTEMPTY;
      detach_directory_locked(*dir, KeepParent::Yes);
      m_nlink.fetch_sub(1, MemoryOrder::Relaxed);
    }
    m_entries.remove(*e);
    m_entry_count--;
    removed = e;
  }
  touch_modified();
  removed->m_inode->touch_changed();
  DirEntry::destroy(removed);
  return {};
}

Result<void> RamDirectory::rename(const char* from_name, usize from_len, Inode& new_dir, const char* to_name,
                                  usize to_len, u32 flags) {
  RamDirectory& from = *this;
  RamDirectory& to = *as_ram_directory(new_dir);
  // The moved inode gets a new entry (the name changes); allocate it before taking the lock.
  DirEntry* moved = DirEntry::create(to_name, to_len, nullptr);
  if (!moved) return Error::NOMEM;
  DirEntry* old_entry = nullptr;       // the source's entry, destroyed after unlocking
  DirEntry* replaced = nullptr;        // the entry the rename replaced, likewise
  Error error = Error::NOENT;
  bool ok = false;
  {
    SpinlockGuard guard(g_namespace_lock);
    do {
      if (from.m_is_removed || to.m_is_removed) break;
      DirEntry* source = from.find_locked(from_name, from_len);
      if (!source) break;
      DirEntry* target = to.find_locked(to_name, to_len);
      Inode& inode = *source->m_inode;
      // Two names of the same inode: Linux does nothing and succeeds.
      if (target && target->m_inode.get() == &inode) {
        ok = true;
        break;
      }
      if (target && (flags & RenameFlag::NoReplace)) {
        error = Error::EXIST;
        break;
      }
      RamDirectory* moved_dir = nullptr;
      RamDirectory* target_dir = nullptr;
      if (inode.is_directory()) {
        moved_dir = as_ram_directory(inode);
        // A directory cannot move below itself.
        bool inside = false;
        for (RamDirectory* d = &to; d; d = d->m_parent) inside |= d == moved_dir;
        if (inside) {
          error = Error::INVAL;
          break;
        }
        if (target) {
          if (!target->m_inode->is_directory()) {
            error = Error::NOTDIR;
            break;
          }
          target_dir = as_ram_directory(*target->m_inode);
          if (!target_dir->is_empty_locked()) {
            error = Error::NOTEMPTY;
            break;
          }
        }
      } else if (target && target->m_inode->is_directory()) {
        error = Error::ISDIR;
        break;
      }
      // Commit: remove what the new name named, then move the entry.
      if (target) {
        if (target_dir) {
          detach_directory_locked(*target_dir, KeepParent::Yes);
          to.m_nlink.fetch_sub(1, MemoryOrder::Relaxed);
        } else {
          adjust_links(*target->m_inode, -1);
        }
        to.m_entries.remove(*target);
        to.m_entry_count--;
        replaced = target;
      }
      from.m_entries.remove(*source);
      from.m_entry_count--;
      moved->m_inode = static_cast<RefPtr<Inode>&&>(source->m_inode);
      to.insert_locked(moved);
      old_entry = source;
      if (moved_dir && &from != &to) {
        moved_dir->m_parent = &to;
        from.m_nlink.fetch_sub(1, MemoryOrder::Relaxed);
        to.m_nlink.fetch_add(1, MemoryOrder::Relaxed);
      }
      moved = nullptr;
      ok = true;
    } while (false);
  }
  DirEntry::destroy(moved);
  DirEntry::destroy(old_entry);
  DirEntry::destroy(replaced);
  if (!ok) return error;
  from.touch_modified();
  to.touch_modified();
  return {};
}
