// The system calls that change a file's attributes: fchmod, fchmodat, fchown, fchownat, utimensat — with
// Linux's argument checks and errnos (fs/open.c, fs/utimes.c). Every process is root here, so no permission
// is refused; the file system must be writable (EROFS).
#include "kernel/fs/fs_context.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/syscall_raw.h"
#include "kernel/time.h"

namespace {

using namespace linux;

constexpr i64 UTIME_NOW = (1l << 30) - 1;
constexpr i64 UTIME_OMIT = (1l << 30) - 2;
constexpr u32 NO_ID = 0xffffffff;  // chown's "leave this one as it is"

// The inode a *at() call names: the path from dirfd, or (AT_EMPTY_PATH with an empty path) dirfd itself.
Result<RefPtr<Inode>> inode_at(i32 dirfd, u64 address, u32 flags) {
  UserPath path;
  TRY(path.copy_from(address));
  if (path.is_empty()) {
    if (!(flags & AT_EMPTY_PATH)) return Error::NOENT;
    if (dirfd == AT_FDCWD) return current_thread()->m_fs->working_directory();
    RefPtr<File> file = TRY(file_at(dirfd));
    Inode* inode = file->inode();
    if (!inode) return Error::BADF;  // a pipe or the boot console: nothing to change here
    return RefPtr<Inode>(inode);
  }
  WalkStart start = TRY(walk_start(dirfd, path.get()));
  Follow follow = flags & AT_SYMLINK_NOFOLLOW ? Follow::No : Follow::Yes;
  return path_lookup(start.context(), path.get(), follow);
}

Result<void> change_mode(Inode& inode, u32 mode) {
  TRY(inode.file_system().check_writable());
  AttributeChange change;
  change.what = AttributeChange::Mode;
  change.permissions = mode & 07777;
  return inode.set_attributes(change);
}

// chown: a non-directory loses its set-user-ID bit, and its set-group-ID bit if group execution is allowed,
// whoever changes its owner — root too, as Linux does since 2.2.13 (chown(2)).
Result<void> change_owner(Inode& inode, u32 uid, u32 gid) {
  TRY(inode.file_system().check_writable());
  AttributeChange change;
  if (uid != NO_ID) {
    change.what |= AttributeChange::Uid;
    change.uid = uid;
  }
  if (gid != NO_ID) {
    change.what |= AttributeChange::Gid;
    change.gid = gid;
  }
  if (!inode.is_directory()) {
    u32 permissions = inode.permissions();
    u32 kept = permissions & ~S_ISUID;
    if ((permissions & S_ISGID) && (permissions & 010)) kept &= ~S_ISGID;
    if (kept != permissions) {
      change.what |= AttributeChange::Mode;
      change.permissions = kept;
    }
  }
  return inode.set_attributes(change);
}

Result<void> do_fchmodat(i32 dirfd, u64 address, u32 mode) {
  RefPtr<Inode> inode = TRY(inode_at(dirfd, address, 0));
  return change_mode(*inode, mode);
}

Result<void> do_fchmod(i32 fd, u32 mode) {
  RefPtr<File> file = TRY(file_at(fd));
  Inode* inode = file->inode();
  if (!inode) return {};  // pipes: their inode lives in pipefs, and nobody sees its mode
  return change_mode(*inode, mode);
}

Result<void> do_fchownat(i32 dirfd, u64 address, u32 uid, u32 gid, u32 flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Error::INVAL;
  RefPtr<Inode> inode = TRY(inode_at(dirfd, address, flags));
  return change_owner(*inode, uid, gid);
}

Result<void> do_fchown(i32 fd, u32 uid, u32 gid) {
  RefPtr<File> file = TRY(file_at(fd));
  Inode* inode = file->inode();
  if (!inode) return {};
  return change_owner(*inode, uid, gid);
}

// utimensat(2): times[0] is the access time, times[1] the modification time; NULL sets both to now;
// UTIME_NOW and UTIME_OMIT in tv_nsec. A NULL path means dirfd itself (glibc's futimens).
Result<void> do_utimensat(i32 dirfd, u64 address, u64 times_address, u32 flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Error::INVAL;
  timespec times[2];
  u64 now = time_realtime_ns();
  if (times_address) {
    TRY(copy_from_user(times, times_address, sizeof(times)));
    for (const timespec& t : times)
      if (t.tv_nsec != UTIME_NOW && t.tv_nsec != UTIME_OMIT && (t.tv_nsec < 0 || t.tv_nsec > 999999999))
        return Error::INVAL;
    if (times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT) return {};
  } else {
    times[0].tv_nsec = times[1].tv_nsec = UTIME_NOW;
  }
  RefPtr<Inode> inode;
  if (!address) {
    if (dirfd == AT_FDCWD) return Error::FAULT;
    if (flags & AT_SYMLINK_NOFOLLOW) return Error::INVAL;
    RefPtr<File> file = TRY(file_at(dirfd));
    if (!file->inode()) return Error::BADF;
    inode = RefPtr<Inode>(file->inode());
  } else {
    inode = TRY(inode_at(dirfd, address, flags));
  }
  TRY(inode->file_system().check_writable());
  AttributeChange change;
  auto time_of = [&](const timespec& t) -> u64 {
    if (t.tv_nsec == UTIME_NOW) return now;
    return static_cast<u64>(t.tv_sec) * 1000000000ull + static_cast<u64>(t.tv_nsec);
  };
  if (times[0].tv_nsec != UTIME_OMIT) {
    change.what |= AttributeChange::AccessTime;
    change.access_time_ns = time_of(times[0]);
  }
  if (times[1].tv_nsec != UTIME_OMIT) {
    change.what |= AttributeChange::ModifyTime;
    change.modify_time_ns = time_of(times[1]);
  }
  return inode->set_attributes(change);
}

}  // namespace

Result<u64> sys_fchmodat(const SyscallArgs& a) {
  return syscall_result(do_fchmodat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2)));
}
Result<u64> sys_fchmod(const SyscallArgs& a) {
  return syscall_result(do_fchmod(static_cast<i32>(a.a0), static_cast<u32>(a.a1)));
}
Result<u64> sys_fchownat(const SyscallArgs& a) {
  return syscall_result(do_fchownat(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2),
                                    static_cast<u32>(a.a3), static_cast<u32>(a.a4)));
}
Result<u64> sys_fchown(const SyscallArgs& a) {
  return syscall_result(do_fchown(static_cast<i32>(a.a0), static_cast<u32>(a.a1), static_cast<u32>(a.a2)));
}
Result<u64> sys_utimensat(const SyscallArgs& a) {
  return syscall_result(do_utimensat(static_cast<i32>(a.a0), a.a1, a.a2, static_cast<u32>(a.a3)));
}

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_fchmodat);
RAW_SYSCALL(sys_fchmod);
RAW_SYSCALL(sys_fchownat);
RAW_SYSCALL(sys_fchown);
RAW_SYSCALL(sys_utimensat);
