// The driver-independent block layer (drivers/block/block_device.cpp): request checks, synchronous I/O split
// into requests in flight, error propagation, counters, the registry. The device is MemoryBlockDevice.
#include <doctest/doctest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "drivers/block/block_device.h"
#include "support/host_panic.h"
#include "drivers/memory_block_device.h"

namespace {

// Buffers in the host arena (the sync calls take direct-map memory, which on the host is the arena).
class ArenaBuffers {
 public:
  ArenaBuffers() : m_arena(4 * MiB) {}
  u8* take(u64 bytes, u64 misalign = 0) {
    u8* p = HostArena::memory() + m_next + misalign;
    m_next = align_up(m_next + misalign + bytes, PAGE_SIZE);
    REQUIRE(m_next <= HostArena::size());
    return p;
  }

 private:
  ScopedArena m_arena;
  u64 m_next = 0;
};

void fill_pattern(u8* p, u64 bytes, u32 seed) {
  for (u64 i = 0; i < bytes; i++) p[i] = static_cast<u8>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

bool has_pattern(const u8* p, u64 bytes, u32 seed) {
  for (u64 i = 0; i < bytes; i++)
    if (p[i] != static_cast<u8>((i * 131 + seed * 7 + (i >> 9)) & 0xff)) return false;
  return true;
}

}  // namespace

TEST_SUITE("block_device") {
  TEST_CASE("a write and a read of the same sectors round-trip, also unaligned buffers and large transfers") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 4096, 4, 16 * KiB);
    disk.set_completion_order(MemoryBlockDevice::Order::Shuffled);
    for (u64 misalign : {0ull, 1ull, 100ull, 511ull, 4000ull}) {
      CAPTURE(misalign);
      u64 count = 300;  // 150 KiB: ten requests of 16 KiB, more than one batch in flight
      u8* out = mem.take(count * SECTOR_SIZE, misalign);
      u8* in = mem.take(count * SECTOR_SIZE, misalign);
      fill_pattern(out, count * SECTOR_SIZE, static_cast<u32>(misalign));
      REQUIRE(disk.write(17, out, count).has_value());
      CHECK(has_pattern(disk.sector_bytes(17), count * SECTOR_SIZE, static_cast<u32>(misalign)));
      memset(in, 0, count * SECTOR_SIZE);
      REQUIRE(disk.read(17, in, count).has_value());
      CHECK(memcmp(in, out, count * SECTOR_SIZE) == 0);
    }
    CHECK(disk.stats().in_flight.load() == 0);
    CHECK(disk.stats().errors.load() == 0);
    CHECK(disk.stats().sectors_written.load() == 5 * 300);
    CHECK(disk.stats().sectors_read.load() == 5 * 300);
    CHECK(disk.stats().writes.load() == 5 * 10);  // 150 KiB in requests of 16 KiB: 10 each
  }

  TEST_CASE("a large synchronous transfer has a batch of requests in flight at once") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 4096, 4, 8 * KiB);
    u8* buf = mem.take(256 * KiB);
    disk.hold();
    std::thread reader([&] { CHECK(disk.read(0, buf, 512).has_value()); });
    disk.wait_queued(8);  // 256 KiB in 8 KiB requests: the first batch of 8 is queued before any completes
    CHECK(disk.stats().in_flight.load() == 8);
    disk.release();
    reader.join();
    CHECK(disk.stats().reads.load() == 32);
    CHECK(disk.max_queued() == 8);
  }

  TEST_CASE("the last sector is reachable; anything beyond the end is IO, nothing is started") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 100);
    u8* buf = mem.take(4 * SECTOR_SIZE);
    CHECK(disk.read(99, buf, 1).has_value());
    CHECK(disk.read(0, buf, 100 * 0).has_value());
    CHECK(disk.read(99, buf, 2).error() == Error::IO);
    CHECK(disk.read(100, buf, 1).error() == Error::IO);
    CHECK(disk.write(~0ull, buf, 1).error() == Error::IO);
    CHECK(disk.read(1, buf, ~0ull).error() == Error::IO);
    CHECK(disk.stats().reads.load() == 1);
  }

  TEST_CASE("submit rejects malformed requests without calling back") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 1000, 2, 8 * KiB);
    u8* buf = mem.take(16 * KiB);
    static int calls;
    calls = 0;
    BlockSegment segs[3] = {{kernel_to_phys(buf), 4096}, {kernel_to_phys(buf + 4096), 4096}, {kernel_to_phys(buf + 8192), 512}};
    BlockRequest r;
    r.op = BlockOp::Read;
    r.sector = 0;
    r.segments = segs;
    r.segment_count = 1;
    CHECK(disk.submit(r).error() == Error::INVAL);  // no callback
    r.on_complete = [](BlockRequest&, Result<void>) { calls++; };
    r.segment_count = 0;
    CHECK(disk.submit(r).error() == Error::INVAL);  // no data
    r.segment_count = 3;
    CHECK(disk.submit(r).error() == Error::INVAL);  // more segments than the device takes
    BlockSegment odd[1] = {{kernel_to_phys(buf), 100}};
    r.segments = odd;
    r.segment_count = 1;
    CHECK(disk.submit(r).error() == Error::INVAL);  // not whole sectors
    BlockSegment big[2] = {{kernel_to_phys(buf), 8192}, {kernel_to_phys(buf + 8192), 512}};
    r.segments = big;
    r.segment_count = 2;
    CHECK(disk.submit(r).error() == Error::INVAL);  // more bytes than a request may have
    r.segment_count = 1;
    r.sector = 999;
    CHECK(disk.submit(r).error() == Error::IO);  // past the end
    r.op = BlockOp::Flush;
    CHECK(disk.submit(r).error() == Error::INVAL);  // a flush carries no data
    disk.set_read_only(true);
    r.op = BlockOp::Write;
    r.sector = 0;
    CHECK(disk.submit(r).error() == Error::ROFS);
    CHECK(disk.write(0, buf, 1).error() == Error::ROFS);
    CHECK(disk.stats().in_flight.load() == 0);
    CHECK(calls == 0);
  }

  TEST_CASE("a device error reaches the synchronous caller as IO; the other parts still complete") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 4096, 4, 8 * KiB);
    u8* buf = mem.take(256 * SECTOR_SIZE);
    disk.fail(BlockOp::Read, 200, 1);
    CHECK(disk.read(0, buf, 256).error() == Error::IO);
    CHECK(disk.read(0, buf, 200).has_value());
    CHECK(disk.read(201, buf, 50).has_value());
    CHECK(disk.write(200, buf, 1).has_value());  // only reads fail there
    disk.fail_next(BlockOp::Write, 1);
    CHECK(disk.write(0, buf, 1).error() == Error::IO);
    CHECK(disk.write(0, buf, 1).has_value());
    disk.fail_next(BlockOp::Flush, 1);
    CHECK(disk.flush().error() == Error::IO);
    CHECK(disk.flush().has_value());
    CHECK(disk.stats().errors.load() == 3);
    CHECK(disk.stats().in_flight.load() == 0);
  }

  TEST_CASE("flush reaches a device with a volatile cache, and succeeds at once without one") {
    ArenaBuffers mem;
    u8* buf = mem.take(PAGE_SIZE);
    MemoryBlockDevice cached("vdt", 64);
    REQUIRE(cached.write(0, buf, 8).has_value());
    CHECK(cached.unflushed_writes() == 1);
    REQUIRE(cached.flush().has_value());
    CHECK(cached.unflushed_writes() == 0);
    CHECK(cached.stats().flushes.load() == 1);
    MemoryBlockDevice uncached("vdu", 64, 16, 64 * KiB, false);
    REQUIRE(uncached.flush().has_value());
    CHECK(uncached.stats().flushes.load() == 0);
  }

  TEST_CASE("asynchronous requests: many in flight, completed out of order, each callback once") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 8192);
    disk.set_completion_order(MemoryBlockDevice::Order::Shuffled);
    constexpr int N = 64;
    struct Tracker {
      std::atomic<int> calls[N];
      std::atomic<int> errors{0};
    } tracker;
    for (auto& c : tracker.calls) c = 0;
    std::vector<BlockRequest> requests(N);
    std::vector<BlockSegment> segs(N);
    u8* pages = mem.take(N * PAGE_SIZE);
    for (int i = 0; i < N; i++) fill_pattern(pages + i * PAGE_SIZE, PAGE_SIZE, i);
    disk.hold();
    for (int i = 0; i < N; i++) {
      segs[i] = {kernel_to_phys(pages + i * PAGE_SIZE), static_cast<u32>(PAGE_SIZE)};
      BlockRequest& r = requests[i];
      r.op = BlockOp::Write;
      r.sector = static_cast<u64>(i) * 8 * 3;  // every third page
      r.segments = &segs[i];
      r.segment_count = 1;
      r.context = &tracker;
      r.on_complete = [](BlockRequest& req, Result<void> result) {
        auto* t = static_cast<Tracker*>(req.context);
        if (result.is_error()) t->errors++;
        t->calls[req.sector / 24]++;
      };
      REQUIRE(disk.submit(r).has_value());
    }
    CHECK(disk.stats().in_flight.load() == N);
    disk.release();
    while (disk.stats().in_flight.load() != 0) std::this_thread::yield();
    for (int i = 0; i < N; i++) CHECK(tracker.calls[i].load() == 1);
    CHECK(tracker.errors.load() == 0);
    for (int i = 0; i < N; i++) CHECK(has_pattern(disk.sector_bytes(static_cast<u64>(i) * 24), PAGE_SIZE, i));
  }

  TEST_CASE("several threads doing synchronous I/O on one disk at once") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 8192, 8, 16 * KiB);
    disk.set_completion_order(MemoryBlockDevice::Order::Shuffled);
    constexpr int THREADS = 4;
    u8* bufs[THREADS];
    for (int t = 0; t < THREADS; t++) bufs[t] = mem.take(2 * 64 * KiB);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < THREADS; t++) {
      threads.emplace_back([&, t] {
        u8* out = bufs[t];
        u8* in = bufs[t] + 64 * KiB;
        for (int round = 0; round < 20; round++) {
          u64 sector = static_cast<u64>(t) * 2048 + static_cast<u64>(round) * 64;
          fill_pattern(out, 32 * KiB, static_cast<u32>(t * 100 + round));
          if (disk.write(sector, out, 64).is_error()) failures++;
          if (disk.read(sector, in, 64).is_error()) failures++;
          if (!has_pattern(in, 32 * KiB, static_cast<u32>(t * 100 + round))) failures++;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
    CHECK(disk.stats().in_flight.load() == 0);
  }

  TEST_CASE("a wait group: the first error, cancelled requests, an empty group") {
    ArenaBuffers mem;
    MemoryBlockDevice disk("vdt", 1024);
    u8* buf = mem.take(8 * PAGE_SIZE);
    disk.fail(BlockOp::Read, 16, 1);
    BlockRequest requests[4];
    BlockSegment segs[4];
    BlockWaitGroup group;
    group.expect(4);
    disk.hold();
    for (u32 i = 0; i < 3; i++) {
      segs[i] = {kernel_to_phys(buf + i * PAGE_SIZE), static_cast<u32>(PAGE_SIZE)};
      requests[i].op = BlockOp::Read;
      requests[i].sector = i * 8;
      requests[i].segments = &segs[i];
      requests[i].segment_count = 1;
      requests[i].on_complete = BlockWaitGroup::on_complete;
      requests[i].context = &group;
      REQUIRE(disk.submit(requests[i]).has_value());
    }
    group.cancel(1);  // the fourth is never submitted
    disk.release();
    CHECK(group.wait().error() == Error::IO);  // the request of sectors 16..23
    CHECK(disk.stats().in_flight.load() == 0);
    BlockWaitGroup empty;
    CHECK(empty.wait().has_value());
    BlockWaitGroup all_cancelled;
    all_cancelled.expect(2);
    all_cancelled.cancel(2);
    CHECK(all_cancelled.wait().has_value());
  }

  TEST_CASE("the registry finds disks by name, number and index; names are unique") {
    block_device_unregister_all_for_tests();
    auto a = make_ref<MemoryBlockDevice>("vda", 8);
    auto b = make_ref<MemoryBlockDevice>("vdb", 8);
    auto again = make_ref<MemoryBlockDevice>("vda", 8);
    CHECK(block_device_count() == 0);
    REQUIRE(block_device_register(a).has_value());
    REQUIRE(block_device_register(b).has_value());
    CHECK(block_device_register(again).error() == Error::EXIST);
    CHECK(block_device_count() == 2);
    CHECK(block_device_find("vda").get() == a.get());
    CHECK(block_device_find("vdb").get() == b.get());
    CHECK(!block_device_find("vdc"));
    CHECK(block_device_at(0).get() == a.get());
    CHECK(block_device_at(1).get() == b.get());
    CHECK(!block_device_at(2));
    a->set_device_number(254 << 8);
    b->set_device_number((254 << 8) | 16);
    CHECK(block_device_find_by_number((254 << 8) | 16).get() == b.get());
    CHECK(!block_device_find_by_number((254 << 8) | 32));
    block_device_unregister_all_for_tests();
    CHECK(block_device_count() == 0);
    CHECK(a->ref_count() == 1);
  }
}
