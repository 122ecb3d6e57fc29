// Ext2Volume's block trees and file data (kernel/fs/ext2/ext2_volume.h).
//
// File block n of an inode is found through i_block: n < 12 directly, then through the indirect block (the
// next block_size/4 blocks), the doubly indirect one (the next (block_size/4)^2) and the triply indirect one.
// A zero pointer is a hole: it reads as zeros and costs no block. Every pointer read from the disk is checked
// to name a data block of the volume before it is followed.
//
// Invariant kept for e2fsck and for readers: i_blocks counts every data, indirect and extended-attribute block
// in 512-byte units; a regular file has no block past its size, and the bytes of its last block past the size
// are zero on the disk (truncate zeroes them; writes that extend a file zero the old tail first).
#include <cstring>

#include "kernel/fs/ext2/ext2_volume.h"

using namespace ext2;

namespace {

// Where file block `index` hangs: depth 0 (a direct pointer) to 3 (triply indirect); offsets[0] is the slot in
// i_block, offsets[1..depth] the slots in the indirect blocks on the way.
struct BlockPath {
  u32 depth;
  u32 offsets[4];
};

bool block_path(u64 index, u32 shift, BlockPath& path) {
  u64 per_block = 1ull << shift;
  u64 mask = per_block - 1;
  if (index < DIRECT_BLOCKS) {
    path = {0, {static_cast<u32>(index), 0, 0, 0}};
    return true;
  }
  index -= DIRECT_BLOCKS;
  if (index < per_block) {
    path = {1, {INDIRECT_BLOCK, static_cast<u32>(index), 0, 0}};
    return true;
  }
  index -= per_block;
  if (index < per_block * per_block) {
    path = {2, {DOUBLY_INDIRECT_BLOCK, static_cast<u32>(index >> shift), static_cast<u32>(index & mask), 0}};
    return true;
  }
  index -= per_block * per_block;
  if (index < per_block * per_block * per_block) {
    path = {3, {TRIPLY_INDIRECT_BLOCK, static_cast<u32>(index >> (2 * shift)), static_cast<u32>((index >> shift) & mask),
                static_cast<u32>(index & mask)}};
    return true;
  }
  return false;
}

constexpr u32 MAX_RUN_BLOCKS = 256;  // blocks of file data moved in one disk request at most

}  // namespace

void Ext2Volume::add_blocks(InodeRef& inode, i64 count) {
  inode.raw->i_blocks = static_cast<u32>(inode.raw->i_blocks + count * static_cast<i64>(m_sectors_per_block));
}

// Regular files, directories and symbolic links too long for i_block have data blocks; fast symbolic links
// keep their target in i_block, and devices their number (Linux's ext2_inode_is_fast_symlink).
bool Ext2Volume::has_data_blocks(const InodeRef& inode) const {
  if (inode.is_regular() || inode.is_directory()) return true;
  if (!inode.is_symlink()) return false;
  u32 xattr_sectors = inode.raw->i_file_acl ? m_sectors_per_block : 0;
  return inode.raw->i_blocks != xattr_sectors;
}

// The disk block of file block `index`, or 0 for a hole (Allocate::No). With Allocate::Yes the missing blocks
// on the way are allocated (indirect ones zeroed); *is_new says whether the data block itself is new (its
// contents are then whatever the disk held: the caller fills it). The inode is changed in place; the caller
// commits it.
Result<u32> Ext2Volume::map_locked(InodeRef& inode, u64 index, Allocate allocate, bool* is_new) {
  if (is_new) *is_new = false;
  BlockPath path;
  if (!block_path(index, m_pointer_shift, path)) return Error::FBIG;
  u32* slots = inode.raw->i_block;  // the array holding the next pointer
  BlockRef holder;                  // the indirect block `slots` lies in (none: the inode)
  for (u32 level = 0;; level++) {
    u32* slot = &slots[path.offsets[level]];
    u32 block = *slot;
    bool is_leaf = level == path.depth;
    if (block != 0 && !is_valid_block(block))
      return corrupted("inode %u: block %u (file block %llu) is not a data block of the volume", inode.ino, block,
                       static_cast<unsigned long long>(index));
    if (block == 0) {
      if (allocate == Allocate::No) return 0u;
      // Near the pointer before this one, or right after the indirect block, or in the inode's group.
      u32 goal = 0;
      for (u32 back = path.offsets[level]; back > 0 && goal == 0 && path.offsets[level] - back < 16; back--)
        if (slots[back - 1]) goal = slots[back - 1] + 1;
      if (goal == 0 && holder) goal = static_cast<u32>(holder.number() + 1);
      if (goal == 0)
        goal = m_super->s_first_data_block + ((inode.ino - 1) / m_super->s_inodes_per_group) * m_super->s_blocks_per_group;
      block = TRY(allocate_block_locked(goal));
      add_blocks(inode, 1);
      if (!is_leaf) {
        auto fresh = m_cache->get_zeroed(block);
        if (fresh.is_error()) {
          add_blocks(inode, -1);
          (void)free_block_locked(block);
          return fresh.error();
        }
        *slot = block;
        if (holder) holder.mark_dirty();
        holder = fresh.release_value();
        slots = holder.at<u32>(0);
        continue;
      }
      *slot = block;
      if (holder) holder.mark_dirty();
      if (is_new) *is_new = true;
      return block;
    }
    if (is_leaf) return block;
    holder = TRY(m_cache->get(block));
    slots = holder.at<u32>(0);
  }
}

