// The virtio-blk driver and the virtio-mmio transport against FakeVirtioBlk (tests/host/drivers/
// fake_virtio_blk.h), which also checks that the driver keeps the specification's rules.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "drivers/block/virtio_blk.h"
#include "drivers/driver_test_env.h"
#include "drivers/fake_virtio_blk.h"
#include "support/host_panic.h"

namespace {

// A fake device and the driver on it, wired together as probing does in the kernel.
struct Disk {
  FakeVirtioBlk device;
  RefPtr<VirtioBlockDevice> driver;

  explicit Disk(FakeVirtioBlk::Options options, u32 index = 0) : device(options) {
    auto transport = VirtioMmioTransport::probe(device);
    REQUIRE(transport.has_value());
    auto created = VirtioBlockDevice::create(transport.release_value(), index);
    REQUIRE(created.has_value());
    driver = created.release_value();
    VirtioBlockDevice* d = driver.get();
    device.set_interrupt_handler([d] { d->handle_interrupt(); });
  }
  ~Disk() {
    device.set_interrupt_handler(nullptr);
    CHECK(device.violations().empty());
    for (auto& v : device.violations()) MESSAGE(v);
  }
};

FakeVirtioBlk::Options modern() { return {}; }
FakeVirtioBlk::Options legacy() {
  FakeVirtioBlk::Options o;
  o.version = 1;
  o.queue_num_max = 1024;  // QEMU's legacy virtio-mmio offers the largest size
  return o;
}

struct Counter {
  std::atomic<u32> calls{0};
  std::atomic<u32> errors{0};
  Error last_error = Error::PERM;
  static void done(BlockRequest& r, Result<void> result) {
    auto* c = static_cast<Counter*>(r.context);
    if (result.is_error()) {
      c->last_error = result.error();
      c->errors++;
    }
    c->calls++;
  }
  void wait_for(u32 n) {
    while (calls.load() < n) std::this_thread::yield();
  }
};

}  // namespace

