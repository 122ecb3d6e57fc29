// Ext2Volume's directories and name operations (kernel/fs/ext2/ext2_volume.h).
//
// A directory's blocks hold variable-length records that tile each block: inode, rec_len, name_len, file type,
// name. An unused record has inode 0. Adding a name takes an unused record or the slack at the end of a record
// that is longer than its name needs, or appends a block; removing one merges its record into the previous one
// in the same block (or, for a block's first record, sets its inode to 0), as Linux's ext2 does. A directory
// with an htree index (dir_index, e2fsck -D) reads the same way: its index blocks look like blocks holding one
// unused record. Changing such a directory drops its index flag, as a kernel without htree support must.
//
// Every record is checked as it is read (Linux's ext2_check_page): a bad rec_len, a record crossing its block,
// a name longer than its record or an inode number past the last inode is corruption.
#include <cstring>

#include "kernel/fs/ext2/ext2_volume.h"

using namespace ext2;

// Walks a directory's records in order, checking each; holds the block of the current one.
class Ext2Volume::DirWalk {
 public:
  DirWalk(Ext2Volume& volume, InodeRef& dir, u64 start = 0)
      : m_volume(volume), m_dir(dir), m_index(start >> volume.m_block_shift), m_skip_to(start) {}

  // The next record, used or not: true, or false at the end of the directory.
  Result<bool> next() {
    Ext2Volume& v = m_volume;
    if (m_block) {
      m_previous = m_entry;
      m_in_block += m_entry->rec_len;
    }
    for (;;) {
      if (!m_block || m_in_block >= v.m_block_size) {
        if (m_block) m_index++;
        u64 size = v.file_size(m_dir);
        if (size & (v.m_block_size - 1))
          return v.corrupted("directory %u: size %llu is not a multiple of the block size", m_dir.ino,
                             static_cast<unsigned long long>(size));
        if ((m_index << v.m_block_shift) >= size) return false;
        u32 block = TRY(v.map_locked(m_dir, m_index, Allocate::No));
        if (block == 0)
          return v.corrupted("directory %u has a hole at block %llu", m_dir.ino, static_cast<unsigned long long>(m_index));
        m_block = TRY(v.m_cache->get(block));
        m_in_block = 0;
        m_previous = nullptr;
      }
      m_entry = m_block.at<DirEntryHeader>(m_in_block);
      u32 rec_len = m_entry->rec_len;
      const char* problem = nullptr;
      if (rec_len < dir_record_length(1))
        problem = "rec_len is smaller than minimal";
      else if (rec_len & 3)
        problem = "unaligned directory entry";
      else if (rec_len < dir_record_length(name_length()))
        problem = "rec_len is too small for name_len";
      else if (m_in_block + rec_len > v.m_block_size)
        problem = "directory entry across blocks";
      else if (m_entry->inode > v.m_super->s_inodes_count)
        problem = "inode out of bounds";
      if (problem)
        return v.corrupted("directory %u: bad entry in block %llu at offset %u: %s (rec_len %u, name_len %u, inode %u)",
                           m_dir.ino, static_cast<unsigned long long>(m_index), m_in_block, problem, rec_len,
                           name_length(), m_entry->inode);
      if (offset() < m_skip_to) {
        // Resuming a listing: records before the cookie are passed over.
        m_previous = m_entry;
        m_in_block += rec_len;
        continue;
      }
      return true;
    }
  }

