// lib/bits.h: lowest_set_bit must agree with the compiler's count-trailing-zeros on every bit position and on
// values with many bits set.
#include "lib/bits.h"

#include <doctest/doctest.h>

TEST_SUITE("bits") {
  TEST_CASE("lowest_set_bit of a single bit is its position") {
    for (unsigned i = 0; i < 64; ++i) CHECK(lowest_set_bit(u64{1} << i) == i);
  }

  TEST_CASE("lowest_set_bit ignores the bits above the lowest") {
    u64 x = 0x9e3779b97f4a7c15ull;  // a fixed pseudo-random walk over many values
    for (int n = 0; n < 100000; ++n) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      if (x == 0) continue;
      CHECK(lowest_set_bit(x) == static_cast<unsigned>(__builtin_ctzll(x)));
      for (unsigned i = 0; i < 64; i += 9) {
        u64 high = x | (u64{1} << 63);
        u64 y = high & ~((u64{1} << i) - 1);
        if (y) REQUIRE(lowest_set_bit(y) == static_cast<unsigned>(__builtin_ctzll(y)));
      }
    }
  }
}
