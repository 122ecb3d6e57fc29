// Ext2Volume's bitmaps (kernel/fs/ext2/ext2_volume.h): allocating and freeing blocks and inodes, with the
// counts in the group descriptors and the superblock kept exact (e2fsck checks every one).
//
// Blocks are allocated near a goal (the block after the file's previous one, so that files stay contiguous),
// in the goal's group first and then in the following groups. Directories go to a group with more free
// inodes than average and the most free blocks (Linux's find_group_dir, which spreads directories); other
// inodes go to their directory's group, or the next group with room.
#include "kernel/fs/ext2/ext2_volume.h"

using namespace ext2;

namespace {

// The first clear bit of bitmap in [from, limit), or limit.
u32 find_clear_bit(const u8* bitmap, u32 from, u32 limit) {
  u32 i = from;
  while (i < limit) {
    if ((i & 7) == 0 && i + 8 <= limit && bitmap[i >> 3] == 0xff) {
      i += 8;
      continue;
    }
    if (!(bitmap[i >> 3] & (1u << (i & 7)))) return i;
    i++;
  }
  return limit;
}

bool test_bit(const u8* bitmap, u32 bit) { return bitmap[bit >> 3] & (1u << (bit & 7)); }
void set_bit(u8* bitmap, u32 bit) { bitmap[bit >> 3] = static_cast<u8>(bitmap[bit >> 3] | (1u << (bit & 7))); }
void clear_bit(u8* bitmap, u32 bit) { bitmap[bit >> 3] = static_cast<u8>(bitmap[bit >> 3] & ~(1u << (bit & 7))); }

}  // namespace

Result<u32> Ext2Volume::allocate_block_locked(u32 goal) {
  if (m_free_blocks == 0) return Error::NOSPC;
  u32 first = m_super->s_first_data_block;
  u32 per_group = m_super->s_blocks_per_group;
  if (goal < first || goal >= m_super->s_blocks_count) goal = first;
  u32 goal_group = (goal - first) / per_group;
  for (u32 i = 0; i < m_groups; i++) {
    u32 g = (goal_group + i) % m_groups;
    GroupDescriptor& d = descriptor(g);
    if (d.bg_free_blocks_count == 0) continue;
    u32 group_blocks = g == m_groups - 1 ? m_super->s_blocks_count - first - g * per_group : per_group;
    BlockRef bitmap = TRY(m_cache->get(d.bg_block_bitmap));
    u32 bit = group_blocks;
    if (i == 0) {
      u32 from = (goal - first) % per_group;
      bit = find_clear_bit(bitmap.data(), from, group_blocks);
      if (bit == group_blocks && from > 0) {
        bit = find_clear_bit(bitmap.data(), 0, from);
        if (bit == from) bit = group_blocks;
      }
    } else {
      bit = find_clear_bit(bitmap.data(), 0, group_blocks);
    }
    if (bit >= group_blocks)
      return corrupted("group %u counts %u free blocks but its bitmap has none", g, d.bg_free_blocks_count);
    u32 block = first + g * per_group + bit;
    if (!is_valid_block(block)) return corrupted("group %u: the block bitmap shows metadata block %u free", g, block);
    set_bit(bitmap.data(), bit);
    bitmap.mark_dirty();
    d.bg_free_blocks_count--;
    descriptor_changed(g);
    m_free_blocks--;
    return block;
  }
  return Error::NOSPC;
}

Result<void> Ext2Volume::free_block_locked(u32 block) {
  if (!is_valid_block(block)) return corrupted("freeing block %u, which is not a data block", block);
  u32 first = m_super->s_first_data_block;
  u32 g = (block - first) / m_super->s_blocks_per_group;
  u32 bit = (block - first) % m_super->s_blocks_per_group;
  GroupDescriptor& d = descriptor(g);
  BlockRef bitmap = TRY(m_cache->get(d.bg_block_bitmap));
  if (!test_bit(bitmap.data(), bit)) return corrupted("freeing block %u, which is free already", block);
  clear_bit(bitmap.data(), bit);
  bitmap.mark_dirty();
  d.bg_free_blocks_count++;
  descriptor_changed(g);
  m_free_blocks++;
  m_cache->forget(block);
  return {};
}

Result<u32> Ext2Volume::allocate_inode_locked(u32 parent, bool is_directory) {
  if (m_free_inodes == 0) return Error::NOSPC;
  u32 per_group = m_super->s_inodes_per_group;
  u32 start_group = (parent - 1) / per_group;
  if (is_directory) {
    // Linux's find_group_dir: among the groups with at least the average of free inodes, the one with the
    // most free blocks.
    u64 average = m_free_inodes / m_groups;
    u32 best = m_groups;
    for (u32 g = 0; g < m_groups; g++) {
      const GroupDescriptor& d = descriptor(g);
      if (d.bg_free_inodes_count == 0 || d.bg_free_inodes_count < average) continue;
      if (best == m_groups || d.bg_free_blocks_count > descriptor(best).bg_free_blocks_count) best = g;
    }
    if (best != m_groups) start_group = best;
  }
  for (u32 i = 0; i < m_groups; i++) {
    u32 g = (start_group + i) % m_groups;
    GroupDescriptor& d = descriptor(g);
    if (d.bg_free_inodes_count == 0) continue;
    // Inodes below s_first_ino are reserved (the root, the resize inode, lost+found's neighbours...).
    u64 group_first = static_cast<u64>(g) * per_group;  // inode number - 1 of the group's first inode
    u32 from = m_first_inode - 1 > group_first ? static_cast<u32>(m_first_inode - 1 - group_first) : 0;
    if (from >= per_group) continue;
    BlockRef bitmap = TRY(m_cache->get(d.bg_inode_bitmap));
    u32 bit = find_clear_bit(bitmap.data(), from, per_group);
    if (bit >= per_group) {
      if (from == 0) return corrupted("group %u counts %u free inodes but its bitmap has none", g, d.bg_free_inodes_count);
      continue;  // the free ones are reserved inodes
    }
    set_bit(bitmap.data(), bit);
    bitmap.mark_dirty();
    d.bg_free_inodes_count--;
    if (is_directory) d.bg_used_dirs_count++;
    descriptor_changed(g);
    m_free_inodes--;
    return static_cast<u32>(group_first + bit + 1);
  }
  return Error::NOSPC;
}

Result<void> Ext2Volume::free_inode_locked(u32 ino, bool is_directory) {
  if (ino < m_first_inode || ino > m_super->s_inodes_count) return corrupted("freeing reserved inode %u", ino);
  u32 g = (ino - 1) / m_super->s_inodes_per_group;
  u32 bit = (ino - 1) % m_super->s_inodes_per_group;
  GroupDescriptor& d = descriptor(g);
  BlockRef bitmap = TRY(m_cache->get(d.bg_inode_bitmap));
  if (!test_bit(bitmap.data(), bit)) return corrupted("freeing inode %u, which is free already", ino);
  clear_bit(bitmap.data(), bit);
  bitmap.mark_dirty();
  d.bg_free_inodes_count++;
  if (is_directory && d.bg_used_dirs_count > 0) d.bg_used_dirs_count--;
  descriptor_changed(g);
  m_free_inodes++;
  return {};
}
