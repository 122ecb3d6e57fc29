// VM objects: things whose pages can be mapped. A region of an address space maps a window of one object
// (or no object: private zero-fill memory). Each object owns its resident frames (use File, Frame::object() =
// the object, Frame::object_page() = the page index) and knows which regions map it: the reverse map for its
// pages.
//
// MemoryObject is the one kind: pages that live only in memory, zero-filled when first touched, never written
// anywhere. The in-memory filesystem keeps each file's contents in one (so mapping a file maps the very frames
// that read() and write() use), and MAP_SHARED|MAP_ANONYMOUS memory is one too (that is how it stays shared
// after fork). There are no objects backed by a disk yet, so no page of an object is ever paged out or written
// back.
//
// Lock: m_lock protects the page index, the size and the region list. Lock order: address space lock, then
// object lock.
#pragma once

#include "lib/list.h"
#include "lib/refptr.h"
#include "lib/result.h"
#include "mm/frame.h"
#include "mm/radix_table.h"
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

  // For /proc/PID/maps: the file name (or nullptr) and inode number.
  virtual const char* path() const { return nullptr; }
  virtual u64 inode_number() const { return 0; }
  // Pages the kernel itself provides to programs ([vdso], [vvar]; Linux's "special mappings"): /proc/PID/maps
  // shows them with no device.
  virtual bool is_special_mapping() const { return false; }

  // Reverse map: the regions mapping this object. The address space links and unlinks its regions. (Objects
  // made without one never list their regions: for_each_region finds none.)
  void link_region(Region& r);
  void unlink_region(Region& r);
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

  Spinlock m_lock{"vm-object"};
  IntrusiveList<Region, &Region::m_object_link> m_regions;  // guarded by m_lock
  const bool m_has_reverse_map = true;
};

class MemoryObject final : public VmObject {
 public:
  static constexpr u64 MAX_PAGES = RadixNodes::MAX_INDEX;  // the most pages an object can index

  // An object of size_bytes (mapped in whole pages). name (copied) is what /proc/PID/maps shows.
  static RefPtr<MemoryObject> create(u64 size_bytes, const char* name = nullptr, u64 inode = 0);
  ~MemoryObject() override;

  Result<Frame*> get_page(u64 index) override;
  Frame* peek_page(u64 index) override;
  u64 size_pages() const override;
  u64 resident_pages() const override;
  const char* path() const override { return m_name; }
  u64 inode_number() const override { return m_inode; }

  u64 size_bytes() const;
  // Grow or shrink. Shrinking frees the pages wholly past the new end and zeroes the tail of the last one;
  // the caller must make sure no region maps the freed pages.
  Result<void> set_size(u64 bytes);

 private:
  MemoryObject() = default;
  RadixTable<Frame*> m_pages;  // page index -> resident frame, guarded by m_lock
  u64 m_size_bytes = 0;  // guarded by m_lock
  u64 m_resident = 0;    // guarded by m_lock
  char* m_name = nullptr;
  u64 m_inode = 0;
};
