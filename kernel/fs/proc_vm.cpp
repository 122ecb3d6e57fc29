// The /proc files that show an address space: maps, smaps, smaps_rollup (Linux's fs/proc/task_mmu.c formats)
// and pagemap (Documentation/admin-guide/mm/pagemap.rst). Each page is looked at through
// AddressSpace::page_state_locked (mm/inspect.cpp), which changes nothing.
#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/fs/proc_internal.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"
#include "kernel/sched.h"
#include "mm/address_space.h"

namespace {

// One region's (or, for smaps_rollup, every region's) totals, in bytes; the PSS figures carry PSS_SHIFT
// fraction bits, as Linux's mem_size_stats does.
constexpr u32 PSS_SHIFT = 12;
struct SmapsTotals {
  u64 resident = 0, pss = 0, pss_dirty = 0, pss_anon = 0, pss_file = 0, pss_shmem = 0;
  u64 shared_clean = 0, shared_dirty = 0, private_clean = 0, private_dirty = 0;
  u64 referenced = 0, anonymous = 0, swap = 0, swap_pss = 0;
};

// MAP_SHARED|MAP_ANONYMOUS memory (and shared /dev/zero): an object of its own, named as Linux names it.
bool is_shared_anonymous(const Region& r) {
  const char* path = r.m_object ? r.m_object->path() : nullptr;
  return r.is_shared() && r.m_object && (!path || strcmp(path, "/dev/zero (deleted)") == 0);
}

// smaps_account and smaps_pte_entry: a present page counts (not the zero page, which is no "normal" page);
// a page mapped by more than one mapping is shared, its PSS divided among them; swapped pages count as swap.
void account_page(SmapsTotals& t, const Region& r, const PageState& page) {
  if (page.is_swapped) {
    t.swap += PAGE_SIZE;
    t.swap_pss += PAGE_SIZE << PSS_SHIFT;
    return;
  }
  if (!page.is_present || page.is_zero_page) return;
  u32 sharers = page.sharers ? page.sharers : 1;
  u64 pss = (PAGE_SIZE << PSS_SHIFT) / sharers;
  t.resident += PAGE_SIZE;
  t.pss += pss;
  if (page.is_dirty) t.pss_dirty += pss;
  if (page.is_anonymous) {
    t.anonymous += PAGE_SIZE;
    t.pss_anon += pss;
  } else if (is_shared_anonymous(r)) {
    t.pss_shmem += pss;  // shared anonymous memory is shmem on Linux
  } else {
    t.pss_file += pss;
  }
  if (page.is_referenced) t.referenced += PAGE_SIZE;
  if (sharers >= 2) {
    (page.is_dirty ? t.shared_dirty : t.shared_clean) += PAGE_SIZE;
  } else {
    (page.is_dirty ? t.private_dirty : t.private_clean) += PAGE_SIZE;
  }
}

void account_region_locked(SmapsTotals& t, const AddressSpace& space, const Region& r) {
  for (VirtAddr va = r.m_start; va < r.m_end; va = va + PAGE_SIZE) account_page(t, r, space.page_state_locked(r, va));
}

// seq_put_decimal_ull_width(m, label, bytes >> 10, 8) and " kB".
void kb_line(TextBuilder& out, const char* label, u64 bytes, int width = 8) {
  out.appendf("%s%*llu kB\n", label, width, static_cast<unsigned long long>(bytes >> 10));
}

// __show_smap.
void print_totals(TextBuilder& out, const SmapsTotals& t, bool is_rollup) {
  kb_line(out, "Rss:            ", t.resident);
  kb_line(out, "Pss:            ", t.pss >> PSS_SHIFT);
  kb_line(out, "Pss_Dirty:      ", t.pss_dirty >> PSS_SHIFT);
  if (is_rollup) {
    kb_line(out, "Pss_Anon:       ", t.pss_anon >> PSS_SHIFT);
    kb_line(out, "Pss_File:       ", t.pss_file >> PSS_SHIFT);
    kb_line(out, "Pss_Shmem:      ", t.pss_shmem >> PSS_SHIFT);
  }
  kb_line(out, "Shared_Clean:   ", t.shared_clean);
  kb_line(out, "Shared_Dirty:   ", t.shared_dirty);
  kb_line(out, "Private_Clean:  ", t.private_clean);
  kb_line(out, "Private_Dirty:  ", t.private_dirty);
  kb_line(out, "Referenced:     ", t.referenced);
  kb_line(out, "Anonymous:      ", t.anonymous);
  kb_line(out, "LazyFree:       ", 0);
  kb_line(out, "AnonHugePages:  ", 0);
  kb_line(out, "ShmemPmdMapped: ", 0);
  kb_line(out, "FilePmdMapped:  ", 0);
  kb_line(out, "Shared_Hugetlb: ", 0);
  kb_line(out, "Private_Hugetlb: ", 0, 7);
  kb_line(out, "Swap:           ", t.swap);
  kb_line(out, "SwapPss:        ", t.swap_pss >> PSS_SHIFT);
  kb_line(out, "Locked:         ", 0);
}

// show_smap_vma_flags: the two-letter names of the region's flags.
void print_vm_flags(TextBuilder& out, const Region& r) {
  out.append("VmFlags: ");
  if (has(r.m_prot, Prot::Read)) out.append("rd ");
  if (has(r.m_prot, Prot::Write)) out.append("wr ");
  if (has(r.m_prot, Prot::Exec)) out.append("ex ");
  if (r.is_shared()) out.append("sh ");
  // The "may" flags: what mprotect may raise the protection to (a private mapping may always be written).
  if (has(r.m_max_prot, Prot::Read)) out.append("mr ");
  if (has(r.m_max_prot, Prot::Write) || r.is_private()) out.append("mw ");
  if (has(r.m_max_prot, Prot::Exec)) out.append("me ");
  if (r.is_shared()) out.append("ms ");
  if (r.m_flags & RegionFlag::Stack) out.append("gd ");
  if (r.m_flags & RegionFlag::DontFork) out.append("dc ");
  // VM_ACCOUNT: private writable memory is charged to the commit limit.
  if (r.is_private() && has(r.m_prot, Prot::Write)) out.append("ac ");
  if (r.m_flags & RegionFlag::WipeOnFork) out.append("wf ");
  out.append('\n');
}

// Runs fn(space) with the process's address space, under g_process_lock; nothing for a zombie.
template <typename Fn>
Result<void> with_space(i32 pid, Fn fn) {
  SpinlockGuard guard(g_process_lock);
  Process* p = proc_find_locked(pid);
  if (!p) return Error::SRCH;
  if (!p->m_space || p->m_state == ProcessState::Zombie) return {};
  fn(*p->m_space);
  return {};
}

// Pagemap entry bits.
constexpr u64 PM_PRESENT = 1ull << 63, PM_SWAP = 1ull << 62, PM_FILE = 1ull << 61, PM_MMAP_EXCLUSIVE = 1ull << 56;
constexpr u64 PM_PFRAME_MASK = (1ull << 55) - 1;
constexpr u32 PM_SWAP_TYPE_BITS = 5;

u64 pagemap_entry(const PageState& page) {
  if (page.is_swapped) return PM_SWAP | (((page.swap_slot << PM_SWAP_TYPE_BITS) | page.swap_type) & PM_PFRAME_MASK);
  if (!page.is_present) return 0;
  // Everyone is root here: the frame numbers are shown (Linux shows them to CAP_SYS_ADMIN only).
  u64 entry = PM_PRESENT | (page.address.pfn() & PM_PFRAME_MASK);
  if (page.is_zero_page) return entry;
  if (!page.is_anonymous) entry |= PM_FILE;
  if (page.sharers == 1) entry |= PM_MMAP_EXCLUSIVE;
  return entry;
}

}  // namespace

