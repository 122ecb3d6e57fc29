#include "mm/vm_object.h"

#include <cstring>
#include <new>

VmObject::~VmObject() { ASSERT_MSG(m_regions.is_empty(), "VM object destroyed while regions still map it"); }

void VmObject::link_region(Region& r) {
  if (!m_has_reverse_map) return;
  SpinlockGuard guard(m_lock);
  m_regions.push_back(r);
}

void VmObject::unlink_region(Region& r) {
  if (!m_has_reverse_map) return;
  SpinlockGuard guard(m_lock);
  m_regions.remove(r);
}

namespace {

// The object lets go of one of its pages (a mapping may still hold the frame).
void drop_page(Frame* f) {
  f->owner = nullptr;
  g_phys.unref(f);
}

}  // namespace

RefPtr<MemoryObject> MemoryObject::create(u64 size_bytes, const char* name, u64 inode) {
  auto* o = new MemoryObject();
  if (!o) return nullptr;
  o->m_size_bytes = size_bytes;
  o->m_inode = inode;
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
  Frame* f = g_phys.alloc(0, FrameUse::File);
  if (!f) return Error::NOMEM;
  zero_frame(f);
  f->owner = this;
  f->index = index;
  if (auto r = m_pages.set(index, f); r.is_error()) {
    g_phys.free_frame(f);
    return r.error();
  }
  m_resident++;
  return f;
}

Result<void> MemoryObject::set_size(u64 bytes) {
  SpinlockGuard guard(m_lock);
  if (bytes < m_size_bytes) {
    u64 first_gone = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
    m_pages.for_each(first_gone, MAX_PAGES, [&](u64, Frame*& f) {
      drop_page(f);
      f = nullptr;
      m_resident--;
    });
    // Bytes past the end inside the last page must read as zero if the file grows again.
    if (bytes % PAGE_SIZE) {
      if (Frame* last = m_pages.get(bytes >> PAGE_SHIFT)) {
        u8* page = g_phys.kernel_pointer(last);
        memset(page + bytes % PAGE_SIZE, 0, PAGE_SIZE - bytes % PAGE_SIZE);
      }
    }
  }
  m_size_bytes = bytes;
  return {};
}
