// The mount table: which file system is attached where in the one name space.
//
// A mount attaches a file system's root directory over a directory (the mount point) of another file system.
// Path walks cross mount points downwards (a walk that reaches a mount point continues in the mounted root,
// kernel/fs/namei.cpp) and upwards (".." at a mounted root goes to the mount point's parent). Mounts stack:
// mounting over a mount point attaches over the root that covers it, and the newest one is seen. The system
// root is the first mount; it covers nothing.
//
// Each inode that is a mount point or a mounted root carries a flag (Inode::m_mount_flags), so that the walk
// asks the table only at those inodes.
//
// Lock: g_mount_lock (a spinlock) protects the table and the flags. It is never held across a call into a file
// system: references are taken under it, and dropped (which may free a file system) after releasing it.
#pragma once

#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/text_builder.h"

// mount(2) flags (linux/mount.h).
namespace mount_flags {
constexpr u32 RDONLY = 1, NOSUID = 2, NODEV = 4, NOEXEC = 8, SYNCHRONOUS = 16, REMOUNT = 32, MANDLOCK = 64,
              DIRSYNC = 128, NOSYMFOLLOW = 256, NOATIME = 1024, NODIRATIME = 2048, BIND = 4096, MOVE = 8192,
              REC = 16384, SILENT = 32768, POSIXACL = 1u << 16, UNBINDABLE = 1u << 17, PRIVATE = 1u << 18,
              SLAVE = 1u << 19, SHARED = 1u << 20, RELATIME = 1u << 21, STRICTATIME = 1u << 24,
              LAZYTIME = 1u << 25;
constexpr u32 MGC_MASK = 0xffff0000, MGC_VALUE = 0xc0ed0000;  // the old "magic" in the high half
// Flags that only change how a mount behaves: recorded for /proc/mounts.
constexpr u32 PER_MOUNT = NOSUID | NODEV | NOEXEC | NOATIME | NODIRATIME | RELATIME | STRICTATIME;
// umount2(2) flags.
constexpr u32 MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;
}  // namespace mount_flags

// Attach fs over `mount_point` (nullptr: fs becomes the system root; once, at boot). `source` (copied) is
// what /proc/mounts shows in its first column; flags are the per-mount ones (NOSUID...). EBUSY if fs is
// mounted already, ENOTDIR unless both are directories.
Result<void> mount_attach(FileSystem& fs, Inode* mount_point, const char* source, u32 flags);
// Detach the mount whose root is `root` (umount2). EINVAL if `root` is not a mounted root or is the system
// root; EBUSY if something still uses the file system or another mount sits inside it — unless MNT_DETACH,
// which detaches it now and lets it go when its last user does. `caller_references` are the caller's own
// references to root.
Result<void> mount_detach(Inode& root, u32 flags, u32 caller_references);
// mount -o remount: the read-only state (RDONLY) and the per-mount flags of the mount whose root is `root`.
// EINVAL if it is not a mounted root; EROFS if the file system cannot be made writable.
Result<void> mount_reconfigure(Inode& root, u32 flags);
// The root of the newest mount over `mount_point` (nullptr if none).
RefPtr<Inode> mount_covering(Inode& mount_point);
// The mount point a mounted root covers (nullptr for the system root or for a root that is not mounted).
RefPtr<Inode> mount_covered(Inode& root);
// The system root.
RefPtr<Inode> mount_system_root();
// The per-mount flags (mount_flags::PER_MOUNT bits) of the mount of fs (0 if it is not mounted).
u32 mount_flags_of(const FileSystem& fs);
// /proc/mounts: "source mount-point type rw|ro,options 0 0" per mount, oldest first.
Result<void> mount_print_table(TextBuilder& out, Inode& root);
// sync(2): every mounted file system.
Result<void> mount_sync_all();
// FileSystem::write_back of every mounted file system (the flusher).
Result<void> mount_write_back_all();
// Power-off: unmount every file system but the root, newest first, whatever uses them (their data is
// written and ext2 volumes are marked clean), then sync the root.
void mount_shutdown();
