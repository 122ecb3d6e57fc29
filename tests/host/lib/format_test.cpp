// lib/format: the kernel's printf. Most checks compare format() with the C library's snprintf on the same
// format string and arguments (the compiler checks both calls against the printf rules), so "correct" means
// "what printf(3) does" for every conversion, flag, width, precision and length modifier lib/format.h lists.
#include "lib/format.h"

#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

// format() and snprintf() without the compiler's format checking: for malformed format strings, and for
// flag combinations that C defines but GCC warns about (such as "%-05d", where '-' overrides '0').
usize format_unchecked(char* buf, usize size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  usize n = vformat(buf, size, fmt, args);
  va_end(args);
  return n;
}
int snprintf_unchecked(char* buf, usize size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(buf, size, fmt, args);
  va_end(args);
  return n;
}

struct Formatted {
  std::string text;
  usize length;
};

// format() into a large buffer.
#define OURS(...)                                                                                          \
  ([&] {                                                                                                   \
    char buf_[512];                                                                                        \
    usize n_ = format(buf_, sizeof buf_, __VA_ARGS__);                                                     \
    return Formatted{buf_, n_};                                                                            \
  }())

// Checks that ours() and libc() produce the same text and return the same length.
#define CHECK_SAME_OUTPUT(ours, libc, ...)                                                                 \
  do {                                                                                                     \
    char ours_buf_[512], libc_buf_[512];                                                                   \
    usize n_ = ours(ours_buf_, sizeof ours_buf_, __VA_ARGS__);                                             \
    int m_ = libc(libc_buf_, sizeof libc_buf_, __VA_ARGS__);                                               \
    INFO("format(" #__VA_ARGS__ ")");                                                                      \
    CHECK(std::string(ours_buf_) == std::string(libc_buf_));                                               \
    CHECK(n_ == static_cast<usize>(m_));                                                                   \
  } while (0)

// format() and snprintf() agree (both calls checked by the compiler).
#define CHECK_LIKE_LIBC(...) CHECK_SAME_OUTPUT(format, snprintf, __VA_ARGS__)
// The same, for format strings GCC would warn about.
#define CHECK_LIKE_LIBC_UNCHECKED(...) CHECK_SAME_OUTPUT(format_unchecked, snprintf_unchecked, __VA_ARGS__)

}  // namespace

