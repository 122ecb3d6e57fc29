// panic() and ASSERT: the one way the kernel stops on a bug of its own. The kernel implements panic() with a
// full report (kernel/panic.cpp); the host test build implements it by throwing, so tests can check that
// an invariant is enforced.
#pragma once

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#define ASSERT(cond)                                                                                       \
  do {                                                                                                     \
    if (__builtin_expect(!(cond), 0))                                                                      \
      panic("assertion failed: %s (%s:%d, %s)", #cond, __FILE__, __LINE__, __func__);                     \
  } while (0)

#define ASSERT_MSG(cond, ...)                                                                              \
  do {                                                                                                     \
    if (__builtin_expect(!(cond), 0)) panic(__VA_ARGS__);                                                  \
  } while (0)

#define UNREACHABLE() panic("unreachable code reached (%s:%d, %s)", __FILE__, __LINE__, __func__)