  DirEntryHeader* entry() const { return m_entry; }
  DirEntryHeader* previous() const { return m_previous; }  // in the same block, or nullptr
  u32 name_length() const {
    return m_volume.m_has_filetype ? m_entry->name_len : m_entry->name_len | static_cast<u32>(m_entry->file_type) << 8;
  }
  u8 file_type() const { return m_volume.m_has_filetype ? m_entry->file_type : FT_UNKNOWN; }
  char* name() const { return reinterpret_cast<char*>(m_entry + 1); }
  bool has_name(const char* name, usize len) const {
    return m_entry->inode != 0 && name_length() == len && memcmp(this->name(), name, len) == 0;
  }
  bool is_dot_or_dot_dot() const {
    u32 len = name_length();
    return (len == 1 && name()[0] == '.') || (len == 2 && name()[0] == '.' && name()[1] == '.');
  }
  u64 offset() const { return (m_index << m_volume.m_block_shift) + m_in_block; }
  u64 next_offset() const { return offset() + m_entry->rec_len; }
  u32 offset_in_block() const { return m_in_block; }
  BlockRef& block() { return m_block; }

 private:
  Ext2Volume& m_volume;
  InodeRef& m_dir;
  u64 m_index;
  u64 m_skip_to;
  BlockRef m_block;
  u32 m_in_block = 0;
  DirEntryHeader* m_entry = nullptr;
  DirEntryHeader* m_previous = nullptr;
};

namespace {

void fill_entry(DirEntryHeader* e, u32 ino, const char* name, usize len, u8 file_type, bool has_filetype) {
  e->inode = ino;
  e->name_len = static_cast<u8>(len);
  e->file_type = has_filetype ? file_type : 0;
  memcpy(e + 1, name, len);
}

}  // namespace

// ---- records ----

Result<u32> Ext2Volume::lookup_locked(InodeRef& dir, const char* name, usize len) {
  DirWalk walk(*this, dir);
  while (TRY(walk.next()))
    if (walk.has_name(name, len)) return walk.entry()->inode;
  return Error::NOENT;
}

void Ext2Volume::clear_index_flag(InodeRef& dir) {
  if (!(dir.raw->i_flags & INODE_FLAG_INDEX)) return;
  dir.raw->i_flags &= ~INODE_FLAG_INDEX;
  commit(dir);
}

Result<void> Ext2Volume::add_entry_locked(InodeRef& dir, const char* name, usize len, u32 ino, u8 file_type) {
  u32 needed = dir_record_length(static_cast<u32>(len));
  {
    DirWalk walk(*this, dir);
    while (TRY(walk.next())) {
      DirEntryHeader* e = walk.entry();
      if (e->inode == 0 && e->rec_len >= needed) {
        clear_index_flag(dir);
        fill_entry(e, ino, name, len, file_type, m_has_filetype);
        walk.block().mark_dirty();
        return {};
      }
      u32 used = dir_record_length(walk.name_length());
      if (e->inode != 0 && e->rec_len >= used + needed) {
        clear_index_flag(dir);
        auto* fresh = reinterpret_cast<DirEntryHeader*>(reinterpret_cast<u8*>(e) + used);
        fresh->rec_len = static_cast<u16>(e->rec_len - used);
        e->rec_len = static_cast<u16>(used);
        fill_entry(fresh, ino, name, len, file_type, m_has_filetype);
        walk.block().mark_dirty();
        return {};
      }
    }
  }
  // No room: a new block at the end of the directory.
  clear_index_flag(dir);
  u64 size = file_size(dir);
  u64 index = size >> m_block_shift;
  u32 block = TRY(map_locked(dir, index, Allocate::Yes));
  auto fresh = m_cache->get_zeroed(block);
  if (fresh.is_error()) {
    (void)free_blocks_from_locked(dir, index);
    commit(dir);
    return fresh.error();
  }
  auto* e = fresh.value().at<DirEntryHeader>(0);
  e->rec_len = static_cast<u16>(m_block_size);
  fill_entry(e, ino, name, len, file_type, m_has_filetype);
  set_file_size(dir, size + m_block_size);
  commit(dir);
  return {};
}

Result<void> Ext2Volume::remove_entry_locked(InodeRef& dir, const char* name, usize len) {
  DirWalk walk(*this, dir);
  while (TRY(walk.next())) {
    if (!walk.has_name(name, len)) continue;
    clear_index_flag(dir);
    if (DirEntryHeader* previous = walk.previous())
      previous->rec_len = static_cast<u16>(previous->rec_len + walk.entry()->rec_len);
    else
      walk.entry()->inode = 0;
    walk.block().mark_dirty();
    return {};
  }
  return Error::NOENT;
}

