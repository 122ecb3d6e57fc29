// Ext2Volume (kernel/fs/ext2/ext2_volume.h): mounting, the superblock and group descriptors, the inode table,
// the users of inodes, errors, sync and unmount. Log lines name the volume as Linux does: "ext2 (vda): ...".
#include <cstdarg>
#include <cstring>
#include <new>

#include "kernel/fs/ext2/ext2_volume.h"
#include "lib/format.h"

using namespace ext2;

namespace {

// Linux's ext2_max_size: the largest file whose data and indirect blocks fit in i_blocks (2^32 - 1 sectors)
// and in the block tree, in bytes (at most 2^63 - 1).
u64 max_file_size_for(u32 block_shift) {
  u64 pointers = 1ull << (block_shift - 2);
  u64 upper_limit = ((1ull << 32) - 1) >> (block_shift - 9);
  u64 blocks = DIRECT_BLOCKS + pointers + pointers * pointers + pointers * pointers * pointers;
  u64 meta = 1 + (1 + pointers) + (1 + pointers + pointers * pointers);
  if (blocks + meta > upper_limit) {
    blocks = upper_limit;
    u64 rest = upper_limit - DIRECT_BLOCKS - pointers;
    meta = 1;
    if (rest < pointers * pointers) {
      meta += 1 + (rest + pointers - 1) / pointers;
    } else {
      meta += 1 + pointers;
      rest -= pointers * pointers;
      meta += 1 + (rest + pointers - 1) / pointers + (rest + pointers * pointers - 1) / (pointers * pointers);
    }
    blocks -= meta;
  }
  u64 bytes = blocks << block_shift;
  constexpr u64 MAX_LFS_FILESIZE = ~0ull >> 1;
  return bytes > MAX_LFS_FILESIZE ? MAX_LFS_FILESIZE : bytes;
}

}  // namespace

Ext2Volume::Ext2Volume(RefPtr<BlockDevice> disk) : m_disk(static_cast<RefPtr<BlockDevice>&&>(disk)) {}

Ext2Volume::~Ext2Volume() {
  // Give back the pinned blocks before the cache goes.
  m_superblock_block.release();
  if (m_descriptor_blocks) {
    for (u32 i = 0; i < m_descriptor_block_count; i++) m_descriptor_blocks[i].~BlockRef();
    kfree(m_descriptor_blocks);
  }
  for (Hold*& bucket : m_holds) {
    while (Hold* h = bucket) {
      bucket = h->next;
      kfree(h);
    }
  }
  delete m_cache;
  kfree(m_scratch);
}

Result<Ext2Volume*> Ext2Volume::mount(RefPtr<BlockDevice> disk, const Ext2MountOptions& options) {
  if (!disk) return Error::NXIO;
  auto* volume = new Ext2Volume(static_cast<RefPtr<BlockDevice>&&>(disk));
  if (!volume) return Error::NOMEM;
  Result<void> mounted = [&]() -> Result<void> {
    Ext2MutexGuard guard(volume->m_lock);
    TRY(volume->read_superblock(options));
    TRY(volume->check_descriptors());
    auto root = volume->inode_locked(ROOT_INODE);
    if (root.is_error()) return root.error() == Error::IO ? Error::IO : Error::INVAL;
    if (!root.value().is_directory() || root.value().raw->i_links_count == 0) {
      ext2_log(Ext2Log::Error, "ext2 (%s): the root inode is not a directory: corrupt file system", volume->name());
      return Error::INVAL;
    }
    root.value().block.release();
    if (!volume->m_is_read_only) TRY(volume->mark_mounted());
    volume->m_is_mounted = true;
    return {};
  }();
  if (mounted.is_error()) {
    delete volume;
    return mounted.error();
  }
  ext2_log(Ext2Log::Info, "ext2 (%s): mounted %s: %u-byte blocks, %u blocks (%llu free), %u inodes (%llu free)",
           volume->name(), volume->m_is_read_only ? "read-only" : "read-write", volume->m_block_size,
           volume->m_super->s_blocks_count, static_cast<unsigned long long>(volume->m_free_blocks),
           volume->m_super->s_inodes_count, static_cast<unsigned long long>(volume->m_free_inodes));
  return volume;
}

