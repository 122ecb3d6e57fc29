// Path walking and the operations on names (kernel/fs/namei.h).
//
// Following a symbolic link splices its target in front of the rest of the path ("a/link/b" with link -> "x/y"
// continues as "x/y/b" from the link's directory, or from the root for an absolute target). Two MAX_PATH
// buffers take turns holding the spliced path, so following 40 links needs no recursion and little stack.
#include <cstring>

#include "kernel/fs/mount.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/open_file.h"
#include "mm/heap.h"

namespace {

// Holds a kmalloc'ed buffer for the scope (a path being built).
class KernelBuffer {
 public:
  explicit KernelBuffer(usize size) : m_data(static_cast<char*>(kmalloc(size))) {}
  ~KernelBuffer() { kfree(m_data); }
  AS_NONCOPYABLE(KernelBuffer);
  char* get() const { return m_data; }

 private:
  char* m_data;
};

// The name /proc/PID/maps shows for a file created in `dir`: its path when it can be had, else the bare name.
void object_name_for(Inode* root, Inode& dir, const LastComponent& last, char* out, usize size) {
  usize n = 0;
  auto parent = path_of(root, &dir, out, size);
  if (!parent.is_error()) n = parent.value();
  if (n == 1) n = 0;  // the root: "/" + name
  if (n + 1 + last.length >= size) n = 0;
  out[n++] = '/';
  memcpy(out + n, last.name, last.length);
  out[n + last.length] = '\0';
}

}  // namespace

// ---- Mount points ----

RefPtr<Inode> cross_mounts_down(RefPtr<Inode> inode) {
  while (inode->is_mount_point()) {
    RefPtr<Inode> covering = mount_covering(*inode);
    if (!covering) break;  // unmounted meanwhile
    inode = static_cast<RefPtr<Inode>&&>(covering);
  }
  return inode;
}

// The mount point under a mounted root (and under that one's, for stacked mounts), stopping at `stop`.
static RefPtr<Inode> cross_mounts_up(RefPtr<Inode> inode, Inode* stop) {
  while (inode.get() != stop && inode->is_mount_root()) {
    RefPtr<Inode> covered = mount_covered(*inode);
    if (!covered) break;  // the system root, or unmounted meanwhile
    inode = static_cast<RefPtr<Inode>&&>(covered);
  }
  return inode;
}

// ---- PathWalker ----

PathWalker::PathWalker(const PathContext& context)
    : m_root(context.root), m_base(context.base ? context.base : context.root), m_resolve(context.resolve) {
  if (m_resolve & (Resolve::Beneath | Resolve::InRoot)) m_root = m_base;  // nothing above base is reachable
}

// As Linux's nd_jump_link and pick_link: no link at all with NoSymlinks; no magic link with NoMagicLinks
// (ELOOP), nor in a scoped walk (Beneath, InRoot: EXDEV); no absolute target beneath the start.
Result<void> PathWalker::check_follow(bool is_magic, const char* target) const {
  if (m_resolve & Resolve::NoSymlinks) return Error::LOOP;
  if (is_magic && (m_resolve & Resolve::NoMagicLinks)) return Error::LOOP;
  if (is_magic && (m_resolve & (Resolve::Beneath | Resolve::InRoot))) return Error::XDEV;
  if (target && target[0] == '/' && (m_resolve & Resolve::Beneath)) return Error::XDEV;
  return {};
}

PathWalker::~PathWalker() {
  kfree(m_buffers[0]);
  kfree(m_buffers[1]);
}

Result<RefPtr<Inode>> PathWalker::resolve(const char* path, Follow follow_last) {
  return walk(RefPtr<Inode>(m_base), path, follow_last, nullptr);
}

Result<RefPtr<Inode>> PathWalker::resolve_parent(const char* path, LastComponent& last) {
  return walk(RefPtr<Inode>(m_base), path, Follow::No, &last);
}

Result<RefPtr<Inode>> PathWalker::resolve_link_parent(Inode& dir, Inode& link, LastComponent& last) {
  const char* target = TRY(splice(link, "", false));
  return walk(RefPtr<Inode>(&dir), target, Follow::No, &last);
}

