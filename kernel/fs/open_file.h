// The kinds of open file description (File subclasses) that inodes hand out, made through these factories so
// that the classes stay private to their .cpp files:
//
//   regular files        kernel/fs/regular_file.cpp   offset, O_APPEND, over the inode's data operations
//   directories          kernel/fs/regular_file.cpp   getdents64 over Inode::list, cookies as offsets
//   generated text       kernel/fs/proc_file.cpp      /proc files (made through ProcTextSource, kernel/fs/procfs.h)
//   devices              kernel/fs/devices.cpp        /dev/null, /dev/zero, /dev/full, the terminal
//   disks                kernel/fs/block_device_file.cpp   /dev/vda, /dev/vdb... (drivers/block/)
//   pipes, the console   kernel/fs/pipe.h, kernel/fs/tty.cpp
#pragma once

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"

// Open-time flags kept in the description (Linux drops these four after open; O_LARGEFILE is implied on
// 64-bit machines and F_GETFL shows it).
constexpr u32 O_LARGEFILE = 0100000;
u32 open_flags_to_keep(u32 flags);

Result<RefPtr<File>> regular_file_open(Inode& inode, u32 flags);
// RLIMIT_FSIZE for a regular file that would grow to size bytes (truncate, ftruncate): past the caller's limit,
// SIGXFSZ to the caller and EFBIG (Linux's inode_newsize_ok). Writes are cut at the limit by the file itself.
Result<void> check_file_size_limit(u64 size);
Result<RefPtr<File>> directory_file_open(Inode& inode, u32 flags);
// The file behind a device node, FIFO or socket of any file system: what its type and rdev name.
Result<RefPtr<File>> special_file_open(Inode& inode, u32 flags);
// The file behind a device node (inode may be nullptr for devices opened without one).
Result<RefPtr<File>> device_open(u64 rdev, u32 flags, Inode* inode);
// The file behind a block device node (a disk of the registry, drivers/block/block_device.h).
Result<RefPtr<File>> block_device_file_open(u64 rdev, u32 flags, Inode* inode);

// Linux's numbers for the devices we have.
constexpr u64 DEV_NULL = make_device(1, 3);
constexpr u64 DEV_ZERO = make_device(1, 5);
constexpr u64 DEV_FULL = make_device(1, 7);
constexpr u64 DEV_RANDOM = make_device(1, 8);
constexpr u64 DEV_URANDOM = make_device(1, 9);
constexpr u64 DEV_TTY = make_device(5, 0);
constexpr u64 DEV_CONSOLE = make_device(5, 1);
