#include "mm/vm_object.h"

#include <cstring>
#include <new>

#include "mm/address_space.h"
#include "mm/page_wait.h"
#include "mm/pageable.h"
#include "mm/pageout.h"
#include "mm/vm_stats.h"

VmObject::~VmObject() { ASSERT_MSG(m_regions.is_empty(), "VM object destroyed while regions still map it"); }

void VmObject::link_region(Region& r) {
  if (!m_has_reverse_map) return;
  SpinlockGuard guard(m_lock);
  m_regions.push_back(r);
}

void VmObject::unlink_region(Region& r) {
  if (!m_has_reverse_map) return;
  SpinlockGuard guard(m_lock);
  if (r.is_shared() && r.m_space) save_modified_locked(r, r.m_start, r.m_end);
  m_regions.remove(r);
}

void VmObject::discard_mappings(Region& r, VirtAddr start, VirtAddr end) {
  if (!m_has_reverse_map || !r.is_shared()) return;
  SpinlockGuard guard(m_lock);
  save_modified_locked(r, start, end);
}

namespace {

// The object lets go of one of its pages (a mapping may still hold the frame). A page being read keeps Busy and
// Reading: its reader clears them and wakes the waiters.
void drop_page(Frame* f) {
  __atomic_store_n(&f->owner, nullptr, __ATOMIC_RELAXED);
  f->page_flags &= FrameFlag::Busy | FrameFlag::Reading;
  g_phys.unref(f);
}

u8 page_flags_of(const Frame* f) { return __atomic_load_n(&f->page_flags, __ATOMIC_ACQUIRE); }

}  // namespace

RefPtr<PageBudget> PageBudget::create(u64 limit_pages) {
  auto* b = new PageBudget(limit_pages);
  return b ? RefPtr<PageBudget>::adopt(b) : nullptr;
}

bool PageBudget::try_charge() {
  u64 used = m_used.load(MemoryOrder::Relaxed);
  do {
    if (used >= limit()) return false;
  } while (!m_used.compare_exchange(used, used + 1, MemoryOrder::Relaxed));
  return true;
}

void PageBudget::uncharge(u64 pages) {
  u64 old = m_used.fetch_sub(pages, MemoryOrder::Relaxed);
  ASSERT_MSG(old >= pages, "page budget: more pages given back than charged");
}

RefPtr<MemoryObject> MemoryObject::create(u64 size_bytes, const char* name, u64 inode, RefPtr<PageBudget> budget) {
  auto* o = new MemoryObject();
  if (!o) return nullptr;
  o->m_size_bytes = size_bytes;
  o->m_inode = inode;
  o->m_budget = static_cast<RefPtr<PageBudget>&&>(budget);
  if (name) {
    usize len = strlen(name);
    o->m_name = new char[len + 1];
    if (!o->m_name) {
      delete o;
      return nullptr;
    }
    memcpy(o->m_name, name, len + 1);
  }
  return RefPtr<MemoryObject>::adopt(o);
}

MemoryObject::~MemoryObject() {
  if (m_has_pageable_pages) {
    // Page-out finds these pages through the pageable set and their owner (evict_page, page_referenced, under
    // the set's lock): they lose their owner under that lock before the object goes.
    SpinlockGuard guard(g_pageable.lock());
    m_pages.for_each(0, MAX_PAGES, [](u64, Frame*& f) { __atomic_store_n(&f->owner, nullptr, __ATOMIC_RELAXED); });
  }
  m_pages.drain([](Frame* f) { drop_page(f); });
  if (m_budget) m_budget->uncharge(m_resident);
  delete[] m_name;
}

u64 MemoryObject::size_bytes() const {
  SpinlockGuard guard(const_cast<Spinlock&>(m_lock));
  return m_size_bytes;
}

