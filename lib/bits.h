// Bit helpers that compile to a few instructions on every target. (GCC's __builtin_ctzll is a library call on a
// RISC-V core without the Zbb extension, which the kernel does not assume.)
#pragma once

#include "lib/types.h"

// Index of the lowest set bit of a non-zero value: de Bruijn multiplication (Leiserson, Prokop and Randall,
// "Using de Bruijn Sequences to Index a 1 in a Computer Word", 1998).
inline unsigned lowest_set_bit(u64 x) {
  static constexpr u8 table[64] = {0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28,
                                   62, 5,  39, 46, 44, 42, 22, 9,  24, 35, 59, 56, 49, 18, 29, 11,
                                   63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
                                   51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
  return table[((x & -x) * 0x022fdd63cc95386dull) >> 58];
}
