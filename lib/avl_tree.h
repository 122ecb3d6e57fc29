// An intrusive AVL tree: the node lives inside the object (like ListNode), the tree never allocates.
// Used for the ordered set of regions of an address space, where lookups are O(log n) even for the tens of
// thousands of mappings a process may have.
//
//   struct Region { AvlNode node; u64 start; ... };
//   struct ByStart { static u64 key(const Region& r) { return r.start; } };
//   AvlTree<Region, &Region::node, ByStart> tree;
//
// Keys are u64 and unique. Not thread-safe: the owner's lock protects the tree.
#pragma once

#include "lib/assert.h"
#include "lib/types.h"

struct AvlNode {
  AvlNode* m_left = nullptr;
  AvlNode* m_right = nullptr;
  AvlNode* m_parent = nullptr;
  i32 m_height = 0;  // 0 = not in a tree; a leaf has height 1
  bool is_linked() const { return m_height != 0; }
};

template <typename T, AvlNode T::*Member, typename KeyOf>
class AvlTree {
 public:
  AvlTree() = default;
  AS_NONCOPYABLE(AvlTree);

  bool is_empty() const { return m_root == nullptr; }
  usize size() const { return m_size; }

  void insert(T& item) {
    AvlNode* n = node_of(item);
    ASSERT(!n->is_linked());
    u64 key = KeyOf::key(item);
    AvlNode* parent = nullptr;
    AvlNode** link = &m_root;
    while (*link) {
      parent = *link;
      u64 k = KeyOf::key(*owner_of(parent));
      ASSERT_MSG(k != key, "AvlTree: duplicate key %llu", static_cast<unsigned long long>(key));
      link = key < k ? &parent->m_left : &parent->m_right;
    }
    n->m_left = n->m_right = nullptr;
    n->m_parent = parent;
    n->m_height = 1;
    *link = n;
    m_size++;
    rebalance_from(parent);
  }

  void remove(T& item) {
    AvlNode* n = node_of(item);
    ASSERT(n->is_linked());
    AvlNode* rebalance_start;
    if (n->m_left && n->m_right) {
      // Replace n by its in-order successor s (leftmost of the right subtree).
      AvlNode* s = n->m_right;
      while (s->m_left) s = s->m_left;
      AvlNode* s_parent = s->m_parent;
      AvlNode* s_right = s->m_right;
      if (s_parent != n) {
        // Detach s from its place, its right child takes it.
        s_parent->m_left = s_right;
        if (s_right) s_right->m_parent = s_parent;
        s->m_right = n->m_right;
        s->m_right->m_parent = s;
        rebalance_start = s_parent;
      } else {
        rebalance_start = s;
      }
      s->m_left = n->m_left;
      s->m_left->m_parent = s;
      s->m_height = n->m_height;
      replace_child(n->m_parent, n, s);
      s->m_parent = n->m_parent;
    } else {
      AvlNode* child = n->m_left ? n->m_left : n->m_right;
      if (child) child->m_parent = n->m_parent;
      replace_child(n->m_parent, n, child);
      rebalance_start = n->m_parent;
    }
    n->m_left = n->m_right = n->m_parent = nullptr;
    n->m_height = 0;
    m_size--;
    rebalance_from(rebalance_start);
  }

  // Empty the tree, calling fn(item) for every item once it is out of the tree (fn may free it): the fast way to
  // tear a tree down, one visit per item and no rebalancing (a remove() per item would rotate all the way).
  template <typename Fn>
  void drain(Fn fn) {
    AvlNode* n = m_root;
    m_root = nullptr;
    m_size = 0;
    // Post-order: take a leaf, cut it from its parent, continue from the parent.
    while (n) {
      if (n->m_left) {
        n = n->m_left;
        continue;
      }
      if (n->m_right) {
        n = n->m_right;
        continue;
      }
      AvlNode* parent = n->m_parent;
      if (parent) (parent->m_left == n ? parent->m_left : parent->m_right) = nullptr;
      n->m_parent = nullptr;
      n->m_height = 0;
      fn(*owner_of(n));
      n = parent;
    }
  }

  // Make this empty tree a copy of src: make(T& item) returns a new item for each item of src, which takes that
  // item's place in the same shape (no key comparison, no rotation: a copy costs one visit per item). Returns
  // false as soon as make returns nullptr; the tree then holds the copies made so far, ordered but not
  // balanced: fit only for drain().
  template <typename Fn>
  bool clone_from(const AvlTree& src, Fn make) {
    ASSERT(is_empty());
    bool ok = true;
    m_root = clone_subtree(src.m_root, nullptr, make, ok);
    return ok;
  }

  T* find(u64 key) const {
    AvlNode* n = m_root;
    while (n) {
      u64 k = KeyOf::key(*owner_of(n));
      if (key == k) return owner_of(n);
      n = key < k ? n->m_left : n->m_right;
    }
    return nullptr;
  }

  // The item with the greatest key <= key, or nullptr.
  T* find_last_le(u64 key) const {
    AvlNode* n = m_root;
    AvlNode* best = nullptr;
    while (n) {
      u64 k = KeyOf::key(*owner_of(n));
      if (k <= key) {
        best = n;
        n = n->m_right;
      } else {
        n = n->m_left;
      }
    }
    return best ? owner_of(best) : nullptr;
  }

