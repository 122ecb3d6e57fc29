#include "mm/vm_object.h"

#include <cstring>
#include <new>

Region::Region() = default;
Region::~Region() = default;

VmObject::~VmObject() { ASSERT_MSG(m_regions.is_empty(), "VM object destroyed while regions still map it"); }

void VmObject::link_region(Region& r) {
  SpinlockGuard guard(m_lock);
  m_regions.push_back(r);
}

void VmObject::unlink_region(Region& r) {
  SpinlockGuard guard(m_lock);
  m_regions.remove(r);
}

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
  m_pages.for_each(0, RadixTable::MAX_INDEX, [](u64, u64& value) {
    Frame* f = reinterpret_cast<Frame*>(value);
    f->owner = nullptr;
    g_phys.unref(f);
    value = 0;
  });
  m_pages.clear();
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
  return reinterpret_cast<Frame*>(m_pages.get(index));
}

Result<Frame*> MemoryObject::get_page(u64 index) {
  SpinlockGuard guard(m_lock);
  if (index >= ((m_size_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT)) return Error::BUSERR;
  if (u64 existing = m_pages.get(index)) return reinterpret_cast<Frame*>(existing);
  Frame* f = g_phys.alloc(0, FrameUse::File);
  if (!f) return Error::NOMEM;
  zero_frame(f);
  f->owner = this;
  f->index = index;
  if (auto r = m_pages.set(index, reinterpret_cast<u64>(f)); r.is_error()) {
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
    m_pages.for_each(first_gone, RadixTable::MAX_INDEX, [&](u64, u64& value) {
      Frame* f = reinterpret_cast<Frame*>(value);
      f->owner = nullptr;
      g_phys.unref(f);
      value = 0;
      m_resident--;
    });
    // Bytes past the end inside the last page must read as zero if the file grows again.
    if (bytes % PAGE_SIZE) {
      if (u64 last = m_pages.get(bytes >> PAGE_SHIFT)) {
        u8* page = g_phys.kernel_pointer(reinterpret_cast<Frame*>(last));
        memset(page + bytes % PAGE_SIZE, 0, PAGE_SIZE - bytes % PAGE_SIZE);
      }
    }
  }
  m_size_bytes = bytes;
  return {};
}
