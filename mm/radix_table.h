// RadixTable<Value>: a sparse array of 8-byte values indexed by a page number (up to 2^27 entries), built like a
// page table: three levels of 512-slot nodes, each node one 4 KiB frame, allocated only where a value is stored.
// Anon tables keep AnonSlots in one by virtual page number (mm/anon_table.h), memory objects their Frame
// pointers by page index in the object (mm/vm_object.h).
//
// Each node's Frame descriptor holds a 64-bit summary (Frame::radix_summary): bit g says that slots [8g, 8g+8)
// may hold something. Walks skip clear groups, so visiting a sparse table costs what it holds, not 512 slots per
// node. Interior nodes (512 pointers to the nodes below) are zeroed when allocated; leaves (512 values) are not: a
// leaf group is zeroed when it is first used, and a lookup trusts a leaf slot only when its group bit is set.
// (Most nodes are leaves, and a fork copies only the groups in use.)
//
// A Value is 8 bytes, trivially copyable, and Value{} (all bits zero) means "empty": a null pointer, an empty
// AnonSlot, 0. Not thread-safe: the owner's lock protects it.
#pragma once

#include <concepts>
#include <type_traits>

#include "lib/bits.h"
#include "lib/result.h"
#include "mm/frame.h"

template <typename V>
concept RadixValue = sizeof(V) == sizeof(u64) && std::is_trivially_copyable_v<V> && std::equality_comparable<V>;

// What does not depend on the value type: the nodes, their summaries and the descent to a leaf.
class RadixNodes {
 public:
  static constexpr unsigned BITS = 9;
  static constexpr unsigned FANOUT = 1u << BITS;
  static constexpr unsigned LEVELS = 3;
  static constexpr unsigned GROUP = 8;  // slots per summary bit
  static constexpr u64 MAX_INDEX = 1ull << (BITS * LEVELS);

  RadixNodes() = default;
  ~RadixNodes() { clear(); }
  AS_NONCOPYABLE(RadixNodes);

  // Free every node (the caller has released what the values referred to).
  void clear() {
    if (m_root) free_all_nodes();
  }
  u64 node_count() const { return m_nodes; }
  // Free the nodes that serve only indices in [floor, ceiling) and reach into [start, end): a leaf (512
  // indices) or a middle node (512 leaves) whose whole span lies in [floor, ceiling), and the root when nothing
  // is left below it. Every value there must be empty already (munmap: the hole around an unmapped range).
  void free_nodes_within(u64 start, u64 end, u64 floor, u64 ceiling);
  bool is_empty() const { return m_root == nullptr; }

 protected:
  static_assert(LEVELS == 3, "find_leaf and the walks descend exactly three levels");
  using Interior = void*;  // a slot of an interior node: the node below, or nullptr

  static unsigned slot_of(u64 index, unsigned level) { return (index >> (BITS * level)) & (FANOUT - 1); }
  // The leaf covering index, or nullptr if there is none yet: the one descent every lookup makes.
  void* find_leaf(u64 index) const {
    if (LIKELY(m_root != nullptr)) {
      Interior mid = m_root[slot_of(index, 2)];
      if (LIKELY(mid != nullptr)) return static_cast<Interior*>(mid)[slot_of(index, 1)];
    }
    return nullptr;
  }
  // The same, creating the leaf and the interior nodes above it if needed (NOMEM if a node cannot be had).
  Result<void*> leaf_for(u64 index) {
    if (void* leaf = find_leaf(index); LIKELY(leaf != nullptr)) return leaf;
    return create_leaf(index);
  }
  Result<void*> create_leaf(u64 index);
  static u64& summary(const void* node) { return g_phys.frame_of(kernel_to_phys(node))->radix_summary(); }
  static bool group_is_open(const void* node, unsigned slot) { return summary(node) & (1ull << (slot / GROUP)); }
  // fn(slot) for every non-empty slot in the open groups of a node (interior or leaf), in order.
  template <typename Slot, typename Fn>
  static void for_each_used(Slot* node, Fn&& fn) {
    u64 groups = summary(node);
    while (groups) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      Slot* group = node + g * GROUP;
      for (unsigned k = 0; k < GROUP; k++)
        if (group[k] != Slot{}) fn(group[k]);
    }
  }
  // The summary bits of the groups holding slots first..last (first <= last < FANOUT).
  static u64 group_mask(unsigned first, unsigned last) {
    return (~0ull << (first / GROUP)) & (~0ull >> (63 - last / GROUP));
  }
  // The first slot i, from <= i <= last, of an interior node (zeroed when made, so every slot may be read)
  // that holds something, or last + 1. Only the groups in the range are looked at, so walking a range of a node
  // costs what the range holds, not what the node holds.
  static unsigned next_used_slot(const Interior* node, unsigned from, unsigned last) {
    while (from <= last) {
      if (node[from]) return from;  // the common case: a region within one slot
      u64 groups = summary(node) & group_mask(from, last);
      if (!groups) break;
      unsigned g = lowest_set_bit(groups);
      unsigned i = g * GROUP > from ? g * GROUP : from;
      unsigned stop = g * GROUP + GROUP - 1 < last ? g * GROUP + GROUP - 1 : last;
      for (; i <= stop; i++)
        if (node[i]) return i;
      from = stop + 1;
    }
    return last + 1;
  }
  // Free a node and count it gone.
  void release_node(void* node);

  Interior* m_root = nullptr;
  u64 m_nodes = 0;

 private:
  static void* alloc_node(unsigned level);
  void free_all_nodes();
  void free_subtree(Interior* node, unsigned level);
  // Empty slot i of an interior node, closing its group in the summary when the group holds nothing else.
  static void clear_interior_slot(Interior* node, unsigned i);
};

