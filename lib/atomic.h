// Atomic<T>: atomic integers and pointers on GCC's __atomic builtins. The kernel does not use <atomic>: in C++20
// libstdc++'s <atomic> drags in <string>, <cstdio> and the C library's macros, which a freestanding kernel does
// not want. Same method names as std::atomic; orders are MemoryOrder::Relaxed ... SeqCst (default SeqCst).
#pragma once

#include "lib/types.h"

enum class MemoryOrder : int {
  Relaxed = __ATOMIC_RELAXED,
  Acquire = __ATOMIC_ACQUIRE,
  Release = __ATOMIC_RELEASE,
  AcqRel = __ATOMIC_ACQ_REL,
  SeqCst = __ATOMIC_SEQ_CST,
};

template <typename T>
class Atomic {
 public:
  constexpr Atomic() : m_value() {}
  constexpr Atomic(T value) : m_value(value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(MemoryOrder order = MemoryOrder::SeqCst) const { return __atomic_load_n(&m_value, static_cast<int>(order)); }
  void store(T value, MemoryOrder order = MemoryOrder::SeqCst) {
    __atomic_store_n(&m_value, value, static_cast<int>(order));
  }
  T exchange(T value, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_exchange_n(&m_value, value, static_cast<int>(order));
  }
  bool compare_exchange(T& expected, T desired, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_compare_exchange_n(&m_value, &expected, desired, false, static_cast<int>(order),
                                       static_cast<int>(order == MemoryOrder::AcqRel  ? MemoryOrder::Acquire
                                                        : order == MemoryOrder::Release ? MemoryOrder::Relaxed
                                                                                        : order));
  }
  T fetch_add(T v, MemoryOrder order = MemoryOrder::SeqCst) { return __atomic_fetch_add(&m_value, v, static_cast<int>(order)); }
  T fetch_sub(T v, MemoryOrder order = MemoryOrder::SeqCst) { return __atomic_fetch_sub(&m_value, v, static_cast<int>(order)); }
  T fetch_or(T v, MemoryOrder order = MemoryOrder::SeqCst) { return __atomic_fetch_or(&m_value, v, static_cast<int>(order)); }
  T fetch_and(T v, MemoryOrder order = MemoryOrder::SeqCst) { return __atomic_fetch_and(&m_value, v, static_cast<int>(order)); }
  operator T() const { return load(); }

 private:
  T m_value;
};
