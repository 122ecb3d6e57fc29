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

// Checks made only in debug builds — the host tests and the debug kernel (kernel/kernel-debug.elf) — because
// the release kernel's fault and system-call paths are measured in instructions (BENCHMARKS.md). A release build
// (NDEBUG) compiles them to nothing and does not evaluate the condition.
#ifdef NDEBUG
#define DEBUG_ASSERT(cond) ((void)sizeof(!(cond)))
#define ASSERT_LOCKED(lock) ((void)sizeof(&(lock)))
#else
#define DEBUG_ASSERT(cond) ASSERT(cond)
// In a function whose name ends in _locked: the caller holds `lock` on this hart.
#define ASSERT_LOCKED(lock)                                                                                \
  ASSERT_MSG((lock).is_held(), "%s: lock '%s' is not held by this hart (%s:%d)", __func__, (lock).name(),  \
             __FILE__, __LINE__)
#endif
