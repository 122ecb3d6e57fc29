// The system calls on whole file systems: mount, umount2, statfs, fstatfs, sync, syncfs, fsync, fdatasync —
// with Linux's argument checks and errnos, in Linux's order (fs/namespace.c: path_mount, ksys_umount).
//
// File-system types mount(2) knows: "tmpfs" and "ramfs" (a new in-memory tree), "proc", and "ext2" (on a block
// device named by its /dev node, kernel/fs/ext2/).
#include <cstring>

#include "kernel/fs/file_system_types.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/syscall_raw.h"
#include "mm/heap.h"
#include "mm/types.h"

namespace {

using namespace linux;

// The type and source arguments of mount(2): NULL is allowed (nullptr); a string of PATH_MAX bytes or more
// is EINVAL (Linux's strndup_user), a bad pointer EFAULT.
class MountString {
 public:
  MountString() = default;
  ~MountString() { kfree(m_text); }
  AS_NONCOPYABLE(MountString);
  Result<void> copy_from(u64 address) {
    if (!address) return {};
    m_text = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
    if (!m_text) return Error::NOMEM;
    auto copied = copy_string_from_user(m_text, address, fs_limits::MAX_PATH);
    if (copied.is_error()) return copied.error() == Error::NAMETOOLONG ? Error::INVAL : copied.error();
    return {};
  }
  const char* get() const { return m_text; }

 private:
  char* m_text = nullptr;
};

// mount(2)'s data: a page of options; Linux copies up to a page and NUL-terminates it.
Result<void> copy_mount_data(char* page, u64 address) {
  page[0] = '\0';
  if (!address) return {};
  auto copied = copy_string_from_user(page, address, PAGE_SIZE);
  if (copied.is_error() && copied.error() != Error::NAMETOOLONG) return copied.error();
  page[PAGE_SIZE - 1] = '\0';
  return {};
}

// The per-mount flags of a new mount: relatime unless noatime or strictatime is asked for.
u32 per_mount_flags(u32 flags) {
  u32 result = flags & mount_flags::PER_MOUNT & ~mount_flags::STRICTATIME;
  if (!(flags & (mount_flags::NOATIME | mount_flags::STRICTATIME))) result |= mount_flags::RELATIME;
  if (flags & mount_flags::STRICTATIME) result &= ~mount_flags::RELATIME;
  return result;
}

Result<void> do_mount(u64 source_address, u64 target_address, u64 type_address, u64 flags_argument,
                      u64 data_address) {
  MountString type, source;
  TRY(type.copy_from(type_address));
  TRY(source.copy_from(source_address));
  char* data = static_cast<char*>(kmalloc(PAGE_SIZE));
  if (!data) return Error::NOMEM;
  Result<void> result = [&]() -> Result<void> {
    TRY(copy_mount_data(data, data_address));
    UserPath target;
    TRY(target.copy_from(target_address));
    if (target.is_empty()) return Error::NOENT;
    WalkStart start = TRY(walk_start(AT_FDCWD, target.get()));
    RefPtr<Inode> mount_point = TRY(path_lookup(start.context(), target.get(), Follow::Yes));

    u32 flags = static_cast<u32>(flags_argument);
    if ((flags & mount_flags::MGC_MASK) == mount_flags::MGC_VALUE) flags &= ~mount_flags::MGC_MASK;
    if (flags & (1u << 31)) return Error::INVAL;  // MS_NOUSER
    u32 per_mount = per_mount_flags(flags);
    if ((flags & (mount_flags::REMOUNT | mount_flags::BIND)) == (mount_flags::REMOUNT | mount_flags::BIND)) {
      // Only the per-mount flags change; the file system's read-only state stays.
      if (!mount_point->is_mount_root()) return Error::INVAL;
      return mount_reconfigure(*mount_point, per_mount | (mount_point->file_system().is_read_only() ? mount_flags::RDONLY : 0));
    }
    if (flags & mount_flags::REMOUNT) {
      if (!mount_point->is_mount_root()) return Error::INVAL;
      return mount_reconfigure(*mount_point, per_mount | (flags & mount_flags::RDONLY));
    }
    if (flags & (mount_flags::BIND | mount_flags::MOVE)) return Error::INVAL;  // not supported (yet)
    if (flags & (mount_flags::SHARED | mount_flags::PRIVATE | mount_flags::SLAVE | mount_flags::UNBINDABLE)) {
      // Propagation types: with one name space and no bind mounts there is nothing to propagate to.
      if (!mount_point->is_mount_root()) return Error::INVAL;
      return {};
    }
    if (!type.get()) return Error::INVAL;
    RefPtr<Inode> root =
        TRY(file_system_create(type.get(), source.get(), current_thread()->m_fs->working_directory().get(), flags & mount_flags::RDONLY, data));
    if (root->is_symlink()) return Error::INVAL;
    return mount_attach(root->file_system(), mount_point.get(), source.get() ? source.get() : "none", per_mount);
  }();
  kfree(data);
  return result;
}

Result<void> do_umount2(u64 target_address, u32 flags) {
  using namespace mount_flags;
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return Error::INVAL;
  UserPath target;
  TRY(target.copy_from(target_address));
  if (target.is_empty()) return Error::NOENT;
  WalkStart start = TRY(walk_start(AT_FDCWD, target.get()));
  Follow follow = flags & UMOUNT_NOFOLLOW ? Follow::No : Follow::Yes;
  RefPtr<Inode> root = TRY(path_lookup(start.context(), target.get(), follow));
  if (!root->is_mount_root()) return Error::INVAL;
  if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH))) return Error::INVAL;
  if (flags & MNT_EXPIRE) return Error::AGAIN;  // the first MNT_EXPIRE only marks the mount (Linux)
  // The references this call holds: `root`, and the walk's start if it is the root itself.
  u32 caller_references = 1 + (start.base.get() == root.get() ? 1 : 0) + (start.root.get() == root.get() ? 1 : 0);
  return mount_detach(*root, flags, caller_references);
}

