// The host platform itself (tests/host/mm_platform): the memory arena that plays RAM, its address
// translation, the spinlock, the log and the hart numbering. The other mm/ tests rely on these.
#include "mm/mm_platform.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "support/host_panic.h"

TEST_SUITE("mm/platform") {

// The arena maps [base, base + size) to its buffer, filled with the poison byte; anything outside panics.
TEST_CASE("platform: arena address translation") {
  ScopedArena arena(1 * MiB, PhysAddr(0x80200000));
  CHECK(HostArena::base() == PhysAddr(0x80200000));
  CHECK(HostArena::end() == PhysAddr(0x80300000));
  CHECK(phys_to_kernel(PhysAddr(0x80200000)) == HostArena::memory());
  u8* last = phys_to_kernel(PhysAddr(0x802fffff));
  CHECK(last == HostArena::memory() + 1 * MiB - 1);
  CHECK(*last == HostArena::POISON);
  CHECK(kernel_to_phys(last) == PhysAddr(0x802fffff));
  CHECK(HostArena::contains(PhysAddr(0x80200000), 1 * MiB));
  CHECK_FALSE(HostArena::contains(PhysAddr(0x80200001), 1 * MiB));
  CHECK_FALSE(HostArena::contains(PhysAddr(0x80300000)));
  CHECK_THROWS_AS(phys_to_kernel(PhysAddr(0x80300000)), KernelPanic);
  CHECK_THROWS_AS(phys_to_kernel(PhysAddr(0x801fffff)), KernelPanic);
  int not_in_arena = 0;
  CHECK_THROWS_AS(kernel_to_phys(&not_in_arena), KernelPanic);
}

// A new arena replaces the old one; without an arena every translation panics.
TEST_CASE("platform: arena setup and release") {
  HostArena::setup(64 * KiB);
  CHECK(HostArena::base() == PhysAddr(HostArena::DEFAULT_BASE));
  CHECK(HostArena::size() == 64 * KiB);
  HostArena::setup(128 * KiB, PhysAddr(0x1000));
  CHECK(HostArena::size() == 128 * KiB);
  CHECK(phys_to_kernel(PhysAddr(0x1000)) == HostArena::memory());
  HostArena::release();
  CHECK_FALSE(HostArena::is_set_up());
  CHECK_THROWS_AS(phys_to_kernel(PhysAddr(0x1000)), KernelPanic);
  CHECK_THROWS_AS(HostArena::setup(1000), KernelPanic);  // not a whole number of pages
}

// Like the kernel's spinlock, the host's knows its owner: taking it twice on one hart or releasing it from a
// hart that does not hold it panics instead of deadlocking; another thread does not hold it.
TEST_CASE("platform: spinlock") {
  Spinlock lock("test");
  CHECK(std::string(lock.name()) == "test");
  CHECK_FALSE(lock.is_held());
  {
    SpinlockGuard guard(lock);
    CHECK(lock.is_held());
    CHECK_THROWS_WITH_AS(lock.lock(), doctest::Contains("takes it twice"), KernelPanic);
    CHECK_FALSE(lock.try_lock());
    bool held_elsewhere = true;
    std::thread other([&] { held_elsewhere = lock.is_held(); });
    other.join();
    CHECK_FALSE(held_elsewhere);
    guard.unlock();
    CHECK_FALSE(lock.is_held());
  }
  CHECK_THROWS_WITH_AS(lock.unlock(), doctest::Contains("does not hold it"), KernelPanic);
  CHECK(lock.try_lock());
  CHECK(lock.is_held());
  lock.unlock();
}

// Threads contending for the lock are serialized.
TEST_CASE("platform: spinlock mutual exclusion") {
  Spinlock lock("counter");
  u64 counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; i++) {
        SpinlockGuard guard(lock);
        counter++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(counter == 80000);
}

// Each thread is its own "hart", with a dense index: an exited thread's index is reused. A test can choose
// the index.
TEST_CASE("platform: current cpu") {
  unsigned mine = mm_current_cpu();
  CHECK(mine < HOST_MAX_CPUS);
  CHECK(mm_current_cpu() == mine);
  unsigned first = HOST_MAX_CPUS, second = HOST_MAX_CPUS;
  std::thread a([&] { first = mm_current_cpu(); });
  a.join();
  std::thread b([&] { second = mm_current_cpu(); });
  b.join();
  CHECK(first != mine);
  CHECK(first < HOST_MAX_CPUS);
  CHECK(second == first);
  host_set_current_cpu(5);
  CHECK(mm_current_cpu() == 5);
  host_set_current_cpu(mine);
  CHECK(mm_current_cpu() == mine);
}

// mm_log lines are formatted printf-style and kept for the test to inspect.
TEST_CASE("platform: mm_log") {
  host_mm_log_clear();
  mm_log("frames: %u free of %u", 10u, 20u);
  mm_log("%s", "second");
  REQUIRE(host_mm_log_lines().size() == 2);
  CHECK(host_mm_log_lines()[0] == "frames: 10 free of 20");
  CHECK(host_mm_log_lines()[1] == "second");
  host_mm_log_clear();
  CHECK(host_mm_log_lines().empty());
}

}  // TEST_SUITE
