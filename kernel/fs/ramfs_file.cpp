// ramfs regular files, symbolic links and device nodes (kernel/fs/ramfs.h).
//
// A regular file's bytes live in a MemoryObject, one frame per page that was ever written; read() copies out
// of those frames, write() into them, and mmap maps them, so all three see the same bytes. Pages never written
// are holes: reads give zeros from the shared zero page and allocate nothing.
//
// Invariant: the object is at least m_size bytes long and every byte of it past m_size is zero. Writes keep
// it (a write that faults part way zeroes what it copied past the end), and truncate keeps it. It matters
// because growing a file (write past the end, ftruncate up) must show zeros in the gap.
//
// Truncating a file that some process has mapped cannot free the frames past the new end: the mappings use
// them without holding a reference. Then the bytes are zeroed instead and the object keeps its length until
// the file is no longer mapped (a later write or truncate gives the pages back).
#include <cstring>

#include "kernel/fs/open_file.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/ramfs.h"
#include "kernel/sched.h"
#include "mm/heap.h"
#include "mm/vm_stats.h"

namespace {

Spinlock g_all_files_lock{"ramfs-files"};
IntrusiveList<RamFile, &RamFile::m_all_link> g_all_files;  // guarded by g_all_files_lock

u64 min_u64(u64 a, u64 b) { return a < b ? a : b; }

}  // namespace

// ---- RamFile ----

RamFile::RamFile(RamFs& fs, u32 permissions) : Inode(InodeType::Regular, permissions, fs) {}

Result<RefPtr<RamFile>> RamFile::create(RamFs& fs, u32 permissions, const char* object_name) {
  auto* file = new RamFile(fs, permissions);
  if (!file) return Error::NOMEM;
  RefPtr<RamFile> ref = RefPtr<RamFile>::adopt(file);
  file->m_object = MemoryObject::create(0, object_name, file->number(), fs.m_budget);  // tmpfs size=
  if (!file->m_object) return Error::NOMEM;
  SpinlockGuard guard(g_all_files_lock);
  g_all_files.push_back(*file);
  return ref;
}

RamFile::~RamFile() {
  if (m_all_link.is_linked()) {
    SpinlockGuard guard(g_all_files_lock);
    g_all_files.remove(*this);
  }
}

u64 RamFile::total_resident_pages() {
  SpinlockGuard guard(g_all_files_lock);
  u64 pages = 0;
  for (RamFile& f : g_all_files)
    if (f.m_object) pages += f.m_object->resident_pages();
  return pages;
}

u64 RamFile::size() const {
  SpinlockGuard guard(m_lock);
  return m_size;
}

u64 RamFile::blocks() const { return m_object->resident_pages() * (PAGE_SIZE / 512); }

Result<RefPtr<File>> RamFile::open(u32 flags) { return regular_file_open(*this, flags); }

Result<RefPtr<VmObject>> RamFile::mmap_object() { return RefPtr<VmObject>(m_object); }

void RamFile::set_size_locked(u64 size) {
  ASSERT_LOCKED(m_io_lock);
  SpinlockGuard guard(m_lock);
  m_size = size;
}

// Give back the object's pages past the end of the file (a mapping of them faults from now on: SIGBUS).
void RamFile::shrink_object_locked() {
  ASSERT_LOCKED(m_io_lock);
  if (m_object->size_bytes() > m_size) MUST(m_object->set_size(m_size));
}

Result<usize> RamFile::read(const IoBuffer& buffer, usize len, u64 offset) {
  SleepLockGuard io(m_io_lock);
  if (offset >= m_size) return 0;
  len = min_u64(len, m_size - offset);
  const u8* zeros = g_phys.kernel_pointer(zero_page());
  usize done = 0;
  while (done < len) {
    if (done && preemption_point(StopOn::Kill)) break;  // a long read: others may run, SIGKILL ends it (filemap_read)
    u64 position = offset + done;
    u64 in_page = position % PAGE_SIZE;
    usize n = min_u64(PAGE_SIZE - in_page, len - done);
    // The frame cannot go away during the copy: freeing it takes m_io_lock (truncate) or our reference.
    Frame* f = m_object->peek_page(position / PAGE_SIZE);
    const u8* source = f ? g_phys.kernel_pointer(f) + in_page : zeros;
    auto copied = buffer.write(done, source, n);
    if (copied.is_error()) {
      if (done) break;  // a short read, as Linux reports a fault after some bytes
      return copied.error();
    }
    done += n;
  }
  return done;
}

