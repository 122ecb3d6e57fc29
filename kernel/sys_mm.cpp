// Memory system calls: brk, mmap, munmap, mprotect, mremap, madvise, mincore, mlock family, msync — argument checking as Linux does it (mmap(2),
// mprotect(2), brk(2)), then the machine-independent address space (mm/address_space.h) does the work.
#include "kernel/sys_mm.h"

#include "arch/riscv/usercopy.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/inode.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"
#include "mm/address_space.h"

using namespace linux;

namespace {

AddressSpace& space() { return *current_process()->m_space; }

// PROT_* bits to Prot, kept as asked (/proc/PID/maps shows "-w-p" for PROT_WRITE alone, as on Linux); that a
// writable page is also readable is decided where mappings are made (mm/fault.cpp, arch/riscv/pte.h).
Result<Prot> prot_from_user(u64 prot) {
  if (prot & ~static_cast<u64>(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) return Error::INVAL;
  if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP)) return Error::INVAL;
  Prot p = Prot::None;
  if (prot & PROT_READ) p = p | Prot::Read;
  if (prot & PROT_WRITE) p = p | Prot::Write;
  if (prot & PROT_EXEC) p = p | Prot::Exec;
  return p;
}

}  // namespace

Result<u64> sys_brk(const SyscallArgs& a) { return space().brk(VirtAddr(a.a0)).get(); }

Result<u64> sys_mmap(const SyscallArgs& a) {
  u64 address = a.a0, length = a.a1, prot_bits = a.a2, flags = a.a3, offset = a.a5;
  i32 fd = static_cast<i32>(a.a4);
  if (length == 0) return Error::INVAL;
  u32 type = flags & MAP_TYPE;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return Error::INVAL;
  if (offset % PAGE_SIZE) return Error::INVAL;
  u64 rounded = align_up(length, PAGE_SIZE);
  if (rounded < length) return Error::NOMEM;  // overflow: Linux says ENOMEM here
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && address % PAGE_SIZE) return Error::INVAL;
  if (offset / PAGE_SIZE + rounded / PAGE_SIZE < offset / PAGE_SIZE) return Error::OVERFLOW;
  Prot prot = TRY(prot_from_user(prot_bits & ~static_cast<u64>(PROT_GROWSDOWN | PROT_GROWSUP)));

  MapRequest req;
  req.address = VirtAddr(address);
  req.length = rounded;
  req.prot = prot;
  req.flags = (flags & MAP_FIXED ? MapFlag::Fixed : 0) | (flags & MAP_FIXED_NOREPLACE ? MapFlag::FixedNoReplace : 0) |
              (type != MAP_PRIVATE ? MapFlag::Shared : 0) | (flags & MAP_POPULATE ? MapFlag::Populate : 0) |
              (flags & MAP_GROWSDOWN ? MapFlag::Stack : 0) | (flags & MAP_LOCKED ? MapFlag::Locked : 0);
  if (flags & MAP_ANONYMOUS) {
    if (type != MAP_PRIVATE) {
      // Shared anonymous memory is a memory object of its own, so that it stays shared across fork.
      auto object = MemoryObject::create(rounded, "/dev/zero (deleted)");
      if (!object) return Error::NOMEM;
      req.object = object;
    }
  } else {
    auto file = current_thread()->m_files->get(fd);
    if (file.is_error()) return Error::BADF;
    File& f = *file.value();
    // LAB mmap: BEGIN SOLUTION
    if (!f.is_readable()) return Error::ACCESS;
    if (type != MAP_PRIVATE && has(prot, Prot::Write) && !f.is_writable()) return Error::ACCESS;
    // LAB mmap: STUDENT
    // // TODO(lab mmap, exercise 1): every file mapping reads the file, so its descriptor must be open for
    // // reading; a shared writable one writes the file too (mmap(2), EACCES).
    // LAB mmap: END
    req.object = TRY(f.mmap_object());
    // A sealed memfd may refuse a writable shared mapping (EPERM) or keep one from becoming writable.
    if (type != MAP_PRIVATE && f.inode() && !TRY(f.inode()->allows_shared_write(has(prot, Prot::Write))))
      req.max_prot = req.max_prot & Prot::ReadExec;
    req.object_page = offset / PAGE_SIZE;
    // LAB mmap: BEGIN SOLUTION
    // A shared mapping of a read-only file can never become writable (mprotect gives EACCES).
    if (type != MAP_PRIVATE && !f.is_writable()) req.max_prot = Prot::ReadExec;
    // LAB mmap: STUDENT
    // // TODO(lab mmap, exercise 1): nor may a shared mapping of a file not open for writing become writable
    // // later (mprotect(2), EACCES): limit the region's req.max_prot.
    // LAB mmap: END
  }
  return TRY(space().map(req)).get();
}

Result<u64> sys_munmap(const SyscallArgs& a) {
  return syscall_result(space().unmap(VirtAddr(a.a0), a.a1));
}