Result<void> Ext2Volume::set_entry_locked(InodeRef& dir, const char* name, usize len, u32 ino, u8 file_type) {
  DirWalk walk(*this, dir);
  while (TRY(walk.next())) {
    if (!walk.has_name(name, len)) continue;
    walk.entry()->inode = ino;
    if (m_has_filetype) walk.entry()->file_type = file_type;
    walk.block().mark_dirty();
    return {};
  }
  return Error::NOENT;
}

Result<bool> Ext2Volume::is_empty_locked(InodeRef& dir) {
  DirWalk walk(*this, dir);
  while (TRY(walk.next()))
    if (walk.entry()->inode != 0 && !walk.is_dot_or_dot_dot()) return false;
  return true;
}

// A directory cannot move below itself: walk up from the destination through "..". A chain that does not
// reach the root is a directory loop on the disk.
Result<void> Ext2Volume::check_not_ancestor_locked(u32 moved, u32 dir) {
  u32 current = dir;
  for (u32 steps = 0; steps <= m_super->s_inodes_count; steps++) {
    if (current == moved) return Error::INVAL;
    if (current == ROOT_INODE) return {};
    InodeRef inode = TRY(live_inode_locked(current));
    if (!inode.is_directory()) return corrupted("inode %u is named by \"..\" but is not a directory", current);
    auto parent = lookup_locked(inode, "..", 2);
    if (parent.is_error()) {
      if (parent.error() == Error::NOENT) return corrupted("directory %u has no \"..\" entry", current);
      return parent.error();
    }
    if (parent.value() == current) return corrupted("directory loop: %u is its own parent", current);
    current = parent.value();
  }
  return corrupted("directory loop above inode %u", dir);
}

Result<void> Ext2Volume::make_directory_block_locked(InodeRef& dir, u32 parent) {
  u32 block = TRY(map_locked(dir, 0, Allocate::Yes));
  BlockRef ref = TRY(m_cache->get_zeroed(block));
  auto* dot = ref.at<DirEntryHeader>(0);
  dot->rec_len = static_cast<u16>(dir_record_length(1));
  fill_entry(dot, dir.ino, ".", 1, FT_DIR, m_has_filetype);
  auto* dot_dot = ref.at<DirEntryHeader>(dot->rec_len);
  dot_dot->rec_len = static_cast<u16>(m_block_size - dot->rec_len);
  fill_entry(dot_dot, parent, "..", 2, FT_DIR, m_has_filetype);
  set_file_size(dir, m_block_size);
  return {};
}

// Linux: a target shorter than i_block's 60 bytes lives in i_block (a fast symbolic link); a longer one in a
// block of its own, at most one block long.
Result<void> Ext2Volume::make_symlink_locked(InodeRef& link, const char* target, usize len) {
  if (len < FAST_SYMLINK_MAX) {
    memcpy(link.raw->i_block, target, len);
  } else {
    u32 block = TRY(map_locked(link, 0, Allocate::Yes));
    BlockRef ref = TRY(m_cache->get_zeroed(block));
    memcpy(ref.data(), target, len);
  }
  set_file_size(link, len);
  return {};
}

// ---- name operations ----

namespace {

// Checks shared by every operation on a directory: it is one, and it has not been removed.
template <typename Ref>
Result<void> check_directory(const Ref& dir) {
  if (!dir.is_directory()) return Error::NOTDIR;
  if (dir.raw->i_links_count == 0) return Error::NOENT;  // removed (someone's working directory)
  return {};
}

}  // namespace

Result<u32> Ext2Volume::lookup(u32 dir_ino, const char* name, usize len) {
  Ext2MutexGuard guard(m_lock);
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  TRY(check_directory(dir));
  u32 ino = TRY(lookup_locked(dir, name, len));
  TRY(live_inode_locked(ino));  // a name of a free inode is corruption: found now, not later
  return ino;
}