// The f_flags of statfs: ST_VALID and the mount's flags.
i64 statfs_flags(FileSystem& fs) {
  constexpr i64 ST_VALID = 0x20, ST_NOATIME = 1024, ST_NODIRATIME = 2048, ST_RELATIME_FLAG = 4096;
  u32 flags = mount_flags_of(fs);
  i64 result = ST_VALID;
  if (fs.is_read_only()) result |= ST_RDONLY;
  if (flags & mount_flags::NOSUID) result |= ST_NOSUID;
  if (flags & mount_flags::NODEV) result |= ST_NODEV;
  if (flags & mount_flags::NOEXEC) result |= ST_NOEXEC;
  if (flags & mount_flags::NOATIME) result |= ST_NOATIME;
  if (flags & mount_flags::NODIRATIME) result |= ST_NODIRATIME;
  if (flags & mount_flags::RELATIME) result |= ST_RELATIME_FLAG;
  return result;
}

Result<void> fill_statfs(Inode& inode, u64 address) {
  FileSystem& fs = inode.file_system();
  linux::statfs st;
  TRY(fs.statfs(st));
  st.f_flags = statfs_flags(fs);
  return copy_value_to_user(address, st);
}

Result<void> do_statfs(u64 path_address, u64 buffer) {
  UserPath path;
  TRY(path.copy_from(path_address));
  if (path.is_empty()) return Error::NOENT;
  WalkStart start = TRY(walk_start(AT_FDCWD, path.get()));
  RefPtr<Inode> inode = TRY(path_lookup(start.context(), path.get(), Follow::Yes));
  return fill_statfs(*inode, buffer);
}

// Files with no inode (pipes, the console opened at boot) live on Linux's pipefs or devpts: their statfs is
// theirs. Ours have none; report an in-memory file system.
Result<void> do_fstatfs(i32 fd, u64 buffer) {
  RefPtr<File> file = TRY(file_at(fd));
  Inode* inode = file->inode();
  if (inode) return fill_statfs(*inode, buffer);
  linux::statfs st;
  memset(&st, 0, sizeof(st));
  st.f_type = RAMFS_MAGIC;
  st.f_bsize = st.f_frsize = 4096;
  st.f_namelen = 255;
  st.f_flags = 0x20;
  return copy_value_to_user(buffer, st);
}

// fsync/fdatasync: the file's own data and attributes, then the file system's metadata. Pipes and the
// console have nothing to write back: Linux gives EINVAL for them.
Result<void> do_fsync(i32 fd) {
  RefPtr<File> file = TRY(file_at(fd));
  Inode* inode = file->inode();
  if (!inode) return Error::INVAL;
  TRY(file->fsync());  // what the open file itself holds: a disk's write cache for /dev/vda (blkdev_fsync)
  TRY(inode->sync());
  return inode->file_system().sync();
}

Result<void> do_syncfs(i32 fd) {
  RefPtr<File> file = TRY(file_at(fd));
  Inode* inode = file->inode();
  if (!inode) return {};
  return inode->file_system().sync();
}

}  // namespace

Result<u64> sys_mount(const SyscallArgs& a) { return syscall_result(do_mount(a.a0, a.a1, a.a2, a.a3, a.a4)); }
Result<u64> sys_umount2(const SyscallArgs& a) { return syscall_result(do_umount2(a.a0, static_cast<u32>(a.a1))); }
Result<u64> sys_statfs(const SyscallArgs& a) { return syscall_result(do_statfs(a.a0, a.a1)); }
Result<u64> sys_fstatfs(const SyscallArgs& a) { return syscall_result(do_fstatfs(static_cast<i32>(a.a0), a.a1)); }
// sync(2) cannot fail; errors are the devices' to report (the kernel log has them).
Result<u64> sys_sync(const SyscallArgs&) {
  (void)mount_sync_all();
  return 0;
}
Result<u64> sys_syncfs(const SyscallArgs& a) { return syscall_result(do_syncfs(static_cast<i32>(a.a0))); }
Result<u64> sys_fsync(const SyscallArgs& a) { return syscall_result(do_fsync(static_cast<i32>(a.a0))); }

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_mount);
RAW_SYSCALL(sys_umount2);
RAW_SYSCALL(sys_statfs);
RAW_SYSCALL(sys_fstatfs);
RAW_SYSCALL(sys_sync);
RAW_SYSCALL(sys_syncfs);
RAW_SYSCALL(sys_fsync);
