// FileSystem: one mounted (or mountable) tree of inodes — the root ramfs, a tmpfs, /proc, an ext2 volume. Every
// Inode names the file system it belongs to (Inode::file_system()); the mount table (kernel/fs/mount.h) says
// where each one is attached to the name space.
//
// A file system owns what is common to its inodes: the device number stat(2) reports as st_dev, whether it
// may be written (a read-only mount, or an ext2 volume that met corruption), statfs(2), sync(2), and what
// umount(2) needs: whether anything still uses it, and a final flush.
//
// Lifetime: reference counted. Each inode holds a reference, and so does each mount, so a lazily detached file
// system (umount2 MNT_DETACH) lives until its last open file is closed.
// Lock: m_flags is atomic; subclasses document their own.
#pragma once

#include "kernel/abi/linux.h"
#include "lib/atomic.h"
#include "lib/refptr.h"
#include "lib/result.h"

class Inode;

// struct statfs of asm-generic/statfs.h on riscv64 (120 bytes).
namespace linux {
struct statfs {
  i64 f_type;
  i64 f_bsize;
  u64 f_blocks;
  u64 f_bfree;
  u64 f_bavail;
  u64 f_files;
  u64 f_ffree;
  i32 f_fsid[2];
  i64 f_namelen;
  i64 f_frsize;
  i64 f_flags;
  i64 f_spare[4];
};
static_assert(sizeof(statfs) == 120);
// f_type values (linux/magic.h).
constexpr i64 RAMFS_MAGIC = 0x858458f6, TMPFS_MAGIC = 0x01021994, PROC_SUPER_MAGIC = 0x9fa0, EXT2_SUPER_MAGIC = 0xef53;
// f_flags values (ST_* of statvfs, as Linux's statfs reports the mount flags).
constexpr i64 ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_RELATIME = 0x400;
}  // namespace linux

class FileSystem : public RefCounted {
 public:
  virtual ~FileSystem() = default;
  AS_NONCOPYABLE(FileSystem);

  // "rootfs", "tmpfs", "proc", "ext2": the type mount(2) takes and /proc/mounts shows.
  virtual const char* type_name() const = 0;
  // The root directory (a new reference).
  virtual Result<RefPtr<Inode>> root() = 0;
  // statfs(2). The default fills the fields every kind shares (type, name length, flags).
  virtual Result<void> statfs(linux::statfs& out);
  // Write everything cached back to the device (sync(2), fsync of any file, umount).
  virtual Result<void> sync() { return {}; }
  // The flusher's periodic write-back: what is dirty goes to the device, without sync's disk flush when
  // nothing is (kernel/fs/ext2's flusher thread calls it through mount_write_back_all).
  virtual Result<void> write_back() { return {}; }
  // Remount read-only or read-write (mount -o remount,ro). EROFS if the file system cannot be written.
  virtual Result<void> set_read_only(bool read_only);
  // Whether anything but the mount still uses the file system: an open file, a working directory, a
  // mapping. `caller_references` are references to `root` that the caller itself holds. The default suits
  // file systems whose inodes live only while used (ext2's cache, /proc): busy if any inode but the root is
  // alive, or the root has references beyond the mount's and the caller's.
  virtual bool is_busy(Inode& root, u32 caller_references);
  // The file system is leaving the name space (umount) and is never mounted again. Now: flush it and mark it
  // clean. WhenUnused (a lazy unmount, MNT_DETACH): it may still be in use (open files keep working); flush it
  // now, and finish the unmount when the last user lets go (a disk file system does it in its destructor).
  enum class Unmount : u8 { Now, WhenUnused };
  virtual Result<void> unmount(Unmount) { return sync(); }
  // The text after the type in /proc/mounts beyond "rw"/"ro" (",relatime", ",nosuid,nodev,noexec,relatime").
  virtual const char* mount_options() const { return ""; }

  u64 device() const { return m_device; }
  bool is_read_only() const { return m_is_read_only.load(MemoryOrder::Relaxed); }
  // EROFS if the file system may not be written (the check every name-space change makes first).
  Result<void> check_writable() const;

  // A device number for a file system with no device (Linux's anonymous block devices, major 0).
  static u64 allocate_anonymous_device();

  // Inode's constructor and destructor count the file system's live inodes (is_busy).
  void inode_created() { m_live_inodes.fetch_add(1, MemoryOrder::Relaxed); }
  void inode_destroyed() { m_live_inodes.fetch_sub(1, MemoryOrder::Relaxed); }
  u64 live_inodes() const { return m_live_inodes.load(MemoryOrder::Relaxed); }

 protected:
  explicit FileSystem(u64 device) : m_device(device) {}
  void mark_read_only() { m_is_read_only.store(true, MemoryOrder::Relaxed); }

 private:
  const u64 m_device;
  Atomic<bool> m_is_read_only{false};
  Atomic<u64> m_live_inodes{0};
};