void proc_print_map_line(TextBuilder& out, const Region& r) {
  usize line_start = out.length();
  const VmObject* object = r.m_object.get();
  u64 offset = object ? r.m_object_page * PAGE_SIZE : 0;
  u32 minor = object && !object->is_special_mapping() ? device_minor(RAMFS_DEVICE) : 0;
  u64 inode = object ? object->inode_number() : 0;
  out.appendf("%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ", static_cast<unsigned long long>(r.m_start.get()),
              static_cast<unsigned long long>(r.m_end.get()), has(r.m_prot, Prot::Read) ? 'r' : '-',
              has(r.m_prot, Prot::Write) ? 'w' : '-', has(r.m_prot, Prot::Exec) ? 'x' : '-', r.is_shared() ? 's' : 'p',
              static_cast<unsigned long long>(offset), 0u, minor, static_cast<unsigned long long>(inode));
  const char* name = nullptr;
  if (r.m_flags & RegionFlag::Heap)
    name = "[heap]";
  else if (r.m_flags & RegionFlag::Stack)
    name = "[stack]";
  else if (object)
    name = object->path() ? object->path() : "/dev/zero (deleted)";
  if (name) {
    // seq_setwidth(25 + sizeof(void*) * 6 - 1) then seq_pad(m, ' '): pad to 72, then one space.
    out.pad_to(line_start + 25 + 8 * 6 - 1);
    out.append(' ');
    out.append(name);
  }
  out.append('\n');
}

