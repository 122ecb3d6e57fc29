// /dev/vda, /dev/vdb...: a disk opened as a file, byte-addressed the way Linux shows a block device to programs:
//
//   read/pread     at or past the end: 0 (end of file); a read crossing the end stops there
//   write/pwrite   at or past the end: ENOSPC; a write crossing the end stops there; a read-only disk: EPERM
//   lseek          SEEK_SET/CUR/END within [0, size] (EINVAL outside, and for SEEK_DATA/SEEK_HOLE), as
//                  Linux's fixed_size_llseek
//   fsync          flushes the disk's write cache (VIRTIO_BLK_F_FLUSH); fdatasync the same
//   ioctl          BLKGETSIZE64, BLKGETSIZE, BLKSSZGET, BLKPBSZGET, BLKROGET, BLKFLSBUF, BLKRAGET/BLKRASET (the
//                  page cache's read-ahead window for files on the disk, in sectors: blockdev --getra/--setra)
//
// Any offset and length work. Linux goes through its page cache here; we copy through a kernel bounce buffer
// (the device does DMA to physical memory; user pages are not pinned), a chunk of up to 512 KiB at a time,
// which BlockDevice::read/write sends as several requests in flight. A write that covers a sector only partly
// reads the sector first and writes it back whole; those read-modify-write cycles are serialised (one sleeping
// lock for all disks), so two partial writes to one sector cannot lose each other's bytes. (A whole-sector
// write racing a partial one to the same sector is not ordered, as on Linux with O_DIRECT.)
#include <cstring>

#include "drivers/block/block_device.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/sleep_lock.h"
#include "kernel/sched.h"
#include "mm/heap.h"

namespace {

constexpr u64 BOUNCE_MAX = 512 * KiB;

// Linux's block-device ioctls (include/uapi/linux/fs.h).
constexpr u64 BLKROGET = 0x125e;
constexpr u64 BLKGETSIZE = 0x1260;
constexpr u64 BLKFLSBUF = 0x1261;
constexpr u64 BLKRASET = 0x1262;  // _IO(0x12, 98)
constexpr u64 BLKRAGET = 0x1263;  // _IO(0x12, 99)
constexpr u64 BLKSSZGET = 0x1268;
constexpr u64 BLKPBSZGET = 0x127b;
constexpr u64 BLKGETSIZE64 = 0x80081272;  // _IOR(0x12, 114, size_t)

SleepLock g_partial_write_lock{"block-rmw"};

enum class Direction : u8 { Read, Write };

class BlockDeviceFile final : public File {
 public:
  BlockDeviceFile(RefPtr<BlockDevice> disk, u32 flags, Inode* inode)
      : File(flags), m_disk(std::move(disk)), m_inode(inode) {
    format_name();
  }

  Result<usize> read(const IoBuffer& buffer, usize len) override {
    SleepLockGuard position(m_position_lock);
    u64 at = offset();
    usize n = TRY(transfer(Direction::Read, buffer, len, at));
    set_offset(at + n);
    return n;
  }
  Result<usize> write(const IoBuffer& buffer, usize len) override {
    SleepLockGuard position(m_position_lock);
    u64 at = offset();
    usize n = TRY(transfer(Direction::Write, buffer, len, at));
    set_offset(at + n);
    return n;
  }
  Result<usize> read_at(const IoBuffer& buffer, usize len, u64 at) override {
    return transfer(Direction::Read, buffer, len, at);
  }
  Result<usize> write_at(const IoBuffer& buffer, usize len, u64 at) override {
    return transfer(Direction::Write, buffer, len, at);
  }

  Result<u64> seek(i64 delta, int whence) override {
    SleepLockGuard position(m_position_lock);
    i64 size = static_cast<i64>(bytes());
    i64 base;
    switch (whence) {
      case linux::SEEK_SET: base = 0; break;
      case linux::SEEK_CUR: base = static_cast<i64>(offset()); break;
      case linux::SEEK_END: base = size; break;
      default: return Error::INVAL;
    }
    if ((delta > 0 && base > size - delta) || base + delta < 0) return Error::INVAL;
    u64 result = static_cast<u64>(base + delta);
    set_offset(result);
    return result;
  }

  Result<void> fsync() override {
    Result<void> flushed = m_disk->flush();
    if (flushed.is_error()) return Error::IO;  // fsync(2) reports any failure to make data durable as EIO
    return {};
  }

  Result<i64> ioctl(u64 request, u64 argument) override {
    switch (request) {
      case BLKGETSIZE64: TRY(copy_value_to_user(argument, bytes())); return 0;
      case BLKGETSIZE: TRY(copy_value_to_user(argument, static_cast<u64>(m_disk->sector_count()))); return 0;
      case BLKSSZGET: TRY(copy_value_to_user(argument, static_cast<i32>(SECTOR_SIZE))); return 0;
      case BLKPBSZGET: TRY(copy_value_to_user(argument, static_cast<u32>(SECTOR_SIZE))); return 0;
      case BLKROGET: TRY(copy_value_to_user(argument, static_cast<i32>(m_disk->is_read_only()))); return 0;
      case BLKFLSBUF: return 0;  // no buffer cache in front of the disk: nothing to drop
      // Linux (blkdev_common_ioctl): a long of sectors, kept as whole pages (ra_pages); only root may set it
      // (EACCES), and every process here is root.
      case BLKRAGET:
        TRY(copy_value_to_user(argument, static_cast<i64>(m_disk->read_ahead_sectors() / SECTORS_PER_PAGE * SECTORS_PER_PAGE)));
        return 0;
      case BLKRASET: m_disk->set_read_ahead_sectors(argument / SECTORS_PER_PAGE * SECTORS_PER_PAGE); return 0;
    }
    return Error::NOTTY;
  }

