// VM objects: things whose pages can be mapped. A region of an address space maps a window of one object
// (or no object: private zero-fill memory). Each object owns its resident frames (use File, Frame::object() =
// the object, Frame::object_page() = the page index) and knows which regions map it: the reverse map for its
// pages.
//
// MemoryObject is the one kind, and it is the page cache: every regular file keeps its data in one (ramfs for
// good, ext2 while the file is cached), so read(), write() and every mapping of the file use the very same
// frames; MAP_SHARED|MAP_ANONYMOUS memory is one too (that is how it stays shared after fork). A file on a disk
// gives its object a writer (ObjectWriter) and then the object tracks which pages differ from the disk:
//   - a page is dirty (FrameFlag::Dirty) when write() changed it (mark_dirty) or a shared mapping stored into it;
//     stores are seen through the pmap's modified bits, gathered when a mapping goes away (unlink_region, and
//     discard_mappings for MADV_DONTNEED) and before write-back (gather_modified visits every mapping);
//   - write-back (msync, fsync, the file system's flusher) takes dirty pages a batch at a time (take_dirty), marks
//     them clean and hands them to the writer; a page written again meanwhile is dirty again.
// Shrinking (set_size) first removes every mapping of the pages past the new end, and the private mappings' own
// copies of them, so that a later access there faults, finds the page past the end and gets SIGBUS (BUS_ADRERR),
// as on Linux.
// Lazy fill: the writer is also the object's pager. A page that is not resident is read from the disk when it is
// first needed: get_page puts a Busy frame in its place (no I/O under the lock), and whoever needs the contents
// — a fault after dropping its address-space lock (mm/fault.cpp), read() — calls wait_for_page, which reads it
// through the pager if nobody is reading it yet, or sleeps until that read ends. A failed read takes the page out
// again (Error): the waiters get EIO (read) or SIGBUS (a fault), the next access reads again.
// Reclaim: the pages of an object with a pager are pageable (mm/pageable.h). Page-out asks page_referenced and
// evict_page (the FilePageReclaimer of mm/pageout.h): a clean page no one holds is unmapped from every mapper
// and dropped; a dirty one stays until write-back has cleaned it.
//
// Lock: m_lock protects the page index, the size, the dirty state and the region list. Lock order: address space
// lock, then object lock. Code that must reach every mapping from the object (gather_modified, set_size,
// evict_page) holds the object lock and only try_locks each address space, starting over when one is busy.
// Page-out asks about a page under the pageable set's lock and only try_locks the object (page_referenced); an
// object with pageable pages clears their owner under that lock before it goes, so that a page's owner, read
// under it, is always alive.
#pragma once

#include "lib/atomic.h"
#include "lib/list.h"
#include "lib/refptr.h"
#include "lib/result.h"
#include "mm/frame.h"
#include "mm/pageout.h"
#include "mm/radix_table.h"
#include "mm/read_ahead.h"
#include "mm/region.h"

class VmObject : public RefCounted {
 public:
  virtual ~VmObject();

  // The frame holding page `index`, allocated (zero-filled) if it is not resident. BUS if index is past the
  // end of the object, NOMEM if no frame is available. The object keeps the frame; it stays valid while the
  // object lives and the page is within its size.
  virtual Result<Frame*> get_page(u64 index) = 0;
  // The resident frame of page `index`, or nullptr (never allocates).
  virtual Frame* peek_page(u64 index) = 0;
  virtual u64 size_pages() const = 0;
  virtual u64 resident_pages() const = 0;
  // msync(MS_SYNC, MS_ASYNC): write the pages [first, end) that mappings changed back where they belong (a
  // disk), waiting for it with `wait`. Objects that live only in memory have nothing to do.
  virtual Result<void> write_back(u64, u64, bool) { return {}; }
  // For a page get_page returned Busy (its contents not read yet): reads it, or waits for whoever reads it.
  // The caller holds a reference to the page and to the object; no locks; sleeps. IO if the read failed.
  virtual Result<void> wait_for_page(Frame*) { return {}; }
  // The same for a fault: a file object also reads the pages around it (mm/read_ahead.h).
  virtual Result<void> wait_for_fault_page(Frame* page) { return wait_for_page(page); }

  // For /proc/PID/maps: the file name (or nullptr) and inode number.
  virtual const char* path() const { return nullptr; }
  virtual u64 inode_number() const { return 0; }
  // Pages the kernel itself provides to programs ([vdso], [vvar]; Linux's "special mappings"): /proc/PID/maps
  // shows them with no device.
  virtual bool is_special_mapping() const { return false; }

  // Reverse map: the regions mapping this object. The address space links and unlinks its regions. (Objects
  // made without one never list their regions: for_each_region finds none.)
  void link_region(Region& r);
  // r goes (its address space lock held, its mappings still in the pmap): stores through it are remembered.
  void unlink_region(Region& r);
  // The mappings of [start, end), inside region r, are about to be removed (MADV_DONTNEED; the address space
  // lock held): stores through them are remembered.
  void discard_mappings(Region& r, VirtAddr start, VirtAddr end);
  template <typename Fn>
  void for_each_region(Fn fn) {
    SpinlockGuard guard(m_lock);
    for (Region& r : m_regions) fn(r);
  }

