// Intrusive reference counting for shared kernel objects (open files, VM objects, address-space families).
// The count lives in the object (RefCounted), RefPtr<T> holds one reference and drops it when destroyed.
// The last reference deletes the object. Counts are atomic: objects are shared between harts.
#pragma once

#include "lib/atomic.h"
#include <utility>

#include "lib/assert.h"
#include "lib/types.h"

class RefCounted {
 public:
  void ref() const { m_refcount.fetch_add(1, MemoryOrder::Relaxed); }
  // Returns true when this was the last reference (the caller then deletes the object).
  bool unref() const {
    u32 old = m_refcount.fetch_sub(1, MemoryOrder::AcqRel);
    ASSERT_MSG(old != 0, "reference count underflow");
    return old == 1;
  }
  u32 ref_count() const { return m_refcount.load(MemoryOrder::Relaxed); }
  // Takes a reference unless the count has already dropped to zero (the object is being destroyed). For a
  // cache that finds objects through pointers it does not count (the object leaves the cache in its
  // destructor, under the cache's lock).
  bool try_ref() const {
    u32 count = m_refcount.load(MemoryOrder::Relaxed);
    while (count != 0)
      if (m_refcount.compare_exchange(count, count + 1, MemoryOrder::Acquire)) return true;
    return false;
  }

 protected:
  RefCounted() = default;
  ~RefCounted() = default;

 private:
  mutable Atomic<u32> m_refcount{1};  // the creator holds the first reference
};

template <typename T>
class RefPtr {
 public:
  RefPtr() = default;
  RefPtr(std::nullptr_t) {}
  // Adopts a reference the caller already holds (a freshly created object starts with one).
  static RefPtr adopt(T* p) {
    RefPtr r;
    r.m_ptr = p;
    return r;
  }
  // Takes a new reference.
  explicit RefPtr(T* p) : m_ptr(p) {
    if (m_ptr) m_ptr->ref();
  }
  RefPtr(const RefPtr& o) : m_ptr(o.m_ptr) {
    if (m_ptr) m_ptr->ref();
  }
  RefPtr(RefPtr&& o) : m_ptr(o.m_ptr) { o.m_ptr = nullptr; }
  template <typename U>
  RefPtr(RefPtr<U>&& o) : m_ptr(o.leak()) {}
  template <typename U>
  RefPtr(const RefPtr<U>& o) : m_ptr(o.get()) {
    if (m_ptr) m_ptr->ref();
  }
  ~RefPtr() { clear(); }
  RefPtr& operator=(const RefPtr& o) {
    T* p = o.m_ptr;  // read before clear(): o may be *this
    if (p) p->ref();
    clear();
    m_ptr = p;
    return *this;
  }
  RefPtr& operator=(RefPtr&& o) {
    if (this != &o) {
      clear();
      m_ptr = o.m_ptr;
      o.m_ptr = nullptr;
    }
    return *this;
  }
  RefPtr& operator=(std::nullptr_t) {
    clear();
    return *this;
  }

  T* get() const { return m_ptr; }
  T* operator->() const { return m_ptr; }
  T& operator*() const { return *m_ptr; }
  explicit operator bool() const { return m_ptr != nullptr; }
  bool operator==(const RefPtr& o) const { return m_ptr == o.m_ptr; }
  // Gives up ownership without dropping the reference.
  T* leak() {
    T* p = m_ptr;
    m_ptr = nullptr;
    return p;
  }
  void clear() {
    if (m_ptr && m_ptr->unref()) delete m_ptr;
    m_ptr = nullptr;
  }

 private:
  T* m_ptr = nullptr;
};

template <typename T, typename... Args>
RefPtr<T> make_ref(Args&&... args) {
  return RefPtr<T>::adopt(new T(std::forward<Args>(args)...));
}
