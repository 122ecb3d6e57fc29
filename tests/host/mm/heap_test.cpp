// The kernel heap (mm/heap.cpp): slabs for objects up to 2 KiB, whole blocks of frames beyond. Checked: every
// size gets usable, aligned, non-overlapping memory; the statistics follow; freeing everything (and trimming
// the empty slabs kept for reuse) gives every frame back; exhaustion returns nullptr; misuse panics.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mm/heap.h"
#include "support/host_panic.h"
#include "vm_test_env.h"

using vmtest::VmEnv;

TEST_SUITE("mm/heap") {

TEST_CASE("heap: objects of every size are usable, aligned and disjoint") {
  VmEnv env(4 * MiB);
  HeapStats before = heap_stats();
  std::mt19937 rng(7);
  std::map<uintptr_t, size_t> live;  // start -> size
  std::vector<void*> order;
  const size_t sizes[] = {1, 7, 8, 15, 16, 17, 31, 48, 64, 100, 128, 129, 255, 256, 300, 511, 512, 513, 767, 1024,
                          1500, 2048, 2049, 4096, 5000, 8192, 12000, 20000};
  for (int round = 0; round < 600; round++) {
    size_t size = sizes[rng() % (sizeof(sizes) / sizeof(sizes[0]))];
    auto* p = static_cast<unsigned char*>(kmalloc(size));
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
    // No overlap with a live object.
    auto next = live.lower_bound(reinterpret_cast<uintptr_t>(p));
    if (next != live.end()) CHECK(reinterpret_cast<uintptr_t>(p) + size <= next->first);
    if (next != live.begin()) {
      auto prev = std::prev(next);
      CHECK(prev->first + prev->second <= reinterpret_cast<uintptr_t>(p));
    }
    memset(p, static_cast<int>(size & 0xff), size);
    live[reinterpret_cast<uintptr_t>(p)] = size;
    order.push_back(p);
    // Free a random earlier object now and then, checking its contents survived.
    if (rng() % 3 == 0) {
      size_t i = rng() % order.size();
      auto* q = static_cast<unsigned char*>(order[i]);
      size_t qsize = live[reinterpret_cast<uintptr_t>(q)];
      for (size_t k = 0; k < qsize; k++) REQUIRE(q[k] == static_cast<unsigned char>(qsize & 0xff));
      kfree(q);
      live.erase(reinterpret_cast<uintptr_t>(q));
      order.erase(order.begin() + static_cast<long>(i));
    }
  }
  HeapStats during = heap_stats();
  CHECK(during.allocations == before.allocations + order.size());
  CHECK(during.bytes_in_use > before.bytes_in_use);
  for (void* p : order) kfree(p);
  HeapStats after = heap_stats();
  CHECK(after.allocations == before.allocations);
  CHECK(after.bytes_in_use == before.bytes_in_use);
  heap_trim();
  CHECK(heap_stats().slab_frames == 0);
  CHECK(heap_stats().large_frames == 0);
}

TEST_CASE("heap: kzalloc zeroes; kfree(nullptr) does nothing") {
  VmEnv env;
  auto* p = static_cast<unsigned char*>(kmalloc(200));
  memset(p, 0xa5, 200);
  kfree(p);
  auto* z = static_cast<unsigned char*>(kzalloc(200));
  for (int i = 0; i < 200; i++) CHECK(z[i] == 0);
  kfree(z);
  kfree(nullptr);
  heap_trim();
}

TEST_CASE("heap: running out of memory gives nullptr, and everything comes back") {
  VmEnv env(1 * MiB);
  u64 free_at_start = g_phys.free_frames();
  std::vector<void*> small, large;
  for (;;) {
    void* p = kmalloc(600);
    if (!p) break;
    small.push_back(p);
  }
  CHECK(small.size() > 100);
  CHECK(kmalloc(100000) == nullptr);
  for (void* p : small) kfree(p);
  for (;;) {
    void* p = kmalloc(3 * PAGE_SIZE);
    if (!p) break;
    large.push_back(p);
  }
  CHECK(large.size() > 10);
  for (void* p : large) kfree(p);
  heap_trim();
  g_phys.drain_cpu_cache();
  CHECK(g_phys.free_frames() == free_at_start);
}

TEST_CASE("heap: kmalloc_up_to gives what fragmented memory has, down to its floor") {
  VmEnv env(1 * MiB);
  u64 free_at_start = g_phys.free_frames();
  // Every frame taken, then every other one given back: plenty of free memory, no two frames together.
  std::vector<void*> pages;
  while (void* p = kmalloc(PAGE_SIZE)) pages.push_back(p);
  for (usize i = 0; i < pages.size(); i += 2) kfree(pages[i]), pages[i] = nullptr;
  g_phys.drain_cpu_cache();
  CHECK(kmalloc(8 * PAGE_SIZE) == nullptr);

  HeapBuffer b = kmalloc_up_to(8 * PAGE_SIZE, PAGE_SIZE);
  REQUIRE(b.data != nullptr);
  CHECK(b.size == PAGE_SIZE);
  memset(b.data, 0xab, b.size);
  // The floor is kept: a floor above what is free gives nothing.
  CHECK(kmalloc_up_to(8 * PAGE_SIZE, 2 * PAGE_SIZE).data == nullptr);
  kfree(b.data);

  // With memory to spare, the whole size.
  for (void*& p : pages) kfree(p), p = nullptr;
  g_phys.drain_cpu_cache();
  HeapBuffer whole = kmalloc_up_to(8 * PAGE_SIZE, PAGE_SIZE);
  CHECK(whole.size == 8 * PAGE_SIZE);
  kfree(whole.data);
  heap_trim();
  g_phys.drain_cpu_cache();
  CHECK(g_phys.free_frames() == free_at_start);
}

TEST_CASE("heap: misuse is caught") {
  VmEnv env;
  SUBCASE("a pointer that is not from the heap") {
    static char not_heap[64];
    CHECK_THROWS_AS(kfree(not_heap), KernelPanic);
  }
  SUBCASE("freeing the only object of a slab twice") {
    void* p = kmalloc(1000);
    kfree(p);
    CHECK_THROWS_AS(kfree(p), KernelPanic);
  }
  heap_trim();
}

#ifndef NDEBUG
// The debug mode (the debug kernel's, on in the host tests too): each misuse is a panic that says what happened.
TEST_CASE("heap debug: a write past the end, a write after free, a double free, a bad pointer") {
  VmEnv env;
  auto panic_text = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const KernelPanic& e) {
      return e.what();
    }
    return "";
  };
  // A panic leaves the heap as it was: each case undoes its misuse and frees what it took.
  SUBCASE("one byte past the end of a slab object is found by kfree") {
    auto* p = static_cast<unsigned char*>(kmalloc(40));
    memset(p, 1, 40);
    unsigned char saved = p[40];
    p[40] = 1;
    CHECK(panic_text([&] { kfree(p); }).find("a write past the end of a 40-byte object") != std::string::npos);
    p[40] = saved;
    kfree(p);
  }
  SUBCASE("a write to a freed object is found when the object is handed out again") {
    auto* p = static_cast<unsigned char*>(kmalloc(100));
    kfree(p);  // the head of its slab's free list: the next kmalloc of the size takes it
    unsigned char saved = p[10];
    p[10] = 'x';
    CHECK(panic_text([&] { kmalloc(100); }).find("written after kfree: byte 10") != std::string::npos);
    p[10] = saved;
    kfree(kmalloc(100));  // the slab goes back to being the class's kept empty one, which heap_trim frees
  }
  SUBCASE("freeing an object twice") {
    void* keep = kmalloc(64);  // the slab stays in use, so the second kfree meets a free object, not a free frame
    void* p = kmalloc(64);
    kfree(p);
    CHECK(panic_text([&] { kfree(p); }).find("double free") != std::string::npos);
    kfree(keep);
  }
  SUBCASE("a pointer into the middle of an object") {
    auto* p = static_cast<char*>(kmalloc(200));
    CHECK(panic_text([&] { kfree(p + 8); }).find("kfree(") != std::string::npos);
    kfree(p);
  }
  SUBCASE("kzalloc and ordinary use find nothing") {
    for (usize size : {1, 15, 16, 17, 100, 1000, 2000, 2040, 3000, 9000}) {
      auto* p = static_cast<unsigned char*>(kzalloc(size));
      for (usize i = 0; i < size; i++) REQUIRE(p[i] == 0);
      memset(p, 0xee, size);
      kfree(p);
    }
  }
  heap_trim();
}
#endif

}  // TEST_SUITE