// Every field the rest of the code trusts is checked here; a volume that fails is refused with EINVAL and a
// line saying why.
Result<void> Ext2Volume::read_superblock(const Ext2MountOptions& options) {
  const char* disk_name = name();
  if (m_disk->sector_count() < (SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) / SECTOR_SIZE) {
    ext2_log(Ext2Log::Error, "ext2 (%s): the device is too small to hold an ext2 file system", disk_name);
    return Error::INVAL;
  }
  auto* raw = static_cast<Superblock*>(kmalloc(sizeof(Superblock)));
  if (!raw) return Error::NOMEM;
  Result<void> read = m_disk->read(SUPERBLOCK_OFFSET / SECTOR_SIZE, raw, SUPERBLOCK_SIZE / SECTOR_SIZE);
  Superblock sb;
  memcpy(&sb, raw, sizeof(sb));
  kfree(raw);
  if (read.is_error()) {
    ext2_log(Ext2Log::Error, "ext2 (%s): cannot read the superblock (%s)", disk_name, error_name(read.error()));
    return read.error();
  }
  auto refuse = [&](const char* why, u64 value) -> Error {
    ext2_log(Ext2Log::Error, "ext2 (%s): not mountable: %s (%llu)", disk_name, why, static_cast<unsigned long long>(value));
    return Error::INVAL;
  };
  if (sb.s_magic != MAGIC) return refuse("no ext2 file system: bad magic number", sb.s_magic);
  if (sb.s_rev_level > DYNAMIC_REVISION) return refuse("unknown revision", sb.s_rev_level);
  if (sb.s_log_block_size > 2) return refuse("block size not supported (1, 2 and 4 KiB are)", 1024ull << (sb.s_log_block_size & 31));
  m_block_shift = 10 + sb.s_log_block_size;
  m_block_size = 1u << m_block_shift;
  m_sectors_per_block = m_block_size / SECTOR_SIZE;
  m_pointers_per_block = m_block_size / 4;
  m_pointer_shift = m_block_shift - 2;
  if (sb.s_rev_level == GOOD_OLD_REVISION) {
    m_inode_size = GOOD_OLD_INODE_SIZE;
    m_first_inode = GOOD_OLD_FIRST_INODE;
  } else {
    m_inode_size = sb.s_inode_size;
    m_first_inode = sb.s_first_ino;
    if (m_inode_size < GOOD_OLD_INODE_SIZE || m_inode_size > m_block_size || !is_power_of_two(m_inode_size))
      return refuse("bad inode size", m_inode_size);
    if (m_first_inode < GOOD_OLD_FIRST_INODE || m_first_inode > sb.s_inodes_count)
      return refuse("bad first inode", m_first_inode);
  }
  if (sb.s_blocks_per_group == 0 || sb.s_blocks_per_group > 8 * m_block_size)
    return refuse("bad blocks per group", sb.s_blocks_per_group);
  if (sb.s_inodes_per_group < m_block_size / m_inode_size || sb.s_inodes_per_group > 8 * m_block_size)
    return refuse("bad inodes per group", sb.s_inodes_per_group);
  if (sb.s_first_data_block != (m_block_size == 1024 ? 1u : 0u))
    return refuse("bad first data block", sb.s_first_data_block);
  if (sb.s_blocks_count <= sb.s_first_data_block) return refuse("bad block count", sb.s_blocks_count);
  u64 device_blocks = m_disk->sector_count() / m_sectors_per_block;
  if (sb.s_blocks_count > device_blocks) {
    ext2_log(Ext2Log::Error, "ext2 (%s): not mountable: bad geometry: block count %u exceeds size of device (%llu blocks)",
             disk_name, sb.s_blocks_count, static_cast<unsigned long long>(device_blocks));
    return Error::INVAL;
  }
  m_groups = (sb.s_blocks_count - sb.s_first_data_block + sb.s_blocks_per_group - 1) / sb.s_blocks_per_group;
  if (static_cast<u64>(m_groups) * sb.s_inodes_per_group != sb.s_inodes_count)
    return refuse("inode count does not match the groups", sb.s_inodes_count);
  m_descriptor_block_count = (m_groups * static_cast<u32>(sizeof(GroupDescriptor)) + m_block_size - 1) / m_block_size;
  if (sb.s_first_data_block + 1 + m_descriptor_block_count > sb.s_blocks_count)
    return refuse("the group descriptors do not fit", m_descriptor_block_count);
  m_inode_table_blocks = (sb.s_inodes_per_group * m_inode_size + m_block_size - 1) / m_block_size;

  if (sb.s_rev_level == DYNAMIC_REVISION) {
    u32 incompat = sb.s_feature_incompat & ~feature::INCOMPAT_SUPPORTED;
    if (incompat) {
      ext2_log(Ext2Log::Error, "ext2 (%s): not mountable: unsupported incompatible features (0x%x)%s", disk_name,
               incompat, (incompat & feature::INCOMPAT_RECOVER) ? ": the journal needs recovery" : "");
      return Error::INVAL;
    }
    u32 ro_compat = sb.s_feature_ro_compat & ~feature::RO_COMPAT_SUPPORTED;
    if (ro_compat) {
      m_can_write = false;
      if (!options.read_only) {
        ext2_log(Ext2Log::Error, "ext2 (%s): cannot mount read-write: unsupported optional features (0x%x)",
                 disk_name, ro_compat);
        return Error::INVAL;
      }
    }
    m_has_filetype = sb.s_feature_incompat & feature::INCOMPAT_FILETYPE;
    m_has_sparse_super = sb.s_feature_ro_compat & feature::RO_COMPAT_SPARSE_SUPER;
  }
  if (!options.read_only && m_disk->is_read_only()) {
    ext2_log(Ext2Log::Error, "ext2 (%s): the device is write-protected: mount it read-only", disk_name);
    return Error::ACCESS;
  }
  m_max_file_size = max_file_size_for(m_block_shift);
  m_is_read_only = options.read_only;
  m_errors_behavior = options.errors ? options.errors : sb.s_errors;

  // From here on the superblock is read and written in its cached block.
  m_cache = new BlockCache(*m_disk, m_block_size, options.cache_blocks < 64 ? 64 : options.cache_blocks);
  m_scratch = static_cast<u8*>(kmalloc(m_block_size));
  if (!m_cache || !m_scratch) return Error::NOMEM;
  u64 super_block = SUPERBLOCK_OFFSET >> m_block_shift;
  m_superblock_block = TRY(m_cache->get(super_block));
  m_super = m_superblock_block.at<Superblock>(SUPERBLOCK_OFFSET & (m_block_size - 1));
  void* memory = kzalloc(sizeof(BlockRef) * m_descriptor_block_count);
  if (!memory) return Error::NOMEM;
  m_descriptor_blocks = static_cast<BlockRef*>(memory);
  for (u32 i = 0; i < m_descriptor_block_count; i++) new (&m_descriptor_blocks[i]) BlockRef();
  for (u32 i = 0; i < m_descriptor_block_count; i++)
    m_descriptor_blocks[i] = TRY(m_cache->get(m_super->s_first_data_block + 1 + i));
  return {};
}

