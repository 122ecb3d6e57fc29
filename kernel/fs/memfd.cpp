// memfd_create(2): an anonymous file in memory, as Linux makes one on its internal tmpfs (mm/memfd.c, shmem.c).
// It can be read, written, truncated and mapped — shared between processes through fork, a passed descriptor,
// or /proc/PID/fd/N — and, if made with MFD_ALLOW_SEALING, sealed (fcntl F_ADD_SEALS): F_SEAL_SHRINK and
// F_SEAL_GROW fix the size, F_SEAL_WRITE forbids writes (EBUSY while a shared mapping could still write),
// F_SEAL_FUTURE_WRITE forbids new writes and writable mappings, F_SEAL_SEAL forbids more seals.
//
// The file's data is an unlinked ramfs file on a private tmpfs; the memfd inode wraps it, checking the seals
// before passing each operation on. /proc/PID/fd and maps show it as "/memfd:NAME (deleted)".
// Lock: m_seal_lock (a sleep lock: writes copy from the user) orders every write, truncate and seal change.
#include "kernel/fs/memfd.h"

#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/sleep_lock.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/syscall_raw.h"
#include "lib/format.h"
#include "mm/vm_object.h"

namespace {

constexpr u32 MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4;
constexpr u32 MFD_HUGE_SHIFT = 26, MFD_HUGE_MASK = 0x3f;
constexpr usize MFD_NAME_MAX = 255 - 6;  // NAME_MAX - strlen("memfd:")

class MemfdInode final : public Inode {
 public:
  MemfdInode(RamFs& fs, RefPtr<RamFile> data, u32 seals)
      : Inode(InodeType::Regular, 0777, fs), m_data(static_cast<RefPtr<RamFile>&&>(data)), m_seals(seals) {}

  u64 size() const override { return m_data->size(); }
  u64 blocks() const override { return m_data->blocks(); }
  u64 max_file_size() const override { return m_data->max_file_size(); }
  Result<RefPtr<File>> open(u32 flags) override { return regular_file_open(*this, flags); }
  Result<usize> read(const IoBuffer& buffer, usize len, u64 offset) override { return m_data->read(buffer, len, offset); }
  Result<RefPtr<VmObject>> mmap_object() override { return m_data->mmap_object(); }

