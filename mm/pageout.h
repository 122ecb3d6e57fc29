// Page-out: making room in memory by moving pages to swap.
//
//   the page-out thread   sleeps until free memory falls below the low watermark (PhysicalMemory's low-memory
//                         hook wakes it), then reclaims until it is above the high one: ahead of demand, so that
//                         faults seldom wait.
//   direct reclaim        a fault (or kernel write) that found no frame reclaims a batch itself
//                         (reclaim_for_fault), then retries.
//   out of memory         when nothing can be reclaimed — RAM and swap are both full — the kernel's OOM killer
//                         (set_oom_killer) picks a process to kill; the fault waits for memory to come back.
//
// One round of reclaim (reclaim_pages) takes a batch of victims from the replacement policy and, for each:
//   - a page only the swap cache holds (read ahead and never used) is dropped;
//   - a page with a valid swap copy that was not written since (the dirty bits of its mappings, read through
//     the reverse map) is unmapped and dropped without I/O;
//   - any other page gets a swap slot (neighbouring slots for the batch), has its dirty bits cleared, and is
//     written while it stays mapped — the batch's writes go out together, runs of neighbouring slots as single
//     requests, several requests in flight — and once written is unmapped from every mapper (each anon-table
//     slot then names the swap entry) and dropped. A page written to during its write-out, or locked (mlock),
//     stays; a failed write marks its slot bad and the page stays: nothing is lost.
#pragma once

#include "lib/types.h"

struct Frame;

enum class ReclaimFor : u8 { Daemon, Direct };
enum class ReclaimOutcome : u8 { Progress, NoMemory };

// Sets up the page-out batches and the low-memory hook (once, at boot, after the frame allocator).
void pageout_init();
// One round or more: frees up to `want` pages (a batch at a time); the number freed. Sleeps (writes).
u64 reclaim_pages(u64 want, ReclaimFor who);
// For a fault that found no frame: reclaim, or kill (see above). Progress: retry the allocation.
ReclaimOutcome reclaim_for_fault();

// The page-out thread's body: the kernel starts a thread running it.
[[noreturn]] void pageout_thread_main();
// Wakes the page-out thread (any context).
void pageout_wake();

// A second kind of pageable page: the clean pages of files, kept by the page cache (mm/, issue 11). They join
// and leave the pageable set as anonymous pages do (PhysicalMemory::alloc_pageable(FrameUse::File, object,
// index); their last reference gone, they leave by themselves), the replacement policy chooses among all pages
// alike, and page-out asks the page cache about the File ones through this table (registered once at boot):
//
//   referenced(page)  whether any mapping of the page (or a read through the cache) used it since the last ask;
//                     clears what it read. Runs under the pageable-set lock: try_lock only, a busy lock counts
//                     as "referenced".
//   evict(page)       drop the page if it is clean: unmap it from every mapper, take it out of its object, and
//                     drop the cache's reference; page-out holds one more reference, which it drops after. false:
//                     it stays (dirty, locked, under I/O...): it goes back into the set. May sleep (no lock held).
//
// Without a registered table, File pages chosen as victims go back into the set untouched.
struct FilePageReclaimer {
  bool (*referenced)(Frame& page);
  bool (*evict)(Frame& page);
};
void set_file_page_reclaimer(const FilePageReclaimer* reclaimer);

// The kernel's out-of-memory killer: picks a process, kills it and says so; false if there was none to kill.
using OomKiller = bool (*)();
void set_oom_killer(OomKiller killer);
