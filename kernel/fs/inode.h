// Inodes: the files themselves, as opposed to open files (File, kernel/fs/file.h) and names (directory
// entries). Every kind of file is an Inode subclass, and every inode belongs to one FileSystem
// (kernel/fs/file_system.h):
//
//   RamDirectory, RamFile, RamSymlink, RamDevice   the in-memory file systems (kernel/fs/ramfs.h)
//   the /proc inodes                               generated on lookup (kernel/fs/procfs.cpp)
//   Ext2Inode                                      a file on an ext2 volume (kernel/fs/ext2/ext2_vfs.h)
//
// An inode lives as long as something refers to it: a directory entry (ramfs's links), an open file, a
// process's working directory, a mount, a path walk in progress. Unlinking removes a name; the inode goes away
// with its last reference, so an open file outlives its last name as on Linux.
//
// The name-space operations (create, link, unlink, rename) and the data operations (read, write, truncate,
// mmap) are virtual: each file-system kind implements them, and kernel/fs/namei.cpp calls them after the checks
// every file system shares (names, EROFS, EXDEV, mount points). Operations a kind does not support return the
// errno Linux gives (ENOTDIR for lookup on a file, EINVAL for readlink on a non-link...).
//
// The attributes stat(2) reports (permission bits, owner, times, link count) live here; a disk file system keeps
// them equal to its on-disk inode (it writes both together).
// Lock: m_lock protects the permission bits, owner and times. m_nlink is atomic; each file system says which
// lock serializes its changes. The type, number, device and file system never change. m_mount_flags is written
// under the mount table's lock (kernel/fs/mount.cpp) and read without it.
#pragma once

#include "kernel/abi/linux.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/io_buffer.h"
#include "kernel/spinlock.h"
#include "lib/atomic.h"
#include "lib/refptr.h"
#include "lib/result.h"
#include "mm/read_ahead.h"

class File;
class VmObject;

enum class InodeType : u8 { Regular, Directory, Symlink, CharDevice, BlockDevice, Fifo, Socket };

namespace fs_limits {
constexpr usize MAX_NAME = 255;    // bytes in one path component (NAME_MAX)
constexpr usize MAX_PATH = 4096;   // bytes in a path, its NUL included (PATH_MAX)
constexpr int SYMLINK_MAX = 40;    // symbolic links followed in one path walk (Linux's MAXSYMLINKS)
}  // namespace fs_limits

// Device numbers encoded as Linux's new_encode_dev() does, so st_dev/st_rdev look as they do on Linux.
constexpr u64 make_device(u32 major, u32 minor) {
  return (minor & 0xffu) | ((major & 0xfffu) << 8) | (static_cast<u64>(minor & ~0xffu) << 12);
}
constexpr u32 device_major(u64 dev) { return static_cast<u32>((dev >> 8) & 0xfff); }
constexpr u32 device_minor(u64 dev) { return static_cast<u32>((dev & 0xff) | ((dev >> 12) & 0xfff00)); }

// st_dev of the boot file systems (/proc/PID/maps prints the root ramfs as "00:01").
constexpr u64 RAMFS_DEVICE = make_device(0, 1);
constexpr u64 PROCFS_DEVICE = make_device(0, 4);

// Receives directory entries from Inode::list (getdents64, the self-test, vfs_path_of).
// An open file description's read-ahead state (mm/read_ahead.h), for read(), pread and sendfile through it;
// its own lock, since pread does not take the description's position lock.
class FileReadAhead {
 public:
  ReadAhead::Window on_miss(u64 index, u64 wanted, u64 max) {
    SpinlockGuard guard(m_lock);
    return m_state.on_miss(index, wanted, max);
  }
  void note_read_end(u64 end) {
    SpinlockGuard guard(m_lock);
    m_state.note_read_end(end);
  }

 private:
  Spinlock m_lock{"file-read-ahead"};
  ReadAhead m_state;  // guarded by m_lock
};

class DirSink {
 public:
  // `next` is the cookie a later listing resumes at to get the entries after this one (getdents64's d_off).
  // Returns false if the entry did not fit: the listing stops, and this entry comes first next time.
  virtual bool emit(u64 next, u64 ino, u8 d_type, const char* name, usize len) = 0;

 protected:
  ~DirSink() = default;
};

u8 dirent_type(InodeType type);
// The st_mode type bits of an inode type, and back (Regular for bits that name no type).
u32 mode_type_bits(InodeType type);
InodeType inode_type_of_mode(u32 mode);

// What Inode::create makes.
struct NewInode {
  InodeType type = InodeType::Regular;
  u32 permissions = 0644;  // 07777 bits, the umask already applied
  u32 uid = 0, gid = 0;
  u64 rdev = 0;                   // devices
  const char* target = nullptr;   // symbolic links: the target (not NUL-terminated) and its length
  usize target_length = 0;
  const char* object_name = nullptr;  // regular files: what /proc/PID/maps shows for a mapping (its path)
};

