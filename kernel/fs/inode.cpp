// The parts of Inode common to every kind: identity, attributes, stat(2), and the defaults for operations a
// kind does not support.
#include "kernel/fs/inode.h"

#include "kernel/fs/running_image.h"

#include <cstring>

#include "kernel/fs/file.h"
#include "kernel/time.h"
#include "mm/vm_object.h"

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
    case InodeType::Socket: return linux::DT_SOCK;
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
    case InodeType::Socket: return linux::S_IFSOCK;
  }
  return 0;
}

InodeType inode_type_of_mode(u32 mode) {
  switch (mode & linux::S_IFMT) {
    case linux::S_IFDIR: return InodeType::Directory;
    case linux::S_IFLNK: return InodeType::Symlink;
    case linux::S_IFCHR: return InodeType::CharDevice;
    case linux::S_IFBLK: return InodeType::BlockDevice;
    case linux::S_IFIFO: return InodeType::Fifo;
    case linux::S_IFSOCK: return InodeType::Socket;
    default: return InodeType::Regular;
  }
}

u64 Inode::allocate_number() { return g_next_inode_number.fetch_add(1, MemoryOrder::Relaxed); }

Inode::Inode(InodeType type, u32 permissions, FileSystem& fs, u64 rdev)
    : Inode(type, permissions, fs, allocate_number(), rdev) {}

Inode::Inode(InodeType type, u32 permissions, FileSystem& fs, u64 number, u64 rdev)
    : m_type(type), m_number(number), m_fs(&fs), m_rdev(rdev), m_permissions(permissions & 07777) {
  u64 now = time_realtime_ns();
  m_access_time_ns = m_modify_time_ns = m_change_time_ns = now;
  fs.inode_created();
}

Inode::~Inode() { m_fs->inode_destroyed(); }

Result<void> Inode::get_write_access() {
  i32 count = m_write_count.load(MemoryOrder::Relaxed);
  do {
    if (count < 0) return Error::TXTBSY;
  } while (!m_write_count.compare_exchange(count, count + 1, MemoryOrder::Acquire));
  return {};
}

Result<void> Inode::deny_write_access() {
  i32 count = m_write_count.load(MemoryOrder::Relaxed);
  do {
    if (count > 0) return Error::TXTBSY;
  } while (!m_write_count.compare_exchange(count, count - 1, MemoryOrder::Acquire));
  return {};
}

Result<RunningImage> RunningImage::take(Inode& inode) {
  TRY(inode.deny_write_access());
  RunningImage image;
  image.m_inode = RefPtr<Inode>(&inode);
  return image;
}

RunningImage RunningImage::copy() const {
  RunningImage image;
  if (m_inode) {
    // Cannot fail: this image already holds the count below zero.
    MUST(m_inode->deny_write_access());
    image.m_inode = m_inode;
  }
  return image;
}

RunningImage::RunningImage(RunningImage&& other) : m_inode(std::move(other.m_inode)) {}

RunningImage& RunningImage::operator=(RunningImage&& other) {
  if (this != &other) {
    if (m_inode) m_inode->allow_write_access();
    m_inode = std::move(other.m_inode);
  }
  return *this;
}

RunningImage::~RunningImage() {
  if (m_inode) m_inode->allow_write_access();
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

void Inode::set_all_attributes(const Attributes& a) {
  m_nlink.store(a.nlink, MemoryOrder::Relaxed);
  SpinlockGuard guard(m_lock);
  m_permissions = a.permissions & 07777;
  m_uid = a.uid;
  m_gid = a.gid;
  m_access_time_ns = a.access_time_ns;
  m_modify_time_ns = a.modify_time_ns;
  m_change_time_ns = a.change_time_ns;
}

Result<void> Inode::set_attributes(const AttributeChange& change) {
  u64 now = time_realtime_ns();
  SpinlockGuard guard(m_lock);
  if (change.what & AttributeChange::Mode) m_permissions = change.permissions & 07777;
  if (change.what & AttributeChange::Uid) m_uid = change.uid;
  if (change.what & AttributeChange::Gid) m_gid = change.gid;
  if (change.what & AttributeChange::AccessTime) m_access_time_ns = change.access_time_ns;
  if (change.what & AttributeChange::ModifyTime) m_modify_time_ns = change.modify_time_ns;
  m_change_time_ns = now;
  return {};
}

void Inode::stat(linux::stat& st) const {
  memset(&st, 0, sizeof(st));
  st.st_dev = device();
  st.st_ino = m_number;
  st.st_nlink = nlink();
  st.st_rdev = m_rdev;
  st.st_size = static_cast<i64>(size());
  st.st_blksize = static_cast<i32>(block_size());
  st.st_blocks = static_cast<i64>(blocks());
  SpinlockGuard guard(m_lock);
  st.st_mode = mode_type_bits(m_type) | m_permissions;
  st.st_uid = m_uid;
  st.st_gid = m_gid;
  st.st_atime = static_cast<i64>(m_access_time_ns / 1000000000);
  st.st_atime_nsec = m_access_time_ns % 1000000000;
  st.st_mtime = static_cast<i64>(m_modify_time_ns / 1000000000);
  st.st_mtime_nsec = m_modify_time_ns % 1000000000;
  st.st_ctime = static_cast<i64>(m_change_time_ns / 1000000000);
  st.st_ctime_nsec = m_change_time_ns % 1000000000;
}

// Linux: opening a device node with no driver is ENXIO; other kinds override open().
Result<RefPtr<File>> Inode::open(u32) { return Error::NXIO; }

Result<usize> Inode::read(const IoBuffer&, usize, u64) { return is_directory() ? Error::ISDIR : Error::INVAL; }
Result<usize> Inode::write(const IoBuffer&, usize, u64&, WriteMode) { return is_directory() ? Error::ISDIR : Error::INVAL; }
Result<void> Inode::truncate(u64) { return is_directory() ? Error::ISDIR : Error::INVAL; }
Result<RefPtr<VmObject>> Inode::mmap_object() { return Error::NODEV; }

Result<RefPtr<Inode>> Inode::lookup(const char*, usize) { return Error::NOTDIR; }
Result<RefPtr<Inode>> Inode::parent() { return Error::NOTDIR; }
Result<void> Inode::list(u64, DirSink&) { return Error::NOTDIR; }
Result<usize> Inode::name_of(const Inode&, char*, usize) { return Error::NOENT; }
Result<usize> Inode::readlink(char*, usize) { return Error::INVAL; }

// A directory that keeps no names of its own (/proc): as Linux answers there, the name cannot be created.
Result<RefPtr<Inode>> Inode::create(const char*, usize, const NewInode&, CreateMode) {
  return is_directory() ? Error::NOENT : Error::NOTDIR;
}
Result<RefPtr<Inode>> Inode::create_unnamed(const NewInode&) { return is_directory() ? Error::NOTSUP : Error::NOTDIR; }
Result<void> Inode::link(const char*, usize, Inode&) { return is_directory() ? Error::PERM : Error::NOTDIR; }
Result<void> Inode::unlink(const char*, usize, UnlinkKind) { return is_directory() ? Error::PERM : Error::NOTDIR; }
Result<void> Inode::rename(const char*, usize, Inode&, const char*, usize, u32) {
  return is_directory() ? Error::PERM : Error::NOTDIR;
}
