// The file-system types mount(2) knows (kernel/fs/file_system_types.h).
#include "kernel/fs/file_system_types.h"

#include <cstring>

#include "drivers/block/block_device.h"
#include "kernel/fs/ext2/ext2_vfs.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"
#include "mm/frame.h"

namespace {

// The disk behind a block-device node (Linux's lookup_bdev).
Result<RefPtr<BlockDevice>> disk_named(const char* source, Inode* cwd) {
  if (!source || !*source) return Error::NOENT;
  RefPtr<Inode> node = TRY(vfs_lookup(cwd, source));
  if (node->type() != InodeType::BlockDevice) return Error::NOTBLK;
  RefPtr<BlockDevice> disk = block_device_find_by_number(node->rdev());
  if (!disk) return Error::NXIO;
  return disk;
}


// tmpfs's options (Linux's shmem_parse_one): size=BYTES[kmg%] or nr_blocks=PAGES give its size (default half
// of RAM); mode=OCTAL the root's permissions; nr_inodes, uid, gid, huge, mpol are accepted and ignored. EINVAL
// for anything else or a bad number.
struct TmpfsOptions {
  u64 size_pages = RamFs::default_size_pages();
  u32 mode = 01777;
};

Result<u64> parse_number(const char* text, usize len, u32 base, usize* used) {
  u64 value = 0;
  usize i = 0;
  for (; i < len; i++) {
    char c = text[i];
    u32 digit = c >= '0' && c <= '9' ? static_cast<u32>(c - '0') : c >= 'a' && c <= 'f' ? static_cast<u32>(c - 'a' + 10) : 99;
    if (digit >= base) break;
    if (value > (~0ull - digit) / base) return Error::INVAL;
    value = value * base + digit;
  }
  if (i == 0) return Error::INVAL;
  *used = i;
  return value;
}

Result<TmpfsOptions> parse_tmpfs_options(const char* options) {
  TmpfsOptions o;
  if (!options) return o;
  const char* p = options;
  while (*p) {
    const char* end = strchr(p, ',');
    usize len = end ? static_cast<usize>(end - p) : strlen(p);
    const char* eq = static_cast<const char*>(memchr(p, '=', len));
    usize key_len = eq ? static_cast<usize>(eq - p) : len;
    const char* value = eq ? eq + 1 : p + len;
    usize value_len = eq ? len - key_len - 1 : 0;
    auto is = [&](const char* key) { return key_len == strlen(key) && memcmp(p, key, key_len) == 0; };
    if (len == 0) {
    } else if (is("size") || is("nr_blocks")) {
      usize used = 0;
      u64 n = TRY(parse_number(value, value_len, 10, &used));
      u64 multiplier = is("nr_blocks") ? PAGE_SIZE : 1;
      if (used + 1 == value_len && value[used] == '%') {
        if (is("nr_blocks")) return Error::INVAL;
        // Linux's shmem_parse_one: N percent of RAM in bytes, rounded up to pages.
        if (n > ~0ull / (g_phys.total_frames() * PAGE_SIZE)) return Error::INVAL;
        o.size_pages = align_up(g_phys.total_frames() * PAGE_SIZE * n / 100, PAGE_SIZE) / PAGE_SIZE;
        multiplier = 0;
      } else if (used + 1 == value_len) {
        char unit = value[used] | 0x20;
        if (unit == 'k') multiplier *= KiB;
        else if (unit == 'm') multiplier *= MiB;
        else if (unit == 'g') multiplier *= GiB;
        else return Error::INVAL;
      } else if (used != value_len) {
        return Error::INVAL;
      }
      if (multiplier) {
        if (n > ~0ull / multiplier) return Error::INVAL;
        o.size_pages = align_up(n * multiplier, PAGE_SIZE) / PAGE_SIZE;
      }
      if (o.size_pages == 0) o.size_pages = RamFs::NO_LIMIT;  // size=0: unlimited, as Linux
    } else if (is("mode")) {
      usize used = 0;
      u64 mode = TRY(parse_number(value, value_len, 8, &used));
      if (used != value_len) return Error::INVAL;
      o.mode = static_cast<u32>(mode & 07777);
    } else if (!is("nr_inodes") && !is("uid") && !is("gid") && !is("huge") && !is("mpol")) {
      return Error::INVAL;
    }
    p += len;
    if (*p == ',') p++;
  }
  return o;
}

}  // namespace

Result<RefPtr<Inode>> file_system_create(const char* type, const char* source, Inode* cwd, bool read_only,
                                         const char* options) {
  if (strcmp(type, "ext2") == 0) {
    RefPtr<BlockDevice> disk = TRY(disk_named(source, cwd));
    return ext2_mount(static_cast<RefPtr<BlockDevice>&&>(disk), read_only, options);
  }
  RefPtr<Inode> root;
  if (strcmp(type, "tmpfs") == 0) {
    TmpfsOptions o = TRY(parse_tmpfs_options(options));
    root = TRY(RamFs::create("tmpfs", FileSystem::allocate_anonymous_device(), o.mode, o.size_pages));
  } else if (strcmp(type, "ramfs") == 0) {
    root = TRY(RamFs::create("ramfs", FileSystem::allocate_anonymous_device(), 0755));
  } else if (strcmp(type, "proc") == 0) {
    RefPtr<FileSystem> fs = TRY(procfs_create(FileSystem::allocate_anonymous_device()));
    root = TRY(fs->root());
  } else {
    return Error::NODEV;
  }
  if (read_only) TRY(root->file_system().set_read_only(true));
  return root;
}
