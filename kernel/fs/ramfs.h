// ramfs: the in-memory file system that holds the root (filled from the initramfs at boot), /dev and /tmp, and
// any tmpfs mounted later (RamFs, one per mount).
//
//   RamDirectory  a list of named entries (DirEntry), each holding a reference to its inode, in creation order.
//                 Each entry gets a cookie from a per-directory counter when it is created; getdents64 reports
//                 cookies as d_off, so a listing resumes correctly however entries come and go in between.
//                 "." and ".." are not stored: they are cookies 0 and 1, and ".." is m_parent, a raw back-link
//                 (the parent holds a reference to us, not the other way round, so there is no cycle).
//   RamFile       contents in a MemoryObject (mm/vm_object.h): read() and write() copy to and from the very
//                 frames that mmap maps. Holes are pages never touched (read as zeros, cost nothing).
//   RamSymlink    the target string.
//   RamDevice     a device number (character, block), a FIFO or a socket; open() is special_file_open
//                 (kernel/fs/devices.cpp): the device's driver, or the named-pipe code (kernel/fs/pipe.h).
//
// Locks, in the order they are taken:
//   RamFile::m_io_lock (sleeping)  serializes a file's reads, writes and truncation; held across user copies
//   g_namespace_lock (spinlock)    every directory's entries, cookies and m_parent, and every inode's link
//                                  count, in every RamFs: one lock for the whole name space keeps rename (two
//                                  directories, the loop check) simple; it is never held across a copy to or
//                                  from user memory, a sleep, or a call into another file system
//   Inode::m_lock                  permission bits and times
//   the MemoryObject's lock, then the frame allocator and the heap
#pragma once

#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/io_buffer.h"
#include "kernel/fs/sleep_lock.h"
#include "lib/list.h"
#include "mm/vm_object.h"

extern Spinlock g_namespace_lock;

// One name in a directory. Allocated with its name right behind it.
struct DirEntry {
  ListNode m_link;          // in the directory's m_entries, guarded by g_namespace_lock
  RefPtr<Inode> m_inode;
  u64 m_cookie = 0;
  u32 m_name_length = 0;

  const char* name() const { return reinterpret_cast<const char*>(this + 1); }
  bool has_name(const char* name, usize len) const;
  static DirEntry* create(const char* name, usize len, RefPtr<Inode> inode);
  static void destroy(DirEntry* entry);
};

class RamDirectory;

// One in-memory file system: the boot root ("rootfs"), a tmpfs, or a private tree for the self-test.
class RamFs final : public FileSystem {
 public:
  // type_name: "rootfs", "tmpfs" or "ramfs"; device: its st_dev. The root directory is made with the file
  // system: the caller holds it (until it is mounted, the only reference). size_pages: the most pages its files
  // may hold (tmpfs's size=; past it writes fail with ENOSPC), or NO_LIMIT (ramfs: only memory limits it).
  static constexpr u64 NO_LIMIT = ~0ull;
  static Result<RefPtr<RamDirectory>> create(const char* type_name, u64 device, u32 root_permissions,
                                             u64 size_pages = NO_LIMIT);
  // Linux's default size for a tmpfs (and the rootfs it makes when no root= is given): half of RAM.
  static u64 default_size_pages();
  // Boot, once the initramfs archive's frames are free: the root file system takes the default size of the RAM
  // the kernel now has (at vfs_init the archive still held part of it).
  void set_size_pages(u64 size_pages);

  const char* type_name() const override { return m_type_name; }
  Result<RefPtr<Inode>> root() override;
  Result<void> statfs(linux::statfs& out) override;
  // Busy if an inode of the tree has references other than its names' (an open file, a working directory),
  // or more inodes live than the tree holds (an open file that has lost its last name).
  bool is_busy(Inode& root, u32 caller_references) override;

 private:
  friend class RamDirectory;
  friend class RamFile;
  RamFs(const char* type_name, u64 device) : FileSystem(device), m_type_name(type_name) {}
  const char* m_type_name;
  RefPtr<PageBudget> m_budget;  // shared by every file's MemoryObject; nullptr: no limit
  RamDirectory* m_root = nullptr;  // back-link, cleared when the root goes (the mount holds the root)
};

class RamDirectory final : public Inode {
 public:
  ~RamDirectory() override;

  u64 size() const override;
  Result<RefPtr<File>> open(u32 flags) override;
  Result<RefPtr<Inode>> lookup(const char* name, usize len) override;
  Result<RefPtr<Inode>> parent() override;
  Result<void> list(u64 cookie, DirSink& sink) override;
  Result<usize> name_of(const Inode& child, char* buffer, usize size) override;

