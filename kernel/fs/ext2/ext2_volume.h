// Ext2Volume: one mounted ext2 file system on a block device — the whole of the on-disk format behind a small
// interface of inode numbers, names and kernel buffers, with no tie to the VFS (kernel/fs/ext2/ext2_vfs.h
// wraps it in Inode objects). The host tests drive it directly over images made by mke2fs (tests/host/fs/).
//
//   ext2_volume.cpp   mounting (every superblock and group-descriptor field checked), sync, unmount, the
//                     inode table, error handling, statfs
//   ext2_alloc.cpp    the block and inode bitmaps: allocation near a goal, freeing
//   ext2_blocks.cpp   an inode's block tree (direct, indirect, doubly and triply indirect), file data, truncate
//   ext2_dir.cpp      directories (linear, rec_len-chained entries) and the name operations
//
// Metadata goes through the buffer cache (kernel/fs/ext2/block_cache.h). File data moves straight between the
// disk and the caller's buffer (kernel heap or a frame: the disk reads into it), block by block, coalescing
// runs of consecutive blocks: read_data/write_data are what a page cache needs to fill and clean a page.
//
// Corruption found on the disk (a block number outside the volume, a bad rec_len, a directory that is its own
// ancestor, a free inode named in a directory) never panics: the operation fails with EIO, the kernel log
// says what and where, the volume is marked as having errors (s_state, for e2fsck) and is remounted read-only.
// A disk read error fails the call with EIO; a full volume gives ENOSPC.
//
// Inodes that lose their last name while someone still uses them (an open file) are freed when the last user
// lets go: hold() and release() count the users; unlink/rmdir/rename free at once an inode nobody holds.
//
// Lock: m_lock, a sleeping lock, serializes every operation on the volume (it is held across disk I/O, never
// across a copy to or from user memory: callers pass kernel buffers). The observer is called with it held.
#pragma once

#include "kernel/fs/ext2/block_cache.h"
#include "kernel/fs/ext2/ext2_format.h"
#include "kernel/fs/ext2/ext2_platform.h"

// What stat(2) needs of an inode.
struct Ext2Attributes {
  u32 ino = 0;
  u16 mode = 0;  // type and permission bits
  u16 links = 0;
  u32 uid = 0, gid = 0;
  u64 size = 0;
  u64 blocks = 0;  // 512-byte units
  u32 atime = 0, mtime = 0, ctime = 0;
  u64 rdev = 0;  // devices: Linux's new_encode_dev() form
  u64 sequence = 0;  // the volume's count of inode writes when these were read: a later copy has a larger one
};

// What create() makes: mode holds the type bits (regular, directory, symlink, devices, FIFO, socket).
struct Ext2NewNode {
  u16 mode = 0;
  u32 uid = 0, gid = 0;
  u64 rdev = 0;
  const char* target = nullptr;  // symbolic links
  usize target_length = 0;
};

struct Ext2AttributeChange {
  static constexpr u32 Mode = 1, Uid = 2, Gid = 4, AccessTime = 8, ModifyTime = 16;
  u32 what = 0;
  u16 permissions = 0;  // 07777 bits
  u32 uid = 0, gid = 0;
  u32 atime = 0, mtime = 0;
};

enum class Ext2Unlink : u8 { NonDirectory, Directory };

struct Ext2Statfs {
  u32 block_size;
  u64 blocks, free_blocks, available_blocks;  // available: free minus the blocks reserved for root
  u64 inodes, free_inodes;
  u64 fsid;
};

struct Ext2MountOptions {
  bool read_only = false;
  u16 errors = 0;              // ext2::ERRORS_*; 0: as the superblock says
  u32 cache_blocks = 256;      // capacity of the buffer cache
};

// Receives directory entries (list). `next` is the cookie at which a later listing resumes after this entry.
class Ext2DirVisitor {
 public:
  virtual bool emit(u64 next, u32 ino, u8 file_type, const char* name, usize len) = 0;

 protected:
  ~Ext2DirVisitor() = default;
};

// Told about every inode the volume writes (the VFS keeps its copy of the attributes equal).
class Ext2Observer {
 public:
  virtual void inode_changed(const Ext2Attributes& attributes) = 0;
  // Corruption was found: the volume is read-only from now on.
  virtual void remounted_read_only() = 0;

 protected:
  ~Ext2Observer() = default;
};

class Ext2Volume {
 public:
  // Reads and checks the superblock and group descriptors of the volume on `disk`. EINVAL for something that
  // is not ext2 or that this code cannot handle (the log says why), EIO if the disk fails, EACCES for a
  // read-write mount of a read-only disk. A read-write mount marks the volume not clean until unmount().
  static Result<Ext2Volume*> mount(RefPtr<BlockDevice> disk, const Ext2MountOptions& options);
  // Writes everything back and marks the volume clean (unless it had errors). The object stays usable
  // read-only until it is destroyed.
  Result<void> unmount();
  ~Ext2Volume();
  AS_NONCOPYABLE(Ext2Volume);

