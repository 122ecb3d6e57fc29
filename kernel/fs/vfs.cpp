// The file-system layer's entry points for the rest of the kernel (kernel/fs/vfs.h): building the root at
// boot, and path operations relative to the system's root.
//
// The tree at boot:
//   /          ramfs ("rootfs"), 0755
//   /dev       null, zero, full, random, urandom, tty, console; the disks (vda, vdb...) once drivers have found them
//   /proc      the process file system (kernel/fs/procfs.cpp), mounted
//   /tmp       01777
//   ...        whatever the initramfs holds (its "dev", "proc" and "tmp" entries merge with these)
#include "kernel/fs/vfs.h"

#include <cstring>

#include "drivers/block/block_device.h"
#include "kernel/cmdline.h"
#include "kernel/fs/cpio.h"
#include "kernel/fs/ext2/block_cache.h"
#include "kernel/fs/ext2/ext2_vfs.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/tty.h"
#include "kernel/log.h"
#include "lib/format.h"

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
  // As Linux's rootfs when it is a tmpfs: half of RAM at most, so that filling /tmp gives ENOSPC, not an
  // out-of-memory kill. While the archive is unpacked its own frames are still taken (and on a 32 MiB machine
  // half of what is left is less than the archive holds): all of RAM until vfs_root_fit_to_memory sets the half.
  RefPtr<RamDirectory> root =
      MUST(RamFs::create("rootfs", RAMFS_DEVICE, 0755, 2 * RamFs::default_size_pages() + 1));
  MUST(mount_attach(root->file_system(), nullptr, "rootfs", 0));
  g_root = root;
  (void)file_max();  // (fixed now, from the memory free at boot, as Linux's files_maxfiles_init)
  memfd_init();
  RefPtr<RamDirectory> dev = MUST(root->make_directory("dev", 3, 0755));
  make_device_node(*dev, "null", 0666, DEV_NULL);
  make_device_node(*dev, "zero", 0666, DEV_ZERO);
  make_device_node(*dev, "full", 0666, DEV_FULL);
  make_device_node(*dev, "random", 0666, DEV_RANDOM);
  make_device_node(*dev, "urandom", 0666, DEV_URANDOM);
  make_device_node(*dev, "tty", 0666, DEV_TTY);
  make_device_node(*dev, "console", 0600, DEV_CONSOLE);
  RefPtr<RamDirectory> proc_dir = MUST(root->make_directory("proc", 4, 0555));
  RefPtr<FileSystem> proc = MUST(procfs_create(PROCFS_DEVICE));
  MUST(mount_attach(*proc, proc_dir.get(), "proc",
                    mount_flags::NOSUID | mount_flags::NODEV | mount_flags::NOEXEC | mount_flags::RELATIME));
  MUST(root->make_directory("tmp", 3, 01777));
  MUST(root->make_directory("mnt", 3, 0755));
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
void vfs_root_fit_to_memory() {
  static_cast<RamFs&>(g_root->file_system()).set_size_pages(RamFs::default_size_pages());
}

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

u64 vfs_reclaimable_frames() { return block_cache_reclaimable_frames() + ext2_unused_cache_frames(); }
u64 vfs_buffer_frames() { return block_cache_frames(); }
u64 vfs_page_cache_frames() { return ext2_cache_frames(); }
u64 vfs_dirty_frames() { return ext2_dirty_frames(); }

bool vfs_is_directory(Inode* inode) { return inode && inode->is_directory(); }

// mount=DEV:PATH[:ro][,DEV:PATH...]: each an ext2 volume on /dev/DEV, mounted at PATH (made if missing).
void vfs_mount_from_command_line() {
  const char* spec = cmdline_get("mount");
  if (!spec) return;
  while (*spec) {
    const char* end = spec;
    while (*end && *end != ',') end++;
    char item[256];
    usize len = static_cast<usize>(end - spec) < sizeof item - 1 ? static_cast<usize>(end - spec) : sizeof item - 1;
    memcpy(item, spec, len);
    item[len] = '\0';
    spec = *end ? end + 1 : end;
    char* path = strchr(item, ':');
    if (!path || path == item || !path[1]) {
      LOG_WARN("vfs: mount=%s: expected DEVICE:PATH[:ro]", item);
      continue;
    }
    *path++ = '\0';
    bool read_only = false;
    if (char* option = strchr(path, ':')) {
      *option++ = '\0';
      read_only = strcmp(option, "ro") == 0;
    }
    RefPtr<BlockDevice> disk = block_device_find(item);
    if (!disk) {
      LOG_WARN("vfs: mount=%s:%s: there is no disk %s", item, path, item);
      continue;
    }
    RefPtr<Inode> point;
    auto found = vfs_lookup(nullptr, path);
    if (found.is_error()) {
      RefPtr<Inode> root = vfs_root();
      auto made = path_mkdir(PathContext{root.get(), root.get()}, path, 0755);
      if (!made.is_error()) found = vfs_lookup(nullptr, path);
    }
    if (found.is_error()) {
      LOG_WARN("vfs: mount=%s:%s: no directory %s (%s)", item, path, path, error_name(found.error()));
      continue;
    }
    point = found.release_value();
    auto root = ext2_mount(disk, read_only, nullptr);
    if (root.is_error()) {
      LOG_WARN("vfs: cannot mount %s at %s: %s (the kernel log above says why)", item, path, error_name(root.error()));
      continue;
    }
    char source[32];
    format(source, sizeof source, "/dev/%s", item);
    auto attached = mount_attach(root.value()->file_system(), point.get(), source, mount_flags::RELATIME);
    if (attached.is_error()) {
      LOG_WARN("vfs: cannot mount %s at %s: %s", item, path, error_name(attached.error()));
      (void)root.value()->file_system().unmount(FileSystem::Unmount::Now);
      continue;
    }
    LOG_INFO("vfs: mounted /dev/%s at %s (ext2%s)", item, path, read_only ? ", read-only" : "");
  }
}

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
