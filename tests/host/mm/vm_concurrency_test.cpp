// The VM system on several host threads ("harts") at once: address spaces faulting, forking and exiting in
// parallel while sharing one memory object (frame allocator with per-CPU caches, object lock, atomic counters),
// and several threads working in one address space while another forks it over and over (the address space
// lock against copy-on-write). Threads never use doctest's REQUIRE (it would throw on the wrong thread): they
// count failures, which the main thread checks after joining them.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

namespace {

constexpr u64 PRIVATE = 0x10000000;
constexpr u64 SHARED = 0x20000000;
constexpr unsigned THREADS = 4;

// One access from a thread that owns the address space's pmap alone (no other thread uses this space): the
// byte it reaches, or nullptr if the access failed.
u8* thread_access(AddressSpace& s, u64 va, Access a) {
  if (!s.pmap().touch(VirtAddr(va), a)) {
    if (s.handle_fault(VirtAddr(va), a) != FaultResult::Resolved || !s.pmap().touch(VirtAddr(va), a)) return nullptr;
  }
  return phys_to_kernel(s.pmap().extract(VirtAddr(va)).value());
}

}  // namespace

TEST_SUITE("mm/concurrency") {

// Each thread has its own address space with private memory and a shared mapping of one object. It writes its
// pattern, forks, lets the child check and overwrite it, checks its own data survived, destroys the child, and
// writes its byte into every shared page. At the end every shared page holds every thread's byte.
TEST_CASE("concurrency: address spaces faulting and forking on several threads") {
  VmEnv env(8 * MiB);
  constexpr u64 PRIVATE_PAGES = 32, SHARED_PAGES = 16;
  auto obj = MemoryObject::create(SHARED_PAGES * P);
  std::atomic<int> failures{0};
  auto worker = [&](unsigned tid) {
    auto created = AddressSpace::create();
    if (created.is_error()) {
      failures++;
      return;
    }
    OwnPtr<AddressSpace> s = created.release_value();
    if (map_anon(*s, PRIVATE, PRIVATE_PAGES * P, Prot::ReadWrite).is_error() ||
        map_object(*s, SHARED, SHARED_PAGES * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).is_error())
      failures++;
    for (unsigned round = 0; round < 20; round++) {
      u8 mine = u8(tid * 50 + round + 1);
      for (u64 i = 0; i < PRIVATE_PAGES; i++) {
        if (u8* b = thread_access(*s, PRIVATE + i * P + tid, Access::Write)) *b = mine;
        else failures++;
      }
      auto forked = s->fork();
      if (forked.is_error()) {
        failures++;
        continue;
      }
      OwnPtr<AddressSpace> child = forked.release_value();
      for (u64 i = 0; i < PRIVATE_PAGES; i += 3) {
        u8* b = thread_access(*child, PRIVATE + i * P + tid, Access::Read);
        if (!b || *b != mine) failures++;
        if (u8* w = thread_access(*child, PRIVATE + i * P + tid, Access::Write)) *w = u8(mine + 100);
        else failures++;
      }
      for (u64 i = 0; i < PRIVATE_PAGES; i++) {
        u8* b = thread_access(*s, PRIVATE + i * P + tid, Access::Read);
        if (!b || *b != mine) failures++;
      }
      child.clear();
      for (u64 i = 0; i < SHARED_PAGES; i++) {
        if (u8* b = thread_access(*s, SHARED + i * P + tid, Access::Write)) *b = u8(tid + 1);
        else failures++;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < THREADS; t++) threads.emplace_back(worker, t);
  for (std::thread& t : threads) t.join();
  CHECK(failures.load() == 0);
  CHECK(obj->resident_pages() == SHARED_PAGES);
  for (u64 i = 0; i < SHARED_PAGES; i++) {
    const u8* page = g_phys.kernel_pointer(obj->peek_page(i));
    for (unsigned t = 0; t < THREADS; t++) CHECK(page[t] == t + 1);
  }
  int regions = 0;
  obj->for_each_region([&](Region&) { regions++; });
  CHECK(regions == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
}

// Several threads in one address space: each writes its own pages with AddressSpace::write and reads all pages
// through handle_fault, while one more thread forks the space and destroys the child again and again. The
// address space lock serializes them; afterwards every page holds what its writer wrote last and every frame is
// owned once.
TEST_CASE("concurrency: one address space, writers and a forking thread") {
  VmEnv env(8 * MiB);
  constexpr u64 PAGES = 64;
  Space s;
  must_map(*s, PRIVATE, PAGES * P, Prot::ReadWrite);
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  auto writer = [&](unsigned tid) {
    for (unsigned round = 0; round < 30; round++) {
      for (u64 i = tid; i < PAGES; i += THREADS) {
        u8 value = u8(round + 1);
        if (s->write(VirtAddr(PRIVATE + i * P + 8), &value, 1).is_error()) failures++;
      }
      for (u64 i = 0; i < PAGES; i++)
        if (s->handle_fault(VirtAddr(PRIVATE + i * P), Access::Read) != FaultResult::Resolved) failures++;
    }
  };
  auto forker = [&] {
    int forks = 0;
    while (!writers_done.load() || forks < 5) {
      auto child = s->fork();
      if (child.is_error()) {
        failures++;
        break;
      }
      child.value().clear();
      forks++;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < THREADS; t++) threads.emplace_back(writer, t);
  std::thread forking(forker);
  for (std::thread& t : threads) t.join();
  writers_done = true;
  forking.join();
  CHECK(failures.load() == 0);
  for (u64 i = 0; i < PAGES; i++) {
    CHECK(load(*s, PRIVATE + i * P + 8) == 30);
    CHECK(mapped_frame(*s, PRIVATE + i * P)->refcount.load() == 1);
  }
  CHECK(counter(g_vm_stats.anon_pages) == PAGES);
  CHECK(s->resident_anon_pages() == PAGES);
}

}  // TEST_SUITE
