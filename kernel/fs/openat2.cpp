// openat2(2): openat with its arguments in an extensible struct open_how {flags, mode, resolve}, checked
// strictly (unknown bits are EINVAL rather than ignored) and with the RESOLVE_* restrictions on the walk
// (kernel/fs/namei.h), as Linux 6.1's fs/open.c does it.
#include "arch/riscv/usercopy.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/fs/vfs.h"
#include "kernel/syscall_raw.h"

using namespace linux;

namespace {

struct OpenHow {
  u64 flags;
  u64 mode;
  u64 resolve;
};
constexpr u64 OPEN_HOW_SIZE_VER0 = 24;

constexpr u32 O_DSYNC = 010000, O_FASYNC = 020000, O_DIRECT = 040000, O_LARGEFILE_FLAG = 0100000,
              O_NOATIME = 01000000, O_SYNC_BIT = 04000000;
constexpr u64 VALID_OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
                                 O_FASYNC | O_DIRECT | O_LARGEFILE_FLAG | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
                                 O_CLOEXEC | O_SYNC_BIT | O_PATH | O_TMPFILE_BIT;
constexpr u64 O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
constexpr u64 VALID_RESOLVE_FLAGS = Resolve::NoXdev | Resolve::NoMagicLinks | Resolve::NoSymlinks |
                                    Resolve::Beneath | Resolve::InRoot | Resolve::Cached;

// copy_struct_from_user: a smaller struct is zero-extended; a larger one must be zero past what we know.
Result<OpenHow> copy_open_how(u64 address, u64 size) {
  if (size < OPEN_HOW_SIZE_VER0) return Error::INVAL;
  if (size > PAGE_SIZE) return Error::TOO_BIG;
  OpenHow how = TRY(copy_value_from_user<OpenHow>(address));
  for (u64 at = sizeof(OpenHow); at < size; at++)
    if (TRY(copy_value_from_user<u8>(address + at)) != 0) return Error::TOO_BIG;
  return how;
}

// build_open_flags for openat2.
Result<void> check_open_how(const OpenHow& how) {
  if (how.flags & ~VALID_OPEN_FLAGS) return Error::INVAL;
  if (how.resolve & ~VALID_RESOLVE_FLAGS) return Error::INVAL;
  if ((how.resolve & Resolve::Beneath) && (how.resolve & Resolve::InRoot)) return Error::INVAL;
  if (how.flags & (O_CREAT | O_TMPFILE_BIT)) {
    if (how.mode & ~static_cast<u64>(07777)) return Error::INVAL;
  } else if (how.mode) {
    return Error::INVAL;
  }
  if ((how.flags & O_PATH) && (how.flags & ~O_PATH_FLAGS)) return Error::INVAL;
  if (how.flags & O_TMPFILE_BIT) {
    // O_TMPFILE is __O_TMPFILE | O_DIRECTORY, never with O_CREAT, and must be opened for writing.
    if ((how.flags & (O_TMPFILE_BIT | O_DIRECTORY | O_CREAT)) != (O_TMPFILE_BIT | O_DIRECTORY)) return Error::INVAL;
    if ((how.flags & O_ACCMODE) == O_RDONLY) return Error::INVAL;
  }
  if ((how.resolve & Resolve::Cached) && (how.flags & (O_CREAT | O_TRUNC | O_TMPFILE_BIT))) return Error::AGAIN;
  return {};
}

}  // namespace

Result<u64> sys_openat2(const SyscallArgs& a) {
  i32 dirfd = static_cast<i32>(a.a0);
  OpenHow how = TRY(copy_open_how(a.a2, a.a3));
  TRY(check_open_how(how));
  UserPath path;
  TRY(path.copy_from(a.a1));
  if (path.is_empty()) return Error::NOENT;
  // The walk starts at dirfd even for an absolute path when it is scoped to it (RESOLVE_BENEATH, IN_ROOT).
  u32 resolve = static_cast<u32>(how.resolve);
  bool is_scoped = resolve & (Resolve::Beneath | Resolve::InRoot);
  WalkStart start = TRY(walk_start(dirfd, is_scoped ? "." : path.get()));
  PathContext context = start.context();
  context.resolve = resolve;
  u32 flags = static_cast<u32>(how.flags);
  RefPtr<File> file = TRY(path_open(context, path.get(), flags, static_cast<u32>(how.mode)));
  return TRY(current_thread()->m_files->allocate(file, flags & O_CLOEXEC, descriptor_limit()));
}

RAW_SYSCALL(sys_openat2);  // the raw entry point trap.S calls (kernel/syscall.h)
