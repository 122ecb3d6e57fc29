#include "mm/radix_table.h"

u64* RadixTable::alloc_node(unsigned level) {
  Frame* f = level > 0 ? g_phys.alloc_zeroed(0, FrameUse::VmMeta) : g_phys.alloc(0, FrameUse::VmMeta);
  if (!f) return nullptr;
  f->index = 0;  // no group in use yet
  return reinterpret_cast<u64*>(g_phys.kernel_pointer(f));
}

__attribute__((noinline)) Result<u64*> RadixTable::create_leaf(u64 index) {
  if (!m_root) {
    m_root = alloc_node(LEVELS - 1);
    if (!m_root) return Error::NOMEM;
    m_nodes++;
  }
  u64* node = m_root;
  for (unsigned level = LEVELS - 1; level > 0; level--) {
    unsigned i = (index >> (BITS * level)) & (FANOUT - 1);
    if (!node[i]) {
      u64* fresh = alloc_node(level - 1);
      if (!fresh) return Error::NOMEM;
      m_nodes++;
      node[i] = reinterpret_cast<u64>(fresh);
      summary(node) |= 1ull << (i / GROUP);
    }
    node = reinterpret_cast<u64*>(node[i]);
  }
  return node;
}

void RadixTable::free_node(u64* node) { g_phys.free_frame(frame_of_node(node)); }

RadixTable::~RadixTable() { clear(); }

u64 RadixTable::get(u64 index) const {
  if (index >= MAX_INDEX || !m_root) return 0;
  // Interior nodes are zeroed, so their slots can be read directly.
  u64 mid = m_root[(index >> (2 * BITS)) & (FANOUT - 1)];
  if (!mid) return 0;
  u64 leaf = reinterpret_cast<const u64*>(mid)[(index >> BITS) & (FANOUT - 1)];
  if (!leaf) return 0;
  const u64* node = reinterpret_cast<const u64*>(leaf);
  unsigned i = index & (FANOUT - 1);
  return (summary(node) & (1ull << (i / GROUP))) ? node[i] : 0;
}

Result<void> RadixTable::set(u64 index, u64 value) {
  if (index >= MAX_INDEX) return Error::INVAL;
  u64* node;
  if (value) {
    node = TRY(leaf_for(index));
  } else {
    // Clearing never allocates.
    if (!m_root) return {};
    u64 mid = m_root[(index >> (2 * BITS)) & (FANOUT - 1)];
    if (!mid) return {};
    u64 leaf = reinterpret_cast<u64*>(mid)[(index >> BITS) & (FANOUT - 1)];
    if (!leaf) return {};
    node = reinterpret_cast<u64*>(leaf);
    unsigned i = index & (FANOUT - 1);
    if (!(summary(node) & (1ull << (i / GROUP)))) return {};
  }
  unsigned i = index & (FANOUT - 1);
  open_group(node, i);
  node[i] = value;
  return {};
}

void RadixTable::free_subtree(u64* node, unsigned level) {
  if (level > 0) {
    u64 groups = summary(node);
    while (groups) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      for (unsigned k = 0; k < GROUP; k++)
        if (u64 child = node[g * GROUP + k]) free_subtree(reinterpret_cast<u64*>(child), level - 1);
    }
  }
  free_node(node);
  m_nodes--;
}

void RadixTable::clear() {
  if (m_root) free_subtree(m_root, LEVELS - 1);
  m_root = nullptr;
}
