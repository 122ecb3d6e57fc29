// IoBuffer: the memory a read() fills or a write() drains, either user memory (every access goes through
// the checked copy routines, so a bad pointer gives EFAULT) or kernel memory (exec reading an ELF header,
// /proc generating text). File implementations use only this, never raw user pointers.
#pragma once

#include <cstring>

#include "arch/riscv/usercopy.h"
#include "lib/result.h"

class IoBuffer {
 public:
  static IoBuffer user(u64 address, usize size) { return IoBuffer(address, size, true); }
  static IoBuffer kernel(void* pointer, usize size) { return IoBuffer(reinterpret_cast<u64>(pointer), size, false); }

  usize size() const { return m_size; }
  bool is_user() const { return m_is_user; }

  // Copy n bytes from src into the buffer at offset.
  Result<void> write(usize offset, const void* src, usize n) const {
    if (offset > m_size || n > m_size - offset) return Error::FAULT;
    if (m_is_user) return copy_to_user(m_address + offset, src, n);
    memcpy(reinterpret_cast<void*>(m_address + offset), src, n);
    return {};
  }
  // Copy n bytes at offset out of the buffer into dst.
  Result<void> read(usize offset, void* dst, usize n) const {
    if (offset > m_size || n > m_size - offset) return Error::FAULT;
    if (m_is_user) return copy_from_user(dst, m_address + offset, n);
    memcpy(dst, reinterpret_cast<const void*>(m_address + offset), n);
    return {};
  }
  // A sub-buffer (for readv/writev bookkeeping).
  IoBuffer slice(usize offset) const { return IoBuffer(m_address + offset, offset <= m_size ? m_size - offset : 0, m_is_user); }

 private:
  IoBuffer(u64 address, usize size, bool is_user) : m_address(address), m_size(size), m_is_user(is_user) {}
  u64 m_address;
  usize m_size;
  bool m_is_user;
};