// "..": the parent, stopping at the walk's root; at a mounted root, the parent of the mount point.
Result<RefPtr<Inode>> PathWalker::go_up(RefPtr<Inode> current) {
  if (current.get() == m_root) {
    if (m_resolve & Resolve::Beneath) return Error::XDEV;  // out of the tree the walk must stay in
    return current;
  }
  Inode* before = current.get();
  current = cross_mounts_up(static_cast<RefPtr<Inode>&&>(current), m_root);
  if (current.get() != before && (m_resolve & Resolve::NoXdev)) return Error::XDEV;
  if (current.get() == m_root) return current;
  return cross_mounts_down(TRY(current->parent()));
}

Result<RefPtr<Inode>> PathWalker::follow_magic_link(Inode& link) {
  RefPtr<Inode> target = TRY(link.follow_link());
  if (target) TRY(check_follow(true, nullptr));
  if (target && ++m_links_followed > fs_limits::SYMLINK_MAX) return Error::LOOP;
  return target ? cross_mounts_down(static_cast<RefPtr<Inode>&&>(target)) : target;
}

Result<const char*> PathWalker::splice(Inode& link, const char* rest, bool trailing_slash) {
  if (++m_links_followed > fs_limits::SYMLINK_MAX) return Error::LOOP;
  int spare = m_current ^ 1;
  if (!m_buffers[spare]) {
    m_buffers[spare] = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
    if (!m_buffers[spare]) return Error::NOMEM;
  }
  char* out = m_buffers[spare];
  usize n = TRY(link.readlink(out, fs_limits::MAX_PATH));
  if (n == 0) return Error::NOENT;  // an empty target names nothing
  if (n >= fs_limits::MAX_PATH) return Error::NAMETOOLONG;
  out[n] = '\0';
  TRY(check_follow(false, out));
  usize rest_length = strlen(rest);
  if (rest_length) {
    if (n + 1 + rest_length >= fs_limits::MAX_PATH) return Error::NAMETOOLONG;
    out[n++] = '/';
    memcpy(out + n, rest, rest_length);
    n += rest_length;
  } else if (trailing_slash) {
    out[n++] = '/';  // the target must then be a directory too
  }
  out[n] = '\0';
  m_current = spare;  // `rest` pointed into the other buffer (or the caller's path): it is not needed any more
  return out;
}

Result<RefPtr<Inode>> PathWalker::walk(RefPtr<Inode> start, const char* path, Follow follow_last,
                                       LastComponent* last) {
  if (!*path) return Error::NOENT;
  if (path[0] == '/' && (m_resolve & Resolve::Beneath)) return Error::XDEV;
  RefPtr<Inode> current = path[0] == '/' ? RefPtr<Inode>(m_root) : static_cast<RefPtr<Inode>&&>(start);
  const char* p = path;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) {
      // Only slashes were left: the path names `current` itself ("/", or a link to "/").
      if (last) *last = LastComponent{p, 0, true};
      return current;
    }
    const char* name = p;
    while (*p && *p != '/') p++;
    usize length = static_cast<usize>(p - name);
    if (length > fs_limits::MAX_NAME) return Error::NAMETOOLONG;
    const char* rest = p;
    while (*rest == '/') rest++;
    bool is_last = *rest == '\0';
    bool trailing_slash = is_last && rest != p;
    if (!current->is_directory()) return Error::NOTDIR;
    if (is_last && last) {
      *last = LastComponent{name, length, trailing_slash};
      return current;
    }
    p = rest;
    if (length == 1 && name[0] == '.') {
      if (is_last) return current;
      continue;
    }
    if (length == 2 && name[0] == '.' && name[1] == '.') {
      current = TRY(go_up(static_cast<RefPtr<Inode>&&>(current)));
      if (is_last) return current;
      continue;
    }
    RefPtr<Inode> found = TRY(current->lookup(name, length));
    if (found->is_mount_point() && (m_resolve & Resolve::NoXdev)) return Error::XDEV;
    RefPtr<Inode> child = cross_mounts_down(static_cast<RefPtr<Inode>&&>(found));
    if (child->is_symlink() && (!is_last || follow_last == Follow::Yes || trailing_slash)) {
      if (RefPtr<Inode> target = TRY(follow_magic_link(*child))) {
        if (is_last) {
          if (trailing_slash && !target->is_directory()) return Error::NOTDIR;
          return target;
        }
        current = static_cast<RefPtr<Inode>&&>(target);
        continue;
      }
      const char* spliced = TRY(splice(*child, rest, trailing_slash));
      if (spliced[0] == '/') current = RefPtr<Inode>(m_root);
      p = spliced;  // continue in `current`, the directory holding the link
      continue;
    }
    if (is_last) {
      if (trailing_slash && !child->is_directory()) return Error::NOTDIR;
      return child;
    }
    current = static_cast<RefPtr<Inode>&&>(child);
  }
}

