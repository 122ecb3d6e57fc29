// The file-system self-test (kernel/fs/fs_selftest.h). It runs in the boot context, with no process, on a
// private ramfs tree, so it can end by dropping the whole tree and checking that every frame came back.
//
//   cpio        synthetic archives: concatenation and replacement, symlinks, device nodes, implied parents,
//               and malformed archives that must stop the unpacking without harm
//   paths       ".", "..", repeated and trailing slashes, symbolic links (and ELOOP), long names
//   files       write, read, holes, append, truncation (frames given back), O_CREAT/O_EXCL/O_TRUNC, errnos
//   directories mkdir/rmdir/unlink/rename/link with Linux's errnos, link counts, getcwd-style paths
//   getdents    cookies stay valid while entries come and go; too small a buffer is EINVAL
//   pipes       one thread: bytes through, EAGAIN, EOF, EPIPE
//   the system  the real root has /dev, /proc (meminfo readable) and /tmp
#include "kernel/fs/fs_selftest.h"

#include <cstring>

#include "arch/riscv/kernel_map.h"
#include "kernel/fs/cpio.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"
#include "mm/heap.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "mm/frame.h"

namespace {

int g_failures = 0;

#define EXPECT(cond)                                                                   \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      LOG_ERROR("fs selftest: check failed at fs_selftest.cpp:%d: %s", __LINE__, #cond); \
      g_failures++;                                                                    \
    }                                                                                  \
  } while (0)

// The error of a Result, or Error{} (0) if it succeeded.
template <typename T>
Error error_of(const Result<T>& r) {
  return r.is_error() ? r.error() : Error{};
}

#define EXPECT_ERROR(expr, err) EXPECT(error_of(expr) == (err))
#define EXPECT_OK(expr) EXPECT(!(expr).is_error())

// Free memory as the allocator sees it, counting the caches the kernel gives back on demand.
u64 free_frames() {
  return g_phys.free_frames() + heap_stats().empty_slab_frames + kernel_stack_cached_frames() + vfs_reclaimable_frames();
}

// ---- building archives ----

class ArchiveWriter {
 public:
  ArchiveWriter() : m_data(static_cast<u8*>(kmalloc(CAPACITY))) {}
  ~ArchiveWriter() { kfree(m_data); }
  AS_NONCOPYABLE(ArchiveWriter);

  void entry(const char* name, u32 mode, const void* data, usize size, u32 rdev_major = 0, u32 rdev_minor = 0) {
    usize name_size = strlen(name) + 1;
    char header[111];
    format(header, sizeof(header), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", m_ino++, mode, 0u,
           0u, 1u, 1700000000u, static_cast<u32>(size), 0u, 0u, rdev_major, rdev_minor,
           static_cast<u32>(name_size), 0u);
    append(header, 110);
    append(name, name_size);
    pad(4);
    append(data, size);
    pad(4);
  }
  void directory(const char* name) { entry(name, linux::S_IFDIR | 0755, nullptr, 0); }
  void file(const char* name, const char* text, u32 permissions = 0644) {
    entry(name, linux::S_IFREG | permissions, text, strlen(text));
  }
  void trailer() { entry("TRAILER!!!", 0, nullptr, 0); }
  void pad(usize alignment) {
    while (m_length % alignment) append("", 1);
  }
  void append(const void* data, usize size) {
    if (!m_data || m_length + size > CAPACITY) return;
    if (size) memcpy(m_data + m_length, data, size);
    m_length += size;
  }
  const u8* data() const { return m_data; }
  usize length() const { return m_length; }
  u8* mutable_data() { return m_data; }

 private:
  static constexpr usize CAPACITY = 64 * KiB;
  u8* m_data;
  usize m_length = 0;
  u32 m_ino = 1;
};

// ---- small helpers over the path API ----

Result<RefPtr<Inode>> lookup(RamDirectory& root, const char* path, Follow follow = Follow::Yes) {
  return path_lookup(PathContext{&root, &root}, path, follow);
}

Result<RefPtr<File>> open(RamDirectory& root, const char* path, u32 flags, u32 mode = 0644) {
  return path_open(PathContext{&root, &root}, path, flags, mode);
}