  Inode* inode() override { return m_inode.get(); }
  const char* describe() const override { return m_description; }

 private:
  u64 bytes() const { return m_disk->sector_count() * SECTOR_SIZE; }
  u64 offset() {
    SpinlockGuard guard(m_offset_lock);
    return m_offset;
  }
  void set_offset(u64 value) {
    SpinlockGuard guard(m_offset_lock);
    m_offset = value;
  }
  void format_name() {
    const char* prefix = "/dev/";
    usize i = 0;
    for (; prefix[i]; i++) m_description[i] = prefix[i];
    for (const char* n = m_disk->name(); *n && i + 1 < sizeof m_description; n++) m_description[i++] = *n;
    m_description[i] = '\0';
  }

  Result<usize> transfer(Direction direction, const IoBuffer& buffer, usize len, u64 at);
  Result<void> transfer_chunk(Direction direction, const IoBuffer& buffer, usize done, u64 at, usize n, u8* bounce);

  RefPtr<BlockDevice> m_disk;
  RefPtr<Inode> m_inode;
  // Serialises the offset-using calls (read, write, lseek) of one description, as Linux's f_pos_lock.
  SleepLock m_position_lock{"blockdev-position"};
  char m_description[16] = {};
};

Result<usize> BlockDeviceFile::transfer(Direction direction, const IoBuffer& buffer, usize len, u64 at) {
  u64 size = bytes();
  if (direction == Direction::Write) {
    if (m_disk->is_read_only()) return Error::PERM;
    if (len == 0) return 0;
    if (at >= size) return Error::NOSPC;
  } else if (at >= size || len == 0) {
    return 0;
  }
  if (len > size - at) len = static_cast<usize>(size - at);

  // The bounce buffer: whole sectors covering the first chunk, at most BOUNCE_MAX; smaller if memory is tight.
  u64 want = align_up((at % SECTOR_SIZE) + len, SECTOR_SIZE);
  u64 capacity = want < BOUNCE_MAX ? want : BOUNCE_MAX;
  HeapBuffer heap = kmalloc_up_to(capacity, PAGE_SIZE < capacity ? PAGE_SIZE : capacity);
  if (!heap.data) return Error::NOMEM;
  auto* bounce = static_cast<u8*>(heap.data);
  capacity = align_down(heap.size, SECTOR_SIZE);  // (a halved size need not be whole sectors)

  usize done = 0;
  Result<void> failed;
  while (done < len) {
    if (done && preemption_point(StopOn::Kill)) break;  // a long transfer: others run, SIGKILL ends it
    u64 pos = at + done;
    u64 head = pos % SECTOR_SIZE;
    usize n = static_cast<usize>(len - done < capacity - head ? len - done : capacity - head);
    failed = transfer_chunk(direction, buffer, done, pos, n, bounce);
    if (failed.is_error()) break;
    done += n;
  }
  kfree(bounce);
  // What was transferred before an error counts, as with any short read or write.
  if (failed.is_error() && done == 0) return failed.error();
  return done;
}

// Moves n bytes between the user's buffer (from `done` on) and the disk at byte `pos`, through `bounce`, which
// holds the whole sectors that cover them.
Result<void> BlockDeviceFile::transfer_chunk(Direction direction, const IoBuffer& buffer, usize done, u64 pos,
                                             usize n, u8* bounce) {
  u64 sector = pos / SECTOR_SIZE;
  u64 head = pos % SECTOR_SIZE;
  u64 sectors = (head + n + SECTOR_SIZE - 1) / SECTOR_SIZE;
  if (direction == Direction::Read) {
    TRY(m_disk->read(sector, bounce, sectors));
    return buffer.write(done, bounce + head, n);
  }
  bool is_partial = head != 0 || (head + n) % SECTOR_SIZE != 0;
  if (!is_partial) {
    TRY(buffer.read(done, bounce, n));
    return m_disk->write(sector, bounce, sectors);
  }
  // Read-modify-write of the partly covered first and last sectors.
  SleepLockGuard rmw(g_partial_write_lock);
  u64 last = sector + sectors - 1;
  if (head != 0) TRY(m_disk->read(sector, bounce, 1));
  if ((head + n) % SECTOR_SIZE != 0 && (last != sector || head == 0))
    TRY(m_disk->read(last, bounce + (last - sector) * SECTOR_SIZE, 1));
  TRY(buffer.read(done, bounce + head, n));
  return m_disk->write(sector, bounce, sectors);
}

}  // namespace

Result<RefPtr<File>> block_device_file_open(u64 rdev, u32 flags, Inode* inode) {
  RefPtr<BlockDevice> disk = block_device_find_by_number(rdev);
  if (!disk) return Error::NXIO;  // a node for a disk that is not there (Linux: ENXIO)
  auto* file = new BlockDeviceFile(std::move(disk), open_flags_to_keep(flags), inode);
  if (!file) return Error::NOMEM;
  return RefPtr<File>::adopt(file);
}
