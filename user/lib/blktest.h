/* blktest: helpers for the tests of disks (/dev/vda...; under qemu-user, image files standing in for them).
 *
 * blk_pattern(offset, seed) is the byte a test writes at byte `offset` of a disk: it differs between
 * neighbouring bytes, sectors and seeds, so data landing at the wrong place or from the wrong writer shows.
 * (A pseudo-random 64-bit word per 8 bytes: cheap enough to fill megabytes on an emulated CPU.)
 * tests/qemu/disk_checks.py computes the same function on the host to check disk images after a run.
 */
#ifndef BLKTEST_H
#define BLKTEST_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* The pattern is made 8 bytes at a time: byte `offset` is byte (offset % 8) of blk_word(offset / 8, seed). */
static inline uint64_t blk_word(uint64_t index, unsigned seed) {
  uint64_t x = index * 0x9E3779B97F4A7C15ull + (uint64_t)seed * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 32;
  return x;
}

static inline unsigned char blk_pattern(uint64_t offset, unsigned seed) {
  return (unsigned char)(blk_word(offset >> 3, seed) >> (8 * (offset & 7)));
}

/* Fill buf with the pattern of disk bytes [offset, offset + n). */
static inline void blk_fill(unsigned char* buf, size_t n, uint64_t offset, unsigned seed) {
  size_t i = 0;
  for (; i < n && ((offset + i) & 7); i++) buf[i] = blk_pattern(offset + i, seed);
  for (; i + 8 <= n; i += 8) {
    uint64_t w = blk_word((offset + i) >> 3, seed);
    memcpy(buf + i, &w, 8); /* little-endian, as blk_pattern numbers the bytes */
  }
  for (; i < n; i++) buf[i] = blk_pattern(offset + i, seed);
}

/* True if buf holds the pattern of disk bytes [offset, offset + n). */
static inline int blk_matches(const unsigned char* buf, size_t n, uint64_t offset, unsigned seed) {
  size_t i = 0;
  for (; i < n && ((offset + i) & 7); i++)
    if (buf[i] != blk_pattern(offset + i, seed)) return 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = blk_word((offset + i) >> 3, seed), got;
    memcpy(&got, buf + i, 8);
    if (got != w) return 0;
  }
  for (; i < n; i++)
    if (buf[i] != blk_pattern(offset + i, seed)) return 0;
  return 1;
}

/* pread/pwrite the whole count (looping over short transfers); returns the bytes moved, or -1. */
static inline ssize_t blk_pread_full(int fd, void* buf, size_t n, off_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (char*)buf + done, n - done, at + (off_t)done);
    if (r < 0) return done ? (ssize_t)done : -1;
    if (r == 0) break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

static inline ssize_t blk_pwrite_full(int fd, const void* buf, size_t n, off_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pwrite(fd, (const char*)buf + done, n - done, at + (off_t)done);
    if (r < 0) return done ? (ssize_t)done : -1;
    if (r == 0) break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

#endif
