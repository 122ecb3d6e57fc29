// The ext2 buffer cache (kernel/fs/ext2/block_cache.h): a hash table of blocks with an LRU list of the
// blocks nobody holds.
#include "kernel/fs/ext2/block_cache.h"

#include <cstring>
#include <new>

#include "mm/frame.h"

namespace {

// Blocks of all caches nobody holds (each one frame; a dirty one takes a write first), and all cached blocks.
Atomic<u64> g_reclaimable_frames{0};
Atomic<u64> g_cached_frames{0};

u8* allocate_block_memory() {
  Frame* f = g_phys.alloc_frame(FrameUse::Kernel);
  if (!f) return nullptr;
  g_cached_frames.fetch_add(1, MemoryOrder::Relaxed);
  return g_phys.kernel_pointer(f);
}

void free_block_memory(u8* data) {
  if (!data) return;
  g_phys.free_frame(g_phys.frame_of(kernel_to_phys(data)));
  g_cached_frames.fetch_sub(1, MemoryOrder::Relaxed);
}

u32 bucket_count_for(u32 capacity) {
  u32 n = 64;
  while (n < capacity) n <<= 1;
  return n;
}

}  // namespace

// ---- BlockRef ----

BlockRef& BlockRef::operator=(BlockRef&& other) {
  if (this != &other) {
    release();
    m_cache = other.m_cache;
    m_block = other.m_block;
    other.m_block = nullptr;
  }
  return *this;
}

void BlockRef::release() {
  if (m_block) m_cache->unhold(*m_block);
  m_block = nullptr;
}

// ---- BlockCache ----

BlockCache::BlockCache(BlockDevice& disk, u32 block_size, u32 capacity)
    : m_disk(disk), m_block_size(block_size), m_sectors_per_block(block_size / SECTOR_SIZE), m_capacity(capacity) {
  u32 buckets = bucket_count_for(capacity);
  m_buckets = static_cast<CachedBlock**>(kzalloc(sizeof(CachedBlock*) * buckets));
  m_pool = static_cast<CachedBlock*>(kmalloc(sizeof(CachedBlock) * capacity));
  if (!m_buckets || !m_pool) {
    kfree(m_buckets);
    kfree(m_pool);
    m_buckets = nullptr;
    m_pool = nullptr;
    return;
  }
  m_bucket_mask = buckets - 1;
  for (u32 i = 0; i < capacity; i++) {
    CachedBlock* header = new (&m_pool[i]) CachedBlock();
    header->m_is_from_pool = true;
    header->m_hash_next = m_free_headers;
    m_free_headers = header;
  }
}

BlockCache::~BlockCache() {
  if (m_buckets) {
    for (u32 i = 0; i <= m_bucket_mask; i++) {
      while (CachedBlock* b = m_buckets[i]) {
        m_buckets[i] = b->m_hash_next;
        ASSERT_MSG(b->m_holders == 0, "ext2: block %llu still held when its cache goes",
                   static_cast<unsigned long long>(b->m_block));
        if (b->m_lru.is_linked()) m_unused.remove(*b);
        if (b->m_holders == 0) g_reclaimable_frames.fetch_sub(1, MemoryOrder::Relaxed);
        free_block_memory(b->m_data);
        if (!b->m_is_from_pool) {
          b->~CachedBlock();
          kfree(b);
        }
      }
    }
  }
  kfree(m_buckets);
  kfree(m_pool);
}

CachedBlock* BlockCache::find(u64 block) const {
  if (!m_buckets) return nullptr;
  for (CachedBlock* b = m_buckets[block & m_bucket_mask]; b; b = b->m_hash_next)
    if (b->m_block == block) return b;
  return nullptr;
}

void BlockCache::unhash(CachedBlock& b) {
  CachedBlock** link = &m_buckets[b.m_block & m_bucket_mask];
  while (*link != &b) link = &(*link)->m_hash_next;
  *link = b.m_hash_next;
  b.m_hash_next = nullptr;
}

void BlockCache::destroy(CachedBlock* b) {
  if (!b->m_is_forgotten) unhash(*b);
  if (b->m_holders == 0) g_reclaimable_frames.fetch_sub(1, MemoryOrder::Relaxed);
  if (b->m_lru.is_linked()) m_unused.remove(*b);
  m_count--;
  free_block_memory(b->m_data);
  release_header(b);
}

void BlockCache::release_header(CachedBlock* b) {
  bool is_from_pool = b->m_is_from_pool;
  b->~CachedBlock();
  if (!is_from_pool) {
    kfree(b);
    return;
  }
  b = new (b) CachedBlock();
  b->m_is_from_pool = true;
  b->m_hash_next = m_free_headers;
  m_free_headers = b;
}

void BlockCache::hold(CachedBlock& b) {
  if (b.m_holders++ > 0) return;
  if (b.m_lru.is_linked()) m_unused.remove(b);
  g_reclaimable_frames.fetch_sub(1, MemoryOrder::Relaxed);
}