  // The item with the smallest key > key, or nullptr.
  T* find_first_gt(u64 key) const {
    AvlNode* n = m_root;
    AvlNode* best = nullptr;
    while (n) {
      u64 k = KeyOf::key(*owner_of(n));
      if (k > key) {
        best = n;
        n = n->m_left;
      } else {
        n = n->m_right;
      }
    }
    return best ? owner_of(best) : nullptr;
  }

  T* first() const {
    AvlNode* n = m_root;
    if (!n) return nullptr;
    while (n->m_left) n = n->m_left;
    return owner_of(n);
  }
  T* last() const {
    AvlNode* n = m_root;
    if (!n) return nullptr;
    while (n->m_right) n = n->m_right;
    return owner_of(n);
  }

  static T* next(T& item) {
    AvlNode* n = node_of(item);
    if (n->m_right) {
      n = n->m_right;
      while (n->m_left) n = n->m_left;
      return owner_of(n);
    }
    while (n->m_parent && n->m_parent->m_right == n) n = n->m_parent;
    return n->m_parent ? owner_of(n->m_parent) : nullptr;
  }
  static T* prev(T& item) {
    AvlNode* n = node_of(item);
    if (n->m_left) {
      n = n->m_left;
      while (n->m_right) n = n->m_right;
      return owner_of(n);
    }
    while (n->m_parent && n->m_parent->m_left == n) n = n->m_parent;
    return n->m_parent ? owner_of(n->m_parent) : nullptr;
  }

  // Checks the AVL and ordering invariants (tests).
  bool check() const {
    usize count = 0;
    return check_subtree(m_root, nullptr, &count) >= 0 && count == m_size;
  }

 private:
  static AvlNode* node_of(T& item) { return &(item.*Member); }
  static T* owner_of(AvlNode* n) {
    alignas(T) static char probe_storage[sizeof(T)];
    auto* probe = reinterpret_cast<T*>(probe_storage);
    auto offset = reinterpret_cast<uptr>(&(probe->*Member)) - reinterpret_cast<uptr>(probe);
    return reinterpret_cast<T*>(reinterpret_cast<uptr>(n) - offset);
  }
  template <typename Fn>
  AvlNode* clone_subtree(AvlNode* from, AvlNode* parent, Fn& make, bool& ok) {
    if (!from || !ok) return nullptr;
    T* copy = make(*owner_of(from));
    if (!copy) {
      ok = false;
      return nullptr;
    }
    AvlNode* n = node_of(*copy);
    ASSERT(!n->is_linked());
    n->m_parent = parent;
    n->m_height = from->m_height;
    m_size++;
    n->m_left = clone_subtree(from->m_left, n, make, ok);
    n->m_right = clone_subtree(from->m_right, n, make, ok);
    return n;
  }
  static i32 height(AvlNode* n) { return n ? n->m_height : 0; }
  static void update_height(AvlNode* n) {
    i32 l = height(n->m_left), r = height(n->m_right);
    n->m_height = (l > r ? l : r) + 1;
  }
  void replace_child(AvlNode* parent, AvlNode* old_child, AvlNode* new_child) {
    if (!parent)
      m_root = new_child;
    else if (parent->m_left == old_child)
      parent->m_left = new_child;
    else
      parent->m_right = new_child;
  }
  // Rotate so that x's right child y takes x's place.
  AvlNode* rotate_left(AvlNode* x) {
    AvlNode* y = x->m_right;
    x->m_right = y->m_left;
    if (y->m_left) y->m_left->m_parent = x;
    y->m_parent = x->m_parent;
    replace_child(x->m_parent, x, y);
    y->m_left = x;
    x->m_parent = y;
    update_height(x);
    update_height(y);
    return y;
  }
  AvlNode* rotate_right(AvlNode* x) {
    AvlNode* y = x->m_left;
    x->m_left = y->m_right;
    if (y->m_right) y->m_right->m_parent = x;
    y->m_parent = x->m_parent;
    replace_child(x->m_parent, x, y);
    y->m_right = x;
    x->m_parent = y;
    update_height(x);
    update_height(y);
    return y;
  }
  void rebalance_from(AvlNode* n) {
    while (n) {
      update_height(n);
      i32 balance = height(n->m_left) - height(n->m_right);
      if (balance > 1) {
        if (height(n->m_left->m_left) < height(n->m_left->m_right)) rotate_left(n->m_left);
        n = rotate_right(n);
      } else if (balance < -1) {
        if (height(n->m_right->m_right) < height(n->m_right->m_left)) rotate_right(n->m_right);
        n = rotate_left(n);
      }
      n = n->m_parent;
    }
  }
  // Height of the subtree, or -1 if an invariant is broken.
  i32 check_subtree(AvlNode* n, AvlNode* parent, usize* count) const {
    if (!n) return 0;
    (*count)++;
    if (n->m_parent != parent) return -1;
    u64 k = KeyOf::key(*owner_of(n));
    if (n->m_left && KeyOf::key(*owner_of(n->m_left)) >= k) return -1;
    if (n->m_right && KeyOf::key(*owner_of(n->m_right)) <= k) return -1;
    i32 l = check_subtree(n->m_left, n, count);
    i32 r = check_subtree(n->m_right, n, count);
    if (l < 0 || r < 0 || l - r > 1 || r - l > 1) return -1;
    i32 h = (l > r ? l : r) + 1;
    return h == n->m_height ? h : -1;
  }

  AvlNode* m_root = nullptr;
  usize m_size = 0;
};