Result<usize> RamFile::write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode) {
  SleepLockGuard io(m_io_lock);
  u64 position = mode == WriteMode::Append ? m_size : offset;
  offset = position;
  if (len == 0) return 0;
  if (position >= MAX_SIZE) return Error::FBIG;
  len = min_u64(len, MAX_SIZE - position);
  if (position + len > m_object->size_bytes()) TRY(m_object->set_size(position + len));

  usize done = 0;
  Error failure = Error::FAULT;
  while (done < len) {
    // A long write: others may run, SIGKILL ends it with what was written (generic_perform_write).
    if (done && preemption_point(StopOn::Kill)) break;
    u64 at = position + done;
    u64 in_page = at % PAGE_SIZE;
    usize n = min_u64(PAGE_SIZE - in_page, len - done);
    auto frame = m_object->get_page(at / PAGE_SIZE);
    if (frame.is_error()) {
      failure = frame.error();  // NOSPC: the file system is full (tmpfs size=); NOMEM
      break;
    }
    u8* page = g_phys.kernel_pointer(frame.value());
    auto copied = buffer.read(done, page + in_page, n);
    if (copied.is_error()) {
      // The copy may have stored part of the chunk: what landed past the end must read as zero again.
      if (at + n > m_size) {
        u64 from = at > m_size ? at : m_size;
        memset(page + in_page + (from - at), 0, at + n - from);
      }
      failure = Error::FAULT;
      break;
    }
    done += n;
  }
  if (done > 0 && position + done > m_size) set_size_locked(position + done);
  shrink_object_locked();  // pages a failed write allocated past the end
  if (done == 0) return failure;
  touch_modified();
  return done;
}

Result<void> RamFile::truncate(u64 size) {
  if (size > MAX_SIZE) return Error::FBIG;
  SleepLockGuard io(m_io_lock);
  // Shrinking frees the pages past the end (removing their mappings) and zeroes the tail of the last one;
  // growing makes a hole: nothing is allocated.
  if (size != m_object->size_bytes()) TRY(m_object->set_size(size));
  set_size_locked(size);
  shrink_object_locked();
  touch_modified();
  return {};
}

// tmpfs's fallocate (Linux's shmem_fallocate): pages allocated (zero-filled, charged to the file system's
// size=: ENOSPC past it, with what was allocated kept, where Linux gives it back) or a hole punched.
Result<void> RamFile::fallocate(u32 mode, u64 offset, u64 len) {
  if (offset + len > MAX_SIZE) return Error::FBIG;
  SleepLockGuard io(m_io_lock);
  if (mode & FALLOC_PUNCH_HOLE) {
    m_object->punch_hole(offset, offset + len < m_size ? offset + len : m_size);
    touch_modified();
    return {};
  }
  u64 end = offset + len;
  if (!(mode & FALLOC_KEEP_SIZE) && end > m_object->size_bytes()) TRY(m_object->set_size(end));
  // (With KEEP_SIZE, pages past the end are not kept: the object holds none there.)
  u64 last = (min_u64(end, m_object->size_bytes()) + PAGE_SIZE - 1) / PAGE_SIZE;
  Result<void> result;
  for (u64 page = offset / PAGE_SIZE; page < last; page++) {
    if (preemption_point(StopOn::Kill)) {
      result = Error::INTR;
      break;
    }
    auto frame = m_object->get_page(page);
    if (frame.is_error()) {
      result = frame.error();
      break;
    }
  }
  if (!(mode & FALLOC_KEEP_SIZE) && !result.is_error() && end > m_size) set_size_locked(end);
  shrink_object_locked();  // past the end: what a failed call allocated
  if (!result.is_error()) touch_modified();
  return result;
}

// ---- RamSymlink ----

RamSymlink::RamSymlink(RamFs& fs, char* target, usize len)
    : Inode(InodeType::Symlink, 0777, fs), m_target(target), m_length(len) {}

Result<RefPtr<RamSymlink>> RamSymlink::create(RamFs& fs, const char* target, usize len) {
  auto* copy = static_cast<char*>(kmalloc(len ? len : 1));
  if (!copy) return Error::NOMEM;
  memcpy(copy, target, len);
  auto* link = new RamSymlink(fs, copy, len);
  if (!link) {
    kfree(copy);
    return Error::NOMEM;
  }
  return RefPtr<RamSymlink>::adopt(link);
}

RamSymlink::~RamSymlink() { kfree(m_target); }

Result<usize> RamSymlink::readlink(char* buffer, usize size) {
  usize n = min_u64(size, m_length);
  memcpy(buffer, m_target, n);
  return n;
}

// ---- RamDevice ----

RamDevice::RamDevice(RamFs& fs, InodeType type, u32 permissions, u64 rdev) : Inode(type, permissions, fs, rdev) {}

Result<RefPtr<RamDevice>> RamDevice::create(RamFs& fs, InodeType type, u32 permissions, u64 rdev) {
  auto* device = new RamDevice(fs, type, permissions, rdev);
  if (!device) return Error::NOMEM;
  return RefPtr<RamDevice>::adopt(device);
}

Result<RefPtr<File>> RamDevice::open(u32 flags) { return special_file_open(*this, flags); }