void BlockCache::unhold(CachedBlock& b) {
  ASSERT(b.m_holders > 0);
  if (--b.m_holders > 0) return;
  g_reclaimable_frames.fetch_add(1, MemoryOrder::Relaxed);
  if (b.m_is_forgotten)
    destroy(&b);
  else
    m_unused.push_back(b);
}


Result<void> BlockCache::write_block(CachedBlock& b) {
  TRY(m_disk.write(b.m_block * m_sectors_per_block, b.m_data, m_sectors_per_block));
  m_disk_writes++;
  b.m_is_dirty = false;
  return {};
}

// A new, held, hashed block (its data not filled in). Evicts the least recently used unheld block first when
// the cache is full; a dirty one is written before it goes (if that fails it stays, and the cache grows).
Result<CachedBlock*> BlockCache::make_room_and_allocate(u64 block) {
  if (!m_buckets) return Error::NOMEM;
  while (m_count >= m_capacity) {
    CachedBlock* victim = m_unused.front();
    if (!victim) break;
    if (victim->m_is_dirty && write_block(*victim).is_error()) break;
    destroy(victim);
  }
  CachedBlock* b = m_free_headers;
  if (b) {
    m_free_headers = b->m_hash_next;
    b->m_hash_next = nullptr;
  } else {
    // Every header of the pool is in use (the cache grows past its capacity while blocks are held).
    void* memory = kmalloc(sizeof(CachedBlock));
    if (!memory) return Error::NOMEM;
    b = new (memory) CachedBlock();
  }
  b->m_data = allocate_block_memory();
  if (!b->m_data) {
    release_header(b);
    return Error::NOMEM;
  }
  b->m_block = block;
  b->m_holders = 1;
  CachedBlock*& bucket = m_buckets[block & m_bucket_mask];
  b->m_hash_next = bucket;
  bucket = b;
  m_count++;
  return b;
}

Result<BlockRef> BlockCache::get(u64 block) {
  if (CachedBlock* b = find(block)) {
    hold(*b);
    return BlockRef(*this, b);
  }
  CachedBlock* b = TRY(make_room_and_allocate(block));
  auto read = m_disk.read(block * m_sectors_per_block, b->m_data, m_sectors_per_block);
  if (read.is_error()) {
    destroy(b);  // held (not counted as reclaimable): it goes at once
    return read.error();
  }
  m_disk_reads++;
  return BlockRef(*this, b);
}

Result<BlockRef> BlockCache::get_zeroed(u64 block) {
  CachedBlock* b = find(block);
  if (b) {
    hold(*b);
  } else {
    b = TRY(make_room_and_allocate(block));
  }
  memset(b->m_data, 0, m_block_size);
  b->m_is_dirty = true;
  return BlockRef(*this, b);
}

void BlockCache::forget(u64 block) {
  CachedBlock* b = find(block);
  if (!b) return;
  if (b->m_holders == 0) {
    destroy(b);
    return;
  }
  unhash(*b);
  b->m_is_forgotten = true;
  b->m_is_dirty = false;  // held: not counted as reclaimable either way
}

bool BlockCache::has_dirty_blocks() const {
  if (!m_buckets) return false;
  for (u32 i = 0; i <= m_bucket_mask; i++)
    for (CachedBlock* b = m_buckets[i]; b; b = b->m_hash_next)
      if (b->m_is_dirty) return true;
  return false;
}

// Dirty blocks go out in ascending order (one pass per block found: the number of dirty blocks is small next
// to the cost of the writes themselves, and sorted writes keep a disk's head moving one way).
Result<void> BlockCache::flush() {
  Result<void> result;
  u64 next = 0;
  for (;;) {
    CachedBlock* lowest = nullptr;
    for (u32 i = 0; m_buckets && i <= m_bucket_mask; i++)
      for (CachedBlock* b = m_buckets[i]; b; b = b->m_hash_next)
        if (b->m_is_dirty && b->m_block >= next && (!lowest || b->m_block < lowest->m_block)) lowest = b;
    if (!lowest) break;
    next = lowest->m_block + 1;
    auto written = write_block(*lowest);
    if (written.is_error() && !result.is_error()) result = written.error();
  }
  auto flushed = m_disk.flush();
  if (flushed.is_error() && !result.is_error()) result = flushed.error();
  return result;
}

u64 BlockCache::shrink() {
  u64 freed = 0;
  CachedBlock* b = m_unused.front();
  while (b) {
    CachedBlock* next = m_unused.next_of(*b);
    if (!b->m_is_dirty) {
      destroy(b);
      freed++;
    }
    b = next;
  }
  return freed;
}

u64 block_cache_reclaimable_frames() { return g_reclaimable_frames.load(MemoryOrder::Relaxed); }
u64 block_cache_frames() { return g_cached_frames.load(MemoryOrder::Relaxed); }