// The whole contents of a file, compared with `expected`.
bool contents_are(RamDirectory& root, const char* path, const char* expected, usize length) {
  auto file = open(root, path, linux::O_RDONLY);
  if (file.is_error()) return false;
  char buffer[256];
  if (length > sizeof(buffer)) return false;
  auto n = file.value()->read(IoBuffer::kernel(buffer, sizeof(buffer)), sizeof(buffer));
  return !n.is_error() && n.value() == length && memcmp(buffer, expected, length) == 0;
}

bool contents_are(RamDirectory& root, const char* path, const char* expected) {
  return contents_are(root, path, expected, strlen(expected));
}

u64 size_of(RamDirectory& root, const char* path) {
  auto inode = lookup(root, path);
  return inode.is_error() ? ~0ull : inode.value()->size();
}

// ---- the parts ----

Result<void> make_symlink(Inode& dir, const char* name, usize len, const char* target, usize target_len) {
  NewInode what;
  what.type = InodeType::Symlink;
  what.permissions = 0777;
  what.target = target;
  what.target_length = target_len;
  TRY(dir.create(name, len, what, CreateMode::Exclusive));
  return {};
}

void test_cpio(RamDirectory& root) {
  ArchiveWriter first;
  first.directory(".");
  first.directory("bin");
  first.file("bin/hello", "hello world\n", 0755);
  first.entry("bin/sh", linux::S_IFLNK | 0777, "hello", 5);
  first.entry("etc/link-abs", linux::S_IFLNK | 0777, "/etc/motd", 9);  // "etc" is implied
  char motd[5000];
  for (usize i = 0; i < sizeof(motd); i++) motd[i] = static_cast<char>('a' + i % 26);
  first.entry("etc/motd", linux::S_IFREG | 0644, motd, sizeof(motd));
  first.entry("dev/null", linux::S_IFCHR | 0666, nullptr, 0, 1, 3);
  first.file("./a/b/c", "deep");
  first.entry("tmp", linux::S_IFDIR | 01777, nullptr, 0);
  first.trailer();
  first.pad(512);  // cpio(1) pads its output to 512-byte blocks
  // The second archive (tools/run's): aligned to 4, replacing one file and merging a directory.
  first.directory("bin");
  first.file("bin/hello", "replaced\n", 0755);
  first.file("etc/new", "new");
  first.trailer();

  CpioResult r = cpio_unpack(root, first.data(), first.length());
  EXPECT(r.is_complete);
  EXPECT(r.archives == 2);
  EXPECT(r.skipped == 0);
  EXPECT(contents_are(root, "/bin/hello", "replaced\n"));
  EXPECT(contents_are(root, "/bin/sh", "replaced\n"));  // through the symbolic link
  EXPECT(size_of(root, "/etc/link-abs") == sizeof(motd));
  EXPECT(size_of(root, "/etc/motd") == sizeof(motd));
  EXPECT(contents_are(root, "/a/b/c", "deep"));
  EXPECT(contents_are(root, "/etc/new", "new"));
  auto hello = lookup(root, "/bin/hello");
  EXPECT(!hello.is_error() && hello.value()->is_executable());
  auto null_node = lookup(root, "/dev/null");
  EXPECT(!null_node.is_error() && null_node.value()->type() == InodeType::CharDevice &&
         null_node.value()->rdev() == make_device(1, 3));
  auto tmp = lookup(root, "/tmp");
  EXPECT(!tmp.is_error() && tmp.value()->permissions() == 01777);
  // The page-crossing file reads back exactly, from the middle of one page into the next.
  auto motd_file = open(root, "/etc/motd", linux::O_RDONLY);
  EXPECT_OK(motd_file);
  if (!motd_file.is_error()) {
    char buffer[200];
    auto n = motd_file.value()->read_at(IoBuffer::kernel(buffer, sizeof(buffer)), sizeof(buffer), 4000);
    EXPECT(!n.is_error() && n.value() == sizeof(buffer) && memcmp(buffer, motd + 4000, sizeof(buffer)) == 0);
    n = motd_file.value()->read_at(IoBuffer::kernel(buffer, sizeof(buffer)), sizeof(buffer), 4950);
    EXPECT(!n.is_error() && n.value() == 50);
  }
}

