// Path names: walking a path to an inode, and the operations on names (open with O_CREAT, mkdir, mknod, unlink,
// rename, link, symlink, readlink) with Linux's rules and errnos, checked here for every file system before
// the file system's own operation runs (kernel/fs/inode.h): EROFS, EXDEV, EBUSY for mount points. The system calls (kernel/fs/fs_syscalls*.cpp),
// the public vfs_* functions (kernel/fs/vfs.h) and the self-test all come through here.
//
// A walk starts at the root for an absolute path and at the base directory otherwise. "." stays, ".." goes to
// the parent (and stays at the root), repeated slashes count as one, and symbolic links are followed — in the
// middle of a path always, at its end unless the caller says not to; a trailing slash requires a directory and
// follows a final link. A walk that reaches a mount point continues in the root mounted there, and ".." at a
// mounted root leads to the mount point's parent (kernel/fs/mount.h). More than 40 links in one walk is ELOOP. A component longer than 255 bytes is
// ENAMETOOLONG (the system calls check the 4096-byte limit of the whole path when they copy it in).
//
// A walk holds a reference to the directory it is in, never a lock: each step takes the directory's own lock
// inside lookup(). The root of a walk is explicit (PathContext) so that the self-test can walk a private tree.
#pragma once

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"

// openat2(2)'s RESOLVE_* restrictions on a walk.
namespace Resolve {
constexpr u32 NoXdev = 0x01;        // no mount crossed (EXDEV)
constexpr u32 NoMagicLinks = 0x02;  // no /proc magic link followed (ELOOP)
constexpr u32 NoSymlinks = 0x04;    // no symbolic link followed at all (ELOOP)
constexpr u32 Beneath = 0x08;       // never above base: an absolute path or ".." out of it is EXDEV
constexpr u32 InRoot = 0x10;        // base is the root: "/" and ".." stop there
constexpr u32 Cached = 0x20;        // (nothing to do here: every lookup is cached)
}  // namespace Resolve

struct PathContext {
  Inode* root;  // where "/" and ".." at the top lead
  Inode* base;  // the directory relative paths start from
  u32 resolve = 0;  // Resolve:: restrictions (openat2)
  u32 umask = 022;  // taken from what a call creates (the caller's, kernel/fs/fs_context.h)
};

enum class Follow : u8 { No, Yes };

// The last component of a path, as resolve_parent() leaves it. `name` points into the walked path or the
// walker's buffers: it is valid while the PathWalker lives.
struct LastComponent {
  const char* name = "";
  usize length = 0;
  bool has_trailing_slash = false;

  bool is_empty() const { return length == 0; }  // the path was "/" (or only slashes)
  bool is_dot() const { return length == 1 && name[0] == '.'; }
  bool is_dot_dot() const { return length == 2 && name[0] == '.' && name[1] == '.'; }
  bool is_special() const { return is_empty() || is_dot() || is_dot_dot(); }
};

class PathWalker {
 public:
  explicit PathWalker(const PathContext& context);
  ~PathWalker();
  AS_NONCOPYABLE(PathWalker);

  // The inode the whole path names.
  Result<RefPtr<Inode>> resolve(const char* path, Follow follow_last);
  // The directory holding the last component, which is returned in `last` without being looked up.
  Result<RefPtr<Inode>> resolve_parent(const char* path, LastComponent& last);
  // For a symbolic link found as the last component in `dir`: the directory holding the link's target and
  // the target's last component (open with O_CREAT creates through a dangling link, as Linux does).
  Result<RefPtr<Inode>> resolve_link_parent(Inode& dir, Inode& link, LastComponent& last);
  // For a /proc magic link (Inode::follow_link): the inode it stands for (counted as a link followed), or
  // nullptr for an ordinary link.
  Result<RefPtr<Inode>> follow_magic_link(Inode& link);

 private:
  Result<RefPtr<Inode>> walk(RefPtr<Inode> start, const char* path, Follow follow_last, LastComponent* last);
  Result<RefPtr<Inode>> go_up(RefPtr<Inode> current);
  // The link's target followed by "/rest", in the spare buffer. Counts the link (ELOOP past 40).
  Result<const char*> splice(Inode& link, const char* rest, bool trailing_slash);

  // A link is about to be followed (magic or not): what the Resolve restrictions say.
  Result<void> check_follow(bool is_magic, const char* target) const;

  Inode* m_root;
  Inode* m_base;
  u32 m_resolve;
  int m_links_followed = 0;
  char* m_buffers[2] = {nullptr, nullptr};  // MAX_PATH each, allocated on the first link
  int m_current = 0;                        // which buffer holds the path being walked
};

// Operations on paths. Permissions are those of root (uid 0): only the execute bits are ever checked.
Result<RefPtr<Inode>> path_lookup(const PathContext& context, const char* path, Follow follow_last);
Result<RefPtr<File>> path_open(const PathContext& context, const char* path, u32 flags, u32 mode);
// Truncate a regular file by name (truncate(2), O_TRUNC): holds its write access meanwhile, so ETXTBSY while a
// process runs it. (ftruncate needs a descriptor open for writing, which holds write access already.)
Result<void> truncate_inode(Inode& inode, u64 size);
Result<RefPtr<File>> path_open_for_exec(const PathContext& context, const char* path);
Result<void> path_mkdir(const PathContext& context, const char* path, u32 mode);
// mknod(2): mode's type bits say what (a regular file, a device, a FIFO, a socket); rdev for devices.
Result<void> path_mknod(const PathContext& context, const char* path, u32 mode, u64 rdev);
Result<void> path_unlink(const PathContext& context, const char* path, UnlinkKind kind);
Result<void> path_rename(const PathContext& from_context, const char* from, const PathContext& to_context,
                         const char* to, u32 flags);
Result<void> path_link(const PathContext& from_context, const char* from, const PathContext& to_context,
                       const char* to, Follow follow);
Result<void> path_symlink(const char* target, const PathContext& context, const char* path);
Result<usize> path_readlink(const PathContext& context, const char* path, char* buffer, usize size);
// The root mounted over `inode` if it is a mount point (the newest mount, however many are stacked), else inode.
RefPtr<Inode> cross_mounts_down(RefPtr<Inode> inode);
// The absolute path of a directory below root (NUL-terminated in buffer). Returns its length; ERANGE if it
// does not fit, ENOENT for a removed directory, ENOTDIR for other inodes.
Result<usize> path_of(Inode* root, Inode* inode, char* buffer, usize size);