Result<bool> Ext2Volume::is_block_mapped(u32 ino, u64 index) {
  Ext2MutexGuard guard(m_lock);
  InodeRef inode = TRY(live_inode_locked(ino));
  auto block = map_locked(inode, index, Allocate::No);
  if (block.is_error()) return block.error() == Error::FBIG ? Result<bool>(false) : Result<bool>(block.error());
  return block.value() != 0;
}

// ---- freeing ----

// A whole subtree: `block` and, for level > 0, every block below it.
Result<void> Ext2Volume::free_tree_locked(InodeRef& inode, u32 block, u32 level) {
  if (!is_valid_block(block)) return corrupted("inode %u: block %u is not a data block of the volume", inode.ino, block);
  if (level > 0) {
    BlockRef ref = TRY(m_cache->get(block));
    const u32* entries = ref.at<u32>(0);
    for (u32 i = 0; i < m_pointers_per_block; i++)
      if (entries[i]) TRY(free_tree_locked(inode, entries[i], level - 1));
  }
  TRY(free_block_locked(block));
  add_blocks(inode, -1);
  return {};
}

// The part of the subtree at `block` (level >= 1) that maps file blocks `first` and beyond (counted from the
// subtree's start). Returns whether the block maps nothing any more (the caller then frees it).
Result<bool> Ext2Volume::free_partial_locked(InodeRef& inode, u32 block, u32 level, u64 first) {
  if (!is_valid_block(block)) return corrupted("inode %u: block %u is not a data block of the volume", inode.ino, block);
  BlockRef ref = TRY(m_cache->get(block));
  u32* entries = ref.at<u32>(0);
  u64 span = 1ull << (m_pointer_shift * (level - 1));  // file blocks under one entry
  u64 first_entry = first / span;
  u64 rest = first % span;
  for (u64 i = first_entry; i < m_pointers_per_block; i++) {
    u32 child = entries[i];
    if (!child) continue;
    if (i == first_entry && rest != 0) {
      bool is_empty = TRY(free_partial_locked(inode, child, level - 1, rest));
      if (!is_empty) continue;
      TRY(free_block_locked(child));
      add_blocks(inode, -1);
    } else {
      TRY(free_tree_locked(inode, child, level - 1));
    }
    entries[i] = 0;
    ref.mark_dirty();
  }
  for (u32 i = 0; i < m_pointers_per_block; i++)
    if (entries[i]) return false;
  return true;
}

// Frees file blocks first_index and beyond, with the indirect blocks that no longer map anything.
Result<void> Ext2Volume::free_blocks_from_locked(InodeRef& inode, u64 first_index) {
  u32* pointers = inode.raw->i_block;
  for (u64 i = first_index; i < DIRECT_BLOCKS; i++) {
    if (!pointers[i]) continue;
    TRY(free_block_locked(pointers[i]));
    add_blocks(inode, -1);
    pointers[i] = 0;
  }
  u64 start = DIRECT_BLOCKS;
  for (u32 level = 1; level <= 3; level++) {
    u64 span = 1ull << (m_pointer_shift * level);
    u32& root = pointers[INDIRECT_BLOCK + level - 1];
    if (root && first_index < start + span) {
      if (first_index <= start) {
        TRY(free_tree_locked(inode, root, level));
        root = 0;
      } else if (TRY(free_partial_locked(inode, root, level, first_index - start))) {
        TRY(free_block_locked(root));
        add_blocks(inode, -1);
        root = 0;
      }
    }
    start += span;
  }
  return {};
}