Result<u32> Ext2Volume::create(u32 dir_ino, const char* name, usize len, const Ext2NewNode& what) {
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  if (len == 0 || len > MAX_NAME) return Error::NAMETOOLONG;
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  TRY(check_directory(dir));
  auto existing = lookup_locked(dir, name, len);
  if (!existing.is_error()) return Error::EXIST;
  if (existing.error() != Error::NOENT) return existing.error();
  u16 type = what.mode & MODE_TYPE_MASK;
  bool is_directory = type == MODE_DIR;
  if (is_directory && dir.raw->i_links_count >= LINK_MAX) return Error::MLINK;
  if (type == MODE_SYMLINK && what.target_length > m_block_size) return Error::NAMETOOLONG;

  u32 ino = TRY(allocate_inode_locked(dir_ino, is_directory));
  Result<void> made = [&]() -> Result<void> {
    InodeRef inode = TRY(inode_locked(ino));
    memset(inode.raw, 0, m_inode_size);
    if (m_inode_size > GOOD_OLD_INODE_SIZE) {
      // The extra fields' size, as e2fsprogs and ext4 set it for large inodes.
      u32 extra = m_super->s_want_extra_isize > m_super->s_min_extra_isize ? m_super->s_want_extra_isize
                                                                            : m_super->s_min_extra_isize;
      if (extra > m_inode_size - GOOD_OLD_INODE_SIZE) extra = m_inode_size - GOOD_OLD_INODE_SIZE;
      *reinterpret_cast<u16*>(reinterpret_cast<u8*>(inode.raw) + EXTRA_ISIZE_OFFSET) = static_cast<u16>(extra);
    }
    ext2::Inode& r = *inode.raw;
    r.i_mode = what.mode;
    r.i_uid = static_cast<u16>(what.uid);
    r.i_uid_high = static_cast<u16>(what.uid >> 16);
    r.i_gid = static_cast<u16>(what.gid);
    r.i_gid_high = static_cast<u16>(what.gid >> 16);
    r.i_atime = r.i_ctime = r.i_mtime = ext2_now();
    r.i_links_count = is_directory ? 2 : 1;
    Result<void> filled;
    if (is_directory) {
      filled = make_directory_block_locked(inode, dir_ino);
    } else if (type == MODE_SYMLINK) {
      filled = make_symlink_locked(inode, what.target, what.target_length);
    } else if (type == MODE_CHAR || type == MODE_BLOCK) {
      // Linux's old encoding when major and minor fit in a byte each (the same number as ours then), else the
      // new one in i_block[1].
      u32 major = static_cast<u32>((what.rdev >> 8) & 0xfff);
      u32 minor = static_cast<u32>((what.rdev & 0xff) | ((what.rdev >> 12) & 0xfff00));
      if (major < 256 && minor < 256)
        r.i_block[0] = static_cast<u32>(what.rdev);
      else
        r.i_block[1] = static_cast<u32>(what.rdev);
    }
    commit(inode);
    TRY(filled);
    TRY(add_entry_locked(dir, name, len, ino, file_type_of_mode(what.mode)));
    return {};
  }();
  if (made.is_error()) {
    // Undo: the new inode and whatever blocks it got.
    if (auto inode = inode_locked(ino); !inode.is_error()) {
      inode.value().raw->i_links_count = 0;
      inode.value().block.release();
      (void)destroy_inode_locked(ino);
    }
    return made.error();
  }
  if (is_directory) dir.raw->i_links_count++;
  dir.raw->i_mtime = dir.raw->i_ctime = ext2_now();
  commit(dir);
  return ino;
}

