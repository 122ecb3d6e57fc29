// File: the defaults every kind of open file description inherits — the errno Linux gives when a file has no
// such operation.
#include "kernel/fs/file.h"

#include <cstring>

#include "kernel/fs/file_lock.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/open_file.h"
#include "mm/frame.h"
#include "mm/vm_object.h"

Atomic<u64> g_open_files;

// Linux's files_maxfiles_init, once, when the file systems start: a tenth of the memory not taken at that time
// (counting 3/2 of what is taken), one file per KiB, at least NR_FILE (8192).
u64 file_max() {
  static u64 max = [] {
    MemoryCounters c = g_phys.counters();
    u64 reserve = (c.total_frames - c.free_frames) * 3 / 2;
    if (reserve > c.total_frames - 1) reserve = c.total_frames - 1;
    u64 n = (c.total_frames - reserve) * (PAGE_SIZE / 1024) / 10;
    return n > 8192 ? n : 8192;
  }();
  return max;
}

File::~File() {
  file_locks_release_file(this);
  g_open_files.fetch_sub(1, MemoryOrder::Relaxed);
}

Result<usize> File::read(const IoBuffer&, usize) { return Error::INVAL; }
Result<usize> File::write(const IoBuffer&, usize) { return Error::INVAL; }
Result<usize> File::read_at(const IoBuffer&, usize, u64) { return Error::SPIPE; }
Result<usize> File::write_at(const IoBuffer&, usize, u64) { return Error::SPIPE; }
Result<u64> File::seek(i64, int) { return Error::SPIPE; }
Result<i64> File::ioctl(u64, u64) { return Error::NOTTY; }
Result<usize> File::getdents64(const IoBuffer&, usize) { return Error::NOTDIR; }
Result<RefPtr<VmObject>> File::mmap_object() { return Error::NODEV; }
u32 File::poll_events() { return linux::POLLIN | linux::POLLOUT | linux::POLLRDNORM | linux::POLLWRNORM; }

Result<void> File::fsync() { return {}; }

Result<void> File::stat(linux::stat& st) {
  if (Inode* i = inode()) {
    i->stat(st);
    return {};
  }
  memset(&st, 0, sizeof(st));
  st.st_blksize = 4096;
  return {};
}

void File::set_status_flags(u32 flags) {
  constexpr u32 changeable = linux::O_APPEND | linux::O_NONBLOCK;
  SpinlockGuard guard(m_offset_lock);
  // Readers look at m_flags without the lock: store it in one piece.
  __atomic_store_n(&m_flags, (m_flags & ~changeable) | (flags & changeable), __ATOMIC_RELAXED);
}

u32 open_flags_to_keep(u32 flags) {
  return (flags & ~(linux::O_CREAT | linux::O_EXCL | linux::O_NOCTTY | linux::O_TRUNC)) | O_LARGEFILE;
}