void test_malformed_cpio() {
  RefPtr<RamDirectory> root = MUST(RamFs::create("ramfs", FileSystem::allocate_anonymous_device(), 0755));
  ArchiveWriter w;
  w.file("kept", "x");
  usize good = w.length();
  w.file("second", "y");
  w.trailer();
  u8* data = w.mutable_data();

  // Cut in the middle of the second header.
  CpioResult r = cpio_unpack(*root, data, good + 50);
  EXPECT(!r.is_complete && r.entries == 1);
  EXPECT(!lookup(*root, "kept").is_error());
  // Cut in the middle of the second entry's data: the size runs past the end.
  r = cpio_unpack(*root, data, good + 110 + 8 + 0);
  EXPECT(!r.is_complete);
  // A bad magic number.
  data[good] = 'X';
  r = cpio_unpack(*root, data, w.length());
  EXPECT(!r.is_complete);
  data[good] = '0';
  // A name size that runs past the end of the archive.
  char saved[8];
  memcpy(saved, data + good + 6 + 8 * 11, 8);
  memcpy(data + good + 6 + 8 * 11, "7fffffff", 8);
  r = cpio_unpack(*root, data, w.length());
  EXPECT(!r.is_complete);
  // A name without its NUL, and a field that is not hexadecimal.
  memcpy(data + good + 6 + 8 * 11, "00000002", 8);  // "se" without the terminator
  r = cpio_unpack(*root, data, w.length());
  EXPECT(!r.is_complete);
  memcpy(data + good + 6 + 8 * 11, "0000000g", 8);
  r = cpio_unpack(*root, data, w.length());
  EXPECT(!r.is_complete);
  memcpy(data + good + 6 + 8 * 11, saved, 8);
  // Intact again: both entries, complete.
  r = cpio_unpack(*root, data, w.length());
  EXPECT(r.is_complete && r.entries == 2);
  // Garbage after the trailer, not at a 4-byte boundary.
  ArchiveWriter tail;
  tail.trailer();
  tail.append("\0\0\0\0\0junk", 9);
  r = cpio_unpack(*root, tail.data(), tail.length());
  EXPECT(!r.is_complete && r.archives == 1);
  // Names that try to leave the tree are skipped, the rest goes on.
  ArchiveWriter escape;
  escape.file("../outside", "no");
  escape.file("inside", "yes");
  escape.trailer();
  r = cpio_unpack(*root, escape.data(), escape.length());
  EXPECT(r.is_complete && r.skipped == 1 && r.entries == 1);
  EXPECT(contents_are(*root, "/inside", "yes"));
}