enum class CreateMode : u8 { OpenExisting, Exclusive };
enum class UnlinkKind : u8 { NonDirectory, Directory };
enum class WriteMode : u8 { AtOffset, Append };
namespace RenameFlag {
constexpr u32 NoReplace = 1;  // RENAME_NOREPLACE
}

// chmod, chown, utimensat: which attributes change, and to what. Times are nanoseconds since the epoch.
struct AttributeChange {
  static constexpr u32 Mode = 1, Uid = 2, Gid = 4, AccessTime = 8, ModifyTime = 16;
  u32 what = 0;
  u32 permissions = 0;
  u32 uid = 0, gid = 0;
  u64 access_time_ns = 0, modify_time_ns = 0;
};

class Inode : public RefCounted {
 public:
  virtual ~Inode();
  AS_NONCOPYABLE(Inode);

  InodeType type() const { return m_type; }
  bool is_directory() const { return m_type == InodeType::Directory; }
  bool is_regular() const { return m_type == InodeType::Regular; }
  bool is_symlink() const { return m_type == InodeType::Symlink; }
  u64 number() const { return m_number; }
  u64 device() const { return m_fs->device(); }
  u64 rdev() const { return m_rdev; }
  FileSystem& file_system() const { return *m_fs; }
  u32 nlink() const { return m_nlink.load(MemoryOrder::Relaxed); }
  // Permission bits (07777) and the full st_mode.
  u32 permissions() const;
  u32 mode() const;
  bool is_executable() const { return permissions() & 0111; }

  void set_permissions(u32 permissions);  // chmod: also the change time
  void touch_modified();                  // data changed: modification and change times
  void touch_changed();                   // metadata changed: change time
  void set_modification_time(u64 epoch_ns);

  // stat(2): the common fields, plus size() and blocks() of the kind.
  void stat(linux::stat& st) const;
  virtual u64 size() const { return 0; }
  virtual u64 blocks() const { return 0; }  // 512-byte units actually allocated
  virtual u32 block_size() const { return 4096; }  // st_blksize

  // chmod/chown/utimensat. The default changes the attributes kept here (in-memory file systems).
  virtual Result<void> set_attributes(const AttributeChange& change);

  // A new open file description (flags: linux::O_*). Regular files, directories, devices, /proc files.
  virtual Result<RefPtr<File>> open(u32 flags);

