// The file-system layer as the rest of the kernel uses it. Implemented in kernel/fs/.
//
// The root is an in-memory file system (ramfs) filled at boot from the initramfs (cpio "newc" archives,
// concatenated ones included), with /dev (console, null, zero) and /proc mounted on it; other file systems
// are mounted at boot (kernel arguments) or by mount(2) (kernel/fs/mount.h).
#pragma once

#include "kernel/console.h"
#include "kernel/fs/file.h"
#include "lib/refptr.h"
#include "lib/result.h"

class Inode;

// Boot: build the root file system and unpack the initramfs at [data, data+size) (may be empty).
void vfs_init(const void* initramfs, usize size);
// Boot, after the drivers: a block device node in /dev for each disk of the registry (/dev/vda...).
void vfs_add_disk_nodes();

RefPtr<Inode> vfs_root();
// Boot, after the initramfs archive is freed: the root file system's size becomes half of the RAM now free to use.
void vfs_root_fit_to_memory();
// Resolve a path (absolute, or relative to `base`, a directory) to an inode.
Result<RefPtr<Inode>> vfs_lookup(Inode* base, const char* path, bool follow_final_symlink = true);
// open(2) semantics (flags are linux::O_*; mode for O_CREAT).
Result<RefPtr<File>> vfs_open(Inode* base, const char* path, u32 flags, u32 mode);
// Open for exec(2): a regular file with an execute permission bit (EACCES otherwise), read-only.
Result<RefPtr<File>> vfs_open_for_exec(Inode* base, const char* path);
// The absolute path of a directory or file (getcwd, /proc/PID/cwd). Returns the length.
Result<usize> vfs_path_of(Inode* inode, char* buffer, usize size);
// The mounts the kernel command line asks for (mount=vda:/mnt), once the disks are known.
void vfs_mount_from_command_line();
// Memory the file systems' caches hold that could be taken back at once (clean metadata blocks), and all the
// memory of those caches (Buffers in /proc/meminfo), in frames.
u64 vfs_reclaimable_frames();
u64 vfs_buffer_frames();
// The frames of disk files' pages kept in memory (the page cache of ext2 files; ramfs files are their own
// storage, not a cache), and how many of them the disk does not have yet.
u64 vfs_page_cache_frames();
u64 vfs_dirty_frames();
// Before powering off: write every file system back and unmount the disks cleanly (may sleep).
void vfs_shutdown();
// Whether an inode is a directory (chdir).
bool vfs_is_directory(Inode* inode);

// The console as an open file for one channel (init's fds 0, 1 and 2). Writes to a Stdout/Stderr console
// file go to that console channel (kernel/console.h); reads come from the terminal line discipline.
RefPtr<File> console_open(ConsoleChannel channel);
