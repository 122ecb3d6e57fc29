// The C library functions the compiler and our code expect (memcpy, memset, strlen...), written for the
// freestanding kernel. Copies use 8-byte words when both pointers are aligned.
#include <cstddef>

#include "lib/types.h"

extern "C" {

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  auto* d = static_cast<u8*>(dst);
  const auto* s = static_cast<const u8*>(src);
  if (n >= 32 && ((reinterpret_cast<uptr>(d) ^ reinterpret_cast<uptr>(s)) & 7) != 0) {
    // Different alignments: align the destination, then build each destination word from two aligned source
    // words (no misaligned loads: they trap to firmware on some hardware).
    while (reinterpret_cast<uptr>(d) & 7) *d++ = *s++, n--;
    unsigned shift = static_cast<unsigned>(reinterpret_cast<uptr>(s) & 7) * 8;
    const u64* sw = reinterpret_cast<const u64*>(reinterpret_cast<uptr>(s) & ~uptr(7));
    u64* dw = reinterpret_cast<u64*>(d);
    u64 low = *sw++;
    while (n >= 16) {  // keep one source word of slack: never read past the end of src
      u64 high = *sw++;
      *dw++ = (low >> shift) | (high << (64 - shift));
      low = high;
      n -= 8;
    }
    d = reinterpret_cast<u8*>(dw);
    s = reinterpret_cast<const u8*>(sw) - 8 + shift / 8;
  }
  if (((reinterpret_cast<uptr>(d) | reinterpret_cast<uptr>(s)) & 7) == 0) {
    while (n >= 64) {
      auto* dw = reinterpret_cast<u64*>(d);
      const auto* sw = reinterpret_cast<const u64*>(s);
      u64 a = sw[0], b = sw[1], c = sw[2], e = sw[3], f = sw[4], g = sw[5], h = sw[6], i = sw[7];
      dw[0] = a, dw[1] = b, dw[2] = c, dw[3] = e, dw[4] = f, dw[5] = g, dw[6] = h, dw[7] = i;
      d += 64, s += 64, n -= 64;
    }
    while (n >= 8) {
      *reinterpret_cast<u64*>(d) = *reinterpret_cast<const u64*>(s);
      d += 8, s += 8, n -= 8;
    }
  }
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<u8*>(dst);
  const auto* s = static_cast<const u8*>(src);
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<u8*>(dst);
  u8 byte = static_cast<u8>(c);
  while (n && (reinterpret_cast<uptr>(d) & 7)) *d++ = byte, n--;
  u64 word = 0x0101010101010101ull * byte;
  while (n >= 64) {
    auto* w = reinterpret_cast<u64*>(d);
    w[0] = word, w[1] = word, w[2] = word, w[3] = word, w[4] = word, w[5] = word, w[6] = word, w[7] = word;
    d += 64, n -= 64;
  }
  while (n >= 8) *reinterpret_cast<u64*>(d) = word, d += 8, n -= 8;
  while (n--) *d++ = byte;
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const u8*>(a);
  const auto* y = static_cast<const u8*>(b);
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

void* memchr(const void* s, int c, size_t n) {
  const auto* p = static_cast<const u8*>(s);
  for (size_t i = 0; i < n; i++)
    if (p[i] == static_cast<u8>(c)) return const_cast<u8*>(p + i);
  return nullptr;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return static_cast<u8>(*a) - static_cast<u8>(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return static_cast<u8>(a[i]) - static_cast<u8>(b[i]);
    if (!a[i]) return 0;
  }
  return 0;
}

char* strncpy(char* dst, const char* src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++) dst[i] = src[i];
  for (; i < n; i++) dst[i] = '\0';
  return dst;
}

char* strchr(const char* s, int c) {
  for (;; s++) {
    if (*s == static_cast<char>(c)) return const_cast<char*>(s);
    if (!*s) return nullptr;
  }
}

char* strrchr(const char* s, int c) {
  const char* last = nullptr;
  for (;; s++) {
    if (*s == static_cast<char>(c)) last = s;
    if (!*s) return const_cast<char*>(last);
  }
}

// C++ runtime hooks the compiler may reference.
void __cxa_pure_virtual() { __builtin_trap(); }
int atexit(void (*)(void)) { return 0; }  // the kernel never exits: static destructors never run
void* __dso_handle = nullptr;
}

// Bit-counting helpers GCC calls for __builtin_clz/ctz/popcount on a core without Zbb. The kernel cannot link
// Debian's libgcc (built for the lp64d ABI), so they are here.
extern "C" {
int __clzdi2(unsigned long x) {
  // Binary search: six steps.
  int n = 0;
  if (!(x & 0xffffffff00000000ul)) n += 32, x <<= 32;
  if (!(x & 0xffff000000000000ul)) n += 16, x <<= 16;
  if (!(x & 0xff00000000000000ul)) n += 8, x <<= 8;
  if (!(x & 0xf000000000000000ul)) n += 4, x <<= 4;
  if (!(x & 0xc000000000000000ul)) n += 2, x <<= 2;
  if (!(x & 0x8000000000000000ul)) n += 1;
  return x ? n : 64;
}
int __ctzdi2(unsigned long x) {
  // De Bruijn multiplication: isolate the lowest set bit, multiply, look up (Leiserson, Prokop, Randall 1998).
  static const unsigned char table[64] = {
      0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42,
      22, 9,  24, 35, 59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21,
      23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
  if (!x) return 64;
  return table[((x & -x) * 0x022fdd63cc95386dul) >> 58];
}
int __clzsi2(unsigned x) { return __clzdi2(x) - 32; }
int __ctzsi2(unsigned x) { return x ? __ctzdi2(x) : 32; }
int __popcountdi2(unsigned long x) {
  int n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}
}
