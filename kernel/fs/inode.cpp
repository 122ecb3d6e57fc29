// The parts of Inode common to every kind: identity, permission bits, times, stat(2), and the defaults for
// operations a kind does not support.
#include "kernel/fs/inode.h"

#include <cstring>

#include "kernel/fs/file.h"
#include "kernel/time.h"

namespace {

Atomic<u64> g_next_inode_number{2};  // 1 is left unused, as on most Linux file systems

}  // namespace

u8 dirent_type(InodeType type) {
  switch (type) {
    case InodeType::Regular: return linux::DT_REG;
    case InodeType::Directory: return linux::DT_DIR;
    case InodeType::Symlink: return linux::DT_LNK;
    case InodeType::CharDevice: return linux::DT_CHR;
    case InodeType::BlockDevice: return linux::DT_BLK;
    case InodeType::Fifo: return linux::DT_FIFO;
  }
  return linux::DT_UNKNOWN;
}

u32 mode_type_bits(InodeType type) {
  switch (type) {
    case InodeType::Regular: return linux::S_IFREG;
    case InodeType::Directory: return linux::S_IFDIR;
    case InodeType::Symlink: return linux::S_IFLNK;
    case InodeType::CharDevice: return linux::S_IFCHR;
    case InodeType::BlockDevice: return linux::S_IFBLK;
    case InodeType::Fifo: return linux::S_IFIFO;
  }
  return 0;
}

u64 Inode::allocate_number() { return g_next_inode_number.fetch_add(1, MemoryOrder::Relaxed); }

Inode::Inode(InodeType type, u32 permissions, u64 device, u64 rdev)
    : Inode(type, permissions, device, allocate_number(), rdev) {}

Inode::Inode(InodeType type, u32 permissions, u64 device, u64 number, u64 rdev)
    : m_type(type), m_number(number), m_device(device), m_rdev(rdev), m_permissions(permissions & 07777) {
  u64 now = time_realtime_ns();
  m_access_time_ns = m_modify_time_ns = m_change_time_ns = now;
}

u32 Inode::permissions() const {
  SpinlockGuard guard(m_lock);
  return m_permissions;
}

u32 Inode::mode() const { return mode_type_bits(m_type) | permissions(); }

void Inode::set_permissions(u32 permissions) {
  u64 now = time_realtime_ns();
  SpinlockGuard guard(m_lock);
  m_permissions = permissions & 07777;
  m_change_time_ns = now;
}

void Inode::touch_modified() {
  u64 now = time_realtime_ns();
  SpinlockGuard guard(m_lock);
  m_modify_time_ns = m_change_time_ns = now;
}

void Inode::touch_changed() {
  u64 now = time_realtime_ns();
  SpinlockGuard guard(m_lock);
  m_change_time_ns = now;
}

void Inode::set_modification_time(u64 epoch_ns) {
  SpinlockGuard guard(m_lock);
  m_access_time_ns = m_modify_time_ns = m_change_time_ns = epoch_ns;
}

void Inode::stat(linux::stat& st) const {
  memset(&st, 0, sizeof(st));
  st.st_dev = m_device;
  st.st_ino = m_number;
  st.st_nlink = nlink();
  st.st_uid = 0;
  st.st_gid = 0;
  st.st_rdev = m_rdev;
  st.st_size = static_cast<i64>(size());
  st.st_blksize = 4096;  // the page size: the unit in which ramfs allocates
  st.st_blocks = static_cast<i64>(blocks());
  SpinlockGuard guard(m_lock);
  st.st_mode = mode_type_bits(m_type) | m_permissions;
  st.st_atime = static_cast<i64>(m_access_time_ns / 1000000000);
  st.st_atime_nsec = m_access_time_ns % 1000000000;
  st.st_mtime = static_cast<i64>(m_modify_time_ns / 1000000000);
  st.st_mtime_nsec = m_modify_time_ns % 1000000000;
  st.st_ctime = static_cast<i64>(m_change_time_ns / 1000000000);
  st.st_ctime_nsec = m_change_time_ns % 1000000000;
}

// Linux: opening a device node with no driver is ENXIO; other kinds override open().
Result<RefPtr<File>> Inode::open(u32) { return Error::NXIO; }

Result<RefPtr<Inode>> Inode::lookup(const char*, usize) { return Error::NOTDIR; }
Result<RefPtr<Inode>> Inode::parent() { return Error::NOTDIR; }
Result<void> Inode::list(u64, DirSink&) { return Error::NOTDIR; }
Result<usize> Inode::name_of(const Inode&, char*, usize) { return Error::NOENT; }
Result<usize> Inode::readlink(char*, usize) { return Error::INVAL; }