  Result<usize> write(const IoBuffer& buffer, usize len, u64& offset, WriteMode mode) override {
    SleepLockGuard guard(m_seal_lock);
    if (m_seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return Error::PERM;
    u64 start = mode == WriteMode::Append ? m_data->size() : offset;
    if ((m_seals & F_SEAL_GROW) && start + len > m_data->size()) return Error::PERM;
    return m_data->write(buffer, len, offset, mode);
  }

  // F_SEAL_WRITE forbids punching a hole, F_SEAL_GROW any range past the end, KEEP_SIZE or not
  // (shmem_fallocate).
  Result<void> fallocate(u32 mode, u64 offset, u64 len) override {
    SleepLockGuard guard(m_seal_lock);
    if ((mode & FALLOC_PUNCH_HOLE) && (m_seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) return Error::PERM;
    if ((m_seals & F_SEAL_GROW) && offset + len > m_data->size()) return Error::PERM;
    return m_data->fallocate(mode, offset, len);
  }

  Result<void> truncate(u64 new_size) override {
    SleepLockGuard guard(m_seal_lock);
    u64 old_size = m_data->size();
    if ((new_size < old_size && (m_seals & F_SEAL_SHRINK)) || (new_size > old_size && (m_seals & F_SEAL_GROW)))
      return Error::PERM;
    return m_data->truncate(new_size);
  }

  Result<u32> seals() override {
    SleepLockGuard guard(m_seal_lock);
    return m_seals;
  }

  Result<void> add_seals(u32 seals) override {
    if (seals & ~ALL_SEALS) return Error::INVAL;
    SleepLockGuard guard(m_seal_lock);
    if (m_seals & F_SEAL_SEAL) return Error::PERM;
    // mapping_deny_writable: no shared mapping may still be able to write.
    if ((seals & F_SEAL_WRITE) && !(m_seals & F_SEAL_WRITE) && has_writable_shared_mapping()) return Error::BUSY;
    m_seals |= seals;
    return {};
  }

  // shmem_mmap: after a write seal a shared mapping may not write, nor become writable with mprotect.
  Result<bool> allows_shared_write(bool wants_write) override {
    SleepLockGuard guard(m_seal_lock);
    if (!(m_seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) return true;
    if (wants_write) return Error::PERM;
    return false;
  }

 private:
  static constexpr u32 ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;

  bool has_writable_shared_mapping() {
    bool found = false;
    RefPtr<MemoryObject> object = m_data->object();
    object->for_each_region([&](const Region& r) { found |= r.is_shared() && has(r.m_max_prot, Prot::Write); });
    return found;
  }

  RefPtr<RamFile> m_data;
  SleepLock m_seal_lock{"memfd-seals"};
  u32 m_seals;  // guarded by m_seal_lock
};

// The private tmpfs that holds every memfd's data (Linux's shm_mnt), made at boot (memfd_init), so that its two
// objects are not counted as a leak of the first program that makes a memfd (init's leak check).
Spinlock g_memfd_fs_lock("memfd-fs");
RefPtr<RamDirectory> g_memfd_root;  // guarded by g_memfd_fs_lock; lives forever once made

Result<RamFs*> memfd_file_system() {
  {
    SpinlockGuard guard(g_memfd_fs_lock);
    if (g_memfd_root) return &g_memfd_root->ram_fs();
  }
  RefPtr<RamDirectory> root = TRY(RamFs::create("tmpfs", FileSystem::allocate_anonymous_device(), 01777));
  SpinlockGuard guard(g_memfd_fs_lock);
  if (!g_memfd_root) g_memfd_root = static_cast<RefPtr<RamDirectory>&&>(root);
  return &g_memfd_root->ram_fs();
}

}  // namespace

Result<u64> sys_memfd_create(const SyscallArgs& a) {
  u32 flags = static_cast<u32>(a.a1);
  u32 known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
  if (flags & MFD_HUGETLB) known |= MFD_HUGE_MASK << MFD_HUGE_SHIFT;
  if (flags & ~known) return Error::INVAL;
  char name[MFD_NAME_MAX + 1];
  auto length = copy_string_from_user(name, a.a0, sizeof(name));
  if (length.is_error()) return length.error() == Error::NAMETOOLONG ? Error::INVAL : length.error();
  // Huge pages come from hugetlbfs, which Linux without it refuses with ENOSYS here (hugetlb_file_setup).
  if (flags & MFD_HUGETLB) return Error::NOSYS;
  RamFs* fs = TRY(memfd_file_system());
  char object_name[MFD_NAME_MAX + 32];
  format(object_name, sizeof(object_name), "/memfd:%s (deleted)", name);
  RefPtr<RamFile> data = TRY(RamFile::create(*fs, 0777, object_name));
  auto* inode = new MemfdInode(*fs, data, flags & MFD_ALLOW_SEALING ? 0 : F_SEAL_SEAL);
  if (!inode) return Error::NOMEM;
  RefPtr<Inode> inode_ref = RefPtr<Inode>(RefPtr<MemfdInode>::adopt(inode));
  RefPtr<File> file = TRY(inode_ref->open(linux::O_RDWR));
  return TRY(current_thread()->m_files->allocate(file, flags & MFD_CLOEXEC, descriptor_limit()));
}

Result<u64> memfd_fcntl_seals(File& file, u32 command, u64 argument) {
  Inode* inode = file.inode();
  if (command == F_GET_SEALS) return inode ? TRY(inode->seals()) : Result<u64>(Error::INVAL);
  if (!file.is_writable()) return Error::PERM;
  if (!inode) return Error::INVAL;
  TRY(inode->add_seals(static_cast<u32>(argument)));
  return 0;
}

RAW_SYSCALL(sys_memfd_create);  // the raw entry point trap.S calls (kernel/syscall.h)

void memfd_init() { MUST(memfd_file_system()); }
