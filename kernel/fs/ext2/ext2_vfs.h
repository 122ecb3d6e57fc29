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
// File data: one page cache per file, a MemoryObject (mm/vm_object.h) made empty at the first read() or mmap()
// and filled from the disk as faults and read() need them (the inode is its pager: read_page, and read_pages for
// a window of read-ahead, mm/read_ahead.h: windows growing to 128 KiB ahead of a sequential read(), 128 KiB
// around a fault, each run of consecutive disk blocks in one request; BLKRASET on the disk sets the window), so
// a file larger than RAM can be mapped and read. read(), pread, sendfile and every mapping use its pages. write()
// writes through the volume (blocks allocated, ENOSPC and EIO reported at the call) and into the pages the cache
// holds, so mappings and read() see the new bytes at once. The object pins the inode (a mapping outlives close)
// and names the inode its ObjectWriter: stores through MAP_SHARED mappings make pages dirty (the pmap's modified
// bits), and only dirty pages are written back — by msync(MS_SYNC), fsync, sync, unmount, and the flusher
// thread, which every 5 s writes the dirty pages of every cached file and the dirty buffers of every volume, and
// drops the objects (and pins) nothing maps or uses any more. Under memory pressure page-out drops clean pages
// (MemoryObject::evict_page); a later access reads them again. A read error is EIO for read() and SIGBUS for a
// fault. Truncation shrinks the object: mappings past the new end get SIGBUS.
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