  // ---- regular files ----
  // Copy up to len bytes at offset into buffer; 0 at or past the end. Holes read as zeros.
  virtual Result<usize> read(const IoBuffer& buffer, usize len, u64 offset);
  // The same through an open file description, whose read-ahead state a file system reading from a disk uses
  // to read ahead of a sequential reader. The default ignores it.
  virtual Result<usize> read_ahead_of(const IoBuffer& buffer, usize len, u64 offset, FileReadAhead&) {
    return read(buffer, len, offset);
  }
  // Copy len bytes from buffer into the file at offset (Append: at the end; offset receives where the write
  // started). Returns the bytes written: fewer than len only if the buffer faulted part way (EFAULT when
  // nothing was written) or the space ran out.
  virtual Result<usize> write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode);
  // truncate(2): shrinking frees what lies past the end; growing adds a hole. EINVAL for non-files.
  virtual Result<void> truncate(u64 size);
  // fallocate(2) on a regular file, after the generic checks (kernel/fs/fs_syscalls_io.cpp): mode is 0 or
  // FALLOC_FL_KEEP_SIZE (the bytes [offset, offset + len) get storage, the size grows to cover them unless
  // KEEP_SIZE), or FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (the range reads as zeros and its whole pages are
  // freed). A file system without it: EOPNOTSUPP (Linux's ext2 has none).
  static constexpr u32 FALLOC_KEEP_SIZE = 1, FALLOC_PUNCH_HOLE = 2;
  virtual Result<void> fallocate(u32, u64, u64) { return Error::NOTSUP; }
  // The VM object mmap(2) maps, or ENODEV.
  virtual Result<RefPtr<VmObject>> mmap_object();
  // The largest size a file may have here (lseek and write limits).
  virtual u64 max_file_size() const { return ~0ull >> 1; }
  // fsync(2): the file's data and attributes reach the device.
  virtual Result<void> sync() { return {}; }

  // ---- directories ----
  // The entry `name` (len bytes, neither "." nor ".."), or ENOENT.
  virtual Result<RefPtr<Inode>> lookup(const char* name, usize len);
  // The directory containing this one ("..") — itself for the root of a file system; ENOENT for a removed
  // directory.
  virtual Result<RefPtr<Inode>> parent();
  // Calls sink.emit for the entries from cookie on ("." is cookie 0, ".." cookie 1), in a stable order.
  virtual Result<void> list(u64 cookie, DirSink& sink);
  // The name under which `child` (a directory) is linked here (vfs_path_of). Returns its length.
  virtual Result<usize> name_of(const Inode& child, char* buffer, usize size);

  // Name-space operations on a directory. Names are single components (not ".", "..", nor containing '/'),
  // checked by the caller, as are EROFS, EXDEV and mount points; these give EEXIST if the name is taken,
  // ENOENT if the directory has been removed. A directory that holds no names of its own (/proc) says ENOENT.
  // A new inode named `name`. A regular file that exists already is returned instead (OpenExisting) or is
  // EEXIST; any other type is always EEXIST.
  virtual Result<RefPtr<Inode>> create(const char* name, usize len, const NewInode& what, CreateMode mode);
  // open(O_TMPFILE): a regular file in this directory's file system with no name at all (EOPNOTSUPP where the
  // file system has no such files).
  virtual Result<RefPtr<Inode>> create_unnamed(const NewInode& what);
  // A further name for an existing inode of the same file system (EMLINK at the link limit).
  virtual Result<void> link(const char* name, usize len, Inode& inode);
  // unlink(2) (NonDirectory) and rmdir(2) (Directory) with their errnos.
  virtual Result<void> unlink(const char* name, usize len, UnlinkKind kind);
  // rename(2) from this directory to new_dir, a directory of the same file system.
  virtual Result<void> rename(const char* name, usize len, Inode& new_dir, const char* new_name, usize new_len,
                              u32 flags);

  // ---- seals (memfd files, kernel/fs/memfd.cpp; EINVAL for every other file) ----
  virtual Result<u32> seals() { return Error::INVAL; }
  virtual Result<void> add_seals(u32) { return Error::INVAL; }
  // mmap(MAP_SHARED) of the file: may the mapping write (now, or after mprotect)? EPERM if it asks to and may
  // not; false if it may not become writable later.
  virtual Result<bool> allows_shared_write(bool) { return true; }

  // ---- symbolic links ----
  // The target (no NUL added), truncated to size bytes. Returns the length copied.
  virtual Result<usize> readlink(char* buffer, usize size);
  // /proc's "magic" links (PID/exe, PID/cwd, PID/fd/N): the inode the link stands for, where a path walk goes
  // on instead of following the link's text (which may name nothing: "pipe:[3]", a deleted file). nullptr for
  // an ordinary link.
  virtual Result<RefPtr<Inode>> follow_link() { return RefPtr<Inode>(); }

  // ---- writers and running programs (Linux's i_writecount) ----
  // A file open for writing (or being truncated) holds write access; a program running from the file denies it
  // (kernel/fs/running_image.h). Each fails with ETXTBSY while the other is held.
  Result<void> get_write_access();
  void put_write_access() { m_write_count.fetch_sub(1, MemoryOrder::Release); }
  Result<void> deny_write_access();
  void allow_write_access() { m_write_count.fetch_add(1, MemoryOrder::Release); }

  // ---- mounts (kernel/fs/mount.cpp) ----
  bool is_mount_point() const { return m_mount_flags.load(MemoryOrder::Acquire) & MOUNTED_ON; }
  bool is_mount_root() const { return m_mount_flags.load(MemoryOrder::Acquire) & MOUNT_ROOT; }
  static constexpr u32 MOUNTED_ON = 1, MOUNT_ROOT = 2;
  Atomic<u32> m_mount_flags{0};  // written under the mount table's lock

 protected:
  Inode(InodeType type, u32 permissions, FileSystem& fs, u64 rdev = 0);
  // For file systems that number their own inodes (/proc, ext2).
  Inode(InodeType type, u32 permissions, FileSystem& fs, u64 number, u64 rdev);
  // A fresh inode number for this boot (ramfs numbers).
  static u64 allocate_number();
  // For a disk file system loading an inode: every attribute at once.
  struct Attributes {
    u32 permissions, uid, gid, nlink;
    u64 access_time_ns, modify_time_ns, change_time_ns;
  };
  void set_all_attributes(const Attributes& a);
  // Change another inode's link count (a directory naming it; the file system's own lock serializes).
  static void adjust_links(Inode& inode, i32 delta) { inode.m_nlink.fetch_add(static_cast<u32>(delta), MemoryOrder::Relaxed); }
  static void set_links(Inode& inode, u32 count) { inode.m_nlink.store(count, MemoryOrder::Relaxed); }

  mutable Spinlock m_lock{"inode"};
  Atomic<u32> m_nlink{1};
  Atomic<i32> m_write_count{0};  // > 0: that many writers; < 0: that many running programs

 private:
  const InodeType m_type;
  const u64 m_number;
  const RefPtr<FileSystem> m_fs;
  const u64 m_rdev;
  u32 m_permissions;        // guarded by m_lock
  u32 m_uid = 0;            // guarded by m_lock
  u32 m_gid = 0;            // guarded by m_lock
  u64 m_access_time_ns;     // guarded by m_lock
  u64 m_modify_time_ns;     // guarded by m_lock
  u64 m_change_time_ns;     // guarded by m_lock
};
