// ramfs: the in-memory file system that holds the root (filled from the initramfs at boot), /dev and /tmp.
//
//   RamDirectory  a list of named entries (DirEntry), each holding a reference to its inode, in creation order.
//                 Each entry gets a cookie from a per-directory counter when it is created; getdents64 reports
//                 cookies as d_off, so a listing resumes correctly however entries come and go in between.
//                 "." and ".." are not stored: they are cookies 0 and 1, and ".." is m_parent, a raw back-link
//                 (the parent holds a reference to us, not the other way round, so there is no cycle).
//   RamFile       contents in a MemoryObject (mm/vm_object.h): read() and write() copy to and from the very
//                 frames that mmap maps. Holes are pages never touched (read as zeros, cost nothing).
//   RamSymlink    the target string.
//   RamDevice     a character or block device number; open() asks the device table (kernel/fs/devices.cpp).
//
// Locks, in the order they are taken:
//   RamFile::m_io_lock (sleeping)  serializes a file's reads, writes and truncation; held across user copies
//   g_namespace_lock (spinlock)    every directory's entries, cookies and m_parent, and every inode's link
//                                  count: one lock for the whole name space keeps rename (two directories,
//                                  the loop check) simple; it is never held across a copy to or from user
//                                  memory, a sleep, or a call into /proc
//   Inode::m_lock                  permission bits and times
//   the MemoryObject's lock, then the frame allocator and the heap
#pragma once

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

enum class CreateMode : u8 { OpenExisting, Exclusive };
enum class UnlinkKind : u8 { NonDirectory, Directory };
namespace RenameFlag {
constexpr u32 NoReplace = 1;  // RENAME_NOREPLACE
}

class RamDirectory final : public Inode {
 public:
  // A new root directory ("/" of the system, or a private tree for the self-test).
  static RefPtr<RamDirectory> create_root(u32 permissions);
  ~RamDirectory() override;

  u64 size() const override;
  Result<RefPtr<File>> open(u32 flags) override;
  Result<RefPtr<Inode>> lookup(const char* name, usize len) override;
  Result<RefPtr<Inode>> parent() override;
  Result<void> list(u64 cookie, DirSink& sink) override;
  Result<usize> name_of(const Inode& child, char* buffer, usize size) override;
  RamDirectory* as_ram_directory() override { return this; }

  // Name-space operations. Each takes g_namespace_lock; EEXIST if the name is taken, ENOENT if this
  // directory has been removed. Names are single components (not ".", "..", nor containing '/').
  Result<RefPtr<RamDirectory>> make_directory(const char* name, usize len, u32 permissions);
  // A regular file named `name`; an existing entry is returned instead (OpenExisting) or is EEXIST.
  // object_name is what /proc/PID/maps shows for mappings of the file (its path).
  Result<RefPtr<Inode>> create_file(const char* name, usize len, u32 permissions, CreateMode mode,
                                    const char* object_name);
  Result<void> make_symlink(const char* name, usize len, const char* target, usize target_len);
  Result<void> make_device(const char* name, usize len, InodeType type, u32 permissions, u64 rdev);
  // A new name for an existing inode: a hard link, or attaching a file system's root (/proc).
  Result<void> link(const char* name, usize len, Inode& inode);
  // unlink(2) (NonDirectory) and rmdir(2) (Directory) with their errnos.
  Result<void> unlink(const char* name, usize len, UnlinkKind kind);
  // rename(2) within ramfs.
  static Result<void> rename(RamDirectory& from, const char* from_name, usize from_len, RamDirectory& to,
                             const char* to_name, usize to_len, u32 flags);

  bool is_root() const { return m_is_root; }
  bool is_removed() const;

 private:
  RamDirectory(u32 permissions, RamDirectory* parent);
  DirEntry* find_locked(const char* name, usize len) const;
  void insert_locked(DirEntry* entry);
  Result<void> check_can_add_locked(const char* name, usize len) const;
  enum class LinkCount : u8 { Unchanged, Increment };
  Result<void> add_entry(const char* name, usize len, RefPtr<Inode> inode, LinkCount count);
  bool is_empty_locked() const { return m_entries.is_empty(); }
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

enum class WriteMode : u8 { AtOffset, Append };

class RamFile final : public Inode {
 public:
  // Files can have holes anywhere below this (the page index of a MemoryObject has 27 bits).
  static constexpr u64 MAX_SIZE = RadixTable::MAX_INDEX * PAGE_SIZE;

  static Result<RefPtr<RamFile>> create(u32 permissions, const char* object_name);
  ~RamFile() override;

  u64 size() const override;
  u64 blocks() const override;
  Result<RefPtr<File>> open(u32 flags) override;
  RamFile* as_ram_file() override { return this; }

  // Copy up to len bytes at offset into buffer; 0 at or past the end. Holes read as zeros.
  Result<usize> read(const IoBuffer& buffer, usize len, u64 offset);
  // Copy len bytes from buffer into the file at offset (Append: at the end; offset receives where the write
  // started). Returns the bytes written: fewer than len only if the buffer faulted part way (EFAULT when
  // nothing was written) or memory ran out.
  Result<usize> write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode);
  // truncate(2): shrinking drops the pages past the end; growing adds a hole.
  Result<void> truncate(u64 size);
  RefPtr<MemoryObject> object() const { return m_object; }

  // All the RamFiles that exist (for /proc/meminfo: file pages that are not shared anonymous memory).
  static u64 total_resident_pages();

  ListNode m_all_link;  // in the list of all RamFiles (ramfs_file.cpp), guarded by that list's lock

 private:
  explicit RamFile(u32 permissions);
  bool is_mapped();
  void set_size_locked(u64 size);
  void shrink_object_locked();
  void zero_range_locked(u64 from, u64 to);

  SleepLock m_io_lock{"ramfs-file"};
  RefPtr<MemoryObject> m_object;  // set at creation, never changes
  // The file's size. Written holding m_io_lock and m_lock, so holding either gives a stable value. The
  // object is at least this big; past the size its bytes are zero (see ramfs_file.cpp).
  u64 m_size = 0;
};

class RamSymlink final : public Inode {
 public:
  static Result<RefPtr<RamSymlink>> create(const char* target, usize len);
  ~RamSymlink() override;
  u64 size() const override { return m_length; }
  Result<usize> readlink(char* buffer, usize size) override;

 private:
  RamSymlink(char* target, usize len);
  char* m_target;  // not NUL-terminated; immutable
  usize m_length;
};

class RamDevice final : public Inode {
 public:
  static Result<RefPtr<RamDevice>> create(InodeType type, u32 permissions, u64 rdev);
  Result<RefPtr<File>> open(u32 flags) override;

 private:
  RamDevice(InodeType type, u32 permissions, u64 rdev);
};