TEST_SUITE("virtio_blk") {
  TEST_CASE("negotiation on a modern device: only the features the driver implements, the status sequence") {
    DriverEnv env;
    Disk disk(modern());
    u64 f = disk.device.driver_features();
    CHECK((f & virtio::F_VERSION_1));
    CHECK((f & virtio_blk::F_FLUSH));
    CHECK((f & virtio_blk::F_SEG_MAX));
    CHECK(!(f & virtio::F_INDIRECT_DESC));
    CHECK(!(f & virtio::F_EVENT_IDX));
    using namespace virtio::status;
    CHECK(disk.device.status() == (ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK));
    CHECK(disk.device.queue_size() == 256);
    CHECK(disk.driver->transport_version() == 2);
    CHECK(strcmp(disk.driver->name(), "vda") == 0);
    CHECK(disk.driver->sector_count() == 2048);
    CHECK(disk.driver->device_number() == ((254u << 8) | 0));
    CHECK(disk.driver->logical_block_size() == 4096);
    CHECK(disk.driver->max_segments() == 64);
    CHECK(disk.driver->max_request_bytes() == 256 * KiB);
    char line[160];
    disk.driver->describe(line, sizeof line);
    CHECK(std::string(line) ==
          "vda: 2048 sectors (1 MiB), virtio-mmio version 2 (modern), 256-entry queue, read-write, write cache (flush)");
  }

  TEST_CASE("negotiation on a legacy device: 32 feature bits, page-numbered queue, no FEATURES_OK") {
    DriverEnv env;
    Disk disk(legacy(), 1);
    u64 f = disk.device.driver_features();
    CHECK(!(f & virtio::F_VERSION_1));
    CHECK((f & virtio_blk::F_FLUSH));
    using namespace virtio::status;
    CHECK(disk.device.status() == (ACKNOWLEDGE | DRIVER | DRIVER_OK));
    CHECK(disk.device.queue_size() == 256);
    CHECK(disk.driver->transport_version() == 1);
    CHECK(strcmp(disk.driver->name(), "vdb") == 0);
    CHECK(disk.driver->device_number() == ((254u << 8) | 16));
  }

  TEST_CASE("a device that refuses the features is marked FAILED and not used") {
    DriverEnv env;
    FakeVirtioBlk::Options o;
    o.refuse_features_ok = true;
    FakeVirtioBlk device(o);
    auto transport = VirtioMmioTransport::probe(device);
    REQUIRE(transport.has_value());
    auto created = VirtioBlockDevice::create(transport.release_value(), 0);
    REQUIRE(created.is_error());
    CHECK(created.error() == Error::NOTSUP);
    CHECK((device.status() & virtio::status::FAILED));
  }

  TEST_CASE("a small queue shrinks the request limits so that a largest request always fits") {
    DriverEnv env;
    FakeVirtioBlk::Options o;
    o.queue_num_max = 16;
    o.seg_max = 254;
    Disk small(o);
    CHECK(small.device.queue_size() == 16);
    CHECK(small.driver->max_segments() + small.driver->max_request_bytes() / 0xfffffe00 <= 14);
    FakeVirtioBlk::Options p;
    p.size_max = 4096;
    p.seg_max = 20;
    Disk chopped(p);
    u32 s = chopped.driver->max_segments();
    u64 b = chopped.driver->max_request_bytes();
    CHECK(s + b / 4096 <= 20);
    CHECK(s >= 1);
    CHECK(b >= PAGE_SIZE);
  }

  TEST_CASE("synchronous writes and reads round-trip on both transports") {
    for (bool is_legacy : {false, true}) {
      CAPTURE(is_legacy);
      DriverEnv env;
      FakeVirtioBlk::Options o = is_legacy ? legacy() : modern();
      o.sectors = 8192;
      o.shuffled = true;
      Disk disk(o);
      u8* out = env.buffer(8);  // 1 MiB
      u8* in = env.buffer(8);
      fill_pattern(out, MiB, 3);
      REQUIRE(disk.driver->write(100, out, 2048).has_value());
      CHECK(has_pattern(disk.device.sector_bytes(100), MiB, 3));
      REQUIRE(disk.driver->read(100, in, 2048).has_value());
      CHECK(memcmp(in, out, MiB) == 0);
      // Odd sizes and buffer offsets.
      REQUIRE(disk.driver->write(8191, out + 7, 1).has_value());
      CHECK(memcmp(disk.device.sector_bytes(8191), out + 7, SECTOR_SIZE) == 0);
      REQUIRE(disk.driver->read(8191, in + 3, 1).has_value());
      CHECK(memcmp(in + 3, out + 7, SECTOR_SIZE) == 0);
      REQUIRE(disk.driver->flush().has_value());
      CHECK(disk.device.flushes() == 1);
      CHECK(disk.driver->stats().in_flight.load() == 0);
      CHECK(disk.driver->stats().sectors_written.load() == 2049);
    }
  }

  TEST_CASE("many requests in flight: the ring fills, the rest wait in the driver, each completes once") {
    DriverEnv env;
    FakeVirtioBlk::Options o = modern();
    o.sectors = 8 * 400;
    o.shuffled = true;
    Disk disk(o);
    constexpr u32 N = 400;  // one page each: 3 descriptors, so 85 fit in the ring at a time
    std::vector<BlockRequest> requests(N);
    std::vector<BlockSegment> segments(N);
    u8* pages = env.buffer(9);  // 2 MiB: 512 pages
    Counter counter;
    disk.device.hold();
    for (u32 i = 0; i < N; i++) {
      fill_pattern(pages + i * PAGE_SIZE, PAGE_SIZE, i);
      segments[i] = {kernel_to_phys(pages + i * PAGE_SIZE), static_cast<u32>(PAGE_SIZE)};
      BlockRequest& r = requests[i];
      r.op = BlockOp::Write;
      r.sector = (N - 1 - i) * 8ull;
      r.segments = &segments[i];
      r.segment_count = 1;
      r.on_complete = Counter::done;
      r.context = &counter;
      REQUIRE(disk.driver->submit(r).has_value());
    }
    disk.device.wait_outstanding(85);
    CHECK(disk.device.outstanding() == 85);
    CHECK(counter.calls.load() == 0);
    CHECK(disk.driver->stats().in_flight.load() == N);
    disk.device.release();
    counter.wait_for(N);
    CHECK(counter.errors.load() == 0);
    CHECK(disk.device.max_outstanding() == 85);
    while (disk.driver->stats().in_flight.load() != 0) std::this_thread::yield();
    for (u32 i = 0; i < N; i++) CHECK(has_pattern(disk.device.sector_bytes((N - 1 - i) * 8ull), PAGE_SIZE, i));
    CHECK(disk.driver->stats().writes.load() == N);
  }

  TEST_CASE("multi-segment requests, cut to size_max, land in order") {
    DriverEnv env;
    FakeVirtioBlk::Options o = modern();
    o.size_max = 4096;
    o.seg_max = 64;
    Disk disk(o);
    u8* a = env.buffer(2);  // 16 KiB
    u8* b = env.buffer(0);
    fill_pattern(a, 16 * KiB, 1);
    fill_pattern(b, 4 * KiB, 2);
    BlockSegment segs[3] = {{kernel_to_phys(a), 16 * KiB}, {kernel_to_phys(b), 1024}, {kernel_to_phys(a), 512}};
    BlockRequest r;
    r.op = BlockOp::Write;
    r.sector = 10;
    r.segments = segs;
    r.segment_count = 3;
    REQUIRE(disk.driver->submit_and_wait(r).has_value());
    CHECK(memcmp(disk.device.sector_bytes(10), a, 16 * KiB) == 0);
    CHECK(memcmp(disk.device.sector_bytes(10 + 32), b, 1024) == 0);
    CHECK(memcmp(disk.device.sector_bytes(10 + 34), a, 512) == 0);
  }

  TEST_CASE("device errors reach the caller: IOERR as IO, UNSUPP as NOTSUP; the disk goes on working") {
    DriverEnv env;
    Disk disk(modern());
    u8* buf = env.buffer(4);
    disk.device.fail(FakeVirtioBlk::Op::Read, 500, 1);
    disk.device.fail(FakeVirtioBlk::Op::Flush, 0, 0, virtio_blk::S_UNSUPP);
    host_drv_log_clear();
    CHECK(disk.driver->read(496, buf, 8).error() == Error::IO);
    CHECK(disk.driver->read(0, buf, 128).has_value());
    CHECK(disk.driver->write(500, buf, 1).has_value());
    CHECK(disk.driver->flush().error() == Error::NOTSUP);
    CHECK(disk.driver->stats().errors.load() == 2);
    bool logged = false;
    for (auto& line : host_drv_log_lines()) logged |= line.find("vda: I/O error, read of 8 sector(s) at sector 496") != std::string::npos;
    CHECK(logged);
  }

  TEST_CASE("a read-only disk refuses writes without asking the device") {
    DriverEnv env;
    FakeVirtioBlk::Options o = modern();
    o.read_only = true;
    Disk disk(o);
    u8* buf = env.buffer();
    CHECK(disk.driver->is_read_only());
    CHECK(disk.driver->write(0, buf, 1).error() == Error::ROFS);
    CHECK(disk.driver->read(0, buf, 1).has_value());
    CHECK(disk.device.completed() == 1);
  }

  TEST_CASE("a disk without a write cache has nothing to flush") {
    DriverEnv env;
    FakeVirtioBlk::Options o = modern();
    o.extra_features = virtio_blk::F_SEG_MAX;
    Disk disk(o);
    CHECK(disk.driver->flush().has_value());
    Counter counter;
    BlockRequest r;
    r.op = BlockOp::Flush;
    r.on_complete = Counter::done;
    r.context = &counter;
    REQUIRE(disk.driver->submit(r).has_value());
    CHECK(counter.calls.load() == 1);  // completed at once
    CHECK(disk.device.completed() == 0);
  }

  TEST_CASE("no notification while the device says it is polling (USED_F_NO_NOTIFY)") {
    DriverEnv env;
    Disk disk(modern());
    u8* buf = env.buffer();
    REQUIRE(disk.driver->read(0, buf, 1).has_value());
    u64 before = disk.device.notifications();
    CHECK(before >= 1);
    disk.device.set_no_notify(true);
    for (int i = 0; i < 10; i++) REQUIRE(disk.driver->read(i, buf, 1).has_value());
    CHECK(disk.device.notifications() == before);
    disk.device.set_no_notify(false);
    REQUIRE(disk.driver->read(0, buf, 1).has_value());
    CHECK(disk.device.notifications() == before + 1);
  }

  TEST_CASE("a device that needs a reset fails what is in flight and waiting, then every new request") {
    DriverEnv env;
    Disk disk(modern());
    u8* buf = env.buffer(6);
    constexpr u32 N = 100;
    std::vector<BlockRequest> requests(N);
    std::vector<BlockSegment> segments(N);
    Counter counter;
    disk.device.hold();
    for (u32 i = 0; i < N; i++) {
      segments[i] = {kernel_to_phys(buf + i * PAGE_SIZE), static_cast<u32>(PAGE_SIZE)};
      requests[i].op = BlockOp::Read;
      requests[i].sector = i * 8ull;
      requests[i].segments = &segments[i];
      requests[i].segment_count = 1;
      requests[i].on_complete = Counter::done;
      requests[i].context = &counter;
      REQUIRE(disk.driver->submit(requests[i]).has_value());
    }
    disk.device.wait_outstanding(85);
    host_drv_log_clear();
    disk.device.signal_needs_reset();
    counter.wait_for(N);
    CHECK(counter.errors.load() == N);
    CHECK(counter.last_error == Error::IO);
    CHECK(disk.driver->read(0, buf, 1).error() == Error::IO);
    CHECK(disk.driver->stats().in_flight.load() == 0);
    bool logged = false;
    for (auto& line : host_drv_log_lines()) logged |= line.find("vda: the device needs a reset") != std::string::npos;
    CHECK(logged);
    disk.device.release();
  }

  TEST_CASE("a used-ring entry naming a chain the driver did not give disables the disk, without a crash") {
    DriverEnv env;
    Disk disk(modern());
    u8* buf = env.buffer();
    disk.device.corrupt_next_used();
    CHECK(disk.driver->read(0, buf, 1).error() == Error::IO);
    CHECK(disk.driver->read(0, buf, 1).error() == Error::IO);
  }

  TEST_CASE("several threads and two disks at once, completions in random order") {
    DriverEnv env;
    FakeVirtioBlk::Options o = modern();
    o.sectors = 16384;
    o.shuffled = true;
    Disk vda(o, 0);
    FakeVirtioBlk::Options l = legacy();
    l.sectors = 16384;
    l.shuffled = true;
    Disk vdb(l, 1);
    constexpr int THREADS = 4;
    std::vector<u8*> buffers;
    for (int t = 0; t < THREADS; t++) buffers.push_back(env.buffer(5));  // 128 KiB each
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < THREADS; t++) {
      threads.emplace_back([&, t] {
        VirtioBlockDevice& disk = t % 2 ? *vdb.driver : *vda.driver;
        u8* out = buffers[t];
        u8* in = buffers[t] + 64 * KiB;
        for (int round = 0; round < 30; round++) {
          u64 sector = static_cast<u64>(t / 2) * 8192 + static_cast<u64>(round) * 128;
          u32 seed = static_cast<u32>(t * 1000 + round);
          fill_pattern(out, 64 * KiB, seed);
          if (disk.write(sector, out, 128).is_error()) failures++;
          memset(in, 0, 64 * KiB);
          if (disk.read(sector, in, 128).is_error()) failures++;
          if (!has_pattern(in, 64 * KiB, seed)) failures++;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
  }
}
