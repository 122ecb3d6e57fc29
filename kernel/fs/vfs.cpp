// The file-system layer's entry points for the rest of the kernel (kernel/fs/vfs.h): building the root at
// boot, and path operations relative to the system's root.
//
// The tree at boot:
//   /          ramfs, 0755
//   /dev       null, zero, full, tty, console
//   /proc      the process file system (kernel/fs/procfs.cpp), attached as a directory entry
//   /tmp       01777
//   ...        whatever the initramfs holds (its "dev", "proc" and "tmp" entries merge with these)
#include "kernel/fs/vfs.h"

#include <cstring>

#include "kernel/fs/cpio.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/tty.h"
#include "kernel/log.h"

namespace {

RefPtr<RamDirectory> g_root;  // set once at boot, never changes

void make_device_node(RamDirectory& dev, const char* name, u32 permissions, u64 rdev) {
  MUST(dev.make_device(name, strlen(name), InodeType::CharDevice, permissions, rdev));
}

PathContext context_for(Inode* base) { return PathContext{g_root.get(), base ? base : g_root.get()}; }

}  // namespace

void vfs_init(const void* initramfs, usize size) {
  g_root = RamDirectory::create_root(0755);
  if (!g_root) panic("vfs: no memory for the root directory");
  RefPtr<RamDirectory> dev = MUST(g_root->make_directory("dev", 3, 0755));
  make_device_node(*dev, "null", 0666, DEV_NULL);
  make_device_node(*dev, "zero", 0666, DEV_ZERO);
  make_device_node(*dev, "full", 0666, DEV_FULL);
  make_device_node(*dev, "tty", 0666, DEV_TTY);
  make_device_node(*dev, "console", 0600, DEV_CONSOLE);
  RefPtr<Inode> proc = procfs_create_root(g_root.get());
  if (!proc) panic("vfs: no memory for /proc");
  MUST(g_root->link("proc", 4, *proc));
  MUST(g_root->make_directory("tmp", 3, 01777));
  tty_init();

  if (initramfs && size) {
    CpioResult r = cpio_unpack(*g_root, static_cast<const u8*>(initramfs), size);
    LOG_INFO("vfs: initramfs: %zu entries from %zu archive(s)%s%s", r.entries, r.archives,
             r.skipped ? ", some skipped" : "", r.is_complete ? "" : ", INCOMPLETE (see the warnings)");
  } else {
    LOG_WARN("vfs: no initramfs: the root holds only /dev, /proc and /tmp");
  }
}

RefPtr<Inode> vfs_root() { return g_root; }

Result<RefPtr<Inode>> vfs_lookup(Inode* base, const char* path, bool follow_final_symlink) {
  return path_lookup(context_for(base), path, follow_final_symlink ? Follow::Yes : Follow::No);
}

Result<RefPtr<File>> vfs_open(Inode* base, const char* path, u32 flags, u32 mode) {
  return path_open(context_for(base), path, flags, mode);
}

Result<RefPtr<File>> vfs_open_for_exec(Inode* base, const char* path) {
  return path_open_for_exec(context_for(base), path);
}

Result<usize> vfs_path_of(Inode* inode, char* buffer, usize size) {
  return path_of(g_root.get(), inode, buffer, size);
}

bool vfs_is_directory(Inode* inode) { return inode && inode->is_directory(); }
