// Read-ahead: which pages of a file to read from the disk together, ahead of need, so that a sequential reader
// costs one disk request per window instead of one per page. Linux's on-demand read-ahead (mm/readahead.c,
// page_cache_sync_ra and ondemand_readahead), simplified:
//
//   read()  Each open file keeps a ReadAhead (Linux's file_ra_state). When a read finds page P missing from the
//           page cache it asks for a window (on_miss): P continues where the file's last read ended (or is page 0
//           of a fresh file), or is the end of the last window -> a sequential reader: the window starts at P and
//           grows with each window, from 4x the read's size (rounded up to a power of two) by 4x while small and
//           2x after, to MAX_PAGES (Linux's get_init_ra_size and get_next_ra_size). Any other miss is a random
//           read: only the pages the read wants. After a read, note_read_end records where it ended.
//   faults  A fault that must read a page of a mapped file reads around it (Linux's do_sync_mmap_readahead
//           without VM_SEQ_READ/VM_RAND_READ): MAX_PAGES centered on the page, or, when the fault is at the
//           end of the last window (a sequential scan of the mapping), the next window of MAX_PAGES from it.
//           The state is the object's (on_fault_miss).
//
// Simplifications against Linux: no asynchronous part (Linux marks a page PG_readahead and starts the next window
// when a reader reaches it, so that the disk works while the reader copies; here the next window is read when
// the reader misses it, and the reader waits for it), no interleaved-stream detection from the cache's history,
// no thrashing detection. The window's pages are read as MemoryObject::read_ahead reads them: in one request
// per run of pages that lie one after the other on the disk.
//
// Lock: none inside; the owner serializes (RegularFile: its own spinlock; MemoryObject: its m_lock).
#pragma once

#include "mm/types.h"

class ReadAhead {
 public:
  // The largest window: 128 KiB, Linux's default read_ahead_kb (VM_READAHEAD_PAGES) for a virtio disk. A disk's
  // setting (blockdev --setra: BLKRASET) may make it smaller (`max` below), down to 0: no read-ahead at all.
  static constexpr u64 MAX_PAGES = 32;

  struct Window {
    u64 first = 0;  // page index
    u64 pages = 0;
  };

  // A read() wanting pages [index, index + wanted) found page `index` missing: the pages to read now (at least
  // min(wanted, MAX_PAGES) of them, from index on), with windows of at most `max` pages (<= MAX_PAGES); with `max`
  // 0 only page `index`.
  Window on_miss(u64 index, u64 wanted, u64 max = MAX_PAGES);
  // A fault needs page `index`, missing: the pages to read around it (the caller clamps to the object's size);
  // with `max` 0 only the page itself.
  Window on_fault_miss(u64 index, u64 max = MAX_PAGES);
  // A read() ended at byte `end` (the next sequential read starts its page).
  void note_read_end(u64 end) { m_next = (end + PAGE_SIZE - 1) >> PAGE_SHIFT; }

  // The window that follows a read of `wanted` pages at a sequential start, and the one that follows a window of
  // `pages` (Linux's get_init_ra_size, get_next_ra_size). Public for the host tests.
  static u64 initial_size(u64 wanted, u64 max = MAX_PAGES);
  static u64 next_size(u64 pages, u64 max = MAX_PAGES);

 private:
  u64 m_next = 0;        // the page where a sequential read() would continue (after the last read's end)
  u64 m_window_end = 0;  // the page after the last window read ahead
  u64 m_size = 0;        // that window's pages (0: none yet)
};