 protected:
  VmObject() = default;
  // For objects whose pages never move, change or go away (the kernel's own pages shown to programs: [vdso],
  // [vvar]): no one ever needs to find their mappings, so they keep no reverse map, and mapping or unmapping
  // them takes no lock (every process maps two, and fork and exit copy and drop them).
  struct NoReverseMap {};
  explicit VmObject(NoReverseMap) : m_has_reverse_map(false) {}

  // Called with m_lock and r's address space lock held, for a shared region's pages [start, end) whose
  // mappings the pmap may have marked modified: remembers (and clears) the modified bits.
  virtual void save_modified_locked(Region&, VirtAddr, VirtAddr) {}

  Spinlock m_lock{"vm-object"};
  IntrusiveList<Region, &Region::m_object_link> m_regions;  // guarded by m_lock
  const bool m_has_reverse_map = true;
};

// Where a disk file's pages come from and go back to (an ext2 inode): its pager. Called without locks held; may
// sleep.
class ObjectWriter {
 public:
  // Fill `page` (a frame of the object that nothing maps yet) with page `index` of the file: zeros for holes and
  // past the end of the file.
  virtual Result<void> read_page(u64 index, Frame* page) = 0;
  // Fill `count` pages, pages[i] with page first + i, in as few disk requests as the file's layout allows
  // (read-ahead). An error may leave any of them unread: the caller then reads them one by one (read_page), so
  // that only the bad ones fail.
  // The largest read-ahead window for this file, in pages (its disk's setting; 0: none).
  virtual u64 read_ahead_pages() const { return ReadAhead::MAX_PAGES; }
  virtual Result<void> read_pages(u64 first, Frame* const* pages, unsigned count) {
    for (unsigned i = 0; i < count; i++) TRY(read_page(first + i, pages[i]));
    return {};
  }
  // Write the dirty pages of [first_page, end_page) back (MemoryObject::take_dirty); wait for the disk when
  // `wait` (MS_SYNC, fsync), else only start (MS_ASYNC may return before the disk has it).
  virtual Result<void> write_back(u64 first_page, u64 end_page, bool wait) = 0;

 protected:
  ~ObjectWriter() = default;
};

// A cap on the frames a group of memory objects may hold together: the size of a tmpfs (kernel/fs/ramfs.h), as
// Linux's shmem_sb_info.max_blocks. A page that would pass it is not allocated: get_page fails with NOSPC (write
// returns ENOSPC, a fault on a shared mapping is SIGBUS). Pages an object gives back go back to the budget.
class PageBudget final : public RefCounted {
 public:
  static RefPtr<PageBudget> create(u64 limit_pages);
  bool try_charge();            // one page; false if the budget is spent
  void uncharge(u64 pages);
  u64 used() const { return m_used.load(MemoryOrder::Relaxed); }
  u64 limit() const { return m_limit.load(MemoryOrder::Relaxed); }
  // A new cap (a remount's size=); pages already held above it stay, new ones are refused until enough go.
  void set_limit(u64 limit_pages) { m_limit.store(limit_pages, MemoryOrder::Relaxed); }

 private:
  explicit PageBudget(u64 limit) : m_limit(limit) {}
  Atomic<u64> m_used{0};
  Atomic<u64> m_limit;
};

class MemoryObject final : public VmObject {
 public:
  static constexpr u64 MAX_PAGES = RadixNodes::MAX_INDEX;  // the most pages an object can index

  // An object of size_bytes (mapped in whole pages). name (copied) is what /proc/PID/maps shows.
  // budget: the file system whose pages these are (nullptr: no limit but memory).
  static RefPtr<MemoryObject> create(u64 size_bytes, const char* name = nullptr, u64 inode = 0,
                                     RefPtr<PageBudget> budget = nullptr);
  ~MemoryObject() override;

  // With a pager a missing page comes back Busy: see wait_for_page.
  Result<Frame*> get_page(u64 index) override;
  Frame* peek_page(u64 index) override;
  Result<void> wait_for_page(Frame* page) override;
  // Reads the pages around `page` too (ReadAhead::on_fault_miss), when nobody reads `page` yet.
  Result<void> wait_for_fault_page(Frame* page) override;
  // Read-ahead: reads the pages of [first, first + count) (clamped to the size, at most ReadAhead::MAX_PAGES) that
  // are missing, or Busy with nobody reading them, through the pager's read_pages: one batch per run of such
  // pages. A frame that cannot be had ends the window (read-ahead never reclaims). Sleeps; no locks held. Nothing
  // happens without a pager.
  void read_ahead(u64 first, u64 count);
  // Page `index` with its contents, read first if needed, and a reference for the caller (g_phys.unref it):
  // read() and write(). Sleeps. BUS past the end, IO if the read failed, NOMEM/NOSPC as get_page.
  Result<Frame*> get_filled_page(u64 index);
  // write() of a whole page: page `index` takes the page of bytes at `data` (direct-map memory), and its old
  // contents are never read (a page not read yet is filled, not read). Sleeps. Errors as get_filled_page.
  Result<void> overwrite_page(u64 index, const u8* data);
  // The resident page `index` with a reference for the caller, or nullptr (never allocates or reads; a Busy
  // page is returned Busy).
  Frame* find_page(u64 index);
  u64 size_pages() const override;
  u64 resident_pages() const override;
  const char* path() const override { return m_name; }
  u64 inode_number() const override { return m_inode; }

