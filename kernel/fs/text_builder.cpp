#include "kernel/fs/text_builder.h"

#include <cstring>

#include "mm/heap.h"
#include "lib/format.h"

TextBuilder::~TextBuilder() { kfree(m_data); }

bool TextBuilder::reserve(usize extra) {
  if (m_has_failed) return false;
  if (m_length + extra <= m_capacity) return true;
  usize capacity = m_capacity ? m_capacity : 512;
  while (capacity < m_length + extra) capacity *= 2;
  auto* data = static_cast<char*>(kmalloc(capacity));
  if (!data) {
    m_has_failed = true;
    return false;
  }
  if (m_length) memcpy(data, m_data, m_length);
  kfree(m_data);
  m_data = data;
  m_capacity = capacity;
  return true;
}

void TextBuilder::append(const char* text, usize len) {
  // Nothing to add (an empty /proc/PID/cmdline): memcpy must not see the null buffer of an empty builder.
  if (len == 0 || !reserve(len)) return;
  memcpy(m_data + m_length, text, len);
  m_length += len;
}

void TextBuilder::append(const char* text) { append(text, strlen(text)); }

void TextBuilder::appendf(const char* fmt, ...) {
  // Format into the free space; if it did not fit, grow to the size vformat reported and format again.
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!reserve(64)) return;
    va_list args;
    va_start(args, fmt);
    usize room = m_capacity - m_length;
    usize needed = vformat(m_data + m_length, room, fmt, args);
    va_end(args);
    if (needed < room) {
      m_length += needed;
      return;
    }
    if (!reserve(needed + 1)) return;
  }
}

void TextBuilder::pad_to(usize length) {
  while (m_length < length && !m_has_failed) append(' ');
}

char* TextBuilder::take(usize& length) {
  char* data = m_data;
  length = m_length;
  m_data = nullptr;
  m_length = m_capacity = 0;
  return data;
}