u64 MemoryObject::size_pages() const {
  SpinlockGuard guard(const_cast<Spinlock&>(m_lock));
  return (m_size_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

u64 MemoryObject::resident_pages() const {
  SpinlockGuard guard(const_cast<Spinlock&>(m_lock));
  return m_resident;
}

Frame* MemoryObject::peek_page(u64 index) {
  SpinlockGuard guard(m_lock);
  return m_pages.get(index);
}

Result<Frame*> MemoryObject::get_page(u64 index) {
  SpinlockGuard guard(m_lock);
  return get_page_locked(index);
}

Result<Frame*> MemoryObject::get_page_locked(u64 index) {
  ASSERT_LOCKED(m_lock);
  if (index >= ((m_size_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT)) return Error::BUSERR;
  if (Frame* existing = m_pages.get(index)) return existing;
  if (m_detached) return Error::IO;
  if (m_budget && !m_budget->try_charge()) return Error::NOSPC;
  // A page read from a disk can be dropped again under memory pressure: it joins the pageable set.
  Frame* f = m_writer ? g_phys.alloc_file_page(this, index) : g_phys.alloc_owned(FrameUse::File, this, index);
  if (m_writer) m_has_pageable_pages = true;
  if (!f) {
    if (m_budget) m_budget->uncharge(1);
    return Error::NOMEM;
  }
  if (m_writer) f->page_flags = FrameFlag::Busy;  // read by whoever needs it first (wait_for_page)
  else zero_frame(f);
  if (auto r = m_pages.set(index, f); r.is_error()) {
    f->owner = nullptr;
    g_phys.unref(f);
    if (m_budget) m_budget->uncharge(1);
    return r.error();
  }
  m_resident++;
  return f;
}

// A page leaves the object (read error, eviction): the object's reference goes to the caller, who drops it.
void MemoryObject::remove_page_locked(Frame* f) {
  ASSERT_LOCKED(m_lock);
  (void)m_pages.set(f->object_page(), nullptr);
  m_resident--;
  if (m_budget) m_budget->uncharge(1);
  __atomic_store_n(&f->owner, nullptr, __ATOMIC_RELAXED);
}

Result<void> MemoryObject::wait_for_page(Frame* page) {
  bool reads = false;
  ObjectWriter* pager = nullptr;
  {
    SpinlockGuard guard(m_lock);
    u8 flags = page->page_flags;
    if (!(flags & FrameFlag::Busy)) return (flags & FrameFlag::Error) ? Result<void>(Error::IO) : Result<void>();
    if (!(flags & FrameFlag::Reading)) {  // nobody reads it yet: this caller does
      __atomic_store_n(&page->page_flags, static_cast<u8>(flags | FrameFlag::Reading), __ATOMIC_RELAXED);
      reads = true;
      pager = m_writer;  // (nullptr: detached from its file, the read fails)
    }
  }
  if (!reads) {
    page_wait_until_ready(page);
    return (page_flags_of(page) & FrameFlag::Error) ? Result<void>(Error::IO) : Result<void>();
  }
  Result<void> read = pager ? pager->read_page(page->object_page(), page) : Result<void>(Error::IO);
  if (finish_read(page, read)) g_phys.unref(page);  // the object's reference (the caller still holds one)
  return read;
}

bool MemoryObject::finish_read(Frame* page, const Result<void>& result, bool counted) {
  bool drop = false;
  {
    SpinlockGuard guard(m_lock);
    u8 flags = page->page_flags & static_cast<u8>(~(FrameFlag::Busy | FrameFlag::Reading));
    if (result.is_error()) {
      flags |= FrameFlag::Error;
      // Out of the object: the next access reads it again.
      if (page->owner == this && m_pages.get(page->object_page()) == page) {
        remove_page_locked(page);
        drop = true;
      }
    } else if (counted) {
      g_vm_stats.file_pages_read.fetch_add(1, MemoryOrder::Relaxed);
    }
    __atomic_store_n(&page->page_flags, flags, __ATOMIC_RELEASE);
  }
  page_wake(page);
  return drop;
}

Result<void> MemoryObject::wait_for_fault_page(Frame* page) {
  if ((page_flags_of(page) & (FrameFlag::Busy | FrameFlag::Reading)) == FrameFlag::Busy) {
    ReadAhead::Window w;
    {
      SpinlockGuard guard(m_lock);
      if (!m_writer) return wait_for_page(page);
      w = m_fault_ahead.on_fault_miss(page->object_page(), m_writer->read_ahead_pages());
    }
    read_ahead(w.first, w.pages);  // (reads `page` too, unless someone took it meanwhile)
  }
  return wait_for_page(page);
}

void MemoryObject::read_ahead(u64 first, u64 count) {
  if (count > ReadAhead::MAX_PAGES) count = ReadAhead::MAX_PAGES;
  Frame* pages[ReadAhead::MAX_PAGES];  // pages[i]: page first + i, read by this call (nullptr: not)
  ObjectWriter* pager;
  {
    SpinlockGuard guard(m_lock);
    if (!m_writer || m_detached) return;
    pager = m_writer;
    u64 size = (m_size_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
    if (first >= size) return;
    if (count > size - first) count = size - first;
    for (u64 i = 0; i < count; i++) {
      Frame* f = m_pages.get(first + i);
      if (f) {
        pages[i] = nullptr;
        // A page a fault put in and nobody reads yet (get_page) is this reader's to read.
        if ((f->page_flags & (FrameFlag::Busy | FrameFlag::Reading)) == FrameFlag::Busy) {
          __atomic_store_n(&f->page_flags, static_cast<u8>(f->page_flags | FrameFlag::Reading), __ATOMIC_RELAXED);
          f->refcount.fetch_add(1, MemoryOrder::Relaxed);
          pages[i] = f;
        }
        continue;
      }
      if (m_budget && !m_budget->try_charge()) {
        count = i;
        break;
      }
      f = g_phys.alloc_file_page(this, first + i);
      if (!f) {
        if (m_budget) m_budget->uncharge(1);
        count = i;
        break;
      }
      m_has_pageable_pages = true;
      f->page_flags = FrameFlag::Busy | FrameFlag::Reading;
      if (m_pages.set(first + i, f).is_error()) {
        f->owner = nullptr;
        g_phys.unref(f);
        if (m_budget) m_budget->uncharge(1);
        count = i;
        break;
      }
      m_resident++;
      f->refcount.fetch_add(1, MemoryOrder::Relaxed);  // this reader's, until the read ends
      pages[i] = f;
    }
  }
  // One batch per run of pages to read; a batch that fails is read again page by page, so that only the pages
  // that cannot be read fail (and a page another read failed for is tried again alone, as a fault would).
  for (u64 i = 0; i < count;) {
    if (!pages[i]) {
      i++;
      continue;
    }
    u64 end = i;
    while (end < count && pages[end]) end++;
    Result<void> batch = pager->read_pages(first + i, pages + i, static_cast<unsigned>(end - i));
    for (u64 k = i; k < end; k++) {
      Result<void> read = batch.is_error() ? pager->read_page(first + k, pages[k]) : Result<void>();
      if (finish_read(pages[k], read)) g_phys.unref(pages[k]);  // the object's reference
      g_phys.unref(pages[k]);                                    // this reader's
    }
    i = end;
  }
}

Result<Frame*> MemoryObject::get_filled_page(u64 index) {
  for (unsigned rounds = 0;; rounds++) {
    Frame* f;
    {
      SpinlockGuard guard(m_lock);
      auto got = get_page_locked(index);
      if (got.is_error()) {
        if (got.error() != Error::NOMEM || rounds >= 16) return got.error();
        f = nullptr;
      } else {
        f = got.value();
        hold_for_use_locked(f);
      }
    }
    if (!f) {  // memory is full: make room (page-out, or the OOM killer), then try again
      if (reclaim_for_fault() == ReclaimOutcome::NoMemory || mm_fatal_signal_pending()) return Error::NOMEM;
      continue;
    }
    if (page_flags_of(f) & FrameFlag::Busy) {
      if (auto r = wait_for_page(f); r.is_error()) {
        g_phys.unref(f);
        return r.error();
      }
    }
    return f;
  }
}

Result<void> MemoryObject::overwrite_page(u64 index, const u8* data) {
  for (unsigned rounds = 0;; rounds++) {
    Frame* f;
    bool fill = false;
    {
      SpinlockGuard guard(m_lock);
      auto got = get_page_locked(index);
      if (got.is_error()) {
        if (got.error() != Error::NOMEM || rounds >= 16) return got.error();
        f = nullptr;
      } else {
        f = got.value();
        hold_for_use_locked(f);
        if ((f->page_flags & (FrameFlag::Busy | FrameFlag::Reading)) == FrameFlag::Busy) {
          __atomic_store_n(&f->page_flags, static_cast<u8>(f->page_flags | FrameFlag::Reading), __ATOMIC_RELAXED);
          fill = true;  // nobody reads it: this caller fills it instead
        }
      }
    }
    if (!f) {  // memory is full: make room (page-out, or the OOM killer), then try again
      if (reclaim_for_fault() == ReclaimOutcome::NoMemory || mm_fatal_signal_pending()) return Error::NOMEM;
      continue;
    }
    if (fill) {
      memcpy(g_phys.kernel_pointer(f), data, PAGE_SIZE);
      if (finish_read(f, Result<void>(), /*counted=*/false)) g_phys.unref(f);
    } else {
      if (page_flags_of(f) & FrameFlag::Busy) (void)wait_for_page(f);  // someone reads it: then it is overwritten
      if (page_flags_of(f) & FrameFlag::Error) {  // (that read failed: the page left the object; try again)
        g_phys.unref(f);
        continue;
      }
      memcpy(g_phys.kernel_pointer(f), data, PAGE_SIZE);
    }
    g_phys.unref(f);
    return {};
  }
}

Frame* MemoryObject::find_page(u64 index) {
  SpinlockGuard guard(m_lock);
  Frame* f = m_pages.get(index);
  if (f) hold_for_use_locked(f);
  return f;
}

// read() or write() is about to use the page: a reference for it, and a use page-out will see (page_referenced).
void MemoryObject::hold_for_use_locked(Frame* f) {
  ASSERT_LOCKED(m_lock);
  f->refcount.fetch_add(1, MemoryOrder::Relaxed);
  f->page_flags |= FrameFlag::Accessed;
}

Result<void> MemoryObject::set_size(u64 bytes) {
  SpinlockGuard guard(m_lock);
  u64 old_size = m_size_bytes;
  m_size_bytes = bytes;  // from here on a fault past the new end gets BUSERR
  if (bytes < old_size) {
    u64 first_gone = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
    u64 old_end = (old_size + PAGE_SIZE - 1) >> PAGE_SHIFT;
    // No mapping may keep a page that goes, nor a private copy of one (Linux's unmap_mapping_range with
    // even_cows): the next access faults and gets SIGBUS.
    if (first_gone < old_end)
      visit_mappings_locked(first_gone, old_end, [](Region& r, VirtAddr start, VirtAddr end) {
        if (r.is_shared()) r.m_space->pmap().remove(start, end);
        else r.m_space->drop_private_copies_locked(start, end);
      });
    drop_pages_locked(first_gone, MAX_PAGES);
    // Bytes past the end inside the last page must read as zero if the file grows again.
    if (bytes % PAGE_SIZE) {
      if (Frame* last = m_pages.get(bytes >> PAGE_SHIFT)) {
        u8* page = g_phys.kernel_pointer(last);
        memset(page + bytes % PAGE_SIZE, 0, PAGE_SIZE - bytes % PAGE_SIZE);
      }
    }
  }
  return {};
}

void MemoryObject::punch_hole(u64 first, u64 end) {
  if (first >= end) return;
  SpinlockGuard guard(m_lock);
  ASSERT(!m_writer);
  // The partial pages at the ends keep their place, their bytes in the hole zeroed.
  auto zero_part = [&](u64 page, u64 from, u64 to) {
    if (Frame* f = m_pages.get(page)) memset(g_phys.kernel_pointer(f) + from, 0, to - from);
  };
  u64 first_whole = (first + PAGE_SIZE - 1) >> PAGE_SHIFT, end_whole = end >> PAGE_SHIFT;
  if (first >> PAGE_SHIFT == (end - 1) >> PAGE_SHIFT && (first % PAGE_SIZE || end % PAGE_SIZE)) {
    zero_part(first >> PAGE_SHIFT, first % PAGE_SIZE, (end - 1) % PAGE_SIZE + 1);  // inside one page
    return;
  }
  if (first % PAGE_SIZE) zero_part(first >> PAGE_SHIFT, first % PAGE_SIZE, PAGE_SIZE);
  if (end % PAGE_SIZE) zero_part(end >> PAGE_SHIFT, 0, end % PAGE_SIZE);
  if (first_whole >= end_whole) return;
  // No mapping may keep a page that goes. A private region's own copies live in its anonymous layer, which a
  // fault looks at first: removing their translations too costs a refault, not the copy.
  visit_mappings_locked(first_whole, end_whole,
                        [](Region& r, VirtAddr start, VirtAddr stop) { r.m_space->pmap().remove(start, stop); });
  drop_pages_locked(first_whole, end_whole);
}

// The pages [first, end) leave the object (their mappings already removed).
void MemoryObject::drop_pages_locked(u64 first, u64 end) {
  ASSERT_LOCKED(m_lock);
  u64 dropped = 0;
  m_pages.for_each(first, end, [&](u64, Frame*& f) {
    if (f->page_flags & FrameFlag::Dirty) {
      f->page_flags &= static_cast<u8>(~FrameFlag::Dirty);
      m_dirty--;
    }
    drop_page(f);
    f = nullptr;
    dropped++;
  });
  m_resident -= dropped;
  if (m_budget) m_budget->uncharge(dropped);
}

// ---- dirty pages ----

template <typename Fn>
void MemoryObject::visit_mappings_locked(u64 first, u64 end, Fn fn) {
  ASSERT_LOCKED(m_lock);
  for (;;) {
    Spinlock* busy = nullptr;
    for (Region& r : m_regions) {
      u64 r_end = r.m_object_page + r.pages();
      if (!r.m_space || r_end <= first || r.m_object_page >= end) continue;
      Spinlock& space_lock = r.m_space->lock();
      if (!space_lock.try_lock()) {
        busy = &space_lock;
        break;
      }
      u64 lo = first > r.m_object_page ? first : r.m_object_page;
      u64 hi = end < r_end ? end : r_end;
      fn(r, r.m_start + ((lo - r.m_object_page) << PAGE_SHIFT), r.m_start + ((hi - r.m_object_page) << PAGE_SHIFT));
      r.m_space->pmap().update();
      space_lock.unlock();
    }
    if (!busy) return;
    // Its owner may be waiting for this object (lock order: address space, then object): let it have both.
    m_lock.unlock();
    for (int spin = 0; spin < 256; spin++) asm volatile("" ::: "memory");
    m_lock.lock();
  }
}

void MemoryObject::set_dirty_locked(Frame* f) {
  ASSERT_LOCKED(m_lock);
  if (f->page_flags & FrameFlag::Dirty) return;
  f->page_flags |= FrameFlag::Dirty;
  m_dirty++;
}

void MemoryObject::save_modified_locked(Region& r, VirtAddr start, VirtAddr end) {
  ASSERT_LOCKED(m_lock);
  if (!m_writer) return;
  Pmap& pmap = r.m_space->pmap();
  m_pages.for_each(r.object_page_of(start), r.object_page_of(end), [&](u64 index, Frame*& f) {
    VirtAddr va = r.m_start + ((index - r.m_object_page) << PAGE_SHIFT);
    if (pmap.clear_modified(va)) set_dirty_locked(f);
  });
}

void MemoryObject::set_writer(ObjectWriter* writer) {
  SpinlockGuard guard(m_lock);
  if (m_writer && !writer) m_detached = true;
  m_writer = writer;
}

void MemoryObject::mark_dirty(u64 index) {
  SpinlockGuard guard(m_lock);
  if (!m_writer) return;
  if (Frame* f = m_pages.get(index)) set_dirty_locked(f);
}

void MemoryObject::gather_modified(u64 first, u64 end) {
  SpinlockGuard guard(m_lock);
  if (!m_writer) return;
  visit_mappings_locked(first, end, [&](Region& r, VirtAddr start, VirtAddr stop) {
    if (r.is_shared()) save_modified_locked(r, start, stop);
  });
}

unsigned MemoryObject::take_dirty(u64* first, u64 end, Frame** pages, unsigned max) {
  SpinlockGuard guard(m_lock);
  unsigned taken = 0;
  if (m_dirty == 0 || *first >= end) {
    *first = end;
    return 0;
  }
  u64 next = end;
  m_pages.for_each(*first, end, [&](u64 index, Frame*& f) {
    if (!(f->page_flags & FrameFlag::Dirty) || next != end) return;
    if (taken == max) {
      next = index;
      return;
    }
    f->page_flags &= static_cast<u8>(~FrameFlag::Dirty);
    m_dirty--;
    f->refcount.fetch_add(1, MemoryOrder::Relaxed);
    pages[taken++] = f;
  });
  *first = next;
  return taken;
}

u64 MemoryObject::dirty_pages() const {
  SpinlockGuard guard(const_cast<Spinlock&>(m_lock));
  return m_dirty;
}

Result<void> MemoryObject::write_back(u64 first, u64 end, bool wait) {
  ObjectWriter* writer;
  {
    SpinlockGuard guard(m_lock);
    writer = m_writer;
  }
  if (!writer) return {};
  gather_modified(first, end);
  return writer->write_back(first, end, wait);
}

// ---- reclaim ----

bool MemoryObject::page_referenced(Frame& page) {
  ASSERT_LOCKED(g_pageable.lock());  // (which keeps the owner alive: see the destructor)
  auto* o = static_cast<MemoryObject*>(__atomic_load_n(&page.owner, __ATOMIC_RELAXED));
  if (!o) return false;
  if (!o->m_lock.try_lock()) return true;
  bool used = o->referenced_locked(page);
  o->m_lock.unlock();
  return used;
}

bool MemoryObject::referenced_locked(Frame& page) {
  ASSERT_LOCKED(m_lock);
  if (page.owner != this) return false;
  bool used = page.page_flags & FrameFlag::Accessed;
  page.page_flags &= static_cast<u8>(~FrameFlag::Accessed);
  u64 index = page.object_page();
  PhysAddr pa = g_phys.address_of(&page);
  // Only try_lock here (page-out holds the pageable set's lock): a busy address space counts as a use. The TLB
  // flush is left to each space's next update(), as for anonymous pages (accessed bits may be approximate).
  for (Region& r : m_regions) {
    if (!r.m_space || index < r.m_object_page || index >= r.m_object_page + r.pages()) continue;
    Spinlock& space_lock = r.m_space->lock();
    if (!space_lock.try_lock()) return true;
    VirtAddr va = r.m_start + ((index - r.m_object_page) << PAGE_SHIFT);
    Pmap& pmap = r.m_space->pmap();
    auto mapped = pmap.extract(va);
    if (!mapped.is_error() && mapped.value() == pa && pmap.clear_referenced(va)) used = true;
    space_lock.unlock();
  }
  return used;
}

bool MemoryObject::evict_page(Frame& page) {
  MemoryObject* o;
  {
    SpinlockGuard guard(g_pageable.lock());
    o = static_cast<MemoryObject*>(__atomic_load_n(&page.owner, __ATOMIC_RELAXED));
    if (!o || !o->try_ref()) return false;  // dropped already, or its object is going away
  }
  bool evicted;
  {
    SpinlockGuard guard(o->m_lock);
    evicted = o->evict_locked(page);
  }
  if (o->unref()) delete o;
  if (!evicted) return false;
  g_phys.unref(&page);  // the object's reference (page-out holds the last)
  g_vm_stats.pgsteal_file.fetch_add(1, MemoryOrder::Relaxed);
  return true;
}

bool MemoryObject::evict_locked(Frame& page) {
  ASSERT_LOCKED(m_lock);
  // Held only by the object and page-out (no read(), write(), write-back or waiting fault has it), read, clean.
  auto may_go = [&] {
    return page.owner == this && page.refcount.load(MemoryOrder::Relaxed) == 2 &&
           !(page.page_flags & (FrameFlag::Busy | FrameFlag::Dirty));
  };
  if (!may_go()) return false;
  u64 index = page.object_page();
  PhysAddr pa = g_phys.address_of(&page);
  // Out of every mapping (a private mapping's own copy at that address stays), the TLBs flushed (the visit's
  // update()). The last pass of the visit holds the object lock throughout, so no fault can map the page again
  // before it leaves the object below. A store seen on the way makes it dirty: it stays, to be written back.
  bool stored = false;
  visit_mappings_locked(index, index + 1, [&](Region& r, VirtAddr start, VirtAddr) {
    Pmap& pmap = r.m_space->pmap();
    auto mapped = pmap.extract(start);
    if (mapped.is_error() || mapped.value() != pa) return;
    if (pmap.remove_page(start) && r.is_shared()) stored = true;
  });
  if (stored && m_writer) set_dirty_locked(&page);
  if (!may_go()) return false;
  remove_page_locked(&page);
  page.page_flags = 0;
  return true;
}

const FilePageReclaimer MemoryObject::reclaimer = {MemoryObject::page_referenced, MemoryObject::evict_page};
