// Memory system calls: brk, mmap, munmap, mprotect, madvise — argument checking as Linux does it (mmap(2),
// mprotect(2), brk(2)), then the machine-independent address space (mm/address_space.h) does the work.
#include "kernel/sys_mm.h"

#include "kernel/fs/fd_table.h"
#include "kernel/process.h"
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

i64 sys_brk(const SyscallArgs& a) { return static_cast<i64>(space().brk(VirtAddr(a.a0)).get()); }

i64 sys_mmap(const SyscallArgs& a) {
  u64 address = a.a0, length = a.a1, prot_bits = a.a2, flags = a.a3, offset = a.a5;
  i32 fd = static_cast<i32>(a.a4);
  if (length == 0) return syscall_error(Error::INVAL);
  u32 type = flags & MAP_TYPE;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return syscall_error(Error::INVAL);
  if (offset % PAGE_SIZE) return syscall_error(Error::INVAL);
  u64 rounded = align_up(length, PAGE_SIZE);
  if (rounded < length) return syscall_error(Error::NOMEM);  // overflow: Linux says ENOMEM here
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && address % PAGE_SIZE) return syscall_error(Error::INVAL);
  if (offset / PAGE_SIZE + rounded / PAGE_SIZE < offset / PAGE_SIZE) return syscall_error(Error::OVERFLOW);
  auto prot = prot_from_user(prot_bits & ~static_cast<u64>(PROT_GROWSDOWN | PROT_GROWSUP));
  if (prot.is_error()) return syscall_error(prot.error());

  MapRequest req;
  req.address = VirtAddr(address);
  req.length = rounded;
  req.prot = prot.value();
  req.flags = (flags & MAP_FIXED ? MapFlag::Fixed : 0) | (flags & MAP_FIXED_NOREPLACE ? MapFlag::FixedNoReplace : 0) |
              (type != MAP_PRIVATE ? MapFlag::Shared : 0) | (flags & MAP_POPULATE ? MapFlag::Populate : 0) |
              (flags & MAP_GROWSDOWN ? MapFlag::Stack : 0);
  if (flags & MAP_ANONYMOUS) {
    if (type != MAP_PRIVATE) {
      // Shared anonymous memory is a memory object of its own, so that it stays shared across fork.
      auto object = MemoryObject::create(rounded, "/dev/zero (deleted)");
      if (!object) return syscall_error(Error::NOMEM);
      req.object = object;
    }
  } else {
    auto file = current_process()->m_fds->get(fd);
    if (file.is_error()) return syscall_error(Error::BADF);
    File& f = *file.value();
    if (!f.is_readable()) return syscall_error(Error::ACCESS);
    if (type != MAP_PRIVATE && has(prot.value(), Prot::Write) && !f.is_writable()) return syscall_error(Error::ACCESS);
    auto object = f.mmap_object();
    if (object.is_error()) return syscall_error(object.error());
    req.object = object.value();
    req.object_page = offset / PAGE_SIZE;
    // A shared mapping of a read-only file can never become writable (mprotect gives EACCES).
    if (type != MAP_PRIVATE && !f.is_writable()) req.max_prot = Prot::ReadExec;
  }
  auto mapped = space().map(req);
  if (mapped.is_error()) return syscall_error(mapped.error());
  return static_cast<i64>(mapped.value().get());
}

i64 sys_munmap(const SyscallArgs& a) { return syscall_return(space().unmap(VirtAddr(a.a0), a.a1)); }

i64 sys_mprotect(const SyscallArgs& a) {
  if (a.a0 % PAGE_SIZE) return syscall_error(Error::INVAL);
  auto prot = prot_from_user(a.a2);
  if (prot.is_error()) return syscall_error(prot.error());
  if (a.a2 & (PROT_GROWSDOWN | PROT_GROWSUP)) return syscall_error(Error::INVAL);
  return syscall_return(space().protect(VirtAddr(a.a0), a.a1, prot.value()));
}

i64 sys_madvise(const SyscallArgs& a) {
  constexpr u32 MADV_DONTNEED = 4;
  if (a.a0 % PAGE_SIZE) return syscall_error(Error::INVAL);
  if (a.a2 == MADV_DONTNEED) return syscall_return(space().discard(VirtAddr(a.a0), a.a1));
  return 0;  // advice only
}