void test_paths(RamDirectory& root) {
  EXPECT(contents_are(root, "/bin/../etc/./new", "new"));
  EXPECT(contents_are(root, "//etc///new", "new"));
  EXPECT(contents_are(root, "/../../etc/new", "new"));  // ".." at the root stays there
  EXPECT(contents_are(root, "etc/new", "new"));         // relative to the base
  EXPECT_ERROR(lookup(root, "/etc/new/"), Error::NOTDIR);
  EXPECT_ERROR(lookup(root, "/etc/new/x"), Error::NOTDIR);
  EXPECT_ERROR(lookup(root, "/etc/none"), Error::NOENT);
  EXPECT_ERROR(lookup(root, ""), Error::NOENT);
  char long_name[300];
  long_name[0] = '/';
  memset(long_name + 1, 'n', 256);
  long_name[257] = '\0';
  EXPECT_ERROR(lookup(root, long_name), Error::NAMETOOLONG);  // 256 bytes
  long_name[256] = '\0';
  EXPECT_ERROR(lookup(root, long_name), Error::NOENT);  // 255 bytes is allowed

  // Symbolic links: relative, absolute, to directories, loops, and the limit of 40.
  RamDirectory& dir = *root.make_directory("links", 5, 0755).value();
  EXPECT_OK(make_symlink(dir, "to-etc", 6, "../etc", 6));
  EXPECT_OK(make_symlink(dir, "abs", 3, "/etc/new", 8));
  EXPECT_OK(make_symlink(dir, "loop1", 5, "loop2", 5));
  EXPECT_OK(make_symlink(dir, "loop2", 5, "loop1", 5));
  EXPECT_OK(make_symlink(dir, "dangling", 8, "nowhere", 7));
  EXPECT(contents_are(root, "/links/to-etc/new", "new"));
  EXPECT(contents_are(root, "/links/abs", "new"));
  EXPECT_ERROR(lookup(root, "/links/loop1"), Error::LOOP);
  EXPECT_ERROR(lookup(root, "/links/dangling"), Error::NOENT);
  auto link = lookup(root, "/links/loop1", Follow::No);
  EXPECT(!link.is_error() && link.value()->is_symlink());
  auto to_dir = lookup(root, "/links/to-etc/");  // a trailing slash follows the final link
  EXPECT(!to_dir.is_error() && to_dir.value()->is_directory());
  // link0 -> link1 -> ... -> link40 -> /etc/new: 41 links is one too many, 40 is fine.
  char name[16], target[16];
  EXPECT_OK(make_symlink(dir, "link40", 6, "/etc/new", 8));
  for (int i = 39; i >= 0; i--) {
    usize n = format(name, sizeof(name), "link%d", i);
    usize t = format(target, sizeof(target), "link%d", i + 1);
    EXPECT_OK(make_symlink(dir, name, n, target, t));
  }
  EXPECT(contents_are(root, "/links/link1", "new"));
  EXPECT_ERROR(lookup(root, "/links/link0"), Error::LOOP);
  char buffer[32];
  auto n = path_readlink(PathContext{&root, &root}, "/links/abs", buffer, sizeof(buffer));
  EXPECT(!n.is_error() && n.value() == 8 && memcmp(buffer, "/etc/new", 8) == 0);
  n = path_readlink(PathContext{&root, &root}, "/links/abs", buffer, 3);  // truncated, no NUL
  EXPECT(!n.is_error() && n.value() == 3);
  EXPECT_ERROR(path_readlink(PathContext{&root, &root}, "/etc/new", buffer, sizeof(buffer)), Error::INVAL);
}

