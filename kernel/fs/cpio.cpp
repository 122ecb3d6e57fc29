// The cpio "newc" reader (kernel/fs/cpio.h).
//
// An entry is a 110-byte ASCII header — the magic "070701" and thirteen 8-digit hexadecimal fields — then the
// NUL-terminated name, padded so that the data starts at a multiple of 4 bytes, then the data, padded to 4
// again. The entry named "TRAILER!!!" ends an archive; another archive may follow after zero padding.
// Every number read from the archive is checked against its size before it is used.
#include "kernel/fs/cpio.h"

#include <cstring>

#include "mm/heap.h"
#include "kernel/log.h"

namespace {

constexpr usize HEADER_SIZE = 110;

// Header fields, in order (after the magic).
enum Field : unsigned {
  INO, MODE, UID, GID, NLINK, MTIME, FILESIZE, DEVMAJOR, DEVMINOR, RDEVMAJOR, RDEVMINOR, NAMESIZE, CHECK, FIELD_COUNT
};

bool parse_hex8(const u8* text, u32& value) {
  value = 0;
  for (int i = 0; i < 8; i++) {
    u8 c = text[i];
    u32 digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return false;
    value = value << 4 | digit;
  }
  return true;
}

struct Entry {
  const char* name;     // normalized: no leading "./" or "/", no trailing "/"
  usize name_length;
  u32 mode;
  u64 mtime;
  const u8* data;
  usize size;
  u64 rdev;
};

class Unpacker {
 public:
  explicit Unpacker(Inode& root) : m_root(root) {}
  // Returns false when unpacking must stop (out of memory).
  bool add(const Entry& e);
  CpioResult m_result;

 private:
  Result<RefPtr<Inode>> make_parents(const Entry& e, usize& last_start);
  Result<void> add_file(Inode& dir, const Entry& e, const char* name, usize len);
  // Removes what `name` names so a new entry can take its place; false if it is a non-empty directory.
  bool make_room(Inode& dir, const char* name, usize len);

  Inode& m_root;
};

bool Unpacker::make_room(Inode& dir, const char* name, usize len) {
  auto existing = dir.lookup(name, len);
  if (existing.is_error()) return true;
  UnlinkKind kind = existing.value()->is_directory() ? UnlinkKind::Directory : UnlinkKind::NonDirectory;
  return !dir.unlink(name, len, kind).is_error();
}

// Walks (and creates, as cpio extracting would) the directories above the entry.
Result<RefPtr<Inode>> Unpacker::make_parents(const Entry& e, usize& last_start) {
  RefPtr<Inode> dir(&m_root);
  usize start = 0;
  for (usize i = 0; i <= e.name_length; i++) {
    if (i < e.name_length && e.name[i] != '/') continue;
    const char* component = e.name + start;
    usize len = i - start;
    if (i == e.name_length) {
      last_start = start;
      break;
    }
    start = i + 1;
    if (len == 0) continue;  // "a//b"
    if ((len == 1 && component[0] == '.') || (len == 2 && component[0] == '.' && component[1] == '.'))
      return Error::INVAL;  // never let an archive climb out of the tree
    auto child = dir->lookup(component, len);
    if (child.is_error()) {
      NewInode what;
      what.type = InodeType::Directory;
      what.permissions = 0755;
      dir = TRY(dir->create(component, len, what, CreateMode::Exclusive));
    } else {
      if (!child.value()->is_directory()) return Error::NOTDIR;
      dir = child.release_value();
    }
  }
  return dir;
}

Result<void> Unpacker::add_file(Inode& dir, const Entry& e, const char* name, usize len) {
  // What /proc/PID/maps shows for a mapping of this file: its absolute path.
  char* path = static_cast<char*>(kmalloc(e.name_length + 2));
  if (!path) return Error::NOMEM;
  path[0] = '/';
  memcpy(path + 1, e.name, e.name_length);
  path[e.name_length + 1] = '\0';
  NewInode what;
  what.permissions = e.mode & 07777;
  what.object_name = path;
  auto created = dir.create(name, len, what, CreateMode::Exclusive);
  kfree(path);
  RefPtr<Inode> inode = TRY(created);
  u64 offset = 0;
  usize written = TRY(inode->write(IoBuffer::kernel(const_cast<u8*>(e.data), e.size), e.size, offset,
                                   WriteMode::AtOffset));
  if (written != e.size) return Error::NOMEM;
  inode->set_modification_time(e.mtime * 1000000000ull);
  return {};
}

bool Unpacker::add(const Entry& e) {
  usize last_start = 0;
  auto parent = make_parents(e, last_start);
  if (parent.is_error()) {
    LOG_WARN("initramfs: cannot place '%.*s' (%s); skipped", static_cast<int>(e.name_length), e.name,
             error_name(parent.error()));
    m_result.skipped++;
    return parent.error() != Error::NOMEM;
  }
  const char* name = e.name + last_start;
  usize len = e.name_length - last_start;
  Inode* dir = parent.value().get();
  if (!dir->is_directory() || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
    LOG_WARN("initramfs: cannot create '%.*s' there; skipped", static_cast<int>(e.name_length), e.name);
    m_result.skipped++;
    return true;
  }
  u32 type = e.mode & linux::S_IFMT;
  Result<void> done;
  if (type == linux::S_IFDIR) {
    // A directory merges into an existing one (the second archive of tools/run repeats "bin").
    auto existing = dir->lookup(name, len);
    if (!existing.is_error() && existing.value()->is_directory()) {
      existing.value()->set_permissions(e.mode & 07777);
      m_result.entries++;
      return true;
    }
    if (!make_room(*dir, name, len)) {
      done = Error::NOTEMPTY;
    } else {
      NewInode what;
      what.type = InodeType::Directory;
      what.permissions = e.mode & 07777;
      auto made = dir->create(name, len, what, CreateMode::Exclusive);
      if (made.is_error())
        done = made.error();
      else
        made.value()->set_modification_time(e.mtime * 1000000000ull);
    }
  } else if (type == linux::S_IFREG || type == linux::S_IFLNK || type == linux::S_IFCHR || type == linux::S_IFBLK ||
             type == linux::S_IFIFO) {
    if (!make_room(*dir, name, len)) {
      done = Error::ISDIR;  // a file cannot replace a directory that still has entries
    } else if (type == linux::S_IFREG) {
      done = add_file(*dir, e, name, len);
    } else if (type == linux::S_IFLNK) {
      if (e.size == 0 || e.size >= fs_limits::MAX_PATH) {
        done = Error::NAMETOOLONG;
      } else {
        NewInode what;
        what.type = InodeType::Symlink;
        what.permissions = 0777;
        what.target = reinterpret_cast<const char*>(e.data);
        what.target_length = e.size;
        auto made = dir->create(name, len, what, CreateMode::Exclusive);
        if (made.is_error()) done = made.error();
      }
    } else {
      NewInode what;
      what.type = inode_type_of_mode(type);
      what.permissions = e.mode & 07777;
      what.rdev = type == linux::S_IFIFO ? 0 : e.rdev;
      auto made = dir->create(name, len, what, CreateMode::Exclusive);
      if (made.is_error()) done = made.error();
    }
  } else {
    done = Error::NOTSUP;  // sockets: nothing here could use them
  }
  if (done.is_error()) {
    LOG_WARN("initramfs: '%.*s' (mode %o): %s; skipped", static_cast<int>(e.name_length), e.name, e.mode,
             error_name(done.error()));
    m_result.skipped++;
    return done.error() != Error::NOMEM;
  }
  m_result.entries++;
  return true;
}

// Drops "./" and "/" prefixes and trailing slashes.
void normalize(const char*& name, usize& len) {
  for (;;) {
    if (len >= 2 && name[0] == '.' && name[1] == '/') {
      name += 2;
      len -= 2;
    } else if (len >= 1 && name[0] == '/') {
      name++;
      len--;
    } else {
      break;
    }
  }
  while (len > 0 && name[len - 1] == '/') len--;
  if (len == 1 && name[0] == '.') len = 0;
}

}  // namespace

