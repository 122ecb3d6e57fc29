// Inodes: the files themselves, as opposed to open files (File, kernel/fs/file.h) and names (directory
// entries). Every kind of file is an Inode subclass:
//
//   RamDirectory, RamFile, RamSymlink, RamDevice   the in-memory file system (kernel/fs/ramfs.h)
//   the /proc inodes                               generated on lookup (kernel/fs/procfs.cpp)
//
// An inode lives as long as something refers to it: a directory entry (its links), an open file, a process's
// working directory, a path walk in progress. Unlinking removes a name; the inode goes away with its last
// reference, so an open file outlives its last name as on Linux.
//
// Operations a kind does not support return the errno Linux gives (ENOTDIR for lookup on a file, EINVAL for
// readlink on a non-link...). There is no RTTI: as_ram_directory()/as_ram_file() give the ramfs type when the
// namespace code needs it.
//
// Lock: m_lock protects the permission bits and times. m_nlink is changed only under g_namespace_lock (the
// ramfs lock, kernel/fs/ramfs.h) and read without it. The type, number and device numbers never change.
#pragma once

#include "kernel/abi/linux.h"
#include "kernel/spinlock.h"
#include "lib/atomic.h"
#include "lib/refptr.h"
#include "lib/result.h"

class File;
class RamDirectory;
class RamFile;

enum class InodeType : u8 { Regular, Directory, Symlink, CharDevice, BlockDevice, Fifo };

namespace fs_limits {
constexpr usize MAX_NAME = 255;    // bytes in one path component (NAME_MAX)
constexpr usize MAX_PATH = 4096;   // bytes in a path, its NUL included (PATH_MAX)
constexpr int SYMLINK_MAX = 40;    // symbolic links followed in one path walk (Linux's MAXSYMLINKS)
constexpr u32 DEFAULT_UMASK = 022; // there is no per-process umask yet (umask(2) answers 022)
}  // namespace fs_limits

// Device numbers encoded as Linux's new_encode_dev() does, so st_dev/st_rdev look as they do on Linux.
constexpr u64 make_device(u32 major, u32 minor) {
  return (minor & 0xffu) | ((major & 0xfffu) << 8) | (static_cast<u64>(minor & ~0xffu) << 12);
}
constexpr u32 device_major(u64 dev) { return static_cast<u32>((dev >> 8) & 0xfff); }
constexpr u32 device_minor(u64 dev) { return static_cast<u32>((dev & 0xff) | ((dev >> 12) & 0xfff00)); }

// st_dev of the two file systems (/proc/PID/maps prints the ramfs one as "00:01").
constexpr u64 RAMFS_DEVICE = make_device(0, 1);
constexpr u64 PROCFS_DEVICE = make_device(0, 4);

// Receives directory entries from Inode::list (getdents64, the self-test, vfs_path_of).
class DirSink {
 public:
  // `next` is the cookie a later listing resumes at to get the entries after this one (getdents64's d_off).
  // Returns false if the entry did not fit: the listing stops, and this entry comes first next time.
  virtual bool emit(u64 next, u64 ino, u8 d_type, const char* name, usize len) = 0;

 protected:
  ~DirSink() = default;
};

u8 dirent_type(InodeType type);

class Inode : public RefCounted {
 public:
  virtual ~Inode() = default;
  AS_NONCOPYABLE(Inode);

  InodeType type() const { return m_type; }
  bool is_directory() const { return m_type == InodeType::Directory; }
  bool is_regular() const { return m_type == InodeType::Regular; }
  bool is_symlink() const { return m_type == InodeType::Symlink; }
  u64 number() const { return m_number; }
  u64 device() const { return m_device; }
  u64 rdev() const { return m_rdev; }
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

  // A new open file description (flags: linux::O_*). Regular files, directories, devices, /proc files.
  virtual Result<RefPtr<File>> open(u32 flags);

  // ---- directories ----
  // The entry `name` (len bytes, neither "." nor ".."), or ENOENT.
  virtual Result<RefPtr<Inode>> lookup(const char* name, usize len);
  // The directory containing this one ("..") — itself for a root; ENOENT for a removed directory.
  virtual Result<RefPtr<Inode>> parent();
  // Calls sink.emit for the entries from cookie on ("." is cookie 0, ".." cookie 1), in a stable order.
  virtual Result<void> list(u64 cookie, DirSink& sink);
  // The name under which `child` (a directory) is linked here (vfs_path_of). Returns its length.
  virtual Result<usize> name_of(const Inode& child, char* buffer, usize size);

  // ---- symbolic links ----
  // The target (no NUL added), truncated to size bytes. Returns the length copied.
  virtual Result<usize> readlink(char* buffer, usize size);

  // ---- ramfs types, for the namespace code ----
  virtual RamDirectory* as_ram_directory() { return nullptr; }
  virtual RamFile* as_ram_file() { return nullptr; }

 protected:
  Inode(InodeType type, u32 permissions, u64 device, u64 rdev = 0);
  // A fresh inode number for this boot (ramfs numbers; /proc computes its own).
  static u64 allocate_number();
  // For /proc, whose inode numbers are derived from the pid and the entry.
  Inode(InodeType type, u32 permissions, u64 device, u64 number, u64 rdev);

  mutable Spinlock m_lock{"inode"};
  Atomic<u32> m_nlink{1};  // written under g_namespace_lock (by RamDirectory)

  friend class RamDirectory;  // keeps the link counts of the inodes it names

 private:
  const InodeType m_type;
  const u64 m_number;
  const u64 m_device;
  const u64 m_rdev;
  u32 m_permissions;        // guarded by m_lock
  u64 m_access_time_ns;     // guarded by m_lock
  u64 m_modify_time_ns;     // guarded by m_lock
  u64 m_change_time_ns;     // guarded by m_lock
};

// The st_mode type bits of an inode type.
u32 mode_type_bits(InodeType type);