void test_files(RamDirectory& root) {
  using namespace linux;
  constexpr u32 CREATE = O_CREAT | O_RDWR;
  RefPtr<File> file = MUST(open(root, "/tmp/f", CREATE));
  static char pattern[10000];
  for (usize i = 0; i < sizeof(pattern); i++) pattern[i] = static_cast<char>(i * 7 + 3);
  auto n = file->write(IoBuffer::kernel(pattern, sizeof(pattern)), sizeof(pattern));
  EXPECT(!n.is_error() && n.value() == sizeof(pattern));
  EXPECT(size_of(root, "/tmp/f") == sizeof(pattern));
  static char back[10000];
  n = file->read_at(IoBuffer::kernel(back, sizeof(back)), sizeof(back), 0);
  EXPECT(!n.is_error() && n.value() == sizeof(back) && memcmp(back, pattern, sizeof(back)) == 0);
  // Past the end: a hole, then one byte.
  auto end = file->seek(10000, SEEK_END);
  EXPECT(!end.is_error() && end.value() == 20000);
  n = file->write(IoBuffer::kernel(const_cast<char*>("z"), 1), 1);
  EXPECT(!n.is_error() && n.value() == 1);
  EXPECT(size_of(root, "/tmp/f") == 20001);
  RamFile* ram = static_cast<RamFile*>(file->inode());  // a ramfs file
  EXPECT(ram->object()->resident_pages() == 4);  // pages 0, 1, 2 (the pattern) and 4 (the "z"); 3 is a hole
  n = file->read_at(IoBuffer::kernel(back, 100), 100, 13000);
  bool zeros = !n.is_error() && n.value() == 100;
  for (usize i = 0; zeros && i < 100; i++) zeros = back[i] == 0;
  EXPECT(zeros);
  // Shrinking gives the pages back; growing again shows zeros, not the old bytes.
  EXPECT_OK(ram->truncate(5000));
  EXPECT(size_of(root, "/tmp/f") == 5000);
  EXPECT(ram->object()->resident_pages() == 2);
  n = file->read_at(IoBuffer::kernel(back, 100), 100, 5000);
  EXPECT(!n.is_error() && n.value() == 0);
  EXPECT_OK(ram->truncate(12288));
  n = file->read_at(IoBuffer::kernel(back, 3000), 3000, 5000);
  zeros = !n.is_error() && n.value() == 3000;
  for (usize i = 0; zeros && i < 3000; i++) zeros = back[i] == 0;
  EXPECT(zeros);
  n = file->read_at(IoBuffer::kernel(back, 5000), 5000, 0);
  EXPECT(!n.is_error() && memcmp(back, pattern, 5000) == 0);
  // A kernel buffer that "faults" cannot be made here; a user one can: nothing is written then.
  n = file->write(IoBuffer::user(0, 4096), 4096);
  EXPECT_ERROR(n, Error::FAULT);
  EXPECT(size_of(root, "/tmp/f") == 12288);

  // Open flags.
  EXPECT_ERROR(open(root, "/tmp/f", CREATE | O_EXCL), Error::EXIST);
  EXPECT_ERROR(open(root, "/tmp/f", O_RDONLY | O_DIRECTORY), Error::NOTDIR);
  EXPECT_ERROR(open(root, "/tmp", O_WRONLY), Error::ISDIR);
  EXPECT_ERROR(open(root, "/tmp", CREATE), Error::ISDIR);
  EXPECT_ERROR(open(root, "/tmp/new/", CREATE), Error::ISDIR);
  EXPECT_ERROR(open(root, "/nodir/f", CREATE), Error::NOENT);
  EXPECT_ERROR(open(root, "/links/loop1", O_RDONLY | O_NOFOLLOW), Error::LOOP);
  RefPtr<File> again = MUST(open(root, "/tmp/f", O_WRONLY | O_TRUNC | O_APPEND));
  EXPECT(size_of(root, "/tmp/f") == 0);
  EXPECT(ram->object()->resident_pages() == 0);
  n = again->write(IoBuffer::kernel(const_cast<char*>("ab"), 2), 2);
  n = file->write(IoBuffer::kernel(const_cast<char*>("XY"), 2), 2);  // at its own offset, 20001
  n = again->write(IoBuffer::kernel(const_cast<char*>("cd"), 2), 2);  // O_APPEND: at the end, whatever the offset
  EXPECT(size_of(root, "/tmp/f") == 20005);
  n = file->read_at(IoBuffer::kernel(back, 4), 4, 20001);
  EXPECT(!n.is_error() && n.value() == 4 && memcmp(back, "XYcd", 4) == 0);
  // Creating through a dangling link creates its target.
  RefPtr<File> through = MUST(open(root, "/links/dangling", CREATE));
  EXPECT(!lookup(root, "/links/nowhere").is_error());
  // Directories refuse data operations.
  RefPtr<File> dir = MUST(open(root, "/tmp", O_RDONLY));
  EXPECT_ERROR(dir->read(IoBuffer::kernel(back, 10), 10), Error::ISDIR);
  // An unlinked file lives on while it is open.
  EXPECT_OK(path_unlink(PathContext{&root, &root}, "/tmp/f", UnlinkKind::NonDirectory));
  EXPECT_ERROR(lookup(root, "/tmp/f"), Error::NOENT);
  n = file->read_at(IoBuffer::kernel(back, 2), 2, 0);
  EXPECT(!n.is_error() && n.value() == 2 && memcmp(back, "ab", 2) == 0);
  EXPECT(file->inode()->nlink() == 0);
}