TEST_SUITE("lib/format") {

// Plain text and %% pass through unchanged.
TEST_CASE("format: plain text and %%") {
  CHECK_LIKE_LIBC("hello, world");
  CHECK_LIKE_LIBC("%s", "");
  CHECK_LIKE_LIBC("100%% sure, %%%d%%", 5);
  CHECK_LIKE_LIBC_UNCHECKED("");
}

// %d and %i: signed decimal, including zero, negatives and the extremes of int.
TEST_CASE("format: %d and %i") {
  for (int v : {0, 1, -1, 42, -42, 1000000, INT_MAX, INT_MIN}) {
    CHECK_LIKE_LIBC("%d", v);
    CHECK_LIKE_LIBC("%i", v);
    CHECK_LIKE_LIBC("[%d|%i]", v, -(v / 2));
  }
}

// %u, %x, %X, %o: unsigned conversions in base 10, 16 (both cases) and 8.
TEST_CASE("format: %u %x %X %o") {
  for (unsigned v : {0u, 1u, 7u, 8u, 15u, 16u, 255u, 0xdeadbeefu, UINT_MAX}) {
    CHECK_LIKE_LIBC("%u", v);
    CHECK_LIKE_LIBC("%x", v);
    CHECK_LIKE_LIBC("%X", v);
    CHECK_LIKE_LIBC("%o", v);
  }
}

// %c and %s, with width, '-' and (for %s) a precision that cuts the string; a null %s prints "(null)".
TEST_CASE("format: %c and %s") {
  CHECK_LIKE_LIBC("%c%c%c", 'a', 'b', 'c');
  CHECK_LIKE_LIBC("[%5c]", 'x');
  CHECK_LIKE_LIBC("[%-5c]", 'x');
  CHECK_LIKE_LIBC("[%s]", "kernel");
  CHECK_LIKE_LIBC("[%10s]", "kernel");
  CHECK_LIKE_LIBC("[%-10s]", "kernel");
  CHECK_LIKE_LIBC("[%3s]", "kernel");  // width smaller than the string: no truncation
  CHECK_LIKE_LIBC("[%.3s]", "kernel");
  CHECK_LIKE_LIBC("[%.0s]", "kernel");
  CHECK_LIKE_LIBC("[%.10s]", "kernel");
  CHECK_LIKE_LIBC("[%8.3s]", "kernel");
  CHECK_LIKE_LIBC("[%-8.3s]", "kernel");
  const char* null_string = nullptr;
  CHECK(OURS("[%s]", null_string).text == "[(null)]");
  CHECK(OURS("[%8s]", null_string).text == "[  (null)]");
}

// A precision on %s never reads past it: the string need not be NUL-terminated (AddressSanitizer checks).
TEST_CASE("format: %.Ns reads at most N bytes") {
  char unterminated[3] = {'a', 'b', 'c'};
  CHECK(OURS("%.3s", unterminated).text == "abc");
  CHECK(OURS("%.2s", unterminated).text == "ab");
}

// %p: "0x" and lower-case hex digits, padded by a width.
TEST_CASE("format: %p") {
  void* p = reinterpret_cast<void*>(uptr{0x80201234});
  CHECK(OURS("%p", p).text == "0x80201234");
  CHECK(OURS("%p", reinterpret_cast<void*>(uptr{0xffffffc000000000})).text == "0xffffffc000000000");
  CHECK(OURS("%p", static_cast<void*>(nullptr)).text == "0x0");
  CHECK_LIKE_LIBC("%p", p);
  CHECK_LIKE_LIBC("[%20p]", p);
  CHECK_LIKE_LIBC("[%-20p]", p);
}

// Width pads with spaces on the left, '-' pads on the right, '0' pads numbers with zeros after the sign.
TEST_CASE("format: width with '-' and '0'") {
  for (int v : {0, 7, -7, 12345, -12345}) {
    CHECK_LIKE_LIBC("[%6d]", v);
    CHECK_LIKE_LIBC("[%-6d]", v);
    CHECK_LIKE_LIBC("[%06d]", v);
    CHECK_LIKE_LIBC_UNCHECKED("[%-06d]", v);  // '-' wins over '0'
    CHECK_LIKE_LIBC("[%2d]", v);    // too narrow: nothing is cut
  }
  CHECK_LIKE_LIBC("[%08x]", 0xbeefu);
  CHECK_LIKE_LIBC("[%-8X]", 0xbeefu);
  CHECK_LIKE_LIBC("[%08o]", 8u);
  CHECK_LIKE_LIBC("[%016lx]", 0x80200000ul);
}

// '+' and ' ' put a sign (or a space) before non-negative signed numbers; '+' wins over ' '.
TEST_CASE("format: '+' and ' ' flags") {
  for (int v : {0, 5, -5, INT_MAX, INT_MIN}) {
    CHECK_LIKE_LIBC("[%+d]", v);
    CHECK_LIKE_LIBC("[% d]", v);
    CHECK_LIKE_LIBC_UNCHECKED("[%+ d]", v);
    CHECK_LIKE_LIBC("[%+6d]", v);
    CHECK_LIKE_LIBC("[%-+6d]", v);
    CHECK_LIKE_LIBC("[%+06d]", v);
    CHECK_LIKE_LIBC("[% 06i]", v);
  }
}

// '#': "0x"/"0X" before non-zero hex numbers, a leading zero for octal (C11 7.21.6.1: the precision grows
// only as much as needed to make the first digit a zero).
TEST_CASE("format: '#' flag") {
  for (unsigned v : {0u, 1u, 8u, 0xabcu, UINT_MAX}) {
    CHECK_LIKE_LIBC("[%#x]", v);
    CHECK_LIKE_LIBC("[%#X]", v);
    CHECK_LIKE_LIBC("[%#10x]", v);
    CHECK_LIKE_LIBC("[%#-10x]", v);
    CHECK_LIKE_LIBC("[%#010x]", v);
    CHECK_LIKE_LIBC("[%#.6x]", v);
    CHECK_LIKE_LIBC("[%#o]", v);
    CHECK_LIKE_LIBC("[%#6o]", v);
    CHECK_LIKE_LIBC("[%#06o]", v);
    CHECK_LIKE_LIBC("[%#.0o]", v);
    CHECK_LIKE_LIBC("[%#.3o]", v);
    CHECK_LIKE_LIBC("[%#.8o]", v);
  }
}

// A precision on an integer is the minimum number of digits; it disables '0' padding; 0 with precision 0
// prints no digits at all.
TEST_CASE("format: precision on integers") {
  for (int v : {0, 1, -1, 123, -123, 123456}) {
    CHECK_LIKE_LIBC("[%.0d]", v);
    CHECK_LIKE_LIBC("[%.1d]", v);
    CHECK_LIKE_LIBC("[%.5d]", v);
    CHECK_LIKE_LIBC("[%8.5d]", v);
    CHECK_LIKE_LIBC("[%-8.5d]", v);
    CHECK_LIKE_LIBC_UNCHECKED("[%08.5d]", v);  // a precision disables '0'
    CHECK_LIKE_LIBC("[%+.5d]", v);
    CHECK_LIKE_LIBC("[%5.0d]", v);
    CHECK_LIKE_LIBC("[%.d]", v);  // "." alone means precision 0
  }
  for (unsigned v : {0u, 0x1fu}) {
    CHECK_LIKE_LIBC("[%.0x]", v);
    CHECK_LIKE_LIBC("[%.4X]", v);
    CHECK_LIKE_LIBC("[%.0u]", v);
    CHECK_LIKE_LIBC("[%.4o]", v);
  }
}

// '*' takes the width or the precision from the arguments; a negative width means '-', a negative
// precision means none.
TEST_CASE("format: '*' width and precision") {
  CHECK_LIKE_LIBC("[%*d]", 6, 42);
  CHECK_LIKE_LIBC("[%*d]", -6, 42);
  CHECK_LIKE_LIBC("[%-*d]", 6, 42);
  CHECK_LIKE_LIBC("[%0*d]", 6, -42);
  CHECK_LIKE_LIBC("[%.*d]", 4, 42);
  CHECK_LIKE_LIBC("[%.*d]", -1, 42);
  CHECK_LIKE_LIBC("[%*.*d]", 8, 4, 42);
  CHECK_LIKE_LIBC("[%*.*s]", 8, 3, "kernel");
  CHECK_LIKE_LIBC("[%.*s]", -1, "kernel");
  CHECK_LIKE_LIBC("[%*s]", -8, "kernel");
  CHECK_LIKE_LIBC("[%*c]", 3, 'z');
}

// Length modifiers: hh and h truncate to char and short, l, ll, z and t read 64-bit arguments.
TEST_CASE("format: length modifiers hh h l ll z t") {
  CHECK_LIKE_LIBC("%hhd", 200);
  CHECK_LIKE_LIBC("%hhd", -129);
  CHECK_LIKE_LIBC("%hhu", 300);
  CHECK_LIKE_LIBC("%hhx", 0x1ff);
  CHECK_LIKE_LIBC("%hd", 70000);
  CHECK_LIKE_LIBC("%hd", -32769);
  CHECK_LIKE_LIBC("%hu", 70000);
  CHECK_LIKE_LIBC("%hX", 0x12345);
  CHECK_LIKE_LIBC("%ld", LONG_MAX);
  CHECK_LIKE_LIBC("%ld", LONG_MIN);
  CHECK_LIKE_LIBC("%li", -1L);
  CHECK_LIKE_LIBC("%lu", ULONG_MAX);
  CHECK_LIKE_LIBC("%lx", 0xffffffc080200000ul);
  CHECK_LIKE_LIBC("%lo", 01234567012345670ul);
  CHECK_LIKE_LIBC("%lld", LLONG_MIN);
  CHECK_LIKE_LIBC("%lld", LLONG_MAX);
  CHECK_LIKE_LIBC("%llu", ULLONG_MAX);
  CHECK_LIKE_LIBC("%llX", 0xfedcba9876543210ull);
  CHECK_LIKE_LIBC("%zu", SIZE_MAX);
  CHECK_LIKE_LIBC("%zx", static_cast<size_t>(0x1000));
  CHECK_LIKE_LIBC("%zd", static_cast<ssize_t>(-4096));
  CHECK_LIKE_LIBC("%td", static_cast<ptrdiff_t>(-12345678901));
  CHECK_LIKE_LIBC("%tu", static_cast<ptrdiff_t>(12345678901));
  CHECK_LIKE_LIBC("%tx", static_cast<ptrdiff_t>(0x7fffffffffff));
  // Combined with flags, width and precision.
  CHECK_LIKE_LIBC("[%-+20lld]", -1234567890123ll);
  CHECK_LIKE_LIBC("[%#018lx]", 0x80200000ul);
  CHECK_LIKE_LIBC("[%.12llu]", 42ull);
  CHECK_LIKE_LIBC("[%+05hhd]", 7);
}

// Several conversions in one string consume their arguments in order.
TEST_CASE("format: mixed conversions") {
  CHECK_LIKE_LIBC("hart %u: %s at %#lx (%d%%), %c", 3u, "page fault", 0xdead000ul, -5, '!');
  CHECK_LIKE_LIBC("%d %s %d %s %d", 1, "a", 2, "b", 3);
}

// Like vsnprintf: the return value is the full length, the buffer gets at most size - 1 characters and a
// NUL, and nothing past size is written.
TEST_CASE("format: truncation and return value") {
  const char* expected = "value=123456789";
  usize full = strlen(expected);
  for (usize size = 0; size <= full + 2; size++) {
    char buf[32];
    memset(buf, '#', sizeof buf);
    usize n = format(buf, size, "value=%d", 123456789);
    INFO("size ", size);
    CHECK(n == full);
    if (size > 0) {
      usize kept = size - 1 < full ? size - 1 : full;
      CHECK(std::string(buf) == std::string(expected, kept));
    }
    for (usize i = size; i < sizeof buf; i++) CHECK(buf[i] == '#');
  }
  // Size 0 writes nothing, so the buffer may be null (how callers measure the length).
  CHECK(format(nullptr, 0, "%s-%d", "abc", 42) == 6);
}

// Truncation in the middle of padding, of a precision's zeros and of a prefix keeps the same rule.
TEST_CASE("format: truncation inside padding and prefixes") {
  char buf[6];
  CHECK(format(buf, sizeof buf, "%10d", 1) == 10);
  CHECK(std::string(buf) == "     ");
  CHECK(format(buf, sizeof buf, "%#.8x", 0xabu) == 10);
  CHECK(std::string(buf) == "0x000");
  CHECK(format(buf, sizeof buf, "%-8s|", "ab") == 9);
  CHECK(std::string(buf) == "ab   ");
}

// vformat consumes a va_list, so it can sit under any printf-like wrapper.
TEST_CASE("format: vformat through a wrapper") {
  char buf[64];
  CHECK(format_unchecked(buf, sizeof buf, "%s=%#x", "satp", 0x8000u) == 11);
  CHECK(std::string(buf) == "satp=0x8000");
}

// Malformed format strings (a trailing '%', an unknown conversion) neither crash nor read past the end of
// the string. Unknown conversions are printed as written.
TEST_CASE("format: malformed format strings stay within the string") {
  char buf[64];
  CHECK(format_unchecked(buf, sizeof buf, "abc%") == 3);
  CHECK(std::string(buf) == "abc");
  CHECK(format_unchecked(buf, sizeof buf, "abc%-08") == 3);
  CHECK(std::string(buf) == "abc");
  CHECK(format_unchecked(buf, sizeof buf, "x%qy") == 4);
  CHECK(std::string(buf) == "x%qy");
}

}  // TEST_SUITE