  u64 size_bytes() const;
  // Grow or shrink. Shrinking removes every mapping of the pages wholly past the new end (private copies of
  // them too), frees them and zeroes the tail of the last one.
  Result<void> set_size(u64 bytes);
  // A hole in [first, end) (bytes; fallocate's PUNCH_HOLE, madvise's MADV_REMOVE): the partial pages at its ends
  // are zeroed, the whole pages freed after every mapping of them is removed (the next access maps a fresh zero
  // page). Private copies stay, as Linux's unmap_mapping_range without even_cows keeps them. For objects that
  // live only in memory (no writer).
  void punch_hole(u64 first, u64 end);

  // ---- dirty pages (objects with a writer) ----
  // The writer (and pager) of a disk file (nullptr: the pages live only in memory and are never dirty). The
  // writer must outlive every user that may need it (ext2: a mapping pins the inode, read() holds it) and
  // detaches the object before it goes. An object that had one and loses it is detached from its file: a page it
  // does not have can no longer be read (IO).
  void set_writer(ObjectWriter* writer);
  ObjectWriter* writer() const { return m_writer; }
  // Page `index` (resident) differs from the disk.
  void mark_dirty(u64 index);
  // Sets Dirty on every resident page of [first, end) that a shared mapping stored into since the last look,
  // clearing the modified bits (each mapping's address space is visited with try_lock, see above).
  void gather_modified(u64 first, u64 end);
  // Up to `max` dirty pages of [*first, end), in index order, each marked clean and with a reference taken for
  // the caller (put them back with g_phys.unref); *first moves past the last one taken. Returns how many.
  unsigned take_dirty(u64* first, u64 end, Frame** pages, unsigned max);
  u64 dirty_pages() const;
  // Write-back through the writer (msync): gathers the modified bits of [first, end) first. Nothing to do
  // without a writer.
  Result<void> write_back(u64 first, u64 end, bool wait) override;

  // ---- reclaim (page-out's FilePageReclaimer, mm/pageout.h) ----
  // Whether the page was used since the last ask (a mapping's accessed bit, or read()/write()); clears what it
  // read. Never waits: a busy lock counts as used.
  static bool page_referenced(Frame& page);
  // Drops the page if it is clean and nobody but the object and the caller (page-out) holds it: unmapped from
  // every mapper, out of the object, the object's reference dropped. false: it stays.
  static bool evict_page(Frame& page);
  // The table page-out calls them through (register it with set_file_page_reclaimer).
  static const FilePageReclaimer reclaimer;

 private:
  MemoryObject() = default;
  void save_modified_locked(Region& r, VirtAddr start, VirtAddr end) override;
  void set_dirty_locked(Frame* f);
  void drop_pages_locked(u64 first, u64 end);
  Result<Frame*> get_page_locked(u64 index);
  void remove_page_locked(Frame* f);
  void hold_for_use_locked(Frame* f);
  bool referenced_locked(Frame& page);
  bool evict_locked(Frame& page);
  // The read of `page` (Busy, Reading, this reader's) ended with `result`: clears Busy and Reading, or takes a page
  // that failed out of the object; wakes the waiters. Returns whether the object's reference must be dropped.
  bool finish_read(Frame* page, const Result<void>& result, bool counted = true);
  // Calls fn(Region&, VirtAddr start, VirtAddr end) for every region mapping pages of [first, end) (start and
  // end: the part of the region that maps them), with the region's address space lock held too. Called with
  // m_lock held; drops and retakes it whenever an address space is busy and then starts over, so fn must be
  // harmless to repeat and the caller must not rely on what m_lock guards staying unchanged across the call.
  template <typename Fn>
  void visit_mappings_locked(u64 first, u64 end, Fn fn);
  RadixTable<Frame*> m_pages;  // page index -> resident frame, guarded by m_lock
  u64 m_size_bytes = 0;  // guarded by m_lock
  u64 m_resident = 0;    // guarded by m_lock
  u64 m_dirty = 0;       // pages with FrameFlag::Dirty, guarded by m_lock
  ObjectWriter* m_writer = nullptr;  // set before the object is mapped
  bool m_detached = false;           // had a writer and lost it: missing pages cannot be read
  bool m_has_pageable_pages = false;  // pages allocated with a writer are in the pageable set; m_lock
  ReadAhead m_fault_ahead;            // read-around for faults; m_lock
  char* m_name = nullptr;
  u64 m_inode = 0;
  RefPtr<PageBudget> m_budget;  // charged one page per resident page
};