  Result<void> sync();
  // Whether the buffer cache holds changes not yet written (the flusher asks before syncing).
  bool has_dirty_blocks();
  bool is_read_only() const { return m_is_read_only; }
  // Remount: read-only flushes and marks the volume clean; read-write (EROFS if the volume had errors or has
  // features this code may not write) marks it not clean again.
  Result<void> set_read_only(bool read_only);
  void set_observer(Ext2Observer* observer) { m_observer = observer; }
  Ext2Statfs statfs();
  u32 block_size() const { return m_block_size; }
  u64 max_file_size() const { return m_max_file_size; }
  const char* name() const { return m_disk->name(); }
  BlockDevice& disk() const { return *m_disk; }
  u64 cache_disk_reads() const { return m_cache->disk_reads(); }

  // ---- inodes ----
  Result<Ext2Attributes> stat(u32 ino);
  Result<void> set_attributes(u32 ino, const Ext2AttributeChange& change);
  // Someone uses inode `ino` (an open file, a working directory): it is not freed while held.
  void hold(u32 ino);
  // The user let go; frees the inode if it has no name left and nobody else holds it.
  void release(u32 ino);

  // ---- names (directories) ----
  Result<u32> lookup(u32 dir, const char* name, usize len);
  // EEXIST, EMLINK (a directory's link count), ENOSPC, ENOENT (dir removed), ENOTDIR.
  Result<u32> create(u32 dir, const char* name, usize len, const Ext2NewNode& what);
  Result<void> link(u32 dir, const char* name, usize len, u32 ino);
  Result<void> unlink(u32 dir, const char* name, usize len, Ext2Unlink kind);
  // flags: 1 = RENAME_NOREPLACE.
  Result<void> rename(u32 from_dir, const char* from_name, usize from_len, u32 to_dir, const char* to_name,
                      usize to_len, u32 flags);
  // Entries from cookie on (cookies are byte offsets in the directory; "." and ".." are ordinary entries).
  Result<void> list(u32 dir, u64 cookie, Ext2DirVisitor& visitor);
  Result<u32> parent(u32 dir);
  // The name under which `child` is linked in `dir` (not "." or ".."). Returns its length.
  Result<usize> name_of(u32 dir, u32 child, char* buffer, usize size);
  Result<usize> readlink(u32 ino, char* buffer, usize size);

  // ---- file data ----
  // Up to len bytes at offset (0 at or past the end; holes read as zeros). `buffer` is direct-map memory.
  Result<usize> read_data(u32 ino, u64 offset, u8* buffer, usize len);
  // len bytes at offset, allocating blocks; returns the bytes written: fewer than len when the volume filled
  // up or the disk failed part way (ENOSPC/EIO when nothing was written). EFBIG past the largest file.
  Result<usize> write_data(u32 ino, u64 offset, const u8* buffer, usize len);
  // Whole pages of file data, page `first` of the file on, into pages[0 .. count) (page-sized direct-map buffers,
  // frames of the page cache): holes and what lies past the end of the file read as zeros. A run of blocks that
  // lie one after the other on the disk is read in one request of many segments (as many as the device takes):
  // read-ahead. An error (EIO, corruption) may leave any page unread: the caller reads them again one by one.
  Result<void> read_pages(u32 ino, u64 first, u8* const* pages, u32 count);
  Result<void> truncate(u32 ino, u64 size);
  // Whether file block `index` has a block on the disk (false: a hole).
  Result<bool> is_block_mapped(u32 ino, u64 index);

  // For tests: the number of inodes held.
  u32 held_inodes() const { return m_hold_count; }

 private:
  // An inode, read and changed in place in its inode-table block (which the reference holds).
  struct InodeRef {
    BlockRef block;
    ext2::Inode* raw = nullptr;
    u32 ino = 0;
    u16 type() const { return raw->i_mode & ext2::MODE_TYPE_MASK; }
    bool is_directory() const { return type() == ext2::MODE_DIR; }
    bool is_regular() const { return type() == ext2::MODE_REGULAR; }
    bool is_symlink() const { return type() == ext2::MODE_SYMLINK; }
  };
  struct Hold {
    u32 ino;
    u32 count;
    Hold* next;
  };
  enum class Allocate : u8 { No, Yes };

  Ext2Volume(RefPtr<BlockDevice> disk);
  Result<void> read_superblock(const Ext2MountOptions& options);
  Result<void> check_descriptors();
  Result<void> mark_mounted();

