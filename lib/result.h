// Result<T>: a value or an Error (a Linux errno). Fallible functions return it instead of throwing (the
// kernel has no exceptions) or returning magic values. Use TRY(expr) to propagate an error to the caller and
// MUST(expr) where an error would be a kernel bug.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "lib/assert.h"
#include "lib/error.h"

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : m_has_value(true) { new (&m_value) T(value); }
  Result(T&& value) : m_has_value(true) { new (&m_value) T(std::move(value)); }
  Result(Error error) : m_error(error), m_has_value(false) {}

  Result(Result&& other) : m_has_value(other.m_has_value) {
    if (m_has_value)
      new (&m_value) T(std::move(other.m_value));
    else
      m_error = other.m_error;
  }
  Result(const Result& other) : m_has_value(other.m_has_value) {
    if (m_has_value)
      new (&m_value) T(other.m_value);
    else
      m_error = other.m_error;
  }
  Result& operator=(Result&& other) {
    if (this != &other) {
      this->~Result();
      new (this) Result(std::move(other));
    }
    return *this;
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      this->~Result();
      new (this) Result(other);
    }
    return *this;
  }
  ~Result() {
    if (m_has_value) m_value.~T();
  }

  bool is_error() const { return !m_has_value; }
  bool has_value() const { return m_has_value; }
  Error error() const {
    ASSERT(!m_has_value);
    return m_error;
  }
  T& value() {
    ASSERT(m_has_value);
    return m_value;
  }
  const T& value() const {
    ASSERT(m_has_value);
    return m_value;
  }
  T release_value() {
    ASSERT(m_has_value);
    return std::move(m_value);
  }
  T value_or(T fallback) const { return m_has_value ? m_value : fallback; }

 private:
  union {
    T m_value;
    Error m_error;
  };
  bool m_has_value;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(error), m_has_error(true) {}

  bool is_error() const { return m_has_error; }
  bool has_value() const { return !m_has_error; }
  Error error() const {
    ASSERT(m_has_error);
    return m_error;
  }
  void release_value() const {}

 private:
  Error m_error{};
  bool m_has_error = false;
};

// Propagate an error to the caller, otherwise evaluate to the value (a GNU statement expression).
#define TRY(expr)                                                                                          \
  ({                                                                                                       \
    auto _try_result = (expr);                                                                             \
    if (_try_result.is_error()) return _try_result.error();                                                \
    _try_result.release_value();                                                                           \
  })

// Evaluate to the value; an error here is a kernel bug.
#define MUST(expr)                                                                                         \
  ({                                                                                                       \
    auto _must_result = (expr);                                                                            \
    if (_must_result.is_error())                                                                           \
      panic("MUST(%s) failed: %s (%s:%d)", #expr, error_name(_must_result.error()), __FILE__, __LINE__);  \
    _must_result.release_value();                                                                          \
  })
