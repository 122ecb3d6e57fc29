// The split virtqueue on its own (drivers/virtio/virtqueue.cpp): layout, the descriptor free list, chains, the
// available and used rings and their free-running indices. The test plays the device by hand.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "drivers/virtio/virtqueue.h"
#include "drivers/driver_test_env.h"

namespace {

struct Device {
  SplitVirtqueue& queue;
  u8* memory;
  SplitVirtqueue::Layout layout;
  u16 last_avail = 0;
  u16 used_idx = 0;

  u16* avail() { return reinterpret_cast<u16*>(memory + layout.avail_offset); }
  u16* used() { return reinterpret_cast<u16*>(memory + layout.used_offset); }
  virtq::Desc* desc() { return reinterpret_cast<virtq::Desc*>(memory); }
  // Takes the next available head.
  bool take(u16& head) {
    if (last_avail == avail()[1]) return false;
    head = avail()[2 + last_avail % queue.size()];
    last_avail++;
    return true;
  }
  void give_back(u16 head, u32 written) {
    auto* ring = reinterpret_cast<virtq::UsedElem*>(used() + 2);
    ring[used_idx % queue.size()] = {head, written};
    used_idx++;
    used()[1] = used_idx;
  }
  // The buffers of the chain at head, in order.
  std::vector<virtq::Desc> chain(u16 head) {
    std::vector<virtq::Desc> out;
    for (u16 d = head;; d = desc()[d].next) {
      out.push_back(desc()[d]);
      if (!(desc()[d].flags & virtq::DESC_F_NEXT)) break;
    }
    return out;
  }
};

// A queue of `size` entries in a fresh arena, and the device's view of it.
struct Ring {
  DriverEnv env;
  u8* memory;
  SplitVirtqueue q;
  Device dev;
  Ring(u16 size, u64 used_alignment, unsigned order)
      : memory(env.buffer(order)), dev{q, memory, SplitVirtqueue::layout(size, used_alignment)} {
    q.init(size, memory, kernel_to_phys(memory), used_alignment);
  }
};

}  // namespace

TEST_SUITE("virtqueue") {
  TEST_CASE("layout: descriptors, then the available ring, then the used ring on the alignment") {
    auto l = SplitVirtqueue::layout(256, 4096);
    CHECK(l.avail_offset == 4096);
    CHECK(l.used_offset == 8192);               // 4096 + 6 + 512 rounded up to a page
    CHECK(l.total_bytes == 8192 + 6 + 8 * 256);
    auto m = SplitVirtqueue::layout(8, 4);
    CHECK(m.avail_offset == 128);
    CHECK(m.used_offset == 128 + 22 + 2);        // 150 rounded up to 4
  }

  TEST_CASE("chains come from the free list, reach the device in order, and return to the free list") {
    Ring ring(8, 4096, 2);
    SplitVirtqueue& q = ring.q;
    Device& dev = ring.dev;
    CHECK(q.free_descriptors() == 8);

    u16 a = q.add_chain(3, [](u32 i, u16) {
      return SplitVirtqueue::Buffer{PhysAddr(0x1000 * (i + 1)), 16 + i, i == 2};
    });
    q.make_available(a);
    u16 b = q.add_chain(5, [](u32 i, u16) { return SplitVirtqueue::Buffer{PhysAddr(0x9000 + i), 512, true}; });
    q.make_available(b);
    CHECK(q.free_descriptors() == 0);

    u16 head;
    REQUIRE(dev.take(head));
    CHECK(head == a);
    auto chain = dev.chain(head);
    REQUIRE(chain.size() == 3);
    CHECK(chain[0].addr == 0x1000);
    CHECK(chain[0].len == 16);
    CHECK(chain[0].flags == virtq::DESC_F_NEXT);
    CHECK(chain[2].addr == 0x3000);
    CHECK(chain[2].flags == virtq::DESC_F_WRITE);
    REQUIRE(dev.take(head));
    CHECK(head == b);
    CHECK(dev.chain(b).size() == 5);
    CHECK(!dev.take(head));

    // The device finishes b first.
    u32 written;
    CHECK(!q.pop_used(head, written));
    dev.give_back(b, 2560);
    REQUIRE(q.pop_used(head, written));
    CHECK(head == b);
    CHECK(written == 2560);
    CHECK(q.free_chain(head) == 5);
    CHECK(q.free_descriptors() == 5);
    dev.give_back(a, 1);
    REQUIRE(q.pop_used(head, written));
    CHECK(head == a);
    CHECK(q.free_chain(head) == 3);
    CHECK(q.free_descriptors() == 8);
    CHECK(!q.pop_used(head, written));
  }

  TEST_CASE("indices run freely past 65535 and every descriptor is reused") {
    Ring ring(4, 4, 0);
    SplitVirtqueue& q = ring.q;
    Device& dev = ring.dev;
    std::set<u16> heads_seen;
    for (u32 round = 0; round < 70000; round++) {
      u32 n = 1 + round % 2;
      u16 h = q.add_chain(n, [&](u32 i, u16) { return SplitVirtqueue::Buffer{PhysAddr(round), i, false}; });
      q.make_available(h);
      u16 h2 = q.add_chain(2, [&](u32, u16) { return SplitVirtqueue::Buffer{PhysAddr(1), 1, true}; });
      q.make_available(h2);
      u16 head;
      REQUIRE(dev.take(head));
      REQUIRE(head == h);
      REQUIRE(dev.take(head));
      REQUIRE(head == h2);
      // The device finishes them in either order; the free list hands out the last freed chain first.
      u16 first = round % 3 ? h2 : h;
      u16 second = first == h ? h2 : h;
      dev.give_back(first, 0);
      dev.give_back(second, 0);
      u32 written;
      REQUIRE(q.pop_used(head, written));
      REQUIRE(head == first);
      q.free_chain(head);
      REQUIRE(q.pop_used(head, written));
      REQUIRE(head == second);
      q.free_chain(head);
      REQUIRE(q.free_descriptors() == 4);
      heads_seen.insert(h);
    }
    CHECK(heads_seen.size() >= 2);
    CHECK(dev.avail()[1] == static_cast<u16>(140000));
  }

  TEST_CASE("a used entry naming a descriptor beyond the ring comes back as an invalid head") {
    Ring ring(4, 4, 0);
    SplitVirtqueue& q = ring.q;
    Device& dev = ring.dev;
    dev.give_back(999, 0);
    u16 head;
    u32 written;
    REQUIRE(q.pop_used(head, written));
    CHECK(head >= q.size());
  }

  TEST_CASE("the device's no-notify flag is honoured") {
    Ring ring(4, 4, 0);
    SplitVirtqueue& q = ring.q;
    Device& dev = ring.dev;
    CHECK(q.needs_notification());
    dev.used()[0] = virtq::USED_F_NO_NOTIFY;
    CHECK(!q.needs_notification());
  }
}
