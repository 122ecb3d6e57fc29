// The file-system types mount(2) knows (kernel/fs/file_system_types.h).
#include "kernel/fs/file_system_types.h"

#include <cstring>

#include "drivers/block/block_device.h"
#include "kernel/fs/ext2/ext2_vfs.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"

namespace {

// The disk behind a block-device node (Linux's lookup_bdev).
Result<RefPtr<BlockDevice>> disk_named(const char* source, Inode* cwd) {
  if (!source || !*source) return Error::NOENT;
  RefPtr<Inode> node = TRY(vfs_lookup(cwd, source));
  if (node->type() != InodeType::BlockDevice) return Error::NOTBLK;
  RefPtr<BlockDevice> disk = block_device_find_by_number(node->rdev());
  if (!disk) return Error::NXIO;
  return disk;
}

}  // namespace

Result<RefPtr<Inode>> file_system_create(const char* type, const char* source, Inode* cwd, bool read_only,
                                         const char* options) {
  if (strcmp(type, "ext2") == 0) {
    RefPtr<BlockDevice> disk = TRY(disk_named(source, cwd));
    return ext2_mount(static_cast<RefPtr<BlockDevice>&&>(disk), read_only, options);
  }
  RefPtr<Inode> root;
  if (strcmp(type, "tmpfs") == 0 || strcmp(type, "ramfs") == 0) {
    root = TRY(RamFs::create(strcmp(type, "tmpfs") == 0 ? "tmpfs" : "ramfs", FileSystem::allocate_anonymous_device(),
                             strcmp(type, "tmpfs") == 0 ? 01777 : 0755));
  } else if (strcmp(type, "proc") == 0) {
    RefPtr<FileSystem> fs = TRY(procfs_create(FileSystem::allocate_anonymous_device()));
    root = TRY(fs->root());
  } else {
    return Error::NODEV;
  }
  if (read_only) TRY(root->file_system().set_read_only(true));
  return root;
}
