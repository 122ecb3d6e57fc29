#include "lib/format.h"

namespace {

class Sink {
 public:
  Sink(char* buf, usize size) : m_buf(buf), m_size(size) {}
  void put(char c) {
    if (m_len + 1 < m_size) m_buf[m_len] = c;
    m_len++;
  }
  void repeat(char c, int n) {
    for (int i = 0; i < n; i++) put(c);
  }
  usize finish() {
    if (m_size > 0) m_buf[m_len < m_size ? m_len : m_size - 1] = '\0';
    return m_len;
  }

 private:
  char* m_buf;
  usize m_size;
  usize m_len = 0;
};

struct Spec {
  bool left = false;
  bool zero = false;
  bool plus = false;
  bool space = false;
  bool alt = false;
  int width = 0;
  int precision = -1;
};

void emit_padded(Sink& out, const Spec& spec, const char* prefix, const char* body, int body_len) {
  int prefix_len = 0;
  while (prefix[prefix_len]) prefix_len++;
  int zeros = 0;
  if (spec.precision > body_len) zeros = spec.precision - body_len;
  int total = prefix_len + zeros + body_len;
  int pad = spec.width > total ? spec.width - total : 0;
  if (!spec.left && !(spec.zero && spec.precision < 0)) out.repeat(' ', pad);
  for (int i = 0; i < prefix_len; i++) out.put(prefix[i]);
  if (!spec.left && spec.zero && spec.precision < 0) out.repeat('0', pad);
  out.repeat('0', zeros);
  for (int i = 0; i < body_len; i++) out.put(body[i]);
  if (spec.left) out.repeat(' ', pad);
}

void emit_number(Sink& out, const Spec& spec, u64 value, bool negative, unsigned base, bool upper,
                 const char* alt_prefix) {
  char digits[24];
  int n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (value == 0 && spec.precision != 0) digits[n++] = '0';
  while (value != 0) {
    digits[n++] = set[value % base];
    value /= base;
  }
  char body[24];
  for (int i = 0; i < n; i++) body[i] = digits[n - 1 - i];
  const char* prefix = "";
  if (negative)
    prefix = "-";
  else if (spec.plus)
    prefix = "+";
  else if (spec.space)
    prefix = " ";
  else if (alt_prefix)
    prefix = alt_prefix;
  emit_padded(out, spec, prefix, body, n);
}

}  // namespace

usize vformat(char* buf, usize size, const char* fmt, va_list args) {
  Sink out(buf, size);
  for (const char* p = fmt; *p; p++) {
    if (*p != '%') {
      out.put(*p);
      continue;
    }
    p++;
    Spec spec;
    for (;; p++) {
      if (*p == '-')
        spec.left = true;
      else if (*p == '0')
        spec.zero = true;
      else if (*p == '+')
        spec.plus = true;
      else if (*p == ' ')
        spec.space = true;
      else if (*p == '#')
        spec.alt = true;
      else
        break;
    }
    if (*p == '*') {
      spec.width = va_arg(args, int);
      if (spec.width < 0) {
        spec.left = true;
        spec.width = -spec.width;
      }
      p++;
    } else {
      while (*p >= '0' && *p <= '9') spec.width = spec.width * 10 + (*p++ - '0');
    }
    if (*p == '.') {
      p++;
      spec.precision = 0;
      if (*p == '*') {
        spec.precision = va_arg(args, int);
        p++;
      } else {
        while (*p >= '0' && *p <= '9') spec.precision = spec.precision * 10 + (*p++ - '0');
      }
    }
    int longness = 0;  // -2 hh, -1 h, 0 int, 1 long, 2 long long
    for (;; p++) {
      if (*p == 'l')
        longness++;
      else if (*p == 'h')
        longness--;
      else if (*p == 'z' || *p == 't' || *p == 'j')
        longness = 1;
      else
        break;
    }
    auto get_signed = [&]() -> i64 {
      if (longness >= 1) return va_arg(args, i64);
      int v = va_arg(args, int);
      if (longness == -1) return static_cast<short>(v);
      if (longness == -2) return static_cast<signed char>(v);
      return v;
    };
    auto get_unsigned = [&]() -> u64 {
      if (longness >= 1) return va_arg(args, u64);
      unsigned v = va_arg(args, unsigned);
      if (longness == -1) return static_cast<unsigned short>(v);
      if (longness == -2) return static_cast<unsigned char>(v);
      return v;
    };
    switch (*p) {
      case 'd':
      case 'i': {
        i64 v = get_signed();
        u64 magnitude = v < 0 ? static_cast<u64>(0) - static_cast<u64>(v) : static_cast<u64>(v);
        emit_number(out, spec, magnitude, v < 0, 10, false, nullptr);
        break;
      }
      case 'u':
        emit_number(out, spec, get_unsigned(), false, 10, false, nullptr);
        break;
      case 'x':
      case 'X': {
        u64 v = get_unsigned();
        emit_number(out, spec, v, false, 16, *p == 'X', spec.alt && v ? (*p == 'X' ? "0X" : "0x") : nullptr);
        break;
      }
      case 'o': {
        u64 v = get_unsigned();
        // '#' makes the first digit a zero, unless the digits or the precision already begin with one
        // (C11 7.21.6.1): "%#o" of 0 is "0", "%#.3o" of 8 is "010".
        int digits = 0;
        for (u64 t = v; t != 0; t /= 8) digits++;
        bool needs_zero = v != 0 ? spec.precision <= digits : spec.precision == 0;
        emit_number(out, spec, v, false, 8, false, spec.alt && needs_zero ? "0" : nullptr);
        break;
      }
      case 'p': {
        auto v = reinterpret_cast<uptr>(va_arg(args, void*));
        Spec pspec = spec;
        emit_number(out, pspec, v, false, 16, false, "0x");
        break;
      }
      case 'c': {
        char c = static_cast<char>(va_arg(args, int));
        emit_padded(out, spec, "", &c, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(args, const char*);
        if (!s) s = "(null)";
        int len = 0;
        // Test the precision first: with one, s need not be NUL-terminated (C11 7.21.6.1).
        while ((spec.precision < 0 || len < spec.precision) && s[len]) len++;
        Spec sspec = spec;
        sspec.precision = -1;
        sspec.zero = false;
        emit_padded(out, sspec, "", s, len);
        break;
      }
      case '%':
        out.put('%');
        break;
      case '\0':
        p--;
        break;
      default:
        out.put('%');
        out.put(*p);
        break;
    }
  }
  return out.finish();
}

usize format(char* buf, usize size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  usize n = vformat(buf, size, fmt, args);
  va_end(args);
  return n;
}
