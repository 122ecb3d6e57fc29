// The kinds of file system mount(2) can make, by the name it is given ("tmpfs", "proc", "ext2"...).
#pragma once

#include "kernel/fs/inode.h"

// A new file system of `type` (ENODEV for a type this kernel does not know), returned as its root directory
// (which holds the file system). source is what mount(2) was given as the device (may be nullptr); a disk
// file system looks it up as a block-device node, relative to `cwd` (ENOENT, ENOTBLK, ENXIO for a node with
// no disk behind it). read_only: mount it read-only. options: the file system's own options (mount(2)'s
// data, comma-separated; EINVAL for one it does not know).
Result<RefPtr<Inode>> file_system_create(const char* type, const char* source, Inode* cwd, bool read_only,
                                         const char* options);
