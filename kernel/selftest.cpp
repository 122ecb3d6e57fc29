#include "kernel/selftest.h"

#include <cstring>

#include "drivers/drivers.h"
#include "kernel/fs/fs_selftest.h"
#include "mm/heap.h"
#include "arch/riscv/smp.h"
#include "kernel/log.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/panic.h"
#include "mm/address_space.h"
#include "mm/frame.h"

// Kept out of line and un-inlined so that the panic report names it.
extern "C" __attribute__((noinline)) void selftest_deliberate_fault() {
  volatile u64* bad = reinterpret_cast<volatile u64*>(0xdead000);
  LOG_INFO("selftest: about to read from %p (unmapped)", const_cast<u64*>(bad));
  u64 v = *bad;
  LOG_ERROR("selftest: the read returned %llu: it should have faulted", static_cast<unsigned long long>(v));
}

// Recurses without end on purpose (the limit is never reached before the stack overflows).
extern "C" __attribute__((noinline)) u64 selftest_recurse(u64 depth, u64 limit) {
  volatile u8 frame[512];
  frame[0] = static_cast<u8>(depth);
  if (depth == limit) return frame[0];
  // Not a tail call: the result is used after the recursive call returns.
  return selftest_recurse(depth + 1, limit) + frame[0];
}

