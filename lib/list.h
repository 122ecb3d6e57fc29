// An intrusive, circular, doubly linked list: the node lives inside the object, so linking and unlinking
// never allocate (the kernel uses this for free frames, run queues and wait queues).
//
//   struct Frame { ListNode m_node; ... };
//   IntrusiveList<Frame, &Frame::m_node> free_list;
#pragma once

#include "lib/assert.h"
#include "lib/types.h"

struct ListNode {
  ListNode* m_prev = nullptr;
  ListNode* m_next = nullptr;

  bool is_linked() const { return m_next != nullptr; }
};

template <typename T, ListNode T::*Member>
class IntrusiveList {
 public:
  IntrusiveList() { m_head.m_prev = m_head.m_next = &m_head; }
  AS_NONCOPYABLE(IntrusiveList);
  AS_NONMOVABLE(IntrusiveList);

  bool is_empty() const { return m_head.m_next == &m_head; }
  usize size_slow() const {
    usize n = 0;
    for (ListNode* p = m_head.m_next; p != &m_head; p = p->m_next) n++;
    return n;
  }

  void push_front(T& item) { insert_after(&m_head, node_of(item)); }
  void push_back(T& item) { insert_after(m_head.m_prev, node_of(item)); }
  void insert_after_item(T& position, T& item) { insert_after(node_of(position), node_of(item)); }

  T* front() const { return is_empty() ? nullptr : owner_of(m_head.m_next); }
  T* back() const { return is_empty() ? nullptr : owner_of(m_head.m_prev); }

  T* pop_front() {
    if (is_empty()) return nullptr;
    T* item = owner_of(m_head.m_next);
    remove(*item);
    return item;
  }

  static void remove(T& item) {
    ListNode* n = node_of(item);
    ASSERT(n->is_linked());
    n->m_prev->m_next = n->m_next;
    n->m_next->m_prev = n->m_prev;
    n->m_prev = n->m_next = nullptr;
  }

  // The next element after item, or nullptr at the end (for removal-safe iteration).
  T* next_of(T& item) const {
    ListNode* n = node_of(item)->m_next;
    return n == &m_head ? nullptr : owner_of(n);
  }

  class Iterator {
   public:
    Iterator(ListNode* n) : m_node(n) {}
    T& operator*() const { return *owner_of(m_node); }
    T* operator->() const { return owner_of(m_node); }
    Iterator& operator++() {
      m_node = m_node->m_next;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return m_node != other.m_node; }

   private:
    ListNode* m_node;
  };
  Iterator begin() const { return Iterator(m_head.m_next); }
  Iterator end() const { return Iterator(const_cast<ListNode*>(&m_head)); }

 private:
  static ListNode* node_of(T& item) { return &(item.*Member); }
  static T* owner_of(ListNode* n) {
    // Offset of the member inside T, computed on uninitialised storage (no T is constructed).
    alignas(T) static char probe_storage[sizeof(T)];
    auto* probe = reinterpret_cast<T*>(probe_storage);
    auto offset = reinterpret_cast<uptr>(&(probe->*Member)) - reinterpret_cast<uptr>(probe);
    return reinterpret_cast<T*>(reinterpret_cast<uptr>(n) - offset);
  }
  static void insert_after(ListNode* pos, ListNode* n) {
    ASSERT(!n->is_linked());
    n->m_prev = pos;
    n->m_next = pos->m_next;
    pos->m_next->m_prev = n;
    pos->m_next = n;
  }

  ListNode m_head;
};