// Zeroes the bytes of the block holding offset `size` from there to the block's end (if it is allocated).
Result<void> Ext2Volume::zero_tail_locked(InodeRef& inode, u64 size) {
  u32 in_block = static_cast<u32>(size & (m_block_size - 1));
  if (in_block == 0) return {};
  u32 block = TRY(map_locked(inode, size >> m_block_shift, Allocate::No));
  if (block == 0) return {};
  TRY(m_disk->read(static_cast<u64>(block) * m_sectors_per_block, m_scratch, m_sectors_per_block));
  memset(m_scratch + in_block, 0, m_block_size - in_block);
  return m_disk->write(static_cast<u64>(block) * m_sectors_per_block, m_scratch, m_sectors_per_block);
}

// The last step of an inode's life: its blocks and extended-attribute block freed, then the inode itself.
Result<void> Ext2Volume::destroy_inode_locked(u32 ino) {
  InodeRef inode = TRY(inode_locked(ino));
  bool is_directory = inode.is_directory();
  if (has_data_blocks(inode)) TRY(free_blocks_from_locked(inode, 0));
  if (u32 xattr = inode.raw->i_file_acl) {
    if (!is_valid_block(xattr)) return corrupted("inode %u: attribute block %u is not a data block", ino, xattr);
    BlockRef ref = TRY(m_cache->get(xattr));
    auto* header = ref.at<XattrHeader>(0);
    bool is_last = header->h_magic != XATTR_MAGIC || header->h_refcount <= 1;
    if (!is_last) {
      header->h_refcount--;
      ref.mark_dirty();
    }
    ref.release();
    if (is_last) TRY(free_block_locked(xattr));
    add_blocks(inode, -1);
    inode.raw->i_file_acl = 0;
  }
  inode.raw->i_dtime = ext2_now();
  inode.raw->i_links_count = 0;
  set_file_size(inode, 0);
  commit(inode);
  return free_inode_locked(ino, is_directory);
}

// ---- file data ----

Result<usize> Ext2Volume::read_data(u32 ino, u64 offset, u8* buffer, usize len) {
  Ext2MutexGuard guard(m_lock);
  InodeRef inode = TRY(live_inode_locked(ino));
  u64 size = file_size(inode);
  if (offset >= size) return 0;
  if (len > size - offset) len = static_cast<usize>(size - offset);
  usize done = 0;
  while (done < len) {
    u64 position = offset + done;
    u64 index = position >> m_block_shift;
    u32 in_block = static_cast<u32>(position & (m_block_size - 1));
    usize n = m_block_size - in_block < len - done ? m_block_size - in_block : len - done;
    auto mapped = map_locked(inode, index, Allocate::No);
    if (mapped.is_error()) {
      if (done) break;
      return mapped.error();
    }
    u32 block = mapped.value();
    if (block == 0) {
      memset(buffer + done, 0, n);
      done += n;
      continue;
    }
    Result<void> read;
    if (in_block == 0 && n == m_block_size) {
      // Whole blocks: as many consecutive ones as the disk holds in a row, in one request.
      u32 count = 1;
      while (count < MAX_RUN_BLOCKS && len - done >= static_cast<usize>(count + 1) * m_block_size) {
        auto next = map_locked(inode, index + count, Allocate::No);
        if (next.is_error() || next.value() != block + count) break;
        count++;
      }
      read = m_disk->read(static_cast<u64>(block) * m_sectors_per_block, buffer + done,
                          static_cast<u64>(count) * m_sectors_per_block);
      if (read.is_error() && count > 1) {
        // Again block by block, so that the blocks before a bad one still count (a short read).
        count = 1;
        read = m_disk->read(static_cast<u64>(block) * m_sectors_per_block, buffer + done, m_sectors_per_block);
      }
      n = static_cast<usize>(count) * m_block_size;
    } else {
      read = m_disk->read(static_cast<u64>(block) * m_sectors_per_block, m_scratch, m_sectors_per_block);
      if (!read.is_error()) memcpy(buffer + done, m_scratch + in_block, n);
    }
    if (read.is_error()) {
      ext2_log(Ext2Log::Error, "ext2 (%s): inode %u: error reading block %u (%s)", name(), ino, block,
               error_name(read.error()));
      if (done) break;
      return read.error();
    }
    done += n;
  }
  return done;
}