CpioResult cpio_unpack(Inode& root, const u8* data, usize size) {
  Unpacker unpacker(root);
  CpioResult& result = unpacker.m_result;
  usize offset = 0;
  auto malformed = [&](const char* why) {
    LOG_WARN("initramfs: malformed archive at offset %zu: %s; unpacking stops here", offset, why);
    return result;
  };
  while (offset < size) {
    // Zero padding between archives (tools/run pads to 4 bytes, cpio itself to 512).
    if (data[offset] == 0) {
      while (offset < size && data[offset] == 0) offset++;
      if (offset == size) break;
      if (offset % 4) return malformed("data after padding is not 4-byte aligned");
    }
    if (size - offset < HEADER_SIZE) return malformed("truncated header");
    const u8* header = data + offset;
    if (memcmp(header, "07070", 5) != 0 || (header[5] != '1' && header[5] != '2'))
      return malformed("bad magic (not a newc archive)");
    u32 field[FIELD_COUNT];
    for (unsigned i = 0; i < FIELD_COUNT; i++)
      if (!parse_hex8(header + 6 + 8 * i, field[i])) return malformed("bad hexadecimal field");
    usize name_start = offset + HEADER_SIZE;
    usize name_size = field[NAMESIZE];
    if (name_size == 0 || name_size > size - name_start) return malformed("name runs past the end");
    const char* name = reinterpret_cast<const char*>(data + name_start);
    if (name[name_size - 1] != '\0') return malformed("name is not NUL-terminated");
    usize data_start = align_up(name_start + name_size, 4);
    usize file_size = field[FILESIZE];
    if (data_start > size || file_size > size - data_start) return malformed("data runs past the end");
    usize next = align_up(data_start + file_size, 4);
    if (next > size) next = size;  // the last entry's padding may be missing
    if (name_size == 11 && memcmp(name, "TRAILER!!!", 11) == 0) {
      result.archives++;
      offset = next;
      continue;
    }
    Entry e{};
    e.name = name;
    e.name_length = strnlen(name, name_size - 1);
    normalize(e.name, e.name_length);
    e.mode = field[MODE];
    e.mtime = field[MTIME];
    e.data = data + data_start;
    e.size = file_size;
    e.rdev = make_device(field[RDEVMAJOR], field[RDEVMINOR]);
    offset = next;
    if (e.name_length == 0) continue;  // "." — the root itself
    if (!unpacker.add(e)) {
      LOG_ERROR("initramfs: out of memory; unpacking stops");
      return result;
    }
  }
  result.is_complete = true;
  return result;
}
