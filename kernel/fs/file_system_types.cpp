// The file-system types mount(2) knows (kernel/fs/file_system_types.h).
#include "kernel/fs/file_system_types.h"

#include <cstring>

#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"

Result<RefPtr<Inode>> file_system_create(const char* type, const char* /*source*/, bool read_only,
                                         const char* /*options*/) {
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