GroupDescriptor& Ext2Volume::descriptor(u32 group) const {
  u32 byte = group * static_cast<u32>(sizeof(GroupDescriptor));
  return *m_descriptor_blocks[byte >> m_block_shift].at<GroupDescriptor>(byte & (m_block_size - 1));
}

void Ext2Volume::descriptor_changed(u32 group) {
  m_descriptor_blocks[(group * static_cast<u32>(sizeof(GroupDescriptor))) >> m_block_shift].mark_dirty();
}

void Ext2Volume::superblock_changed() { m_superblock_block.mark_dirty(); }

// Linux's ext2_check_descriptors: each group's bitmaps and inode table lie inside the group.
Result<void> Ext2Volume::check_descriptors() {
  u64 free_blocks = 0, free_inodes = 0;
  for (u32 g = 0; g < m_groups; g++) {
    GroupDescriptor& d = descriptor(g);
    u64 first = m_super->s_first_data_block + static_cast<u64>(g) * m_super->s_blocks_per_group;
    u64 last = g == m_groups - 1 ? m_super->s_blocks_count - 1 : first + m_super->s_blocks_per_group - 1;
    const char* what = nullptr;
    u64 where = 0;
    if (d.bg_block_bitmap < first || d.bg_block_bitmap > last) {
      what = "block bitmap";
      where = d.bg_block_bitmap;
    } else if (d.bg_inode_bitmap < first || d.bg_inode_bitmap > last) {
      what = "inode bitmap";
      where = d.bg_inode_bitmap;
    } else if (d.bg_inode_table < first || d.bg_inode_table + static_cast<u64>(m_inode_table_blocks) - 1 > last) {
      what = "inode table";
      where = d.bg_inode_table;
    } else if (d.bg_free_blocks_count > last - first + 1 || d.bg_free_inodes_count > m_super->s_inodes_per_group) {
      what = "free count";
      where = d.bg_free_blocks_count;
    }
    if (what) {
      ext2_log(Ext2Log::Error, "ext2 (%s): not mountable: group %u: %s not in the group (block %llu)", name(), g,
               what, static_cast<unsigned long long>(where));
      return Error::INVAL;
    }
    free_blocks += d.bg_free_blocks_count;
    free_inodes += d.bg_free_inodes_count;
  }
  m_free_blocks = free_blocks;
  m_free_inodes = free_inodes;
  return {};
}

