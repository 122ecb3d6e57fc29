// The kernel's random numbers (getrandom(2), AT_RANDOM, the load address of position-independent programs):
// a ChaCha20 generator (RFC 8439 block function) keyed from the device tree's rng-seed and timer jitter, with
// fast key erasure (each request re-keys the generator, so a later compromise cannot reveal earlier output).
#pragma once

#include "lib/types.h"

void random_init(const u8* seed, usize seed_size);
void random_bytes(void* out, usize size);
// Folds bytes written to /dev/random or /dev/urandom into the key (as Linux, they are mixed in, not credited).
void random_mix(const void* data, usize size);
u64 random_u64();