// ---- Operations ----

Result<RefPtr<Inode>> path_lookup(const PathContext& context, const char* path, Follow follow_last) {
  PathWalker walker(context);
  return walker.resolve(path, follow_last);
}

static u32 created_permissions(const PathContext& context, u32 mode) { return mode & 07777 & ~context.umask; }

// Opening with O_CREAT: find or create the last component, following a final symbolic link (creating its
// target if it dangles) unless O_NOFOLLOW or O_EXCL say otherwise.
static Result<RefPtr<Inode>> open_or_create(const PathContext& context, PathWalker& walker, const char* path,
                                            u32 flags, u32 mode) {
  LastComponent last;
  RefPtr<Inode> dir = TRY(walker.resolve_parent(path, last));
  for (;;) {
    if (last.is_special() || last.has_trailing_slash) return Error::ISDIR;
    auto existing = dir->lookup(last.name, last.length);
    if (!existing.is_error()) {
      if (flags & linux::O_EXCL) return Error::EXIST;
      RefPtr<Inode> inode = existing.release_value();
      if (!inode->is_symlink()) return cross_mounts_down(static_cast<RefPtr<Inode>&&>(inode));
      if (flags & linux::O_NOFOLLOW) return Error::LOOP;
      if (RefPtr<Inode> target = TRY(walker.follow_magic_link(*inode))) return target;
      dir = TRY(walker.resolve_link_parent(*dir, *inode, last));
      continue;
    }
    if (existing.error() != Error::NOENT) return existing.error();
    if (!dir->is_directory()) return Error::NOTDIR;
    TRY(dir->file_system().check_writable());
    KernelBuffer object_name(fs_limits::MAX_PATH);
    if (!object_name.get()) return Error::NOMEM;
    object_name_for(context.root, *dir, last, object_name.get(), fs_limits::MAX_PATH);
    NewInode what;
    what.type = InodeType::Regular;
    what.permissions = created_permissions(context, mode);
    what.object_name = object_name.get();
    CreateMode create_mode = flags & linux::O_EXCL ? CreateMode::Exclusive : CreateMode::OpenExisting;
    return dir->create(last.name, last.length, what, create_mode);
  }
}

Result<void> truncate_inode(Inode& inode, u64 size) {
  TRY(inode.get_write_access());  // ETXTBSY while a process runs the file (Linux's vfs_truncate, handle_truncate)
  auto result = check_file_size_limit(size);  // RLIMIT_FSIZE
  if (!result.is_error()) result = inode.truncate(size);
  inode.put_write_access();
  return result;
}

Result<RefPtr<File>> path_open(const PathContext& context, const char* path, u32 flags, u32 mode) {
  u32 access = flags & linux::O_ACCMODE;
  if (access == linux::O_ACCMODE) return Error::INVAL;
  PathWalker walker(context);
  RefPtr<Inode> inode;
  if (flags & linux::O_TMPFILE_BIT) {
    // O_TMPFILE (with O_DIRECTORY, for writing, never O_CREAT): an unnamed file in the directory path names.
    if (!(flags & linux::O_DIRECTORY) || (flags & linux::O_CREAT) || access == linux::O_RDONLY) return Error::INVAL;
    RefPtr<Inode> dir = TRY(walker.resolve(path, Follow::Yes));
    if (!dir->is_directory()) return Error::NOTDIR;
    TRY(dir->file_system().check_writable());
    NewInode what;
    what.permissions = mode & 07777 & ~context.umask;
    what.object_name = "/#tmpfile";  // (/proc adds " (deleted)": it has no links)
    inode = TRY(dir->create_unnamed(what));
  } else if (flags & linux::O_CREAT) {
    inode = TRY(open_or_create(context, walker, path, flags, mode));
  } else {
    inode = TRY(walker.resolve(path, flags & linux::O_NOFOLLOW ? Follow::No : Follow::Yes));
    if (inode->is_symlink()) return Error::LOOP;  // O_NOFOLLOW met a link
  }
  bool writes = access != linux::O_RDONLY || (flags & linux::O_TRUNC);
  // (O_TMPFILE's O_DIRECTORY was for the directory; F_GETFL shows both bits, as on Linux.)
  if ((flags & linux::O_DIRECTORY) && !(flags & linux::O_TMPFILE_BIT) && !inode->is_directory()) return Error::NOTDIR;
  if (inode->is_directory() && (writes || (flags & linux::O_CREAT))) return Error::ISDIR;
  // Devices, FIFOs and sockets may be written on a read-only file system; files may not (do_dentry_open).
  if (writes && inode->is_regular()) TRY(inode->file_system().check_writable());
  RefPtr<File> file = TRY(inode->open(flags));
  // Linux truncates on O_TRUNC even with O_RDONLY (root may write anything), but not a running program.
  if ((flags & linux::O_TRUNC) && inode->is_regular()) TRY(truncate_inode(*inode, 0));
  return file;
}

