// Memory system calls: brk, mmap, munmap, mprotect, madvise — argument checking as Linux does it (mmap(2),
// mprotect(2), brk(2)), then the machine-independent address space (mm/address_space.h) does the work.
#include "kernel/sys_mm.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/inode.h"
#include "kernel/process.h"
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
              (flags & MAP_GROWSDOWN ? MapFlag::Stack : 0);
  if (flags & MAP_ANONYMOUS) {
    if (type != MAP_PRIVATE) {
      // Shared anonymous memory is a memory object of its own, so that it stays shared across fork.
      auto object = MemoryObject::create(rounded, "/dev/zero (deleted)");
      if (!object) return Error::NOMEM;
      req.object = object;
    }
  } else {
    auto file = current_process()->m_fds->get(fd);
    if (file.is_error()) return Error::BADF;
    File& f = *file.value();
    if (!f.is_readable()) return Error::ACCESS;
    if (type != MAP_PRIVATE && has(prot, Prot::Write) && !f.is_writable()) return Error::ACCESS;
    req.object = TRY(f.mmap_object());
    // A sealed memfd may refuse a writable shared mapping (EPERM) or keep one from becoming writable.
    if (type != MAP_PRIVATE && f.inode() && !TRY(f.inode()->allows_shared_write(has(prot, Prot::Write))))
      req.max_prot = req.max_prot & Prot::ReadExec;
    req.object_page = offset / PAGE_SIZE;
    // A shared mapping of a read-only file can never become writable (mprotect gives EACCES).
    if (type != MAP_PRIVATE && !f.is_writable()) req.max_prot = Prot::ReadExec;
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

Result<u64> sys_madvise(const SyscallArgs& a) {
  constexpr u32 MADV_DONTNEED = 4;
  if (a.a0 % PAGE_SIZE) return Error::INVAL;
  if (a.a2 == MADV_DONTNEED) TRY(space().discard(VirtAddr(a.a0), a.a1));
  return 0;  // other advice is only advice
}

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_brk);
RAW_SYSCALL(sys_mmap);
RAW_SYSCALL(sys_munmap);
RAW_SYSCALL(sys_mprotect);
RAW_SYSCALL(sys_madvise);