Result<void> Ext2Volume::link(u32 dir_ino, const char* name, usize len, u32 ino) {
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  if (len == 0 || len > MAX_NAME) return Error::NAMETOOLONG;
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  TRY(check_directory(dir));
  InodeRef inode = TRY(live_inode_locked(ino));
  if (inode.is_directory()) return Error::PERM;
  if (inode.raw->i_links_count == 0) return Error::NOENT;  // an open file that lost its last name
  if (inode.raw->i_links_count >= LINK_MAX) return Error::MLINK;
  auto existing = lookup_locked(dir, name, len);
  if (!existing.is_error()) return Error::EXIST;
  if (existing.error() != Error::NOENT) return existing.error();
  TRY(add_entry_locked(dir, name, len, ino, file_type_of_mode(inode.raw->i_mode)));
  u32 now = ext2_now();
  inode.raw->i_links_count++;
  inode.raw->i_ctime = now;
  commit(inode);
  dir.raw->i_mtime = dir.raw->i_ctime = now;
  commit(dir);
  return {};
}

Result<void> Ext2Volume::unlink(u32 dir_ino, const char* name, usize len, Ext2Unlink kind) {
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  TRY(check_directory(dir));
  u32 ino = TRY(lookup_locked(dir, name, len));
  {
    InodeRef inode = TRY(live_inode_locked(ino));
    if (kind == Ext2Unlink::NonDirectory && inode.is_directory()) return Error::ISDIR;
    if (kind == Ext2Unlink::Directory && !inode.is_directory()) return Error::NOTDIR;
    if (inode.is_directory() && !TRY(is_empty_locked(inode))) return Error::NOTEMPTY;
    TRY(remove_entry_locked(dir, name, len));
    u32 now = ext2_now();
    if (inode.is_directory()) {
      inode.raw->i_links_count = 0;
      if (dir.raw->i_links_count > 0) dir.raw->i_links_count--;  // the child's ".." is gone
    } else if (inode.raw->i_links_count > 0) {
      inode.raw->i_links_count--;
    }
    inode.raw->i_ctime = now;
    commit(inode);
    dir.raw->i_mtime = dir.raw->i_ctime = now;
    commit(dir);
  }
  maybe_free_inode_locked(ino);
  return {};
}

Result<void> Ext2Volume::rename(u32 from_dir_ino, const char* from_name, usize from_len, u32 to_dir_ino,
                                const char* to_name, usize to_len, u32 flags) {
  constexpr u32 NO_REPLACE = 1;
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  if (to_len == 0 || to_len > MAX_NAME) return Error::NAMETOOLONG;
  InodeRef from_dir = TRY(live_inode_locked(from_dir_ino));
  TRY(check_directory(from_dir));
  InodeRef to_dir = TRY(live_inode_locked(to_dir_ino));
  TRY(check_directory(to_dir));
  u32 source_ino = TRY(lookup_locked(from_dir, from_name, from_len));
  InodeRef source = TRY(live_inode_locked(source_ino));
  auto found = lookup_locked(to_dir, to_name, to_len);
  if (found.is_error() && found.error() != Error::NOENT) return found.error();
  u32 target_ino = found.is_error() ? 0 : found.value();
  if (target_ino == source_ino) return {};  // two names of one inode: nothing to do (Linux)
  if (target_ino && (flags & NO_REPLACE)) return Error::EXIST;
  InodeRef target;
  if (target_ino) target = TRY(live_inode_locked(target_ino));
  bool moves_directory = source.is_directory();
  if (moves_directory) {
    if (target_ino && !target.is_directory()) return Error::NOTDIR;
    if (target_ino && !TRY(is_empty_locked(target))) return Error::NOTEMPTY;
    if (from_dir_ino != to_dir_ino) {
      TRY(check_not_ancestor_locked(source_ino, to_dir_ino));
      if (!target_ino && to_dir.raw->i_links_count >= LINK_MAX) return Error::MLINK;
    }
  } else if (target_ino && target.is_directory()) {
    return Error::ISDIR;
  }

  u8 type = file_type_of_mode(source.raw->i_mode);
  u32 now = ext2_now();
  if (target_ino) {
    TRY(set_entry_locked(to_dir, to_name, to_len, source_ino, type));
    if (target.is_directory()) {
      target.raw->i_links_count = 0;
      if (to_dir.raw->i_links_count > 0) to_dir.raw->i_links_count--;
    } else if (target.raw->i_links_count > 0) {
      target.raw->i_links_count--;
    }
    target.raw->i_ctime = now;
    commit(target);
  } else {
    TRY(add_entry_locked(to_dir, to_name, to_len, source_ino, type));
  }
  TRY(remove_entry_locked(from_dir, from_name, from_len));
  if (moves_directory && from_dir_ino != to_dir_ino) {
    TRY(set_entry_locked(source, "..", 2, to_dir_ino, FT_DIR));
    if (from_dir.raw->i_links_count > 0) from_dir.raw->i_links_count--;
    to_dir.raw->i_links_count++;
  }
  source.raw->i_ctime = now;
  commit(source);
  from_dir.raw->i_mtime = from_dir.raw->i_ctime = now;
  to_dir.raw->i_mtime = to_dir.raw->i_ctime = now;
  commit(from_dir);
  if (to_dir_ino != from_dir_ino) commit(to_dir);
  if (target_ino) {
    target.block.release();
    maybe_free_inode_locked(target_ino);
  }
  return {};
}