template <RadixValue Value>
class RadixTable : public RadixNodes {
 public:
  // The value at index (empty if none).
  Value get(u64 index) const {
    if (index >= MAX_INDEX) return Value{};
    const Value* leaf = static_cast<const Value*>(find_leaf(index));
    if (!leaf) return Value{};
    unsigned i = index & (FANOUT - 1);
    return group_is_open(leaf, i) ? leaf[i] : Value{};
  }
  // The slot of index, ready to read and write (its group opened), creating nodes as needed; nullptr when a node
  // cannot be allocated. index must be below MAX_INDEX. One walk for a read-modify-write: the fault path.
  Value* slot_or_null(u64 index) {
    void* leaf = find_leaf(index);
    if (UNLIKELY(!leaf)) {
      auto made = create_leaf(index);
      if (made.is_error()) return nullptr;
      leaf = made.value();
    }
    return open_slot(static_cast<Value*>(leaf), index);
  }
  // The slot of index if its leaf exists (its group opened), nullptr otherwise: never allocates.
  Value* existing_slot(u64 index) {
    if (index >= MAX_INDEX) return nullptr;
    void* leaf = find_leaf(index);
    return leaf ? open_slot(static_cast<Value*>(leaf), index) : nullptr;
  }
  // Store value (empty clears) at index, creating nodes as needed (NOMEM if one cannot be allocated; clearing
  // never needs one).
  Result<void> set(u64 index, Value value) {
    if (index >= MAX_INDEX) return Error::INVAL;
    Value* leaf;
    if (value != Value{}) {
      leaf = static_cast<Value*>(TRY(leaf_for(index)));
    } else {
      leaf = static_cast<Value*>(find_leaf(index));
      if (!leaf || !group_is_open(leaf, index & (FANOUT - 1))) return {};
    }
    *open_slot(leaf, index) = value;
    return {};
  }

  // Copy the values of src in [start, end) into this table, which must hold nothing there, calling
  // on_copy(value) for each (fork takes a reference per page this way). Whole groups are copied at a time.
  template <typename Fn>
  Result<void> copy_from(const RadixTable& src, u64 start, u64 end, Fn&& on_copy);

  // fn(u64 index, Value& value) for every non-empty value with start <= index < end, in index order. fn may
  // change the value or empty it.
  template <typename Fn>
  void for_each(u64 start, u64 end, Fn&& fn) {
    if (m_root && start < end) visit(m_root, LEVELS - 1, 0, start, end, fn);
  }

  // Calls fn(Value) for every non-empty value, then frees every node: the fast way to tear a table down
  // (nothing is written back into the nodes).
  template <typename Fn>
  void drain(Fn&& fn) {
    if (m_root) drain_interior(m_root, LEVELS - 1, fn);
    m_root = nullptr;
  }

 private:
  static constexpr Value EMPTY{};

  // Slot `index` of a leaf, its group zeroed first if it was never used.
  static Value* open_slot(Value* leaf, u64 index) {
    unsigned i = index & (FANOUT - 1);
    u64& s = summary(leaf);
    u64 bit = 1ull << (i / GROUP);
    if (!(s & bit)) {
      Value* g = leaf + (i & ~(GROUP - 1));
      for (unsigned k = 0; k < GROUP; k++) g[k] = EMPTY;
      s |= bit;
    }
    return &leaf[i];
  }

