#include "mm/vm_object.h"

#include <cstring>
#include <new>

#include "mm/address_space.h"

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

// The object lets go of one of its pages (a mapping may still hold the frame).
void drop_page(Frame* f) {
  f->owner = nullptr;
  f->page_flags = 0;
  g_phys.unref(f);
}

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
  if (index >= ((m_size_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT)) return Error::BUSERR;
  if (Frame* existing = m_pages.get(index)) return existing;
  if (m_budget && !m_budget->try_charge()) return Error::NOSPC;
  Frame* f = g_phys.alloc(0, FrameUse::File);
  if (!f) {
    if (m_budget) m_budget->uncharge(1);
    return Error::NOMEM;
  }
  zero_frame(f);
  f->owner = this;
  f->index = index;
  if (auto r = m_pages.set(index, f); r.is_error()) {
    g_phys.free_frame(f);
    if (m_budget) m_budget->uncharge(1);
    return r.error();
  }
  m_resident++;
  return f;
}

Result<void> MemoryObject::set_size(u64 bytes) {
  SpinlockGuard guard(m_lock);
  u64 old_size = m_size_bytes;
  m_size_bytes = bytes;  // from here on a fault past the new end gets BUSERR
  if (bytes < old_size) {
    u64 first_gone = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
    u64 old_end = (old_size + PAGE_SIZE - 1) >> PAGE_SHIFT;
    // No mapping may keep a page that goes (Linux's unmap_mapping_range): the next access faults.
    if (first_gone < old_end)
      visit_mappings_locked(first_gone, old_end, [](Region& r, VirtAddr start, VirtAddr end) {
        r.m_space->pmap().remove(start, end);
      });
    u64 dropped = 0;
    m_pages.for_each(first_gone, MAX_PAGES, [&](u64, Frame*& f) {
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
