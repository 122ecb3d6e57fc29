// RadixTable: a sparse array of u64 values indexed by a page number (up to 2^27 entries), built like a page
// table: three levels of 512-entry nodes, each node one 4 KiB frame, allocated only where a value is stored.
// Anon tables (by virtual page number) and memory objects (by page index in the object) use it.
//
// A value of 0 means "empty". Not thread-safe: the owner's lock protects it.
#pragma once

#include "lib/result.h"
#include "mm/types.h"

class RadixTable {
 public:
  static constexpr unsigned BITS = 9;
  static constexpr unsigned FANOUT = 1u << BITS;
  static constexpr unsigned LEVELS = 3;
  static constexpr u64 MAX_INDEX = 1ull << (BITS * LEVELS);

  RadixTable() = default;
  ~RadixTable();
  RadixTable(const RadixTable&) = delete;
  RadixTable& operator=(const RadixTable&) = delete;

  // The slot for index, or nullptr if its leaf node does not exist.
  u64* find(u64 index) const;
  // The slot for index, creating nodes as needed (NOMEM if a node cannot be allocated).
  Result<u64*> find_or_create(u64 index);

  // fn(u64 index, u64& value) for every non-zero value with start <= index < end, in index order, skipping
  // empty subtrees. fn may change or clear the value.
  template <typename Fn>
  void for_each(u64 start, u64 end, Fn&& fn) {
    if (m_root) visit(m_root, LEVELS - 1, 0, start, end, fn);
  }

  // Free every node (values must have been released by the caller first, e.g. with for_each).
  void clear();
  u64 node_count() const { return m_nodes; }
  bool is_empty() const { return m_root == nullptr; }

 private:
  static u64* alloc_node();
  static void free_node(u64* node);
  void free_subtree(u64* node, unsigned level);

  template <typename Fn>
  void visit(u64* node, unsigned level, u64 base, u64 start, u64 end, Fn& fn) {
    u64 span = 1ull << (BITS * level);
    unsigned first = start > base ? static_cast<unsigned>((start - base) / span) : 0;
    for (unsigned i = first; i < FANOUT; i++) {
      u64 idx = base + u64(i) * span;
      if (idx >= end) break;
      if (!node[i]) continue;
      if (level == 0)
        fn(idx, node[i]);
      else
        visit(reinterpret_cast<u64*>(node[i]), level - 1, idx, start, end, fn);
    }
  }

  u64* m_root = nullptr;
  u64 m_nodes = 0;
};