Result<RefPtr<File>> path_open_for_exec(const PathContext& context, const char* path) {
  RefPtr<Inode> inode = TRY(path_lookup(context, path, Follow::Yes));
  // Even root needs an execute bit; directories and devices are never executable (execve(2): EACCES).
  if (!inode->is_regular() || !inode->is_executable()) return Error::ACCESS;
  return inode->open(linux::O_RDONLY);
}

// The directory for a new name (mkdir, mknod, symlink, link), with Linux's errnos: EEXIST if the name exists
// (before EROFS), ENOENT for a trailing slash on a missing name (except mkdir, which allows one).
static Result<RefPtr<Inode>> directory_for_new_name(PathWalker& walker, const char* path, LastComponent& last,
                                                     bool allow_trailing_slash) {
  RefPtr<Inode> dir = TRY(walker.resolve_parent(path, last));
  if (last.is_special()) return Error::EXIST;
  auto existing = dir->lookup(last.name, last.length);
  if (!existing.is_error()) return Error::EXIST;
  if (existing.error() != Error::NOENT) return existing.error();
  if (last.has_trailing_slash && !allow_trailing_slash) return Error::NOENT;
  TRY(dir->file_system().check_writable());
  return dir;
}

Result<void> path_mkdir(const PathContext& context, const char* path, u32 mode) {
  PathWalker walker(context);
  LastComponent last;
  RefPtr<Inode> dir = TRY(directory_for_new_name(walker, path, last, true));
  NewInode what;
  what.type = InodeType::Directory;
  what.permissions = mode & 01777 & ~context.umask;
  TRY(dir->create(last.name, last.length, what, CreateMode::Exclusive));
  return {};
}

Result<void> path_mknod(const PathContext& context, const char* path, u32 mode, u64 rdev) {
  InodeType type;
  switch (mode & linux::S_IFMT) {
    case 0:
    case linux::S_IFREG: type = InodeType::Regular; break;
    case linux::S_IFCHR: type = InodeType::CharDevice; break;
    case linux::S_IFBLK: type = InodeType::BlockDevice; break;
    case linux::S_IFIFO: type = InodeType::Fifo; break;
    case linux::S_IFSOCK: type = InodeType::Socket; break;
    case linux::S_IFDIR: return Error::PERM;  // mknod(2): directories are made with mkdir
    default: return Error::INVAL;
  }
  PathWalker walker(context);
  LastComponent last;
  RefPtr<Inode> dir = TRY(directory_for_new_name(walker, path, last, false));
  NewInode what;
  what.type = type;
  what.permissions = created_permissions(context, mode);
  what.rdev = type == InodeType::CharDevice || type == InodeType::BlockDevice ? rdev : 0;
  TRY(dir->create(last.name, last.length, what, CreateMode::Exclusive));
  return {};
}

Result<void> path_unlink(const PathContext& context, const char* path, UnlinkKind kind) {
  PathWalker walker(context);
  LastComponent last;
  RefPtr<Inode> dir = TRY(walker.resolve_parent(path, last));
  if (kind == UnlinkKind::Directory) {
    if (last.is_empty()) return Error::BUSY;        // rmdir("/")
    if (last.is_dot()) return Error::INVAL;         // rmdir(".")
    if (last.is_dot_dot()) return Error::NOTEMPTY;  // rmdir("..")
  } else {
    if (last.is_special()) return Error::ISDIR;
  }
  TRY(dir->file_system().check_writable());
  RefPtr<Inode> victim = TRY(dir->lookup(last.name, last.length));
  if (kind == UnlinkKind::NonDirectory && last.has_trailing_slash) {
    // unlink("name/"): a directory is EISDIR, anything else ENOTDIR.
    return victim->is_directory() ? Error::ISDIR : Error::NOTDIR;
  }
  if (kind == UnlinkKind::Directory && !victim->is_directory()) return Error::NOTDIR;
  if (kind == UnlinkKind::NonDirectory && victim->is_directory()) return Error::ISDIR;
  if (victim->is_mount_point()) return Error::BUSY;
  return dir->unlink(last.name, last.length, kind);
}

