#include "kernel/random.h"

#include <cstring>

#include "arch/riscv/csr.h"
#include "kernel/spinlock.h"

namespace {

Spinlock g_random_lock("random");
u32 g_key[8];        // guarded by g_random_lock
u64 g_counter = 0;   // guarded by g_random_lock

constexpr u32 rotl(u32 v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter_round(u32* s, int a, int b, int c, int d) {
  s[a] += s[b], s[d] = rotl(s[d] ^ s[a], 16);
  s[c] += s[d], s[b] = rotl(s[b] ^ s[c], 12);
  s[a] += s[b], s[d] = rotl(s[d] ^ s[a], 8);
  s[c] += s[d], s[b] = rotl(s[b] ^ s[c], 7);
}

// One 64-byte ChaCha20 block for (key, counter, nonce 0) — RFC 8439 section 2.3.
void chacha20_block(const u32* key, u64 counter, u32* out) {
  u32 s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1], key[2], key[3],
               key[4],     key[5],     key[6],     key[7],     static_cast<u32>(counter), static_cast<u32>(counter >> 32), 0, 0};
  u32 w[16];
  memcpy(w, s, sizeof(w));
  for (int i = 0; i < 10; i++) {
    quarter_round(w, 0, 4, 8, 12), quarter_round(w, 1, 5, 9, 13), quarter_round(w, 2, 6, 10, 14),
        quarter_round(w, 3, 7, 11, 15);
    quarter_round(w, 0, 5, 10, 15), quarter_round(w, 1, 6, 11, 12), quarter_round(w, 2, 7, 8, 13),
        quarter_round(w, 3, 4, 9, 14);
  }
  for (int i = 0; i < 16; i++) out[i] = w[i] + s[i];
}

void mix_locked(const u8* data, usize size) {
  ASSERT_LOCKED(g_random_lock);
  // Fold the input into the key, then run the block function once so every key bit depends on it.
  u8* key = reinterpret_cast<u8*>(g_key);
  for (usize i = 0; i < size; i++) key[i % sizeof(g_key)] ^= data[i];
  u32 block[16];
  chacha20_block(g_key, ~g_counter, block);
  memcpy(g_key, block, sizeof(g_key));
}

}  // namespace

void random_init(const u8* seed, usize seed_size) {
  SpinlockGuard guard(g_random_lock);
  if (seed_size) mix_locked(seed, seed_size);
  // Timer jitter: the low bits of time and cycle counters around a busy loop vary from boot to boot.
  for (int i = 0; i < 64; i++) {
    u64 sample = csr::read_time() ^ (csr::read_instret() << 17);
    for (int spin = 0; spin < (i & 7) * 13; spin++) asm volatile("");
    mix_locked(reinterpret_cast<const u8*>(&sample), sizeof(sample));
  }
}

void random_mix(const void* data, usize size) {
  SpinlockGuard guard(g_random_lock);
  mix_locked(static_cast<const u8*>(data), size);
}

void random_bytes(void* out, usize size) {
  u8* p = static_cast<u8*>(out);
  SpinlockGuard guard(g_random_lock);
  u32 block[16];
  while (size > 0) {
    chacha20_block(g_key, g_counter++, block);
    usize n = size < sizeof(block) ? size : sizeof(block);
    memcpy(p, block, n);
    p += n;
    size -= n;
  }
  // Fast key erasure: the next key is fresh output, so this request's output cannot be recomputed later.
  chacha20_block(g_key, g_counter++, block);
  memcpy(g_key, block, sizeof(g_key));
}

u64 random_u64() {
  u64 v;
  random_bytes(&v, sizeof(v));
  return v;
}
