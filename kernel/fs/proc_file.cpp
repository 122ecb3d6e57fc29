// The open files of /proc (kernel/fs/procfs.h): generated text with Linux's seq_file semantics, and the binary
// /proc/PID/pagemap.
//
// Text is generated when a read starts at offset 0 (the first read, a read after lseek(fd, 0, SEEK_SET), a
// pread at 0), or jumps to another place than where the last read ended; reads that continue where the last
// one stopped are served from the same text, so a reader that reads in small pieces sees one consistent
// version. /proc/uptime read twice through one descriptor therefore advances, as on Linux. SEEK_END is EINVAL
// (a generated file has no end until it is generated), as seq_lseek says.
// Lock: m_lock (a sleep lock: generating takes spinlocks, and copying out to the user may fault) protects the
// text and the positions.
#include "kernel/fs/procfs.h"

#include "kernel/fs/open_file.h"
#include "kernel/fs/sleep_lock.h"
#include "mm/heap.h"

namespace {

// lseek on a generated file: from the start or the current position only (seq_lseek: SEEK_END is EINVAL).
Result<u64> seek_in_generated_file(u64& position, i64 delta, int whence) {
  i64 base;
  switch (whence) {
    case linux::SEEK_SET: base = 0; break;
    case linux::SEEK_CUR: base = static_cast<i64>(position); break;
    default: return Error::INVAL;
  }
  if (delta < 0 && -delta > base) return Error::INVAL;
  position = static_cast<u64>(base + delta);
  return position;
}

class ProcTextFile final : public File {
 public:
  ProcTextFile(ProcTextSource& source, u32 flags) : File(flags), m_source(&source) {}
  ~ProcTextFile() override { kfree(m_text); }

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    SleepLockGuard guard(m_lock);
    usize n = TRY(read_locked(buffer, len, m_position));
    m_position += n;
    return n;
  }

  Result<usize> read_at(const IoBuffer& buffer, usize len, u64 at) override {
    SleepLockGuard guard(m_lock);
    return read_locked(buffer, len, at);
  }

  Result<usize> write(const IoBuffer& buffer, usize len) override {
    SleepLockGuard guard(m_lock);
    return m_source->write_text(buffer, len);
  }

  Result<u64> seek(i64 delta, int whence) override {
    SleepLockGuard guard(m_lock);
    return seek_in_generated_file(m_position, delta, whence);
  }

  Inode* inode() override { return m_source.get(); }
  const char* describe() const override { return "proc"; }

 private:
  Result<usize> read_locked(const IoBuffer& buffer, usize len, u64 at) {
    if (at == 0 || !m_text || at != m_read_end) TRY(regenerate_locked());
    usize n = 0;
    if (at < m_length) {
      n = len < m_length - at ? len : m_length - at;
      TRY(buffer.write(0, m_text + at, n));
    }
    m_read_end = at + n;
    return n;
  }

  Result<void> regenerate_locked() {
    TextBuilder out;
    TRY(m_source->generate(out));
    if (out.has_failed()) return Error::NOMEM;
    kfree(m_text);
    m_text = out.take(m_length);
    return {};
  }

  SleepLock m_lock{"proc-file"};
  RefPtr<ProcTextSource> m_source;
  char* m_text = nullptr;  // kmalloc'ed; guarded by m_lock
  usize m_length = 0;      // guarded by m_lock
  u64 m_position = 0;      // the file offset; guarded by m_lock
  u64 m_read_end = 0;      // where the last read stopped; guarded by m_lock
};

// /proc/PID/pagemap: one 64-bit entry per virtual page (Documentation/admin-guide/mm/pagemap.rst). Reads must
// start and end on entry boundaries (EINVAL otherwise); the file ends with the user half.
class PagemapFile final : public File {
 public:
  PagemapFile(Inode& inode, i32 pid, u32 flags) : File(flags), m_inode(&inode), m_pid(pid) {}

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    SleepLockGuard guard(m_lock);
    usize n = TRY(proc_pid_pagemap_read(m_pid, buffer, len, m_position));
    m_position += n;
    return n;
  }
  Result<usize> read_at(const IoBuffer& buffer, usize len, u64 at) override {
    return proc_pid_pagemap_read(m_pid, buffer, len, at);
  }
  Result<u64> seek(i64 delta, int whence) override {
    SleepLockGuard guard(m_lock);
    return seek_in_generated_file(m_position, delta, whence);
  }
  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return "proc"; }

 private:
  SleepLock m_lock{"pagemap"};
  RefPtr<Inode> m_inode;
  i32 m_pid;
  u64 m_position = 0;  // guarded by m_lock
};

}  // namespace

Result<usize> ProcTextSource::write_text(const IoBuffer&, usize) { return Error::INVAL; }

Result<RefPtr<File>> ProcTextSource::open(u32 flags) {
  auto* file = new ProcTextFile(*this, open_flags_to_keep(flags));
  if (!file) return Error::NOMEM;
  return RefPtr<File>::adopt(file);
}

Result<RefPtr<File>> proc_pagemap_open(Inode& inode, i32 pid, u32 flags) {
  auto* file = new PagemapFile(inode, pid, open_flags_to_keep(flags));
  if (!file) return Error::NOMEM;
  return RefPtr<File>::adopt(file);
}