Result<void> Ext2Volume::list(u32 dir_ino, u64 cookie, Ext2DirVisitor& visitor) {
  Ext2MutexGuard guard(m_lock);
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  if (!dir.is_directory()) return Error::NOTDIR;
  if (dir.raw->i_links_count == 0) return {};  // Linux lists nothing in a removed directory
  DirWalk walk(*this, dir, cookie);
  while (TRY(walk.next())) {
    if (walk.entry()->inode == 0) continue;
    if (!visitor.emit(walk.next_offset(), walk.entry()->inode, walk.file_type(), walk.name(), walk.name_length()))
      break;
  }
  return {};
}

Result<u32> Ext2Volume::parent(u32 dir_ino) {
  Ext2MutexGuard guard(m_lock);
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  TRY(check_directory(dir));
  auto parent = lookup_locked(dir, "..", 2);
  if (parent.is_error() && parent.error() == Error::NOENT) return corrupted("directory %u has no \"..\" entry", dir_ino);
  return parent;
}

Result<usize> Ext2Volume::name_of(u32 dir_ino, u32 child, char* buffer, usize size) {
  Ext2MutexGuard guard(m_lock);
  InodeRef dir = TRY(live_inode_locked(dir_ino));
  TRY(check_directory(dir));
  DirWalk walk(*this, dir);
  while (TRY(walk.next())) {
    if (walk.entry()->inode != child || walk.is_dot_or_dot_dot()) continue;
    if (walk.name_length() > size) return Error::NAMETOOLONG;
    memcpy(buffer, walk.name(), walk.name_length());
    return walk.name_length();
  }
  return Error::NOENT;
}

Result<usize> Ext2Volume::readlink(u32 ino, char* buffer, usize size) {
  Ext2MutexGuard guard(m_lock);
  InodeRef link = TRY(live_inode_locked(ino));
  if (!link.is_symlink()) return Error::INVAL;
  u64 length = file_size(link);
  usize n = length < size ? static_cast<usize>(length) : size;
  if (!has_data_blocks(link)) {
    if (length >= FAST_SYMLINK_MAX) return corrupted("symbolic link %u: fast link of %llu bytes", ino, static_cast<unsigned long long>(length));
    memcpy(buffer, link.raw->i_block, n);
    return n;
  }
  if (length > m_block_size) return corrupted("symbolic link %u: %llu bytes", ino, static_cast<unsigned long long>(length));
  u32 block = TRY(map_locked(link, 0, Allocate::No));
  if (block == 0) return corrupted("symbolic link %u has no block", ino);
  BlockRef ref = TRY(m_cache->get(block));
  memcpy(buffer, ref.data(), n);
  return n;
}
