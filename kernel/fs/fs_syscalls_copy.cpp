// Copies between descriptors inside the kernel: sendfile(2) and copy_file_range(2), with Linux 6.1's checks and
// errnos (fs/read_write.c: do_sendfile, generic_copy_file_checks, vfs_copy_file_range).
//
// Both read from the source through its file's read_at (for a file on a disk, the page cache: its object's pages
// when it is mapped, the volume's blocks otherwise) into a kernel buffer and write that to the destination, a
// chunk at a time. Neither moves a file offset the caller gave as a pointer; without one they use the file's own
// offset and leave it after what was copied. A failure after some bytes were copied returns the count.
#include "arch/riscv/usercopy.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/fs_syscalls.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"
#include "mm/heap.h"

namespace {

using namespace linux;

constexpr u64 MAX_RW_COUNT = 0x7ffff000;  // as read(2): INT_MAX rounded down to a page
constexpr usize CHUNK = 16 * 1024;
constexpr u64 LOFF_MAX = ~0ull >> 1;

// A kernel bounce buffer for one call.
class Chunk {
 public:
  Chunk() : m_heap(kmalloc_up_to(CHUNK, PAGE_SIZE)) {}
  ~Chunk() { kfree(m_heap.data); }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  u8* data() const { return static_cast<u8*>(m_heap.data); }
  usize size() const { return m_heap.size; }