void test_directories(RamDirectory& root) {
  PathContext c{&root, &root};
  EXPECT_OK(path_mkdir(c, "/d", 0755));
  EXPECT_OK(path_mkdir(c, "/d/e/", 0755));
  EXPECT_ERROR(path_mkdir(c, "/d", 0755), Error::EXIST);
  EXPECT_ERROR(path_mkdir(c, "/", 0755), Error::EXIST);
  EXPECT_ERROR(path_mkdir(c, "/nope/x", 0755), Error::NOENT);
  RefPtr<Inode> d = MUST(lookup(root, "/d"));
  EXPECT(d->nlink() == 3);
  EXPECT(d->permissions() == 0755);
  EXPECT_ERROR(path_unlink(c, "/d", UnlinkKind::Directory), Error::NOTEMPTY);
  EXPECT_ERROR(path_unlink(c, "/d", UnlinkKind::NonDirectory), Error::ISDIR);
  EXPECT_ERROR(path_unlink(c, "/d/.", UnlinkKind::Directory), Error::INVAL);
  EXPECT_ERROR(path_unlink(c, "/d/e/..", UnlinkKind::Directory), Error::NOTEMPTY);
  EXPECT_ERROR(path_unlink(c, "/", UnlinkKind::Directory), Error::BUSY);
  EXPECT_ERROR(path_unlink(c, "/etc/new", UnlinkKind::Directory), Error::NOTDIR);
  EXPECT_ERROR(path_unlink(c, "/etc/new/", UnlinkKind::NonDirectory), Error::NOTDIR);

  // Paths of directories, for getcwd.
  char path[64];
  RefPtr<Inode> e = MUST(lookup(root, "/d/e"));
  auto length = path_of(&root, e.get(), path, sizeof(path));
  EXPECT(!length.is_error() && length.value() == 4 && strcmp(path, "/d/e") == 0);
  EXPECT_ERROR(path_of(&root, e.get(), path, 4), Error::RANGE);
  length = path_of(&root, &root, path, sizeof(path));
  EXPECT(!length.is_error() && strcmp(path, "/") == 0);

  // rename: into a directory, over a file, and the refusals.
  EXPECT_OK(path_rename(c, "/etc/new", c, "/d/moved", 0));
  EXPECT(contents_are(root, "/d/moved", "new"));
  EXPECT_ERROR(lookup(root, "/etc/new"), Error::NOENT);
  EXPECT_OK(path_rename(c, "/d/e", c, "/e2", 0));  // a directory moves up: link counts follow
  EXPECT(d->nlink() == 2 && root.nlink() >= 3);
  length = path_of(&root, e.get(), path, sizeof(path));
  EXPECT(!length.is_error() && strcmp(path, "/e2") == 0);
  EXPECT_ERROR(path_rename(c, "/d", c, "/d/inside", 0), Error::INVAL);
  EXPECT_ERROR(path_rename(c, "/d/moved", c, "/e2", 0), Error::ISDIR);
  EXPECT_ERROR(path_rename(c, "/e2", c, "/d/moved", 0), Error::NOTDIR);
  EXPECT_ERROR(path_rename(c, "/e2", c, "/d", 0), Error::NOTEMPTY);
  EXPECT_ERROR(path_rename(c, "/d/moved", c, "/bin/hello", RenameFlag::NoReplace), Error::EXIST);
  EXPECT_ERROR(path_rename(c, "/d/.", c, "/x", 0), Error::BUSY);
  EXPECT_OK(path_rename(c, "/d/moved", c, "/bin/hello", 0));  // replaces the file
  EXPECT(contents_are(root, "/bin/hello", "new"));

  // Hard links share the inode; the data lives until the last name goes.
  EXPECT_OK(path_link(c, "/bin/hello", c, "/d/hard", Follow::No));
  RefPtr<Inode> hard = MUST(lookup(root, "/d/hard"));
  EXPECT(hard->nlink() == 2);
  EXPECT_ERROR(path_link(c, "/d", c, "/d2", Follow::No), Error::PERM);
  EXPECT_ERROR(path_link(c, "/bin/hello", c, "/d/hard", Follow::No), Error::EXIST);
  EXPECT_OK(path_unlink(c, "/bin/hello", UnlinkKind::NonDirectory));
  EXPECT(hard->nlink() == 1 && contents_are(root, "/d/hard", "new"));

  // A removed directory: no path, no new entries, an empty listing.
  EXPECT_OK(path_unlink(c, "/e2", UnlinkKind::Directory));
  EXPECT_ERROR(path_of(&root, e.get(), path, sizeof(path)), Error::NOENT);
  EXPECT_ERROR(path_mkdir(PathContext{&root, e.get()}, "x", 0755), Error::NOENT);
  EXPECT(e->nlink() == 0);
}