namespace {

// One disk request of read_pages: a run of consecutive disk blocks, into pieces of pages.
struct PageRun {
  static constexpr u32 MAX_SEGMENTS = 64;
  BlockRequest request;
  BlockSegment segments[MAX_SEGMENTS];
  u32 segment_count = 0;
  u32 first_block = 0;  // on the disk
  u32 blocks = 0;
  u64 bytes = 0;
};

}  // namespace

Result<void> Ext2Volume::read_pages(u32 ino, u64 first, u8* const* pages, u32 count) {
  Ext2MutexGuard guard(m_lock);
  InodeRef inode = TRY(live_inode_locked(ino));
  u64 size = file_size(inode);
  PageRun* run = new PageRun();  // (kernel stacks are small)
  if (!run) return Error::NOMEM;
  u32 max_segments = m_disk->max_segments() < PageRun::MAX_SEGMENTS ? m_disk->max_segments() : PageRun::MAX_SEGMENTS;
  auto flush = [&]() -> Result<void> {
    if (run->blocks == 0) return {};
    run->request.op = BlockOp::Read;
    run->request.sector = static_cast<u64>(run->first_block) * m_sectors_per_block;
    run->request.segments = run->segments;
    run->request.segment_count = run->segment_count;
    Result<void> read = m_disk->submit_and_wait(run->request);
    if (read.is_error())
      ext2_log(Ext2Log::Error, "ext2 (%s): inode %u: error reading blocks %u-%u (%s)", name(), ino, run->first_block,
               run->first_block + run->blocks - 1, error_name(read.error()));
    run->segment_count = run->blocks = 0;
    run->bytes = 0;
    return read;
  };
  Result<void> result;
  u32 blocks_per_page = static_cast<u32>(PAGE_SIZE >> m_block_shift);
  for (u64 b = 0; b < static_cast<u64>(count) * blocks_per_page && !result.is_error(); b++) {
    u8* into = pages[b / blocks_per_page] + ((b % blocks_per_page) << m_block_shift);
    u64 position = (first * PAGE_SIZE) + (b << m_block_shift);
    u32 block = 0;
    if (position < size) {
      auto mapped = map_locked(inode, position >> m_block_shift, Allocate::No);
      if (mapped.is_error()) {
        result = mapped.error();
        break;
      }
      block = mapped.value();
    }
    if (block == 0) {  // a hole, or past the end
      memset(into, 0, m_block_size);
      continue;
    }
    PhysAddr at = kernel_to_phys(into);
    bool joins = run->blocks && block == run->first_block + run->blocks &&
                 run->bytes + m_block_size <= m_disk->max_request_bytes();
    if (joins && run->segments[run->segment_count - 1].address + run->segments[run->segment_count - 1].length == at) {
      run->segments[run->segment_count - 1].length += m_block_size;  // the same page (or the next frame)
    } else if (joins && run->segment_count < max_segments) {
      run->segments[run->segment_count++] = {at, m_block_size};
    } else {
      result = flush();
      run->first_block = block;
      run->segments[run->segment_count++] = {at, m_block_size};
    }
    run->blocks++;
    run->bytes += m_block_size;
  }
  if (!result.is_error()) result = flush();
  delete run;
  if (result.is_error()) return result;
  // The last page's bytes past the end of the file read as zeros, whatever the disk holds there.
  u64 end = (first + count) * PAGE_SIZE;
  if (size > first * PAGE_SIZE && size < end && size % m_block_size) {
    u64 tail = size - first * PAGE_SIZE;
    u8* page = pages[tail / PAGE_SIZE];
    memset(page + tail % PAGE_SIZE, 0, m_block_size - size % m_block_size);
  }
  return {};
}