 private:
  HeapBuffer m_heap;
};

// One side of a copy: the file and where in it (the caller's offset, or the file's own).
struct Side {
  File* file;
  u64 pos;
};

// The copy loop: up to count bytes from in (at its position) to out — at out_at's position when given
// (copy_file_range), else with write() (sendfile: any writable file, a pipe too).
Result<usize> copy_chunks(Side& in, Side* out_at, File& out, u64 count) {
  Chunk chunk;
  if (!chunk.data()) return Error::NOMEM;
  usize done = 0;
  while (done < count) {
    if (done && preemption_point(StopOn::Kill)) break;  // a long copy: others run, SIGKILL ends it
    usize want = count - done < chunk.size() ? static_cast<usize>(count - done) : chunk.size();
    IoBuffer buffer = IoBuffer::kernel(chunk.data(), chunk.size());
    auto got = in.file->read_at(buffer, want, in.pos + done);
    if (got.is_error()) return done ? Result<usize>(done) : got;
    if (got.value() == 0) break;
    usize written = 0;
    while (written < got.value()) {
      IoBuffer rest = buffer.slice(written);
      usize n = got.value() - written;
      auto put = out_at ? out.write_at(rest, n, out_at->pos + done + written) : out.write(rest, n);
      if (put.is_error()) {
        done += written;
        return done ? Result<usize>(done) : Result<usize>(put.error());
      }
      if (put.value() == 0) break;
      written += put.value();
    }
    done += written;
    if (written < got.value() || got.value() < want) break;
  }
  return done;
}

// Reads the loff_t a pointer argument names (0: none).
Result<void> read_offset(u64 address, u64& pos) {
  i64 value = TRY(copy_value_from_user<i64>(address));
  pos = static_cast<u64>(value);
  return {};
}

// sendfile(out_fd, in_fd, offset, count), as Linux's do_sendfile.
Result<usize> do_sendfile(i32 out_fd, i32 in_fd, u64 offset_address, u64 count) {
  Side source{nullptr, 0};
  if (offset_address) TRY(read_offset(offset_address, source.pos));
  RefPtr<File> in = TRY(file_at(in_fd));
  if (!in->is_readable()) return Error::BADF;
  source.file = in.get();
  if (!offset_address) source.pos = in->position();
  RefPtr<File> out = TRY(file_at(out_fd));
  if (!out->is_writable()) return Error::BADF;
  if (out->flags() & O_APPEND) return Error::INVAL;
  // The source must be a file with pages (Linux: one with splice_read): a regular file or a block device.
  Inode* inode = in->inode();
  if (!inode || !(inode->is_regular() || inode->type() == InodeType::BlockDevice)) return Error::INVAL;
  if (static_cast<i64>(source.pos) < 0) return Error::INVAL;
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  u64 max = inode->max_file_size();
  if (source.pos + count > max) {
    if (source.pos >= max) return Error::OVERFLOW;
    count = max - source.pos;
  }
  if (count == 0) return 0;
  usize done = TRY(copy_chunks(source, nullptr, *out, count));
  if (offset_address) TRY(copy_value_to_user<i64>(offset_address, static_cast<i64>(source.pos + done)));
  else if (done) TRY(in->seek(static_cast<i64>(source.pos + done), SEEK_SET));
  return done;
}

// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags), as Linux 6.1: flags must be 0, both files regular
// and on one file system (EXDEV otherwise: no file system here copies across), ranges within one file must not
// overlap, and the copy stops at the source's end.
Result<usize> do_copy_file_range(i32 in_fd, u64 in_address, i32 out_fd, u64 out_address, u64 len, u64 flags) {
  if (flags) return Error::INVAL;
  RefPtr<File> in = TRY(file_at(in_fd));
  RefPtr<File> out = TRY(file_at(out_fd));
  Side source{in.get(), 0}, destination{out.get(), 0};
  if (in_address) TRY(read_offset(in_address, source.pos));
  else source.pos = in->position();
  if (out_address) TRY(read_offset(out_address, destination.pos));
  else destination.pos = out->position();
  Inode* from = in->inode();
  Inode* to = out->inode();
  if (!from || !to) return Error::INVAL;
  if (from->is_directory() || to->is_directory()) return Error::ISDIR;
  if (!from->is_regular() || !to->is_regular()) return Error::INVAL;
  if (!in->is_readable() || !out->is_writable() || (out->flags() & O_APPEND)) return Error::BADF;
  if (&from->file_system() != &to->file_system()) return Error::XDEV;
  if (source.pos + len < source.pos || destination.pos + len < destination.pos) return Error::OVERFLOW;
  u64 size = from->size();
  len = source.pos >= size ? 0 : (len < size - source.pos ? len : size - source.pos);
  if (destination.pos + len > to->max_file_size()) return Error::FBIG;
  if (from == to && destination.pos + len > source.pos && destination.pos < source.pos + len) return Error::INVAL;
  if (static_cast<i64>(source.pos) < 0 || static_cast<i64>(destination.pos) < 0) return Error::INVAL;
  if (source.pos > LOFF_MAX - len || destination.pos > LOFF_MAX - len) return Error::INVAL;
  if (len == 0) return 0;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  TRY(to->file_system().check_writable());
  usize done = TRY(copy_chunks(source, &destination, *out, len));
  if (in_address) TRY(copy_value_to_user<i64>(in_address, static_cast<i64>(source.pos + done)));
  else if (done) TRY(in->seek(static_cast<i64>(source.pos + done), SEEK_SET));
  if (out_address) TRY(copy_value_to_user<i64>(out_address, static_cast<i64>(destination.pos + done)));
  else if (done) TRY(out->seek(static_cast<i64>(destination.pos + done), SEEK_SET));
  return done;
}

}  // namespace

Result<u64> sys_sendfile(const SyscallArgs& a) {
  return syscall_result(do_sendfile(static_cast<i32>(a.a0), static_cast<i32>(a.a1), a.a2, a.a3));
}

Result<u64> sys_copy_file_range(const SyscallArgs& a) {
  return syscall_result(do_copy_file_range(static_cast<i32>(a.a0), a.a1, static_cast<i32>(a.a2), a.a3, a.a4,
                                           static_cast<u32>(a.a5)));
}

RAW_SYSCALL(sys_sendfile);
RAW_SYSCALL(sys_copy_file_range);