// A read-write mount marks the volume not clean (a crash from here on leaves it for e2fsck), as Linux does.
Result<void> Ext2Volume::mark_mounted() {
  if (m_super->s_state & STATE_ERROR)
    ext2_log(Ext2Log::Warn, "ext2 (%s): warning: mounting a file system with errors, running e2fsck is recommended", name());
  else if (!(m_super->s_state & STATE_VALID))
    ext2_log(Ext2Log::Warn, "ext2 (%s): warning: mounting an unchecked file system, running e2fsck is recommended", name());
  else if (m_super->s_max_mnt_count > 0 && m_super->s_mnt_count >= static_cast<u16>(m_super->s_max_mnt_count))
    ext2_log(Ext2Log::Warn, "ext2 (%s): warning: maximal mount count reached, running e2fsck is recommended", name());
  m_had_errors = m_super->s_state & STATE_ERROR;
  m_super->s_state &= static_cast<u16>(~STATE_VALID);
  m_super->s_mnt_count++;
  m_super->s_mtime = ext2_now();
  if (m_super->s_rev_level == DYNAMIC_REVISION) {
    memset(m_super->s_last_mounted, 0, sizeof(m_super->s_last_mounted));
  }
  superblock_changed();
  return sync_locked();
}

Result<void> Ext2Volume::sync_locked() {
  if (!m_is_read_only) {
    m_super->s_free_blocks_count = static_cast<u32>(m_free_blocks);
    m_super->s_free_inodes_count = static_cast<u32>(m_free_inodes);
    m_super->s_wtime = ext2_now();
    superblock_changed();
  }
  Result<void> flushed = m_cache->flush();
  if (flushed.is_error())
    ext2_log(Ext2Log::Error, "ext2 (%s): error writing back metadata (%s)", name(), error_name(flushed.error()));
  return flushed;
}

