// FileSystem (kernel/fs/file_system.h): what every kind shares — statfs's common fields, read-only mounts,
// anonymous device numbers, and the busy check of file systems that keep no unused inodes.
#include "kernel/fs/file_system.h"

#include <cstring>

#include "kernel/fs/inode.h"

namespace {

// Linux hands out anonymous device numbers from 0:16 up (the low ones are taken by early mounts); ours start
// past the fixed ones of the root ramfs (0:1) and /proc (0:4).
Atomic<u32> g_next_anonymous_minor{16};

}  // namespace

u64 FileSystem::allocate_anonymous_device() {
  return make_device(0, g_next_anonymous_minor.fetch_add(1, MemoryOrder::Relaxed));
}

Result<void> FileSystem::check_writable() const {
  if (is_read_only()) return Error::ROFS;
  return {};
}

Result<void> FileSystem::set_read_only(bool read_only) {
  m_is_read_only.store(read_only, MemoryOrder::Relaxed);
  return {};
}

Result<void> FileSystem::statfs(linux::statfs& out) {
  memset(&out, 0, sizeof(out));
  out.f_bsize = 4096;
  out.f_frsize = 4096;
  out.f_namelen = static_cast<i64>(fs_limits::MAX_NAME);
  out.f_fsid[0] = static_cast<i32>(m_device);
  out.f_flags = is_read_only() ? linux::ST_RDONLY : 0;
  return {};
}

bool FileSystem::is_busy(Inode& root, u32 caller_references) {
  if (live_inodes() > 1) return true;
  return root.ref_count() > 1 + caller_references;  // the mount's reference, and the caller's
}
