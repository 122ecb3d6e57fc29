// Fixed-width integer names and small helpers shared by the kernel, mm/ and the host tests.
// Everything in lib/ is header-only, freestanding and portable: it compiles for the riscv64 kernel and for
// the host, where the doctest unit tests use it.
#pragma once

#include <cstddef>
#include <cstdint>

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i8 = std::int8_t;
using i16 = std::int16_t;
using i32 = std::int32_t;
using i64 = std::int64_t;
using usize = std::size_t;
using isize = std::ptrdiff_t;
using uptr = std::uintptr_t;

constexpr u64 KiB = 1024;
constexpr u64 MiB = 1024 * KiB;
constexpr u64 GiB = 1024 * MiB;

constexpr u64 align_down(u64 value, u64 alignment) { return value & ~(alignment - 1); }
constexpr u64 align_up(u64 value, u64 alignment) { return (value + alignment - 1) & ~(alignment - 1); }
constexpr bool is_aligned(u64 value, u64 alignment) { return (value & (alignment - 1)) == 0; }
constexpr bool is_power_of_two(u64 value) { return value != 0 && (value & (value - 1)) == 0; }

// Number of elements of a C array, checked at compile time.
template <typename T, usize N>
constexpr usize array_size(const T (&)[N]) { return N; }

#define AS_NONCOPYABLE(T)                                                                                  \
  T(const T&) = delete;                                                                                    \
  T& operator=(const T&) = delete

#define AS_NONMOVABLE(T)                                                                                   \
  T(T&&) = delete;                                                                                         \
  T& operator=(T&&) = delete

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
