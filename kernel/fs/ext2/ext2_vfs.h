// ext2 in the VFS: an Ext2Volume (kernel/fs/ext2/ext2_volume.h) as a FileSystem whose inodes are Ext2Inode
// objects.
//
//   Ext2FileSystem  one mounted volume; keeps the live Ext2Inode objects in a table by inode number (weak: an
//                   object leaves it when its last reference goes), so that one file is one object — what
//                   mount points and the link counts stat shows need.
//   Ext2Inode       one file. Its attributes (permission bits, owner, times, link count, size) are a copy of the
//                   disk inode's, refreshed whenever the volume writes that inode (Ext2Observer). While it lives
//                   the volume holds the inode (an unlinked open file keeps its blocks).
//
// File data: read() and write() go to the volume's buffer cache through a bounce page (user memory is never
// touched with the volume's lock held). mmap() makes the file's page cache, a MemoryObject (mm/vm_object.h) read
// in whole at the first mmap (holes stay holes); from then on reads come from those pages and writes go to both,
// so mappings and read/write agree. The object pins the inode (a mapping outlives close) and names the inode its
// ObjectWriter: stores through MAP_SHARED mappings make pages dirty (the pmap's modified bits), and only dirty
// pages are written back — by msync(MS_SYNC), fsync, sync, unmount, and the flusher thread, which every 5 s
// writes the dirty pages of every cached file and the dirty buffers of every volume, and drops the objects (and
// pins) nothing maps any more. Truncation shrinks the object: mappings past the new end get SIGBUS.
//
// Locks, in order: the volume's lock (sleeping), m_inodes_lock (spinlock), Inode::m_lock; an Ext2Inode's
// m_io_lock (sleeping) is taken before the volume's lock.
#pragma once

#include "drivers/block/block_device.h"
#include "kernel/fs/inode.h"

// Mounts the ext2 volume on `disk` and returns its root directory (which holds the file system). options:
// mount(2)'s data for ext2 ("errors=remount-ro", ...; EINVAL for an unknown one).
Result<RefPtr<Inode>> ext2_mount(RefPtr<BlockDevice> disk, bool read_only, const char* options);

// Frames of cached file pages that nothing maps and that are clean: the flusher frees them within its period, so
// they count as available memory (sysinfo, MemAvailable) like the buffer cache's.
u64 ext2_unused_cache_frames();
// Frames of every ext2 file's cached pages (the page cache of ext2 files), and those of them that differ from
// the disk: /proc/kernel-stats (frames_page_cache) and /proc/meminfo (Dirty).
u64 ext2_cache_frames();
u64 ext2_dirty_frames();
