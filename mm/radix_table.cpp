#include "mm/radix_table.h"

void* RadixNodes::alloc_node(unsigned level) {
  Frame* f = level > 0 ? g_phys.alloc_zeroed(0, FrameUse::VmMeta) : g_phys.alloc(0, FrameUse::VmMeta);
  if (!f) return nullptr;
  f->radix_summary() = 0;  // no group in use yet
  return g_phys.kernel_pointer(f);
}

__attribute__((noinline)) Result<void*> RadixNodes::create_leaf(u64 index) {
  if (!m_root) {
    m_root = static_cast<Interior*>(alloc_node(LEVELS - 1));
    if (!m_root) return Error::NOMEM;
    m_nodes++;
  }
  Interior* node = m_root;
  for (unsigned level = LEVELS - 1; level > 0; level--) {
    unsigned i = slot_of(index, level);
    if (!node[i]) {
      void* fresh = alloc_node(level - 1);
      if (!fresh) return Error::NOMEM;
      m_nodes++;
      node[i] = fresh;
      summary(node) |= 1ull << (i / GROUP);
    }
    node = static_cast<Interior*>(node[i]);
  }
  return static_cast<void*>(node);
}

void RadixNodes::release_node(void* node) {
  g_phys.free_frame(g_phys.frame_of(kernel_to_phys(node)));
  m_nodes--;
}

void RadixNodes::free_subtree(Interior* node, unsigned level) {
  if (level > 0) for_each_used(node, [&](Interior child) { free_subtree(static_cast<Interior*>(child), level - 1); });
  release_node(node);
}

__attribute__((noinline)) void RadixNodes::free_all_nodes() {
  free_subtree(m_root, LEVELS - 1);
  m_root = nullptr;
}

void RadixNodes::clear_interior_slot(Interior* node, unsigned i) {
  node[i] = nullptr;
  Interior* group = node + (i & ~(GROUP - 1));
  for (unsigned k = 0; k < GROUP; k++)
    if (group[k]) return;
  summary(node) &= ~(1ull << (i / GROUP));
}

void RadixNodes::free_nodes_within(u64 start, u64 end, u64 floor, u64 ceiling) {
  constexpr u64 LEAF_SPAN = FANOUT, MID_SPAN = u64(FANOUT) * FANOUT;
  if (!m_root) return;
  if (end > MAX_INDEX) end = MAX_INDEX;
  for (u64 base = align_down(start, MID_SPAN); base < end; base += MID_SPAN) {
    unsigned m = slot_of(base, 2);
    auto* mid = static_cast<Interior*>(m_root[m]);
    if (!mid) continue;
    if (base >= floor && base + MID_SPAN <= ceiling) {
      free_subtree(mid, 1);
      clear_interior_slot(m_root, m);
      continue;
    }
    u64 lo = start > base ? start : base;
    u64 hi = end < base + MID_SPAN ? end : base + MID_SPAN;
    for (u64 b = align_down(lo, LEAF_SPAN); b < hi; b += LEAF_SPAN) {
      unsigned l = slot_of(b, 1);
      if (mid[l] && b >= floor && b + LEAF_SPAN <= ceiling) {
        release_node(mid[l]);
        clear_interior_slot(mid, l);
      }
    }
  }
  if (summary(m_root) == 0) {
    release_node(m_root);
    m_root = nullptr;
  }
}