  // Walk the interior node covering [base, base + FANOUT^(level+1)), level >= 1.
  template <typename Fn>
  void visit(Interior* node, unsigned level, u64 base, u64 start, u64 end, Fn& fn) {
    u64 span = 1ull << (BITS * level);
    u64 groups = summary(node);
    while (groups) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      u64 group_base = base + u64(g) * GROUP * span;
      if (group_base + GROUP * span <= start) continue;
      if (group_base >= end) break;
      const Interior* group = node + g * GROUP;
      for (unsigned k = 0; k < GROUP; k++) {
        u64 child_base = group_base + k * span;
        Interior child = group[k];
        if (!child || child_base + span <= start || child_base >= end) continue;
        if (level == 1)
          visit_leaf(static_cast<Value*>(child), child_base, start, end, fn);
        else
          visit(static_cast<Interior*>(child), level - 1, child_base, start, end, fn);
      }
    }
  }
  // Visit a leaf's values in range; a group that ends up empty is closed.
  template <typename Fn>
  void visit_leaf(Value* leaf, u64 base, u64 start, u64 end, Fn& fn) {
    u64& sum = summary(leaf);
    u64 groups = sum;
    while (groups) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      u64 group_base = base + u64(g) * GROUP;
      if (group_base + GROUP <= start) continue;
      if (group_base >= end) break;
      bool any_left = false;
      Value* group = leaf + g * GROUP;
      for (unsigned k = 0; k < GROUP; k++) {
        u64 index = group_base + k;
        Value& slot = group[k];
        if (slot != EMPTY && index >= start && index < end) fn(index, slot);
        any_left |= slot != EMPTY;
      }
      if (!any_left) sum &= ~(1ull << g);
    }
  }

  template <typename Fn>
  void drain_interior(Interior* node, unsigned level, Fn& fn) {
    for_each_used(node, [&](Interior child) {
      if (level == 1)
        drain_leaf(static_cast<Value*>(child), fn);
      else
        drain_interior(static_cast<Interior*>(child), level - 1, fn);
    });
    release_node(node);
  }
  template <typename Fn>
  void drain_leaf(Value* leaf, Fn& fn) {
    for_each_used(leaf, [&](Value v) { fn(v); });
    release_node(leaf);
  }
};

template <RadixValue Value>
template <typename Fn>
Result<void> RadixTable<Value>::copy_from(const RadixTable& src, u64 start, u64 end, Fn&& on_copy) {
  Result<void> result;
  if (end > MAX_INDEX) end = MAX_INDEX;
  if (!src.m_root || start >= end) return result;
  // The first and last slot of the node whose first index is node_base and whose slots each span 2^shift
  // indices that hold part of [start, end) (the node overlaps the range).
  auto first_slot = [&](u64 node_base, unsigned shift) {
    return start > node_base ? static_cast<unsigned>((start - node_base) >> shift) : 0u;
  };
  auto last_slot = [&](u64 node_base, unsigned shift) {
    u64 node_end = node_base + (u64(FANOUT) << shift);
    return static_cast<unsigned>(((end < node_end ? end : node_end) - 1 - node_base) >> shift);
  };
  // Copy what a leaf of src holds in the range: only its groups in the range, whole groups at a time where they
  // lie wholly inside it.
  auto copy_leaf = [&](u64 leaf_base, const Value* leaf) {
    Value* dst = nullptr;
    u64 groups = summary(leaf) & group_mask(first_slot(leaf_base, 0), last_slot(leaf_base, 0));
    while (groups && !result.is_error()) {
      unsigned g = lowest_set_bit(groups);
      groups &= groups - 1;
      u64 first = leaf_base + u64(g) * GROUP;
      if (!dst) {
        auto made = leaf_for(leaf_base);
        if (made.is_error()) {
          result = made.error();
          return;
        }
        dst = static_cast<Value*>(made.value());
      }
      open_slot(dst, g * GROUP);
      const Value* from = leaf + g * GROUP;
      Value* to = dst + g * GROUP;
      if (first >= start && first + GROUP <= end) {
        // The whole group is in range (the common case): copy it as it is.
        for (unsigned k = 0; k < GROUP; k++) {
          Value v = from[k];
          to[k] = v;
          if (v != EMPTY) on_copy(v);
        }
      } else {
        for (unsigned k = 0; k < GROUP; k++) {
          u64 index = first + k;
          Value v = from[k];
          if (v != EMPTY && index >= start && index < end) {
            to[k] = v;
            on_copy(v);
          }
        }
      }
    }
  };
  // Down src's interior nodes to the leaves that overlap the range.
  const Interior* root = src.m_root;
  unsigned root_last = last_slot(0, 2 * BITS);
  for (unsigned ri = next_used_slot(root, first_slot(0, 2 * BITS), root_last); ri <= root_last && !result.is_error();
       ri = next_used_slot(root, ri + 1, root_last)) {
    u64 mid_base = u64(ri) << (2 * BITS);
    const Interior* mid = static_cast<const Interior*>(root[ri]);
    unsigned mid_last = last_slot(mid_base, BITS);
    for (unsigned mi = next_used_slot(mid, first_slot(mid_base, BITS), mid_last); mi <= mid_last && !result.is_error();
         mi = next_used_slot(mid, mi + 1, mid_last))
      copy_leaf(mid_base + (u64(mi) << BITS), static_cast<const Value*>(mid[mi]));
  }
  return result;
}