Result<void> Ext2Volume::sync() {
  Ext2MutexGuard guard(m_lock);
  if (m_is_read_only && !m_cache->has_dirty_blocks()) return {};
  return sync_locked();
}

bool Ext2Volume::has_dirty_blocks() {
  Ext2MutexGuard guard(m_lock);
  return m_cache->has_dirty_blocks();
}

// The state written at unmount: clean, unless errors were found (then e2fsck must look).
Result<void> Ext2Volume::unmount() {
  Ext2MutexGuard guard(m_lock);
  if (!m_is_mounted) return {};
  m_is_mounted = false;
  if (m_is_read_only) return m_cache->has_dirty_blocks() ? sync_locked() : Result<void>();
  m_super->s_state = static_cast<u16>(STATE_VALID | (m_had_errors ? STATE_ERROR : 0));
  superblock_changed();
  Result<void> result = sync_locked();
  m_is_read_only = true;
  return result;
}

Result<void> Ext2Volume::set_read_only(bool read_only) {
  Ext2MutexGuard guard(m_lock);
  if (read_only == m_is_read_only) return {};
  if (read_only) {
    m_super->s_state = static_cast<u16>(STATE_VALID | (m_had_errors ? STATE_ERROR : 0));
    superblock_changed();
    Result<void> result = sync_locked();
    m_is_read_only = true;
    return result;
  }
  if (!m_can_write || m_had_errors) {
    ext2_log(Ext2Log::Error, "ext2 (%s): cannot remount read-write: %s", name(),
             m_had_errors ? "the file system has errors (run e2fsck)" : "unsupported optional features");
    return Error::ROFS;
  }
  if (m_disk->is_read_only()) return Error::ACCESS;
  m_is_read_only = false;
  return mark_mounted();
}

Result<void> Ext2Volume::check_writable_locked() const {
  if (m_is_read_only) return Error::ROFS;
  return {};
}

Error Ext2Volume::corrupted(const char* fmt, ...) {
  char message[160];
  va_list args;
  va_start(args, fmt);
  vformat(message, sizeof message, fmt, args);
  va_end(args);
  ext2_log(Ext2Log::Error, "ext2 (%s): corrupt file system: %s", name(), message);
  m_had_errors = true;
  if (!m_is_read_only) {
    if (m_errors_behavior == ERRORS_PANIC)
      ext2_log(Ext2Log::Error, "ext2 (%s): errors=panic asks for a panic; remounting read-only instead", name());
    else if (m_errors_behavior == ERRORS_CONTINUE)
      ext2_log(Ext2Log::Error, "ext2 (%s): errors=continue: remounting read-only all the same", name());
    ext2_log(Ext2Log::Error, "ext2 (%s): remounting read-only; run e2fsck", name());
    m_super->s_state |= STATE_ERROR;
    superblock_changed();
    (void)sync_locked();
    m_is_read_only = true;
    if (m_observer) m_observer->remounted_read_only();
  }
  return Error::IO;
}

bool Ext2Volume::is_valid_block(u64 block) const {
  if (block < m_super->s_first_data_block || block >= m_super->s_blocks_count) return false;
  // Not one of its group's bitmaps or inode-table blocks (Linux's ext2_data_block_valid).
  u32 group = static_cast<u32>((block - m_super->s_first_data_block) / m_super->s_blocks_per_group);
  const GroupDescriptor& d = descriptor(group);
  if (block == d.bg_block_bitmap || block == d.bg_inode_bitmap) return false;
  if (block >= d.bg_inode_table && block < static_cast<u64>(d.bg_inode_table) + m_inode_table_blocks) return false;
  return true;
}

// ---- inodes ----