// Collects getdents64 records from a kernel buffer.
struct Listing {
  char names[128][16];
  i64 offsets[128];
  usize count = 0;
  bool has(const char* name) const {
    for (usize i = 0; i < count; i++)
      if (strcmp(names[i], name) == 0) return true;
    return false;
  }
  usize times(const char* name) const {
    usize n = 0;
    for (usize i = 0; i < count; i++) n += strcmp(names[i], name) == 0;
    return n;
  }
};

// One getdents64 call into a small buffer; returns the bytes, appends the names.
Result<usize> list_some(File& dir, Listing& listing, usize buffer_size) {
  u8 buffer[256];
  usize n = TRY(dir.getdents64(IoBuffer::kernel(buffer, buffer_size), buffer_size));
  for (usize at = 0; at < n;) {
    auto* d = reinterpret_cast<linux::dirent64*>(buffer + at);
    if (listing.count < 128) {
      strncpy(listing.names[listing.count], d->d_name, 15);
      listing.names[listing.count][15] = '\0';
      listing.offsets[listing.count++] = d->d_off;
    }
    at += d->d_reclen;
  }
  return n;
}

void test_getdents(RamDirectory& root) {
  PathContext c{&root, &root};
  EXPECT_OK(path_mkdir(c, "/many", 0755));
  char path[32];
  for (int i = 0; i < 40; i++) {
    format(path, sizeof(path), "/many/f%02d", i);
    EXPECT_OK(open(root, path, linux::O_CREAT | linux::O_WRONLY));
  }
  RefPtr<File> dir = MUST(open(root, "/many", linux::O_RDONLY | linux::O_DIRECTORY));
  EXPECT_ERROR(dir->getdents64(IoBuffer::kernel(path, 10), 10), Error::INVAL);  // not even "." fits

  Listing listing;
  // The first calls: ".", "..", then a few files at a time (records of 24 bytes, 100-byte buffer).
  EXPECT_OK(list_some(*dir, listing, 100));
  EXPECT(listing.count == 4 && strcmp(listing.names[0], ".") == 0 && strcmp(listing.names[1], "..") == 0);
  i64 resume = listing.offsets[listing.count - 1];
  // Meanwhile: remove one listed and one unlisted file, add a new one.
  EXPECT_OK(path_unlink(c, "/many/f00", UnlinkKind::NonDirectory));
  EXPECT_OK(path_unlink(c, "/many/f30", UnlinkKind::NonDirectory));
  EXPECT_OK(open(root, "/many/late", linux::O_CREAT | linux::O_WRONLY));
  for (int guard = 0; guard < 100; guard++) {
    auto n = list_some(*dir, listing, 100);
    if (n.is_error() || n.value() == 0) break;
  }
  bool each_once = true;
  for (int i = 1; i < 40; i++) {
    format(path, sizeof(path), "f%02d", i);
    if (i == 30) continue;
    each_once &= listing.times(path) == 1;
  }
  EXPECT(each_once);
  EXPECT(listing.times("f00") == 1);  // listed before it went
  EXPECT(!listing.has("f30"));        // gone before its turn
  EXPECT(listing.times("late") == 1);  // new entries come at the end
  // Seeking back to a cookie lists the same entries from there again.
  usize before = listing.count;
  EXPECT_OK(dir->seek(resume, linux::SEEK_SET));
  EXPECT_OK(list_some(*dir, listing, 100));
  EXPECT(listing.count > before && strcmp(listing.names[before], "f02") == 0);
  EXPECT_ERROR(dir->seek(0, linux::SEEK_END), Error::INVAL);
}