Result<u64> sys_mprotect(const SyscallArgs& a) {
  if (a.a0 % PAGE_SIZE) return Error::INVAL;
  Prot prot = TRY(prot_from_user(a.a2));
  if (a.a2 & (PROT_GROWSDOWN | PROT_GROWSUP)) return Error::INVAL;
  return syscall_result(space().protect(VirtAddr(a.a0), a.a1, prot));
}

// mremap(old_address, old_size, new_size, flags, new_address): Linux's flag checks, in its order, then the
// address space (mm/remap.cpp).
Result<u64> sys_mremap(const SyscallArgs& a) {
  constexpr u64 MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
  u64 old_length = a.a1, new_length = a.a2, flags = a.a3;
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return Error::INVAL;
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return Error::INVAL;
  // DONTUNMAP is always a move, and never a resize.
  if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_length != new_length)) return Error::INVAL;
  u32 how = (flags & MREMAP_MAYMOVE ? RemapFlag::MayMove : 0) | (flags & MREMAP_FIXED ? RemapFlag::Fixed : 0) |
            (flags & MREMAP_DONTUNMAP ? RemapFlag::DontUnmap : 0);
  return TRY(space().remap(VirtAddr(a.a0), old_length, new_length, how, VirtAddr(a.a4))).get();
}

// madvise(addr, length, advice): the advice Linux 6.1 knows on riscv (without KSM, transparent huge pages or
// memory-failure injection: those are EINVAL there too), walked over the regions by the address space
// (mm/advise.cpp).
Result<u64> sys_madvise(const SyscallArgs& a) {
  enum : u64 {
    MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4, MADV_FREE = 8,
    MADV_REMOVE = 9, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_DONTDUMP = 16, MADV_DODUMP = 17,
    MADV_WIPEONFORK = 18, MADV_KEEPONFORK = 19, MADV_COLD = 20, MADV_PAGEOUT = 21, MADV_POPULATE_READ = 22,
    MADV_POPULATE_WRITE = 23, MADV_DONTNEED_LOCKED = 24,
  };
  Advice advice;
  switch (a.a2) {
    case MADV_DONTNEED: advice = Advice::DontNeed; break;
    case MADV_DONTNEED_LOCKED: advice = Advice::DontNeedLocked; break;
    case MADV_FREE: advice = Advice::Free; break;
    case MADV_WILLNEED: advice = Advice::WillNeed; break;
    case MADV_COLD:
    case MADV_PAGEOUT: advice = Advice::Cold; break;
    case MADV_POPULATE_READ: advice = Advice::PopulateRead; break;
    case MADV_POPULATE_WRITE: advice = Advice::PopulateWrite; break;
    case MADV_REMOVE: advice = Advice::Remove; break;
    case MADV_DONTFORK: advice = Advice::DontFork; break;
    case MADV_DOFORK: advice = Advice::DoFork; break;
    case MADV_WIPEONFORK: advice = Advice::WipeOnFork; break;
    case MADV_KEEPONFORK: advice = Advice::KeepOnFork; break;
    // Only advice here.
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_DONTDUMP:
    case MADV_DODUMP: advice = Advice::Hint; break;
    default: return Error::INVAL;
  }
  return syscall_result(space().advise(VirtAddr(a.a0), a.a1, advice));
}

// mincore(addr, length, vec): one byte per page, 1 if it is in memory.
Result<u64> sys_mincore(const SyscallArgs& a) {
  u64 start = a.a0, length = a.a1, vec = a.a2;
  if (start % PAGE_SIZE) return Error::INVAL;
  if (start >= user_layout::USER_END || length > user_layout::USER_END - start) return Error::NOMEM;
  u64 pages = align_up(length, PAGE_SIZE) / PAGE_SIZE;
  if (!is_user_range(vec, pages)) return Error::FAULT;
  u8 chunk[256];
  for (u64 done = 0; done < pages;) {
    u64 n = pages - done < sizeof(chunk) ? pages - done : sizeof(chunk);
    TRY(space().residency(VirtAddr(start + done * PAGE_SIZE), n, chunk));
    TRY(copy_to_user(vec + done, chunk, n));
    done += n;
    // Linux's mincore has cond_resched per chunk: 768 MiB took 13.6 ms in one piece.
    if (done < pages && preemption_point(StopOn::Kill)) return Error::INTR;
  }
  return 0;
}

