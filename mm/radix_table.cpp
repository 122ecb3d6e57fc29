#include "mm/radix_table.h"

#include "mm/frame.h"

u64* RadixTable::alloc_node() {
  Frame* f = g_phys.alloc_zeroed(0, FrameUse::VmMeta);
  return f ? reinterpret_cast<u64*>(g_phys.kernel_pointer(f)) : nullptr;
}

void RadixTable::free_node(u64* node) { g_phys.free_frame(g_phys.frame_of(kernel_to_phys(node))); }

RadixTable::~RadixTable() { clear(); }

u64* RadixTable::find(u64 index) const {
  if (index >= MAX_INDEX || !m_root) return nullptr;
  u64* node = m_root;
  for (unsigned level = LEVELS - 1; level > 0; level--) {
    u64 next = node[(index >> (BITS * level)) & (FANOUT - 1)];
    if (!next) return nullptr;
    node = reinterpret_cast<u64*>(next);
  }
  return &node[index & (FANOUT - 1)];
}

Result<u64*> RadixTable::find_or_create(u64 index) {
  if (index >= MAX_INDEX) return Error::INVAL;
  if (!m_root) {
    m_root = alloc_node();
    if (!m_root) return Error::NOMEM;
    m_nodes++;
  }
  u64* node = m_root;
  for (unsigned level = LEVELS - 1; level > 0; level--) {
    u64& next = node[(index >> (BITS * level)) & (FANOUT - 1)];
    if (!next) {
      u64* fresh = alloc_node();
      if (!fresh) return Error::NOMEM;
      m_nodes++;
      next = reinterpret_cast<u64>(fresh);
    }
    node = reinterpret_cast<u64*>(next);
  }
  return &node[index & (FANOUT - 1)];
}

void RadixTable::free_subtree(u64* node, unsigned level) {
  if (level > 0) {
    for (unsigned i = 0; i < FANOUT; i++)
      if (node[i]) free_subtree(reinterpret_cast<u64*>(node[i]), level - 1);
  }
  free_node(node);
  m_nodes--;
}

void RadixTable::clear() {
  if (m_root) free_subtree(m_root, LEVELS - 1);
  m_root = nullptr;
}