// One line per region, exactly as Linux's show_map_vma prints it: the name (if any) starts at column 73.
Result<void> proc_pid_maps(TextBuilder& out, i32 pid) {
  return with_space(pid, [&](AddressSpace& space) {
    space.for_each_region([&](const Region& r) { proc_print_map_line(out, r); });
  });
}

Result<void> proc_pid_smaps(TextBuilder& out, i32 pid) {
  return with_space(pid, [&](AddressSpace& space) {
    space.for_each_region([&](const Region& r) {
      SmapsTotals t;
      account_region_locked(t, space, r);
      proc_print_map_line(out, r);
      kb_line(out, "Size:           ", r.size());
      kb_line(out, "KernelPageSize: ", PAGE_SIZE);
      kb_line(out, "MMUPageSize:    ", PAGE_SIZE);
      print_totals(out, t, false);
      out.append("THPeligible:    0\n");
      print_vm_flags(out, r);
    });
  });
}

Result<void> proc_pid_smaps_rollup(TextBuilder& out, i32 pid) {
  return with_space(pid, [&](AddressSpace& space) {
    SmapsTotals t;
    u64 first = 0, last = 0;
    space.for_each_region([&](const Region& r) {
      if (!last) first = r.m_start.get();
      last = r.m_end.get();
      account_region_locked(t, space, r);
    });
    if (!last) return;  // no regions: Linux prints nothing either
    usize line_start = out.length();
    out.appendf("%08llx-%08llx ---p 00000000 00:00 0 ", static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(last));
    out.pad_to(line_start + 25 + 8 * 6 - 1);
    out.append(" [rollup]\n");
    print_totals(out, t, true);
  });
}

Result<usize> proc_pid_pagemap_read(i32 pid, const IoBuffer& buffer, usize len, u64 offset) {
  if (offset % sizeof(u64) || len % sizeof(u64)) return Error::INVAL;
  constexpr u64 END_VPN = user_layout::USER_END >> PAGE_SHIFT;
  u64 first = offset / sizeof(u64);
  if (first >= END_VPN) return static_cast<usize>(0);
  u64 count = len / sizeof(u64);
  if (count > END_VPN - first) count = END_VPN - first;
  // In chunks: each is computed under the locks into a kernel buffer, then copied out without them.
  constexpr u64 CHUNK = 256;  // 2 KiB of kernel stack
  u64 entries[CHUNK];
  usize done = 0;
  while (done < count) {
    if (done && preemption_point(StopOn::Kill)) break;  // any length: others run, SIGKILL ends it
    u64 vpn = first + done;
    u64 n = count - done < CHUNK ? count - done : CHUNK;
    memset(entries, 0, n * sizeof(u64));
    TRY(with_space(pid, [&](AddressSpace& space) {
      space.for_each_region([&](const Region& r) {
        u64 start = r.m_start.get() >> PAGE_SHIFT, end = r.m_end.get() >> PAGE_SHIFT;
        for (u64 v = start > vpn ? start : vpn; v < end && v < vpn + n; v++)
          entries[v - vpn] = pagemap_entry(space.page_state_locked(r, VirtAddr(v << PAGE_SHIFT)));
      });
    }));
    auto copied = buffer.write(done * sizeof(u64), entries, n * sizeof(u64));
    if (copied.is_error()) {
      if (done) break;
      return copied.error();
    }
    done += n;
  }
  return done * sizeof(u64);
}
