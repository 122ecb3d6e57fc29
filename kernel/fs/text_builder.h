// TextBuilder: a growing kernel buffer that /proc files are printed into at open time. It allocates from the
// kernel heap, which is fine under the spinlocks /proc holds (the heap's lock comes after them in the lock
// order) and never sleeps. Running out of memory makes it "failed"; the caller then reports ENOMEM.
#pragma once

#include <cstdarg>

#include "lib/types.h"

class TextBuilder {
 public:
  TextBuilder() = default;
  ~TextBuilder();
  AS_NONCOPYABLE(TextBuilder);

  void append(const char* text, usize len);
  void append(const char* text);
  void append(char c) { append(&c, 1); }
  void appendf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  // Spaces until the text is `length` bytes long (nothing if it already is).
  void pad_to(usize length);

  usize length() const { return m_length; }
  bool has_failed() const { return m_has_failed; }
  // Hands the text (kmalloc'ed, not NUL-terminated) to the caller; the builder is empty afterwards.
  char* take(usize& length);

 private:
  bool reserve(usize extra);

  char* m_data = nullptr;
  usize m_length = 0;
  usize m_capacity = 0;
  bool m_has_failed = false;
};