Result<Ext2Volume::InodeRef> Ext2Volume::inode_locked(u32 ino) {
  if (ino == 0 || ino > m_super->s_inodes_count) return corrupted("inode number %u out of range", ino);
  u32 group = (ino - 1) / m_super->s_inodes_per_group;
  u64 byte = static_cast<u64>((ino - 1) % m_super->s_inodes_per_group) * m_inode_size;
  u64 block = descriptor(group).bg_inode_table + (byte >> m_block_shift);
  InodeRef inode;
  auto got = m_cache->get(block);
  if (got.is_error()) {
    ext2_log(Ext2Log::Error, "ext2 (%s): cannot read inode %u (block %llu): %s", name(), ino,
             static_cast<unsigned long long>(block), error_name(got.error()));
    return got.error();
  }
  inode.block = got.release_value();
  inode.raw = inode.block.at<ext2::Inode>(byte & (m_block_size - 1));
  inode.ino = ino;
  return inode;
}

// An inode that must be in use (named by a directory entry, or held): a free one there is corruption.
Result<Ext2Volume::InodeRef> Ext2Volume::live_inode_locked(u32 ino) {
  InodeRef inode = TRY(inode_locked(ino));
  if (inode.raw->i_mode == 0 || (inode.raw->i_links_count == 0 && !find_hold(ino)))
    return corrupted("inode %u is used but free (mode %o, links %u)", ino, inode.raw->i_mode, inode.raw->i_links_count);
  return inode;
}

Ext2Attributes Ext2Volume::attributes_of(const InodeRef& inode) const {
  const ext2::Inode& r = *inode.raw;
  Ext2Attributes a;
  a.ino = inode.ino;
  a.mode = r.i_mode;
  a.links = r.i_links_count;
  a.uid = r.i_uid | static_cast<u32>(r.i_uid_high) << 16;
  a.gid = r.i_gid | static_cast<u32>(r.i_gid_high) << 16;
  a.size = file_size(inode);
  a.blocks = r.i_blocks;
  a.atime = r.i_atime;
  a.mtime = r.i_mtime;
  a.ctime = r.i_ctime;
  a.sequence = m_sequence;
  u16 type = inode.type();
  if (type == MODE_CHAR || type == MODE_BLOCK) a.rdev = r.i_block[0] ? r.i_block[0] : r.i_block[1];
  return a;
}

void Ext2Volume::commit(InodeRef& inode) {
  inode.block.mark_dirty();
  m_sequence++;
  if (m_observer) m_observer->inode_changed(attributes_of(inode));
}

u64 Ext2Volume::file_size(const InodeRef& inode) const {
  u64 size = inode.raw->i_size;
  if (inode.is_regular()) size |= static_cast<u64>(inode.raw->i_size_high) << 32;
  return size;
}

void Ext2Volume::set_file_size(InodeRef& inode, u64 size) {
  inode.raw->i_size = static_cast<u32>(size);
  if (inode.is_regular()) {
    inode.raw->i_size_high = static_cast<u32>(size >> 32);
    // A file of 2 GiB or more needs the large_file feature (Linux's ext2_update_dynamic_rev + set feature).
    if (size > 0x7fffffffull && !(m_super->s_feature_ro_compat & feature::RO_COMPAT_LARGE_FILE) &&
        m_super->s_rev_level == DYNAMIC_REVISION) {
      m_super->s_feature_ro_compat |= feature::RO_COMPAT_LARGE_FILE;
      superblock_changed();
    }
  }
}

Result<Ext2Attributes> Ext2Volume::stat(u32 ino) {
  Ext2MutexGuard guard(m_lock);
  InodeRef inode = TRY(inode_locked(ino));
  if (inode.raw->i_mode == 0) return corrupted("inode %u is used but free", ino);
  return attributes_of(inode);
}

