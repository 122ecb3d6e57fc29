// RadixTable: a sparse array of u64 values indexed by a page number (up to 2^27 entries), built like a page
// table: three levels of 512-slot nodes, each node one 4 KiB frame, allocated only where a value is stored.
// Anon tables (by virtual page number) and memory objects (by page index in the object) use it.
//
// Each node's Frame descriptor holds a 64-bit summary in Frame::index: bit g says that slots [8g, 8g+8) may hold
// something. Walks skip clear groups, so visiting a sparse table costs what it holds, not 512 slots per node.
// Interior nodes are zeroed when allocated; leaf nodes are not: a leaf group is zeroed when it is first used,
// and a lookup trusts a leaf slot only when its group bit is set. (Most nodes are leaves, and a fork copies
// only the groups in use.)
//
// A value of 0 means "empty". Not thread-safe: the owner's lock protects it.
#pragma once

#include "lib/bits.h"
#include "lib/result.h"
#include "mm/frame.h"

class RadixTable {
 public:
  static constexpr unsigned BITS = 9;
  static constexpr unsigned FANOUT = 1u << BITS;
  static constexpr unsigned LEVELS = 3;
  static constexpr unsigned GROUP = 8;  // slots per summary bit
  static constexpr u64 MAX_INDEX = 1ull << (BITS * LEVELS);

  RadixTable() = default;
  ~RadixTable();
  RadixTable(const RadixTable&) = delete;
  RadixTable& operator=(const RadixTable&) = delete;

  // The value at index (0 if none).
  u64 get(u64 index) const;
  // The slot of index, ready to read and write (its group opened), creating nodes as needed; NOMEM if a node
  // cannot be allocated. One walk for a read-modify-write (the fault handler's common case).
  Result<u64*> slot(u64 index) {
    if (index >= MAX_INDEX) return Error::INVAL;
    u64* node = TRY(leaf_for(index));
    unsigned i = index & (FANOUT - 1);
    open_group(node, i);
    return &node[i];
  }
  // The same, nullptr when a node cannot be allocated (index must be below MAX_INDEX): the fault path.
  u64* slot_or_null(u64 index) {
    u64* node = nullptr;
    if (LIKELY(m_root != nullptr)) {
      u64 mid = m_root[(index >> (2 * BITS)) & (FANOUT - 1)];
      if (LIKELY(mid != 0)) node = reinterpret_cast<u64*>(reinterpret_cast<u64*>(mid)[(index >> BITS) & (FANOUT - 1)]);
    }
    if (UNLIKELY(!node)) {
      auto made = create_leaf(index);
      if (made.is_error()) return nullptr;
      node = made.value();
    }
    unsigned i = index & (FANOUT - 1);
    open_group(node, i);
    return &node[i];
  }
  // Store value (0 clears) at index, creating nodes as needed (NOMEM if one cannot be allocated; nothing is
  // needed to store 0).
  Result<void> set(u64 index, u64 value);

  // Copy the values of src in [start, end) into this table, which must hold nothing there, calling
  // on_copy(value) for each (fork takes a reference per page this way). Whole groups are copied at a time.
  template <typename Fn>
  Result<void> copy_from(const RadixTable& src, u64 start, u64 end, Fn&& on_copy);

  // fn(u64 index, u64& value) for every non-zero value with start <= index < end, in index order. fn may
  // change the value or set it to 0.
  template <typename Fn>
  void for_each(u64 start, u64 end, Fn&& fn) {
    if (m_root && start < end) visit(m_root, LEVELS - 1, 0, start, end, fn);
  }

  // Calls fn(u64 value) for every non-zero value, then frees every node: the fast way to tear a table down
  // (nothing is written back into the nodes).
  template <typename Fn>
  void drain(Fn&& fn) {
    if (m_root) drain_node(m_root, LEVELS - 1, fn);
    m_root = nullptr;
  }

  // Free every node (the caller has released what the values referred to).
  void clear();
  u64 node_count() const { return m_nodes; }
  bool is_empty() const { return m_root == nullptr; }

 private:
  static u64* alloc_node(unsigned level);
  // The leaf node for index, creating it and the interior nodes above it if needed.
  Result<u64*> leaf_for(u64 index) {
    if (LIKELY(m_root != nullptr)) {
      u64 mid = m_root[(index >> (2 * BITS)) & (FANOUT - 1)];
      if (LIKELY(mid != 0)) {
        u64 leaf = reinterpret_cast<u64*>(mid)[(index >> BITS) & (FANOUT - 1)];
        if (LIKELY(leaf != 0)) return reinterpret_cast<u64*>(leaf);
      }
    }
    return create_leaf(index);
  }
  Result<u64*> create_leaf(u64 index);
  static void free_node(u64* node);
  static Frame* frame_of_node(const u64* node) { return g_phys.frame_of(kernel_to_phys(node)); }
  static u64& summary(const u64* node) { return frame_of_node(node)->index; }
  // Make slot i of node readable: zero its group if it was never used.
  static void open_group(u64* node, unsigned i) {
    u64& s = summary(node);
    u64 bit = 1ull << (i / GROUP);
    if (s & bit) return;
    u64* g = node + (i & ~(GROUP - 1));
    for (unsigned k = 0; k < GROUP; k++) g[k] = 0;
    s |= bit;
  }
  void free_subtree(u64* node, unsigned level);

