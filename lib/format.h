// A small printf-style formatter for kernel log lines and panic reports (no floating point, no allocation).
// Supports %d %i %u %x %X %o %p %s %c %%, the flags '-', '0', '+', ' ', '#', a width and a precision (also
// as '*'), and the length modifiers hh, h, l, ll, z, t.
#pragma once

#include <cstdarg>

#include "lib/types.h"

// Formats into buf (always NUL-terminated when size > 0). Returns the length the full output would have,
// like vsnprintf, so callers can detect truncation.
usize vformat(char* buf, usize size, const char* fmt, va_list args);
usize format(char* buf, usize size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