void test_pipe() {
  PipeEnds ends = MUST(pipe_create(linux::O_NONBLOCK));
  char buffer[64];
  EXPECT_ERROR(ends.read_end->read(IoBuffer::kernel(buffer, 8), 8), Error::AGAIN);
  auto n = ends.write_end->write(IoBuffer::kernel(const_cast<char*>("through"), 7), 7);
  EXPECT(!n.is_error() && n.value() == 7);
  n = ends.read_end->read(IoBuffer::kernel(buffer, sizeof(buffer)), sizeof(buffer));
  EXPECT(!n.is_error() && n.value() == 7 && memcmp(buffer, "through", 7) == 0);
  EXPECT_ERROR(ends.read_end->write(IoBuffer::kernel(buffer, 1), 1), Error::BADF);
  // Filling it: a non-blocking write takes what fits, then EAGAIN.
  static char big[70000];
  n = ends.write_end->write(IoBuffer::kernel(big, sizeof(big)), sizeof(big));
  EXPECT(!n.is_error() && n.value() == 64 * KiB);
  EXPECT_ERROR(ends.write_end->write(IoBuffer::kernel(big, 1), 1), Error::AGAIN);
  linux::stat st;
  EXPECT(!ends.read_end->stat(st).is_error() && (st.st_mode & linux::S_IFMT) == linux::S_IFIFO);
  // The last writer gone: the bytes, then end of file.
  ends.write_end = nullptr;
  usize total = 0;
  for (;;) {
    n = ends.read_end->read(IoBuffer::kernel(big, sizeof(big)), sizeof(big));
    if (n.is_error() || n.value() == 0) break;
    total += n.value();
  }
  EXPECT(!n.is_error() && total == 64 * KiB);
  // The reader gone: EPIPE.
  PipeEnds other = MUST(pipe_create(0));
  other.read_end = nullptr;
  EXPECT_ERROR(other.write_end->write(IoBuffer::kernel(buffer, 1), 1), Error::PIPE);
}

void test_system_root() {
  RefPtr<Inode> root = vfs_root();
  EXPECT(root && root->is_directory());
  if (!root) return;
  RefPtr<File> null_file = MUST(vfs_open(root.get(), "/dev/null", linux::O_RDWR, 0));
  char buffer[128];
  EXPECT(!null_file->read(IoBuffer::kernel(buffer, 10), 10).is_error());
  auto meminfo = vfs_open(root.get(), "/proc/meminfo", linux::O_RDONLY, 0);
  EXPECT_OK(meminfo);
  if (!meminfo.is_error()) {
    auto n = meminfo.value()->read(IoBuffer::kernel(buffer, sizeof(buffer)), sizeof(buffer));
    EXPECT(!n.is_error() && n.value() > 20 && memcmp(buffer, "MemTotal:", 9) == 0);
  }
  auto written = vfs_open(root.get(), "/proc/meminfo", linux::O_WRONLY, 0);  // root may open it so,
  EXPECT(!written.is_error() && error_of(written.value()->write(IoBuffer::kernel(buffer, 1), 1)) == Error::INVAL);
  EXPECT_ERROR(vfs_open(root.get(), "/proc/new", linux::O_CREAT | linux::O_WRONLY, 0644), Error::NOENT);
  EXPECT_ERROR(vfs_lookup(root.get(), "/proc/self"), Error::NOENT);  // no process is calling
  auto tmp = vfs_lookup(root.get(), "/tmp/");
  EXPECT(!tmp.is_error() && tmp.value()->is_directory());
  char path[16];
  auto proc = vfs_lookup(root.get(), "/proc/../proc");
  EXPECT(!proc.is_error() && !vfs_path_of(proc.value().get(), path, sizeof(path)).is_error() &&
         strcmp(path, "/proc") == 0);
  // The boot archive's init, if there was one.
  if (!vfs_lookup(root.get(), "/sbin/init").is_error()) EXPECT_OK(vfs_open_for_exec(root.get(), "/sbin/init"));
  EXPECT_ERROR(vfs_open_for_exec(root.get(), "/dev"), Error::ACCESS);
}

}  // namespace

int fs_selftest() {
  g_failures = 0;
  test_system_root();
  u64 free_before = free_frames();
  {
    RefPtr<RamDirectory> root = MUST(RamFs::create("ramfs", FileSystem::allocate_anonymous_device(), 0755));
    test_cpio(*root);
    test_malformed_cpio();
    test_paths(*root);
    test_files(*root);
    test_directories(*root);
    test_getdents(*root);
    test_pipe();
  }
  u64 free_after = free_frames();
  LOG_INFO("fs selftest: free frames (with reclaimable caches) before %llu, after %llu",
           static_cast<unsigned long long>(free_before), static_cast<unsigned long long>(free_after));
  EXPECT(free_after == free_before);
  EXPECT(g_phys.check());
  LOG_INFO("fs selftest: %s (%d failed checks)", g_failures ? "FAIL" : "PASS", g_failures);
  return g_failures ? 1 : 0;
}