Result<void> path_rename(const PathContext& from_context, const char* from, const PathContext& to_context,
                         const char* to, u32 flags) {
  if (flags & ~RenameFlag::NoReplace) return Error::INVAL;
  PathWalker from_walker(from_context);
  PathWalker to_walker(to_context);
  LastComponent from_last, to_last;
  RefPtr<Inode> from_dir = TRY(from_walker.resolve_parent(from, from_last));
  RefPtr<Inode> to_dir = TRY(to_walker.resolve_parent(to, to_last));
  if (&from_dir->file_system() != &to_dir->file_system()) return Error::XDEV;
  if (from_last.is_special() || to_last.is_special()) return flags & RenameFlag::NoReplace ? Error::EXIST : Error::BUSY;
  TRY(from_dir->file_system().check_writable());
  RefPtr<Inode> source = TRY(from_dir->lookup(from_last.name, from_last.length));
  if ((from_last.has_trailing_slash || to_last.has_trailing_slash) && !source->is_directory()) return Error::NOTDIR;
  if (source->is_mount_point()) return Error::BUSY;
  auto target = to_dir->lookup(to_last.name, to_last.length);
  if (!target.is_error() && target.value()->is_mount_point() && target.value().get() != source.get()) return Error::BUSY;
  return from_dir->rename(from_last.name, from_last.length, *to_dir, to_last.name, to_last.length, flags);
}

Result<void> path_link(const PathContext& from_context, const char* from, const PathContext& to_context,
                       const char* to, Follow follow) {
  RefPtr<Inode> source = TRY(path_lookup(from_context, from, follow));
  if (source->is_directory()) return Error::PERM;
  PathWalker walker(to_context);
  LastComponent last;
  RefPtr<Inode> dir = TRY(directory_for_new_name(walker, to, last, false));
  if (&source->file_system() != &dir->file_system()) return Error::XDEV;
  return dir->link(last.name, last.length, *source);
}

Result<void> path_symlink(const char* target, const PathContext& context, const char* path) {
  if (!*target) return Error::NOENT;
  PathWalker walker(context);
  LastComponent last;
  RefPtr<Inode> dir = TRY(directory_for_new_name(walker, path, last, false));
  NewInode what;
  what.type = InodeType::Symlink;
  what.permissions = 0777;
  what.target = target;
  what.target_length = strlen(target);
  TRY(dir->create(last.name, last.length, what, CreateMode::Exclusive));
  return {};
}

Result<usize> path_readlink(const PathContext& context, const char* path, char* buffer, usize size) {
  RefPtr<Inode> inode = TRY(path_lookup(context, path, Follow::No));
  if (!inode->is_symlink()) return Error::INVAL;
  return inode->readlink(buffer, size);
}

Result<usize> path_of(Inode* root, Inode* inode, char* buffer, usize size) {
  KernelBuffer scratch(fs_limits::MAX_PATH);
  if (!scratch.get()) return Error::NOMEM;
  // Built from the end: each step prepends "/name".
  char* text = scratch.get();
  usize start = fs_limits::MAX_PATH - 1;
  text[start] = '\0';
  RefPtr<Inode> current(inode);
  for (;;) {
    current = cross_mounts_up(static_cast<RefPtr<Inode>&&>(current), root);
    if (current.get() == root) break;
    RefPtr<Inode> parent = TRY(current->parent());
    if (parent.get() == current.get()) break;  // another tree's root (a detached mount): as good as ours
    char name[fs_limits::MAX_NAME + 1];
    usize length = TRY(parent->name_of(*current, name, fs_limits::MAX_NAME));
    if (length + 1 > start) return Error::NAMETOOLONG;
    start -= length;
    memcpy(text + start, name, length);
    text[--start] = '/';
    current = static_cast<RefPtr<Inode>&&>(parent);
  }
  if (start == fs_limits::MAX_PATH - 1) text[--start] = '/';
  usize length = fs_limits::MAX_PATH - 1 - start;
  if (length + 1 > size) return Error::RANGE;
  memcpy(buffer, text + start, length + 1);
  return length;
}