namespace {

struct Block {
  Block* next;
  unsigned order;
};

int test_alloc() {
  u64 free_before = g_phys.free_frames();
  u64 heap_before = heap_stats().bytes_in_use;
  // Allocate until exhausted, cycling through orders 0..3; chain the blocks through their own memory.
  Block* head = nullptr;
  u64 blocks = 0, frames = 0;
  for (unsigned i = 0;; i++) {
    unsigned order = i % 4;
    Frame* f = g_phys.alloc(order, FrameUse::Kernel);
    if (!f && order > 0) f = g_phys.alloc(order = 0, FrameUse::Kernel);
    if (!f) break;
    auto* b = reinterpret_cast<Block*>(g_phys.kernel_pointer(f));
    b->next = head;
    b->order = order;
    head = b;
    blocks++;
    frames += 1ull << order;
  }
  LOG_INFO("selftest alloc: took %llu blocks, %llu frames; %llu frames left free",
           static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(frames),
           static_cast<unsigned long long>(g_phys.free_frames()));
  bool exhausted = g_phys.free_frames() == 0 && frames == free_before;
  while (head) {
    Block* next = head->next;
    g_phys.free(g_phys.frame_of(kernel_to_phys(head)), head->order);
    head = next;
  }
  bool consistent = g_phys.check();
  u64 free_after = g_phys.free_frames();
  LOG_INFO("selftest alloc: free frames before %llu, after %llu; free lists %s",
           static_cast<unsigned long long>(free_before), static_cast<unsigned long long>(free_after),
           consistent ? "consistent" : "CORRUPT");
  bool ok = exhausted && consistent && free_after == free_before && heap_stats().bytes_in_use == heap_before;
  // After freeing everything, the largest blocks must be whole again (the buddies merged).
  Frame* big = g_phys.alloc(MAX_ORDER, FrameUse::Kernel);
  if (!big) {
    LOG_ERROR("selftest alloc: no order-%u block after freeing everything: buddies did not merge", MAX_ORDER);
    ok = false;
  } else {
    g_phys.free(big, MAX_ORDER);
  }
  LOG_INFO("selftest alloc: %s", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

int test_heap() {
  HeapStats before = heap_stats();
  u64 free_before = g_phys.free_frames() + before.empty_slab_frames;
  static const usize sizes[] = {1, 8, 16, 24, 40, 64, 100, 128, 200, 256, 300, 512, 700, 1024, 1500, 2048, 3000, 5000, 9000, 20000};
  struct Node {
    Node* next;
  };
  Node* head = nullptr;
  u64 count = 0;
  for (unsigned i = 0;; i++) {
    usize size = sizes[i % array_size(sizes)];
    if (size < sizeof(Node)) size = sizeof(Node);
    auto* n = static_cast<Node*>(kmalloc(size));
    if (!n) break;
    memset(n, 0xa5, size);
    n->next = head;
    head = n;
    count++;
  }
  HeapStats full = heap_stats();
  LOG_INFO("selftest heap: %llu objects until exhaustion, %llu KiB in slabs, %llu KiB large",
           static_cast<unsigned long long>(count), static_cast<unsigned long long>(full.slab_frames * 4),
           static_cast<unsigned long long>(full.large_frames * 4));
  while (head) {
    Node* next = head->next;
    kfree(head);
    head = next;
  }
  HeapStats after = heap_stats();
  // Empty slabs the heap keeps for reuse count as free: they hold no object.
  u64 free_after = g_phys.free_frames() + after.empty_slab_frames;
  bool ok = free_after == free_before && after.allocations == before.allocations && count > 1000 && g_phys.check();
  LOG_INFO("selftest heap: free frames (with empty slabs) before %llu, after %llu; live objects %llu -> %llu: %s",
           static_cast<unsigned long long>(free_before), static_cast<unsigned long long>(free_after),
           static_cast<unsigned long long>(before.allocations), static_cast<unsigned long long>(after.allocations),
           ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace

// lockwait: another hart spins on a lock this hart holds for 1.5 s, and must report the wait (once).
Spinlock g_selftest_lock("selftest");
Atomic<u32> g_selftest_waiter_done{0};

void lockwait_waiter(void*) {
  g_selftest_lock.lock();
  g_selftest_lock.unlock();
  g_selftest_waiter_done.store(1);
}

int test_lockwait() {
  if (smp_online_count() < 2) {
    LOG_ERROR("selftest lockwait needs at least 2 harts (--smp 2)");
    return 2;
  }
  g_selftest_lock.lock();
  if (!thread_create_kernel("lockwait", lockwait_waiter, nullptr)) return 1;
  u64 start = time_monotonic_ns();
  while (time_monotonic_ns() - start < 1'500'000'000ull) asm volatile("");
  g_selftest_lock.unlock();
  start = time_monotonic_ns();
  while (!g_selftest_waiter_done.load() && time_monotonic_ns() - start < 2'000'000'000ull) asm volatile("");
  bool ok = g_selftest_waiter_done.load() == 1;
  LOG_INFO("selftest lockwait: the waiter %s: %s", ok ? "got the lock" : "never got the lock", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

// The debug kernel's checkers, each made to fire once (the boot tests expect their reports); the release
// kernel has no checker and says so.
Spinlock g_order_a("selftest-a");
Spinlock g_order_b("selftest-b");

extern "C" __attribute__((noinline)) int selftest_lock_order() {
  LOG_INFO("selftest: taking 'selftest-a' then 'selftest-b', then the other way round");
  {
    SpinlockGuard a(g_order_a);
    SpinlockGuard b(g_order_b);
  }
  SpinlockGuard b(g_order_b);
  SpinlockGuard a(g_order_a);  // the debug kernel stops here
  return 1;
}

extern "C" __attribute__((noinline)) int selftest_undefined_behaviour(int value) {
  volatile int big = value;  // not known at compile time
  LOG_INFO("selftest: adding 1 to INT_MAX");
  int sum = big + 1;  // signed overflow: the debug kernel stops here
  return sum == 0 ? 1 : 2;
}

extern "C" __attribute__((noinline)) int selftest_heap_overflow(usize size) {
  volatile usize n = size;  // not known at compile time
  LOG_INFO("selftest: writing one byte past a 24-byte kmalloc object, then freeing it");
  auto* p = static_cast<u8*>(kmalloc(24));
  for (usize i = 0; i <= n; i++) p[i] = 1;  // i == 24 is one past the end
  kfree(p);  // the debug kernel stops here
  return 1;
}

// A *_locked function called without its lock (after the refactor-mm helper's test). Its ASSERT_LOCKED panics in
// the debug kernel; the release kernel (NDEBUG) has no check, and the call simply works here (nobody else can see
// this address space).
extern "C" __attribute__((noinline)) int selftest_lock_check() {
  auto space = AddressSpace::create();
  if (space.is_error()) return 1;
  MapRequest req;
  req.address = VirtAddr(0x10000000);
  req.length = PAGE_SIZE;
  req.prot = Prot::Read;
  req.flags = MapFlag::Fixed;
  if (space.value()->map(req).is_error()) return 1;
  LOG_INFO("selftest lockcheck: calling find_region_locked without the address-space lock");
  const Region* r = space.value()->find_region_locked(req.address);
  LOG_INFO("selftest lockcheck: no check in this build (NDEBUG): %s", r ? "PASS" : "FAIL");
  return r ? 0 : 1;
}

int run_selftest(const char* name) {
  bool is_debug_kernel = false;
#ifndef NDEBUG
  is_debug_kernel = true;
#endif
  if (strcmp(name, "lockorder") == 0 || strcmp(name, "ubsan") == 0 || strcmp(name, "heapcheck") == 0) {
    if (!is_debug_kernel) {
      LOG_ERROR("selftest %s: only the debug kernel (kernel-debug.elf) has that checker", name);
      return 2;
    }
    if (strcmp(name, "lockorder") == 0) return selftest_lock_order();
    if (strcmp(name, "ubsan") == 0) return selftest_undefined_behaviour(0x7fffffff);
    return selftest_heap_overflow(24);
  }
  if (strcmp(name, "lockcheck") == 0) return selftest_lock_check();
  if (strcmp(name, "lockwait") == 0) return test_lockwait();
  if (strcmp(name, "boot") == 0) return 0;  // booted to the ready line: that is the test
  if (strcmp(name, "fault") == 0) {
    selftest_deliberate_fault();
    return 1;
  }
  if (strcmp(name, "overflow") == 0) {
    LOG_INFO("selftest: recursing until the kernel stack overflows");
    return static_cast<int>(selftest_recurse(0, ~0ull));
  }
  if (strcmp(name, "alloc") == 0) return test_alloc();
  if (strcmp(name, "heap") == 0) return test_heap();
  if (strcmp(name, "fs") == 0) return fs_selftest();  // kernel/fs/fs_selftest.cpp
  if (strcmp(name, "disk") == 0) return block_selftest();  // drivers/block_selftest.cpp
  LOG_ERROR("unknown self-test '%s' (fault, overflow, alloc, heap, lockcheck, fs, disk; with the debug kernel: lockorder, "
            "ubsan, heapcheck)", name);
  return 2;
}
