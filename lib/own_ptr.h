// OwnPtr<T>: the one owner of an object. It releases the object when it goes away (at scope exit, when
// overwritten, or by clear()), so a failure path needs no undo code: what was made so far goes with the OwnPtr
// that holds it. Moving hands the object on; leak() gives it up to a structure that owns it some other way (an
// intrusive tree). Its size is that of a pointer.
//
// How the object is released is a policy: `delete` (DeleteOwned, the default), or the static T::destroy(T*) of
// types made by a static create() (StaticDestroy: the pmap).
//
//   OwnPtr<Region> r = TRY(Region::create(...));   // freed on every return below, unless handed on
//   insert(r.leak());
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "lib/types.h"

template <typename T>
struct DeleteOwned {
  void operator()(T* object) const { delete object; }
};

template <typename T>
struct StaticDestroy {
  void operator()(T* object) const { T::destroy(object); }
};

template <typename T, typename Release = DeleteOwned<T>>
class OwnPtr {
 public:
  constexpr OwnPtr() = default;
  constexpr OwnPtr(std::nullptr_t) {}
  // Takes ownership of object (which may be nullptr).
  explicit OwnPtr(T* object) : m_ptr(object) {}
  OwnPtr(OwnPtr&& other) : m_ptr(other.leak()) {}
  // From the owner of an object of a derived type, both deleting (T needs a virtual destructor).
  template <typename U>
    requires(std::is_convertible_v<U*, T*> && !std::is_same_v<U, T> && std::is_same_v<Release, DeleteOwned<T>>)
  OwnPtr(OwnPtr<U, DeleteOwned<U>>&& other) : m_ptr(other.leak()) {}
  ~OwnPtr() { clear(); }
  AS_NONCOPYABLE(OwnPtr);

  OwnPtr& operator=(OwnPtr&& other) {
    if (this != &other) reset(other.leak());
    return *this;
  }
  OwnPtr& operator=(std::nullptr_t) {
    clear();
    return *this;
  }

  T* get() const { return m_ptr; }
  T* operator->() const { return m_ptr; }
  T& operator*() const { return *m_ptr; }
  explicit operator bool() const { return m_ptr != nullptr; }

  // Gives up ownership: the caller (or the structure it hands the object to) releases it now.
  [[nodiscard]] T* leak() {
    T* object = m_ptr;
    m_ptr = nullptr;
    return object;
  }
  // Releases the object now (if any).
  void clear() { reset(nullptr); }
  // Releases the object held now and owns `object` instead.
  void reset(T* object) {
    T* old = m_ptr;
    m_ptr = object;
    if (old) m_release(old);
  }

 private:
  T* m_ptr = nullptr;
  [[no_unique_address]] Release m_release;
};

// A new T owned by an OwnPtr; null when the heap is exhausted (the kernel's new returns nullptr).
template <typename T, typename... Args>
OwnPtr<T> make_own(Args&&... args) {
  return OwnPtr<T>(new T(std::forward<Args>(args)...));
}