  // ext2_volume.cpp: inodes and errors
  Result<InodeRef> inode_locked(u32 ino);
  Result<InodeRef> live_inode_locked(u32 ino);
  void commit(InodeRef& inode);
  Ext2Attributes attributes_of(const InodeRef& inode) const;
  Result<void> check_writable_locked() const;
  // Report corruption: a log line naming the volume and what was found, s_state marked, read-only from now.
  // Returns EIO for the caller to pass on.
  Error corrupted(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  bool is_valid_block(u64 block) const;
  ext2::GroupDescriptor& descriptor(u32 group) const;
  void descriptor_changed(u32 group);
  void superblock_changed();
  Result<void> sync_locked();
  void maybe_free_inode_locked(u32 ino);
  Hold* find_hold(u32 ino) const;

  // ext2_alloc.cpp
  Result<u32> allocate_block_locked(u32 goal);
  Result<void> free_block_locked(u32 block);
  Result<u32> allocate_inode_locked(u32 parent, bool is_directory);
  Result<void> free_inode_locked(u32 ino, bool is_directory);

  // ext2_blocks.cpp
  Result<u32> map_locked(InodeRef& inode, u64 index, Allocate allocate, bool* is_new = nullptr);
  Result<void> free_blocks_from_locked(InodeRef& inode, u64 first_index);
  Result<bool> free_partial_locked(InodeRef& inode, u32 block, u32 level, u64 first);
  Result<void> free_tree_locked(InodeRef& inode, u32 block, u32 level);
  Result<void> zero_tail_locked(InodeRef& inode, u64 size);
  Result<void> destroy_inode_locked(u32 ino);
  u64 file_size(const InodeRef& inode) const;
  void set_file_size(InodeRef& inode, u64 size);
  bool has_data_blocks(const InodeRef& inode) const;
  void add_blocks(InodeRef& inode, i64 count);

  // ext2_dir.cpp
  class DirWalk;
  Result<u32> lookup_locked(InodeRef& dir, const char* name, usize len);
  Result<void> add_entry_locked(InodeRef& dir, const char* name, usize len, u32 ino, u8 file_type);
  Result<void> remove_entry_locked(InodeRef& dir, const char* name, usize len);
  Result<void> set_entry_locked(InodeRef& dir, const char* name, usize len, u32 ino, u8 file_type);
  Result<bool> is_empty_locked(InodeRef& dir);
  Result<void> check_not_ancestor_locked(u32 moved, u32 dir);
  Result<void> make_directory_block_locked(InodeRef& dir, u32 parent);
  Result<void> make_symlink_locked(InodeRef& link, const char* target, usize len);
  void clear_index_flag(InodeRef& dir);
  Result<void> drop_link_locked(InodeRef& inode, bool is_directory);

  RefPtr<BlockDevice> m_disk;
  mutable Ext2Mutex m_lock;
  BlockCache* m_cache = nullptr;
  Ext2Observer* m_observer = nullptr;

  // The superblock and the group descriptors, read and written in place in blocks the cache holds for as
  // long as the volume is mounted.
  BlockRef m_superblock_block;
  ext2::Superblock* m_super = nullptr;
  BlockRef* m_descriptor_blocks = nullptr;

  // Geometry, from the superblock.
  u32 m_block_size = 0;
  u32 m_block_shift = 0;
  u32 m_sectors_per_block = 0;
  u32 m_pointers_per_block = 0;
  u32 m_pointer_shift = 0;  // log2(m_pointers_per_block)
  u32 m_groups = 0;
  u32 m_descriptor_block_count = 0;
  u32 m_inode_size = 0;
  u32 m_first_inode = 0;
  u32 m_inode_table_blocks = 0;  // per group
  u64 m_max_file_size = 0;
  bool m_has_filetype = false;
  bool m_has_sparse_super = false;
  bool m_can_write = true;       // false: features this code may not write (mounted read-only)
  bool m_is_read_only = false;
  bool m_is_mounted = false;
  bool m_had_errors = false;     // corruption found: s_state gets STATE_ERROR
  u16 m_errors_behavior = ext2::ERRORS_RO;
  u64 m_free_blocks = 0;         // kept exact; written to the superblock at sync
  u64 m_free_inodes = 0;
  u64 m_sequence = 0;            // inode writes so far (Ext2Attributes::sequence)
  u32 m_last_group = 0;          // where the last inode allocation looked (spreads directories)
  u8* m_scratch = nullptr;       // one block, for partial blocks of file data

  // Inodes in use (hold/release): a small chained hash table.
  static constexpr u32 HOLD_BUCKETS = 64;
  Hold* m_holds[HOLD_BUCKETS] = {};
  u32 m_hold_count = 0;
};