  // The name-space operations (kernel/fs/inode.h). Each takes g_namespace_lock.
  Result<RefPtr<Inode>> create(const char* name, usize len, const NewInode& what, CreateMode mode) override;
  Result<RefPtr<Inode>> create_unnamed(const NewInode& what) override;
  Result<void> link(const char* name, usize len, Inode& inode) override;
  Result<void> unlink(const char* name, usize len, UnlinkKind kind) override;
  Result<void> rename(const char* name, usize len, Inode& new_dir, const char* new_name, usize new_len,
                      u32 flags) override;

  // For the boot code (the root's /dev and /tmp, the initramfs): a subdirectory, as its own type.
  Result<RefPtr<RamDirectory>> make_directory(const char* name, usize len, u32 permissions);

  bool is_root() const { return m_is_root; }
  bool is_removed() const;
  RamFs& ram_fs() const { return static_cast<RamFs&>(file_system()); }

 private:
  friend class RamFs;
  RamDirectory(RamFs& fs, u32 permissions, RamDirectory* parent);
  static RamDirectory* as_ram_directory(Inode& inode);
  DirEntry* find_locked(const char* name, usize len) const;
  void insert_locked(DirEntry* entry);
  Result<void> check_can_add_locked(const char* name, usize len) const;
  Result<RefPtr<Inode>> create_file(const char* name, usize len, const NewInode& what, CreateMode mode);
  enum class LinkCount : u8 { Unchanged, Increment };
  Result<void> add_entry(const char* name, usize len, RefPtr<Inode> inode, LinkCount count);
  bool is_empty_locked() const;
  // Mark a child directory removed (rmdir, or replaced by rename). Its ".." keeps leading to its former
  // parent, as on Linux, through a reference (the parent no longer names it, so there is no cycle) — unless
  // the parent is being destroyed itself.
  enum class KeepParent : u8 { No, Yes };
  static void detach_directory_locked(RamDirectory& dir, KeepParent keep);

  IntrusiveList<DirEntry, &DirEntry::m_link> m_entries;  // in cookie order, guarded by g_namespace_lock
  u64 m_next_cookie = 2;          // guarded by g_namespace_lock
  u64 m_entry_count = 0;          // guarded by g_namespace_lock
  RamDirectory* m_parent;         // back-link, guarded by g_namespace_lock; nullptr for a root or once removed
  RefPtr<Inode> m_former_parent;  // ".." once removed; guarded by g_namespace_lock
  const bool m_is_root;
  bool m_is_removed = false;      // guarded by g_namespace_lock
};

class RamFile final : public Inode {
 public:
  // Files can have holes anywhere below this (the page index of a MemoryObject has 27 bits).
  static constexpr u64 MAX_SIZE = MemoryObject::MAX_PAGES * PAGE_SIZE;

  // object_name is what /proc/PID/maps shows for mappings of the file (its path).
  static Result<RefPtr<RamFile>> create(RamFs& fs, u32 permissions, const char* object_name);
  ~RamFile() override;

  u64 size() const override;
  u64 blocks() const override;
  Result<RefPtr<File>> open(u32 flags) override;
  // The data operations (kernel/fs/inode.h); write fails only for a bad buffer (EFAULT) or lack of memory.
  Result<usize> read(const IoBuffer& buffer, usize len, u64 offset) override;
  Result<usize> write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode) override;
  Result<void> truncate(u64 size) override;
  Result<void> fallocate(u32 mode, u64 offset, u64 len) override;
  Result<RefPtr<VmObject>> mmap_object() override;
  u64 max_file_size() const override { return MAX_SIZE; }
  RefPtr<MemoryObject> object() const { return m_object; }

  // All the RamFiles that exist (for /proc/meminfo: file pages that are not shared anonymous memory).
  static u64 total_resident_pages();

  ListNode m_all_link;  // in the list of all RamFiles (ramfs_file.cpp), guarded by that list's lock

 private:
  RamFile(RamFs& fs, u32 permissions);
  void set_size_locked(u64 size);
  void shrink_object_locked();

  SleepLock m_io_lock{"ramfs-file"};
  RefPtr<MemoryObject> m_object;  // set at creation, never changes
  // The file's size. Written holding m_io_lock and m_lock, so holding either gives a stable value. The
  // object is at least this big; past the size its bytes are zero (see ramfs_file.cpp).
  u64 m_size = 0;
};

class RamSymlink final : public Inode {
 public:
  static Result<RefPtr<RamSymlink>> create(RamFs& fs, const char* target, usize len);
  ~RamSymlink() override;
  u64 size() const override { return m_length; }
  Result<usize> readlink(char* buffer, usize size) override;

 private:
  RamSymlink(RamFs& fs, char* target, usize len);
  char* m_target;  // not NUL-terminated; immutable
  usize m_length;
};

class RamDevice final : public Inode {
 public:
  static Result<RefPtr<RamDevice>> create(RamFs& fs, InodeType type, u32 permissions, u64 rdev);
  Result<RefPtr<File>> open(u32 flags) override;

 private:
  RamDevice(RamFs& fs, InodeType type, u32 permissions, u64 rdev);
};
