// Character devices: the device numbers /dev names, and the open files behind them.
//
//   1:3 /dev/null     reads end at once, writes vanish
//   1:5 /dev/zero     reads give zeros, writes vanish
//   1:7 /dev/full     reads give zeros, writes fail with ENOSPC
//   1:8 /dev/random, 1:9 /dev/urandom   reads give the kernel's random bytes (kernel/random.h; both behave as
//                     urandom, as Linux's /dev/random does since 5.6 once the generator is seeded), writes are
//                     mixed into the generator
//   5:0 /dev/tty, 5:1 /dev/console    the console terminal (kernel/fs/tty.cpp)
#include <cstring>

#include "kernel/fs/open_file.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/tty.h"
#include "kernel/random.h"
#include "kernel/sched.h"

namespace {

class MemoryDeviceFile final : public File {
 public:
  MemoryDeviceFile(u64 rdev, u32 flags, Inode* inode) : File(flags), m_rdev(rdev), m_inode(inode) {}

  Result<usize> read(const IoBuffer& buffer, usize len) override { return read_at(buffer, len, 0); }
  Result<usize> read_at(const IoBuffer& buffer, usize len, u64) override {
    if (m_rdev == DEV_NULL) return 0;
    static const u8 zeros[256] = {};
    usize done = 0;
    while (done < len) {
      // A read of any length: give up the hart when asked, stop for a signal (Linux's read_iter_zero).
      if (done % PAGE_SIZE == 0 && done && preemption_point(StopOn::AnySignal)) break;
      usize n = len - done < sizeof(zeros) ? len - done : sizeof(zeros);
      auto copied = buffer.write(done, zeros, n);
      if (copied.is_error()) {
        if (done) break;
        return copied.error();
      }
      done += n;
    }
    return done;
  }
  Result<usize> write(const IoBuffer&, usize len) override { return m_rdev == DEV_FULL ? Result<usize>(Error::NOSPC) : len; }
  Result<usize> write_at(const IoBuffer& buffer, usize len, u64) override { return write(buffer, len); }
  // Linux's memory devices accept any seek and stay at 0.
  Result<u64> seek(i64, int) override { return 0; }

  // Mapping /dev/zero gives fresh zero-filled memory: a new object per mapping, as large as any mapping can
  // be (its pages cost nothing until touched). Shared, it stays shared across fork like MAP_ANONYMOUS memory.
  Result<RefPtr<VmObject>> mmap_object() override {
    if (m_rdev != DEV_ZERO) return Error::NODEV;
    RefPtr<MemoryObject> object = MemoryObject::create(RamFile::MAX_SIZE, "/dev/zero (deleted)");
    if (!object) return Error::NOMEM;
    return RefPtr<VmObject>(object);
  }

  Result<void> stat(linux::stat& st) override {
    if (m_inode) {
      m_inode->stat(st);
      return {};
    }
    memset(&st, 0, sizeof(st));
    st.st_mode = linux::S_IFCHR | 0666;
    st.st_rdev = m_rdev;
    st.st_nlink = 1;
    st.st_blksize = 4096;
    return {};
  }

  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return m_rdev == DEV_NULL ? "/dev/null" : m_rdev == DEV_ZERO ? "/dev/zero" : "/dev/full"; }

 private:
  u64 m_rdev;
  RefPtr<Inode> m_inode;
};

}  // namespace

class RandomDeviceFile final : public File {
 public:
  RandomDeviceFile(u64 rdev, u32 flags, Inode* inode) : File(flags), m_rdev(rdev), m_inode(inode) {}

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    u8 chunk[256];
    usize done = 0;
    while (done < len) {
      if (done % PAGE_SIZE == 0 && done && preemption_point(StopOn::AnySignal)) break;  // get_random_bytes_user
      usize n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
      random_bytes(chunk, n);
      auto copied = buffer.write(done, chunk, n);
      if (copied.is_error()) return done ? Result<usize>(done) : Result<usize>(copied.error());
      done += n;
    }
    memset(chunk, 0, sizeof(chunk));  // no copy of the output stays on the stack
    return done;
  }
  Result<usize> write(const IoBuffer& buffer, usize len) override {
    u8 chunk[64];
    for (usize done = 0; done < len; done += sizeof(chunk)) {
      if (done % PAGE_SIZE == 0 && done && preemption_point(StopOn::AnySignal)) return done;  // write_pool_user
      usize n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
      auto copied = buffer.read(done, chunk, n);
      if (copied.is_error()) return done ? Result<usize>(done) : Result<usize>(copied.error());
      random_mix(chunk, n);
    }
    return len;
  }
  // Linux's random devices accept any seek and stay at 0.
  Result<u64> seek(i64, int) override { return 0; }

  Result<void> stat(linux::stat& st) override {
    if (m_inode) {
      m_inode->stat(st);
      return {};
    }
    memset(&st, 0, sizeof(st));
    st.st_mode = linux::S_IFCHR | 0666;
    st.st_rdev = m_rdev;
    st.st_nlink = 1;
    st.st_blksize = 4096;
    return {};
  }
  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return m_rdev == DEV_RANDOM ? "/dev/random" : "/dev/urandom"; }

 private:
  u64 m_rdev;
  RefPtr<Inode> m_inode;
};

Result<RefPtr<File>> special_file_open(Inode& inode, u32 flags) {
  switch (inode.type()) {
    case InodeType::Fifo: return fifo_open(inode, flags);
    case InodeType::BlockDevice: return block_device_file_open(inode.rdev(), flags, &inode);
    case InodeType::CharDevice: return device_open(inode.rdev(), flags, &inode);
    default: return Error::NXIO;  // a socket is connected to, not opened (Linux: ENXIO)
  }
}

Result<RefPtr<File>> device_open(u64 rdev, u32 flags, Inode* inode) {
  if (rdev == DEV_TTY || rdev == DEV_CONSOLE) return tty_open(open_flags_to_keep(flags), inode);
  if (rdev == DEV_NULL || rdev == DEV_ZERO || rdev == DEV_FULL) {
    auto* file = new MemoryDeviceFile(rdev, open_flags_to_keep(flags), inode);
    if (!file) return Error::NOMEM;
    return RefPtr<File>::adopt(file);
  }
  if (rdev == DEV_RANDOM || rdev == DEV_URANDOM) {
    auto* file = new RandomDeviceFile(rdev, open_flags_to_keep(flags), inode);
    if (!file) return Error::NOMEM;
    return RefPtr<File>::adopt(file);
  }
  return Error::NXIO;  // a node for a device this kernel has no driver for
}