Result<usize> Ext2Volume::write_data(u32 ino, u64 offset, const u8* buffer, usize len) {
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  InodeRef inode = TRY(live_inode_locked(ino));
  if (len == 0) return 0;
  if (offset >= m_max_file_size) return Error::FBIG;
  if (len > m_max_file_size - offset) len = static_cast<usize>(m_max_file_size - offset);
  u64 old_size = file_size(inode);
  if (offset > old_size) TRY(zero_tail_locked(inode, old_size));

  usize done = 0;        // bytes written to the disk
  usize position = 0;    // bytes handed to the disk or queued in the run
  Error failure = Error::IO;
  // A run of whole blocks at consecutive disk blocks, written in one request when it ends.
  u32 run_block = 0, run_count = 0;
  auto flush_run = [&]() -> Result<void> {
    if (run_count == 0) return {};
    Result<void> written = m_disk->write(static_cast<u64>(run_block) * m_sectors_per_block, buffer + done,
                                         static_cast<u64>(run_count) * m_sectors_per_block);
    if (written.is_error()) {
      run_count = 0;
      ext2_log(Ext2Log::Error, "ext2 (%s): inode %u: error writing blocks %u-%u (%s)", name(), ino, run_block,
               run_block + run_count - 1, error_name(written.error()));
      return written.error();
    }
    done += static_cast<usize>(run_count) * m_block_size;
    run_count = 0;
    return {};
  };
  while (position < len) {
    u64 at = offset + position;
    u32 in_block = static_cast<u32>(at & (m_block_size - 1));
    usize n = m_block_size - in_block < len - position ? m_block_size - in_block : len - position;
    bool is_new = false;
    auto mapped = map_locked(inode, at >> m_block_shift, Allocate::Yes, &is_new);
    if (mapped.is_error()) {
      failure = mapped.error();
      break;
    }
    u32 block = mapped.value();
    if (in_block == 0 && n == m_block_size) {
      if (run_count > 0 && block == run_block + run_count && run_count < MAX_RUN_BLOCKS) {
        run_count++;
      } else {
        auto flushed_run = flush_run();
        if (flushed_run.is_error()) {
          failure = flushed_run.error();
          break;
        }
        run_block = block;
        run_count = 1;
      }
      position += n;
      continue;
    }
    auto flushed_run = flush_run();
    if (flushed_run.is_error()) {
      failure = flushed_run.error();
      break;
    }
    // Part of a block: read what is there (or zeros for a new block), change it, write it back.
    Result<void> io;
    if (is_new) {
      memset(m_scratch, 0, m_block_size);
    } else {
      io = m_disk->read(static_cast<u64>(block) * m_sectors_per_block, m_scratch, m_sectors_per_block);
    }
    if (!io.is_error()) {
      memcpy(m_scratch + in_block, buffer + position, n);
      io = m_disk->write(static_cast<u64>(block) * m_sectors_per_block, m_scratch, m_sectors_per_block);
    }
    if (io.is_error()) {
      ext2_log(Ext2Log::Error, "ext2 (%s): inode %u: error writing block %u (%s)", name(), ino, block,
               error_name(io.error()));
      failure = io.error();
      break;
    }
    position += n;
    done += n;
  }
  // What the run holds was mapped before the loop stopped (the volume filled up, say): write it.
  auto flushed = flush_run();
  if (flushed.is_error()) failure = flushed.error();
  if (offset + done > old_size) set_file_size(inode, offset + done);
  // Blocks allocated past the end for a write that failed part way go again (no block past the size).
  if (done < len) (void)free_blocks_from_locked(inode, (file_size(inode) + m_block_size - 1) >> m_block_shift);
  if (done > 0) {
    u32 now = ext2_now();
    inode.raw->i_mtime = inode.raw->i_ctime = now;
  }
  commit(inode);
  if (done == 0) return failure;
  return done;
}

Result<void> Ext2Volume::truncate(u32 ino, u64 size) {
  Ext2MutexGuard guard(m_lock);
  TRY(check_writable_locked());
  InodeRef inode = TRY(live_inode_locked(ino));
  if (inode.is_directory()) return Error::ISDIR;
  if (!inode.is_regular()) return Error::INVAL;
  if (size > m_max_file_size) return Error::FBIG;
  u64 old_size = file_size(inode);
  if (size < old_size) {
    Result<void> freed = free_blocks_from_locked(inode, (size + m_block_size - 1) >> m_block_shift);
    if (freed.is_error()) {
      commit(inode);
      return freed.error();
    }
    TRY(zero_tail_locked(inode, size));
  } else if (size > old_size) {
    TRY(zero_tail_locked(inode, old_size));
  }
  set_file_size(inode, size);
  u32 now = ext2_now();
  inode.raw->i_mtime = inode.raw->i_ctime = now;
  commit(inode);
  return {};
}
