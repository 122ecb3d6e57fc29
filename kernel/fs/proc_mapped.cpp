// /proc/meminfo's Mapped: the pages of files that some process has mapped, each counted once however many
// processes map it (Linux's NR_FILE_MAPPED). There is no count of a frame's mappings in mm/, so the page tables
// of every process are looked at when the file is read: each present page of a file region whose frame belongs
// to a file goes into a set. (Summing the regions instead would count libc's text once per process that maps
// it, which is exactly what dynamic linking saves.) One address space lock at a time, under g_process_lock.
#include <cstring>

#include "kernel/fs/proc_internal.h"
#include "mm/address_space.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/vm_object.h"

namespace {

// A set of frame numbers: an open-addressing hash table of a fixed capacity.
class FrameSet {
 public:
  FrameSet() = default;
  ~FrameSet() { kfree(m_slots); }
  AS_NONCOPYABLE(FrameSet);

  Result<void> reserve(usize count) {
    usize capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    m_slots = static_cast<u64*>(kmalloc(capacity * sizeof(u64)));
    if (!m_slots) return Error::NOMEM;
    memset(m_slots, 0, capacity * sizeof(u64));
    m_capacity = capacity;
    return {};
  }
  // Adds pfn; true if it was not there. False too when the set is full (the address spaces grew while we
  // looked): the caller counts what it has.
  bool insert(u64 pfn) {
    usize i = (pfn * 0x9e3779b97f4a7c15ull) >> 20 & (m_capacity - 1);
    while (m_slots[i] != 0 && m_slots[i] != pfn) i = (i + 1) & (m_capacity - 1);
    if (m_slots[i] == pfn || (m_used + 1) * 4 > m_capacity * 3) return false;
    m_slots[i] = pfn;  // 0 marks an empty slot: frame 0 is never RAM on the virt machine
    m_used++;
    return true;
  }

 private:
  u64* m_slots = nullptr;
  usize m_capacity = 0;
  usize m_used = 0;
};

}  // namespace

// Pages of files mapped by at least one process, each counted once (Linux's NR_FILE_MAPPED, meminfo's Mapped).
Result<u64> proc_mapped_file_pages() {
  SpinlockGuard guard(g_process_lock);
  usize pages = 0;
  auto each_file_region = [&](auto fn) {
    for (i32 pid = 1; pid < PID_MAX; pid++) {
      Process* q = process_table_at_locked(pid);
      if (!q || !q->m_space || q->m_state == ProcessState::Zombie) continue;
      q->m_space->for_each_region([&](const Region& r) {
        if (r.m_object && !r.m_object->is_special_mapping()) fn(r);
      });
    }
  };
  each_file_region([&](const Region& r) { pages += r.pages(); });
  FrameSet frames;
  TRY(frames.reserve(pages));
  u64 mapped = 0;
  each_file_region([&](const Region& r) {
    for (VirtAddr va = r.m_start; va < r.m_end; va = va + PAGE_SIZE) {
      auto pa = r.m_space->pmap().extract(va);  // the page is mapped here
      if (pa.is_error() || !g_phys.is_managed(pa.value())) continue;
      // A file's page (not a private copy of it, not the zero page), each frame once.
      if (g_phys.frame_of(pa.value())->use == FrameUse::File && frames.insert(pa.value().pfn())) mapped++;
    }
  });
  return mapped;
}