namespace {

using LockMode = AddressSpace::LockMode;

// mlock's range: the address need not be aligned (the pages it touches count), as Linux's mlock. Locked pages
// stay in memory: page-out passes locked regions over (RegionFlag::Locked).
Result<void> lock_range(u64 start, u64 length, LockMode mode) {
  u64 base = start & ~(PAGE_SIZE - 1);
  length = align_up(length + (start - base), PAGE_SIZE);
  if (length == 0) return {};
  if (base >= user_layout::USER_END || length > user_layout::USER_END - base) return Error::NOMEM;
  // Everyone is root here (CAP_IPC_LOCK): RLIMIT_MEMLOCK does not apply, as on Linux for root.
  return space().set_locked(VirtAddr(base), length, mode);
}

// msync(MS_SYNC)'s work: write back, and wait for, the object pages under the shared mappings of [start, end).
// The windows are gathered a few at a time under the space's lock; writing back sleeps, so it runs outside it.
Result<void> write_back_shared(u64 start, u64 end) {
  constexpr unsigned BATCH = 8;
  struct Window {
    RefPtr<VmObject> object;
    u64 first = 0, end = 0;
  };
  // LAB mmap: BEGIN SOLUTION
  for (u64 cursor = start; cursor < end;) {
    Window windows[BATCH];
    unsigned count = 0;
    u64 resume = end;
    space().for_each_region([&](const Region& r) {
      if (r.m_end.get() <= cursor || r.m_start.get() >= end || resume != end) return;
      u64 lo = r.m_start.get() > cursor ? r.m_start.get() : cursor;
      if (count == BATCH) {
        resume = lo;
        return;
      }
      u64 hi = r.m_end.get() < end ? r.m_end.get() : end;
      if (r.m_object && r.is_shared())
        windows[count++] = {RefPtr<VmObject>(r.m_object), r.object_page_of(VirtAddr(lo)),
                            r.object_page_of(VirtAddr(hi - 1)) + 1};
    });
    for (unsigned i = 0; i < count; i++) TRY(windows[i].object->write_back(windows[i].first, windows[i].end, true));
    cursor = resume;
  }
  // LAB mmap: STUDENT
  // // TODO(lab mmap, exercise 3): for each shared file mapping (r.m_object && r.is_shared()) that overlaps
  // // [start, end), write back and wait for the object's pages under the overlap (VmObject::write_back: it
  // // sleeps, so not inside for_each_region, which holds the address space's lock).
  // (void)start, (void)end, (void)BATCH;
  // LAB mmap: END
  return {};
}

}  // namespace

Result<u64> sys_mlock(const SyscallArgs& a) { return syscall_result(lock_range(a.a0, a.a1, LockMode::Lock)); }

Result<u64> sys_mlock2(const SyscallArgs& a) {
  constexpr u64 MLOCK_ONFAULT = 1;
  if (a.a2 & ~MLOCK_ONFAULT) return Error::INVAL;
  return syscall_result(lock_range(a.a0, a.a1, a.a2 & MLOCK_ONFAULT ? LockMode::LockOnFault : LockMode::Lock));
}

Result<u64> sys_munlock(const SyscallArgs& a) { return syscall_result(lock_range(a.a0, a.a1, LockMode::Unlock)); }

Result<u64> sys_mlockall(const SyscallArgs& a) {
  constexpr u64 MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;
  u64 flags = a.a0;
  if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT) return Error::INVAL;
  LockMode mode = flags & MCL_ONFAULT ? LockMode::LockOnFault : LockMode::Lock;
  return syscall_result(space().set_all_locked(flags & MCL_CURRENT, flags & MCL_FUTURE, mode));
}

Result<u64> sys_munlockall(const SyscallArgs&) {
  return syscall_result(space().set_all_locked(true, false, LockMode::Unlock));
}

// msync(2) as Linux's mm/msync.c: the arguments are checked first; MS_SYNC then writes the changed pages of the
// range's shared file mappings back and waits (fsync of the range), and a hole in the range is ENOMEM after the
// mapped parts were synced. MS_ASYNC has nothing to do (the flusher writes dirty pages within its delay, and
// stores are already visible to read()); MS_INVALIDATE neither (one page cache: no other copy to invalidate).
Result<u64> sys_msync(const SyscallArgs& a) {
  u64 start = a.a0, length = a.a1, flags = a.a2;
  if (flags & ~static_cast<u64>(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) return Error::INVAL;
  if (start % PAGE_SIZE) return Error::INVAL;
  if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return Error::INVAL;
  length = align_up(length, PAGE_SIZE);
  if (start + length < start) return Error::NOMEM;
  if (length == 0) return 0;
  if (start >= user_layout::USER_END || length > user_layout::USER_END - start) return Error::NOMEM;
  if (flags & MS_SYNC) TRY(write_back_shared(start, start + length));
  return syscall_result(space().check_mapped(VirtAddr(start), length));
}

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_brk);
RAW_SYSCALL(sys_mmap);
RAW_SYSCALL(sys_munmap);
RAW_SYSCALL(sys_mprotect);
RAW_SYSCALL(sys_mremap);
RAW_SYSCALL(sys_madvise);
RAW_SYSCALL(sys_mincore);
RAW_SYSCALL(sys_mlock);
RAW_SYSCALL(sys_mlock2);
RAW_SYSCALL(sys_munlock);
RAW_SYSCALL(sys_mlockall);
RAW_SYSCALL(sys_munlockall);
RAW_SYSCALL(sys_msync);
