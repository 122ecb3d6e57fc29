// BlockCache: the buffer cache of one ext2 volume's metadata — the superblock and group descriptors, bitmaps,
// inode tables, indirect blocks, directory blocks and symbolic-link blocks — in blocks of the volume's size.
// File data does not come through here (kernel/fs/ext2/ext2_volume.h reads and writes it straight between the
// disk and the caller's memory, so that a page cache can later keep it in VM objects' pages).
//
// A block is read on first use and kept; changes are written back when the volume is synced (sorted by block
// number) or when the cache evicts the block. At most `capacity` blocks are kept: past that the least recently
// used block nobody holds is evicted (written first if it is dirty). A BlockRef holds a block (it cannot be
// evicted meanwhile); holding more than the capacity makes the cache grow for the while.
//
// Each block's data has a frame of its own (a 1 KiB block wastes the rest of its page, for exact accounting):
// the frames of blocks nobody holds are memory the kernel can take back (after a write for a dirty one), and
// count as available memory (block_cache_reclaimable_frames: sysinfo, /proc/meminfo's MemAvailable), as
// Linux counts its buffer and page caches.
//
// A freed block must be forgotten (forget): a stale copy, dirty or not, must never be written over what the
// block holds next (file data written past the cache).
//
// Lock: none of its own. Every call is made holding the volume's lock (Ext2Volume::m_lock).
#pragma once

#include "kernel/fs/ext2/ext2_platform.h"
#include "lib/list.h"

class BlockCache;

struct CachedBlock {
  u64 m_block = 0;
  u8* m_data = nullptr;        // the block's bytes: a frame of its own (the disk reads into it)
  CachedBlock* m_hash_next = nullptr;
  ListNode m_lru;              // in m_unused while nobody holds it (least recently used first)
  u32 m_holders = 0;
  bool m_is_dirty = false;
  bool m_is_forgotten = false;  // freed while held: out of the table, destroyed when the last holder lets go
  bool m_is_from_pool = false;  // the header is one of the cache's own (else kmalloc'ed past the capacity)
};

// A held block: the data stays valid and cached until the BlockRef goes away.
class BlockRef {
 public:
  BlockRef() = default;
  BlockRef(BlockCache& cache, CachedBlock* block) : m_cache(&cache), m_block(block) {}
  BlockRef(BlockRef&& other) : m_cache(other.m_cache), m_block(other.m_block) { other.m_block = nullptr; }
  BlockRef& operator=(BlockRef&& other);
  ~BlockRef() { release(); }
  AS_NONCOPYABLE(BlockRef);

  explicit operator bool() const { return m_block != nullptr; }
  u8* data() const { return m_block->m_data; }
  u64 number() const { return m_block->m_block; }
  template <typename T>
  T* at(usize offset) const { return reinterpret_cast<T*>(m_block->m_data + offset); }
  // The caller changed the data: write it back at the next sync. (The block is held: reclaimable counts are
  // not affected.)
  void mark_dirty() { m_block->m_is_dirty = true; }
  void release();

 private:
  BlockCache* m_cache = nullptr;
  CachedBlock* m_block = nullptr;
};

class BlockCache {
 public:
  BlockCache(BlockDevice& disk, u32 block_size, u32 capacity);
  ~BlockCache();  // drops everything: flush() first
  AS_NONCOPYABLE(BlockCache);

  // The block, read from the disk unless cached (IO if the disk fails; NOMEM).
  Result<BlockRef> get(u64 block);
  // A block whose old contents do not matter (one just allocated): zeroed, not read, already dirty.
  Result<BlockRef> get_zeroed(u64 block);
  // The block was freed: drop its cached copy, dirty or not. If someone still holds it (only a corrupt volume
  // frees a block that is being read), the copy leaves the table now and goes when it is let go.
  void forget(u64 block);
  // Write every dirty block (in block order), then ask the disk to make the writes durable. The first error
  // is returned; blocks that could not be written stay dirty.
  Result<void> flush();
  // Drop every block nobody holds (clean ones only: dirty ones are kept). Returns the frames freed.
  u64 shrink();

  u32 block_size() const { return m_block_size; }
  u32 cached_blocks() const { return m_count; }
  bool has_dirty_blocks() const;
  // Counters for tests: blocks read from and written to the disk.
  u64 disk_reads() const { return m_disk_reads; }
  u64 disk_writes() const { return m_disk_writes; }

 private:
  friend class BlockRef;
  CachedBlock* find(u64 block) const;
  Result<CachedBlock*> make_room_and_allocate(u64 block);
  Result<void> write_block(CachedBlock& b);
  void unhash(CachedBlock& b);
  void destroy(CachedBlock* b);
  void release_header(CachedBlock* b);
  void hold(CachedBlock& b);
  void unhold(CachedBlock& b);

  BlockDevice& m_disk;
  const u32 m_block_size;
  const u32 m_sectors_per_block;
  const u32 m_capacity;
  CachedBlock** m_buckets = nullptr;
  CachedBlock* m_pool = nullptr;       // `capacity` headers, made with the cache (its memory stays put)
  CachedBlock* m_free_headers = nullptr;  // unused ones of the pool, linked through m_hash_next
  u32 m_bucket_mask = 0;
  u32 m_count = 0;
  IntrusiveList<CachedBlock, &CachedBlock::m_lru> m_unused;  // blocks nobody holds, least recently used first
  u64 m_disk_reads = 0;
  u64 m_disk_writes = 0;
};

// Frames of every cache's blocks that nobody holds: memory that could be taken back.
u64 block_cache_reclaimable_frames();
// Frames of every cache's blocks (/proc/meminfo's Buffers).
u64 block_cache_frames();