  template <typename Fn>
  void drain_node(u64* node, unsigned level, Fn& fn) {
    u64 groups = summary(node);
    while (groups) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      const u64* slot = node + g * GROUP;
      for (unsigned k = 0; k < GROUP; k++) {
        u64 v = slot[k];
        if (!v) continue;
        if (level == 0)
          fn(v);
        else
          drain_node(reinterpret_cast<u64*>(v), level - 1, fn);
      }
    }
    free_node(node);
    m_nodes--;
  }

  static_assert(LEVELS == 3, "copy_from walks exactly three levels");

  template <typename Fn>
  void visit(u64* node, unsigned level, u64 base, u64 start, u64 end, Fn& fn) {
    u64 span = 1ull << (BITS * level);
    u64& sum = summary(node);
    u64 groups = sum;
    while (groups) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      u64 group_base = base + u64(g) * GROUP * span;
      if (group_base + GROUP * span <= start) continue;
      if (group_base >= end) break;
      bool any_left = false;
      for (unsigned k = 0; k < GROUP; k++) {
        unsigned i = g * GROUP + k;
        u64 idx = base + u64(i) * span;
        u64& slot = node[i];
        if (slot && idx + span > start && idx < end) {
          if (level == 0)
            fn(idx, slot);
          else
            visit(reinterpret_cast<u64*>(slot), level - 1, idx, start, end, fn);
        }
        any_left |= slot != 0;
      }
      if (!any_left && level == 0) sum &= ~(1ull << g);
    }
  }

  u64* m_root = nullptr;
  u64 m_nodes = 0;
};

template <typename Fn>
Result<void> RadixTable::copy_from(const RadixTable& src, u64 start, u64 end, Fn&& on_copy) {
  Result<void> result;
  // Walk src's leaves (level-1 slots) overlapping the range.
  auto copy_leaf = [&](u64 leaf_base, const u64* leaf) {
    u64* dst = nullptr;
    u64 groups = summary(leaf);
    while (groups && !result.is_error()) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      u64 first = leaf_base + u64(g) * GROUP;
      if (first + GROUP <= start) continue;
      if (first >= end) break;
      if (!dst) {
        auto made = leaf_for(leaf_base);
        if (made.is_error()) {
          result = made.error();
          return;
        }
        dst = made.value();
      }
      open_group(dst, g * GROUP);
      const u64* from = leaf + g * GROUP;
      u64* to = dst + g * GROUP;
      if (first >= start && first + GROUP <= end) {
        // The whole group is in range (the common case): copy it as it is.
        for (unsigned k = 0; k < GROUP; k++) {
          u64 v = from[k];
          to[k] = v;
          if (v) on_copy(v);
        }
      } else {
        for (unsigned k = 0; k < GROUP; k++) {
          u64 idx = first + k;
          u64 v = from[k];
          if (v && idx >= start && idx < end) {
            to[k] = v;
            on_copy(v);
          }
        }
      }
    }
  };
  if (!src.m_root) return result;
  const u64* root = src.m_root;
  u64 root_groups = summary(root);
  while (root_groups && !result.is_error()) {
    unsigned rg = lowest_set_bit(root_groups);
    root_groups &= root_groups - 1;
    for (unsigned rk = 0; rk < GROUP && !result.is_error(); rk++) {
      unsigned ri = rg * GROUP + rk;
      u64 mid_base = u64(ri) << (2 * BITS);
      if (!root[ri] || mid_base + (1ull << (2 * BITS)) <= start || mid_base >= end) continue;
      const u64* mid = reinterpret_cast<const u64*>(root[ri]);
      u64 mid_groups = summary(mid);
      while (mid_groups && !result.is_error()) {
        unsigned mg = lowest_set_bit(mid_groups);
        mid_groups &= mid_groups - 1;
        for (unsigned mk = 0; mk < GROUP && !result.is_error(); mk++) {
          unsigned mi = mg * GROUP + mk;
          u64 leaf_base = mid_base + (u64(mi) << BITS);
          if (!mid[mi] || leaf_base + FANOUT <= start || leaf_base >= end) continue;
          copy_leaf(leaf_base, reinterpret_cast<const u64*>(mid[mi]));
        }
      }
    }
  }
  return result;
}