Result<void> Ext2Volume::set_attributes(u32 ino, const Ext2AttributeChange& change) {
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  InodeRef inode = TRY(live_inode_locked(ino));
  ext2::Inode& r = *inode.raw;
  if (change.what & Ext2AttributeChange::Mode)
    r.i_mode = static_cast<u16>((r.i_mode & MODE_TYPE_MASK) | (change.permissions & 07777));
  if (change.what & Ext2AttributeChange::Uid) {
    r.i_uid = static_cast<u16>(change.uid);
    r.i_uid_high = static_cast<u16>(change.uid >> 16);
  }
  if (change.what & Ext2AttributeChange::Gid) {
    r.i_gid = static_cast<u16>(change.gid);
    r.i_gid_high = static_cast<u16>(change.gid >> 16);
  }
  if (change.what & Ext2AttributeChange::AccessTime) r.i_atime = change.atime;
  if (change.what & Ext2AttributeChange::ModifyTime) r.i_mtime = change.mtime;
  r.i_ctime = ext2_now();
  commit(inode);
  return {};
}

// ---- users of inodes ----

Ext2Volume::Hold* Ext2Volume::find_hold(u32 ino) const {
  for (Hold* h = m_holds[ino % HOLD_BUCKETS]; h; h = h->next)
    if (h->ino == ino) return h;
  return nullptr;
}

void Ext2Volume::hold(u32 ino) {
  Ext2MutexGuard guard(m_lock);
  if (Hold* h = find_hold(ino)) {
    h->count++;
    return;
  }
  auto* h = static_cast<Hold*>(kmalloc(sizeof(Hold)));
  // Without memory the inode is simply not held: an unlink while it is open then frees it at once, and the
  // open file's next access finds it free and fails with EIO. Rare, and never worse than that.
  if (!h) return;
  *h = Hold{ino, 1, m_holds[ino % HOLD_BUCKETS]};
  m_holds[ino % HOLD_BUCKETS] = h;
  m_hold_count++;
}

void Ext2Volume::release(u32 ino) {
  Ext2MutexGuard guard(m_lock);
  Hold** link = &m_holds[ino % HOLD_BUCKETS];
  while (*link && (*link)->ino != ino) link = &(*link)->next;
  Hold* h = *link;
  if (!h) return;
  if (--h->count > 0) return;
  *link = h->next;
  kfree(h);
  m_hold_count--;
  maybe_free_inode_locked(ino);
}

// An inode whose last name went: freed now, unless someone still holds it (then at its release). A read-only
// volume (remounted so after an error) leaves it for e2fsck.
void Ext2Volume::maybe_free_inode_locked(u32 ino) {
  if (find_hold(ino) || m_is_read_only) return;
  auto inode = inode_locked(ino);
  if (inode.is_error() || inode.value().raw->i_links_count != 0 || inode.value().raw->i_mode == 0) return;
  if (inode.value().raw->i_dtime != 0) return;  // freed already
  inode.value().block.release();
  auto destroyed = destroy_inode_locked(ino);
  if (destroyed.is_error())
    ext2_log(Ext2Log::Error, "ext2 (%s): could not free inode %u (%s)", name(), ino, error_name(destroyed.error()));
}

// ---- statfs ----

Ext2Statfs Ext2Volume::statfs() {
  Ext2MutexGuard guard(m_lock);
  // Linux's ext2_statfs ("bsddf"): the blocks the metadata takes are not counted in the size.
  u64 overhead = m_super->s_first_data_block;
  for (u32 g = 0; g < m_groups; g++)
    if (group_has_superblock(g, m_has_sparse_super)) overhead += 1 + m_descriptor_block_count;
  overhead += static_cast<u64>(m_inode_table_blocks + 2) * m_groups;
  Ext2Statfs st;
  st.block_size = m_block_size;
  st.blocks = m_super->s_blocks_count - overhead;
  st.free_blocks = m_free_blocks;
  st.available_blocks = m_free_blocks > m_super->s_r_blocks_count ? m_free_blocks - m_super->s_r_blocks_count : 0;
  st.inodes = m_super->s_inodes_count;
  st.free_inodes = m_free_inodes;
  u32 id[4];
  memcpy(id, m_super->s_uuid, sizeof(id));
  st.fsid = static_cast<u64>(id[0] ^ id[1]) | static_cast<u64>(id[2] ^ id[3]) << 32;
  return st;
}
