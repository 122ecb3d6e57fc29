#include "mm/shrinker.h"

#include "lib/assert.h"
#include "lib/atomic.h"

namespace {

const Shrinker* g_shrinkers[MAX_SHRINKERS];
Atomic<u32> g_shrinker_count{0};

}  // namespace

void register_shrinker(const Shrinker* shrinker) {
  u32 n = g_shrinker_count.load(MemoryOrder::Relaxed);
  for (u32 i = 0; i < n; i++)
    if (g_shrinkers[i] == shrinker) return;
  ASSERT_MSG(n < MAX_SHRINKERS, "too many shrinkers");
  g_shrinkers[n] = shrinker;
  g_shrinker_count.store(n + 1, MemoryOrder::Release);
}

u64 shrink_kernel_caches() {
  u64 freed = 0;
  u32 n = g_shrinker_count.load(MemoryOrder::Acquire);
  for (u32 i = 0; i < n; i++) freed += g_shrinkers[i]->shrink();
  return freed;
}

u64 kernel_caches_reclaimable() {
  u64 total = 0;
  u32 n = g_shrinker_count.load(MemoryOrder::Acquire);
  for (u32 i = 0; i < n; i++) total += g_shrinkers[i]->count();
  return total;
}
