// The file-system layer's entry points for the rest of the kernel (kernel/fs/vfs.h): building the root at
// boot, and path operations relative to the system's root.
//
// The tree at boot:
//   /          ramfs ("rootfs"), 0755
//   /dev       null, zero, full, tty, console; the disks (vda, vdb...) once drivers have found them
//   /proc      the process file system (kernel/fs/procfs.cpp), mounted
//   /tmp       01777
//   ...        whatever the initramfs holds (its "dev", "proc" and "tmp" entries merge with these)
#include "kernel/fs/vfs.h"

#include <cstring>

#include "drivers/block/block_device.h"
#include "kernel/fs/cpio.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/tty.h"
#include "kernel/log.h"

namespace {

RefPtr<Inode> g_root;  // the root ramfs's root directory: set once at boot, never changes

void make_device_node(RamDirectory& dev, const char* name, u32 permissions, u64 rdev) {
  NewInode what;
  what.type = InodeType::CharDevice;
  what.permissions = permissions;
  what.rdev = rdev;
  MUST(dev.create(name, strlen(name), what, CreateMode::Exclusive));
}

PathContext context_for(Inode* base, RefPtr<Inode>& root) {
  root = vfs_root();
  return PathContext{root.get(), base ? base : root.get()};
}

}  // namespace

void vfs_init(const void* initramfs, usize size) {
  RefPtr<RamDirectory> root = MUST(RamFs::create("rootfs", RAMFS_DEVICE, 0755));
  MUST(mount_attach(root->file_system(), nullptr, "rootfs", 0));
  g_root = root;
  RefPtr<RamDirectory> dev = MUST(root->make_directory("dev", 3, 0755));
  make_device_node(*dev, "null", 0666, DEV_NULL);
  make_device_node(*dev, "zero", 0666, DEV_ZERO);
  make_device_node(*dev, "full", 0666, DEV_FULL);
  make_device_node(*dev, "tty", 0666, DEV_TTY);
  make_device_node(*dev, "console", 0600, DEV_CONSOLE);
  RefPtr<RamDirectory> proc_dir = MUST(root->make_directory("proc", 4, 0555));
  RefPtr<FileSystem> proc = MUST(procfs_create(PROCFS_DEVICE));
  MUST(mount_attach(*proc, proc_dir.get(), "proc",
                    mount_flags::NOSUID | mount_flags::NODEV | mount_flags::NOEXEC | mount_flags::RELATIME));
  MUST(root->make_directory("tmp", 3, 01777));
  tty_init();

  if (initramfs && size) {
    CpioResult r = cpio_unpack(*root, static_cast<const u8*>(initramfs), size);
    LOG_INFO("vfs: initramfs: %zu entries from %zu archive(s)%s%s", r.entries, r.archives,
             r.skipped ? ", some skipped" : "", r.is_complete ? "" : ", INCOMPLETE (see the warnings)");
  } else {
    LOG_WARN("vfs: no initramfs: the root holds only /dev, /proc and /tmp");
  }
}

// What "/" names: the root ramfs, or what is mounted over it.
RefPtr<Inode> vfs_root() { return cross_mounts_down(g_root); }

Result<RefPtr<Inode>> vfs_lookup(Inode* base, const char* path, bool follow_final_symlink) {
  RefPtr<Inode> root;
  return path_lookup(context_for(base, root), path, follow_final_symlink ? Follow::Yes : Follow::No);
}

Result<RefPtr<File>> vfs_open(Inode* base, const char* path, u32 flags, u32 mode) {
  RefPtr<Inode> root;
  return path_open(context_for(base, root), path, flags, mode);
}

Result<RefPtr<File>> vfs_open_for_exec(Inode* base, const char* path) {
  RefPtr<Inode> root;
  return path_open_for_exec(context_for(base, root), path);
}

Result<usize> vfs_path_of(Inode* inode, char* buffer, usize size) {
  RefPtr<Inode> root = vfs_root();
  return path_of(root.get(), inode, buffer, size);
}

void vfs_shutdown() { mount_shutdown(); }

bool vfs_is_directory(Inode* inode) { return inode && inode->is_directory(); }

void vfs_add_disk_nodes() {
  auto dev = g_root->lookup("dev", 3);
  if (dev.is_error()) return;
  for (usize i = 0; i < block_device_count(); i++) {
    RefPtr<BlockDevice> disk = block_device_at(i);
    NewInode what;
    what.type = InodeType::BlockDevice;
    what.permissions = 0660;  // root:disk on Linux; there is one user here
    what.rdev = disk->device_number();
    auto made = dev.value()->create(disk->name(), strlen(disk->name()), what, CreateMode::Exclusive);
    if (made.is_error()) LOG_WARN("vfs: cannot make /dev/%s (%s)", disk->name(), error_name(made.error()));
  }
}
