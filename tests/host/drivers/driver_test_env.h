// Fixture for the driver tests: the kernel's frame allocator (g_phys) over a fresh host arena, so that ring
// memory and request buffers have physical addresses a fake device can reach (phys_to_kernel). When it goes
// away it checks that every frame the test took came back.
#pragma once

#include <doctest/doctest.h>

#include <exception>
#include <memory>
#include <vector>

#include "mm/frame.h"

class DriverEnv {
 public:
  explicit DriverEnv(u64 ram_bytes = 16 * MiB)
      : m_arena(ram_bytes), m_frame_count(ram_bytes / PAGE_SIZE), m_frames(new Frame[m_frame_count]) {
    std::destroy_at(&g_phys);
    std::construct_at(&g_phys);
    g_phys.init(HostArena::base().pfn(), HostArena::base().pfn() + m_frame_count, m_frames.get());
    g_phys.add_free_range(HostArena::base(), HostArena::end());
    m_free_at_start = g_phys.free_frames();
  }
  ~DriverEnv() {
    for (auto& [frame, order] : m_buffers) g_phys.free(frame, order);
    if (std::uncaught_exceptions() == 0) {
      g_phys.drain_cpu_cache();
      CHECK_MESSAGE(g_phys.free_frames() == m_free_at_start, "frames leaked by the test or the driver");
    }
    std::destroy_at(&g_phys);
    std::construct_at(&g_phys);
  }
  DriverEnv(const DriverEnv&) = delete;
  DriverEnv& operator=(const DriverEnv&) = delete;

  // A zeroed buffer of 2^order pages, freed with the fixture.
  u8* buffer(unsigned order = 0) {
    Frame* f = g_phys.alloc_zeroed(order, FrameUse::Kernel);
    REQUIRE(f);
    m_buffers.push_back({f, order});
    return g_phys.kernel_pointer(f);
  }

 private:
  ScopedArena m_arena;
  u64 m_frame_count;
  std::unique_ptr<Frame[]> m_frames;
  u64 m_free_at_start = 0;
  std::vector<std::pair<Frame*, unsigned>> m_buffers;
};

inline void fill_pattern(u8* p, u64 bytes, u32 seed) {
  for (u64 i = 0; i < bytes; i++) p[i] = static_cast<u8>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

inline bool has_pattern(const u8* p, u64 bytes, u32 seed) {
  for (u64 i = 0; i < bytes; i++)
    if (p[i] != static_cast<u8>((i * 131 + seed * 7 + (i >> 9)) & 0xff)) return false;
  return true;
}
