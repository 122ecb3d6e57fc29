// Fixtures for the swap tests: a VmEnv (frames, the pageable set, the leak check) plus a swap area on a RAM disk
// (MemoryBlockDevice, completing requests on its own thread) that holds an area made by the real mkswap at build
// time. When the fixture goes, the area is swapped off (every slot must be free by then: nothing leaked on swap
// either) before the frame-leak check runs.
//
//   SwapEnv env(256 * KiB, "mkswap-4M.img");   // 64 frames of RAM, a 4 MiB swap area
//   Space s; must_map(*s, A, 8 * P, Prot::ReadWrite); store(*s, A, 1);
//   page_out_all(*s);                           // reclaim until none of the space's pages is in memory
//   CHECK(load(*s, A) == 1);                    // a major fault reads it back
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "drivers/block/block_swap_device.h"
#include "drivers/memory_block_device.h"
#include "mm/pageable.h"
#include "mm/pageout.h"
#include "mm/swap.h"
#include "mm/swap_header.h"
#include "mm/vm_test_env.h"

namespace swaptest {

using namespace vmtest;

inline std::vector<u8> read_swap_image(const char* name) {
  std::string path = std::string(HOST_TEST_SWAP_DIR) + "/" + name;
  FILE* f = fopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(f, "cannot open " << path);
  std::vector<u8> bytes;
  u8 buf[65536];
  usize n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  fclose(f);
  return bytes;
}

// A RAM disk holding a mkswap image (the image's size is the disk's).
inline RefPtr<MemoryBlockDevice> swap_disk(const char* image, const char* name = "vdz") {
  std::vector<u8> bytes = read_swap_image(image);
  auto disk = make_ref<MemoryBlockDevice>(name, bytes.size() / SECTOR_SIZE);
  memcpy(disk->bytes(), bytes.data(), bytes.size());
  return disk;
}

inline Result<void> swapon_disk(RefPtr<MemoryBlockDevice> disk, const char* path, u32 flags = 0,
                                const char** why = nullptr) {
  const char* ignored = nullptr;
  OwnPtr<SwapDevice> device(new BlockSwapDevice(RefPtr<BlockDevice>(disk), path));
  return g_swap.swapon(static_cast<OwnPtr<SwapDevice>&&>(device), flags, why ? why : &ignored);
}

class SwapEnv {
 public:
  explicit SwapEnv(u64 ram_bytes = 512 * KiB, const char* image = "mkswap-4M.img", const char* policy = "fifo")
      : m_vm(ram_bytes), m_disk(swap_disk(image)) {
    g_pageable.reset(policy);
    const char* why = nullptr;
    auto r = swapon_disk(m_disk, "/dev/vdz", 0, &why);
    REQUIRE_MESSAGE(r.has_value(), (why ? why : "swapon failed"));
  }
  ~SwapEnv() {
    if (std::uncaught_exceptions() != 0) return;  // (a failed REQUIRE: the state may be anything)
    INFO("swapoff at the end of the test");
    SwapTotals t = g_swap.totals();
    CHECK_MESSAGE(t.free_pages == t.total_pages, "swap slots still in use when the test ended");
    auto r = g_swap.swapoff(m_disk.get());
    CHECK(r.has_value());
    CHECK_FALSE(g_swap.has_areas());
  }
  SwapEnv(const SwapEnv&) = delete;
  SwapEnv& operator=(const SwapEnv&) = delete;

  VmEnv& vm() { return m_vm; }
  MemoryBlockDevice& disk() { return *m_disk; }
  RefPtr<MemoryBlockDevice> disk_ref() { return m_disk; }

 private:
  VmEnv m_vm;
  RefPtr<MemoryBlockDevice> m_disk;
};

inline u64 stat(const Atomic<u64>& c) { return c.load(MemoryOrder::Relaxed); }
inline u64 swap_used() {
  SwapTotals t = g_swap.totals();
  return t.total_pages - t.free_pages;
}

// Pages [start, + pages) hold seed, seed + 1, ... in their first byte (stored / checked through faults).
inline void fill(AddressSpace& s, u64 start, u64 pages, u8 seed) {
  for (u64 i = 0; i < pages; i++) store(s, start + i * P, static_cast<u8>(seed + i));
}
inline void check_filled(AddressSpace& s, u64 start, u64 pages, u8 seed) {
  for (u64 i = 0; i < pages; i++) {
    CAPTURE(i);
    REQUIRE(load(s, start + i * P) == static_cast<u8>(seed + i));
  }
}

// Reclaims until none of the space's private pages is in memory (or no round makes progress).
inline void page_out_all(AddressSpace& s) {
  for (int i = 0; i < 100 && s.resident_anon_pages() > 0; i++) {
    if (reclaim_pages(1024, ReclaimFor::Direct) == 0) break;
  }
}

// The byte at va as the kernel sees it, without faulting (nullptr if the page is not mapped).
inline u8* peek(AddressSpace& s, u64 va) {
  auto pa = s.pmap().extract(VirtAddr(va));
  return pa.has_value() ? phys_to_kernel(pa.value()) : nullptr;
}

// One user access under the address space's lock, as the MMU would make it atomically with respect to the page
// tables: for tests where page-out runs on another thread.
inline FaultResult locked_access(AddressSpace& s, u64 va, Access a, u8* value) {
  for (int tries = 0; tries < 1000; tries++) {
    {
      SpinlockGuard guard(s.lock());
      if (s.pmap().touch(VirtAddr(va), a)) {
        u8* byte = phys_to_kernel(s.pmap().extract(VirtAddr(va)).value());
        if (a == Access::Write) *byte = *value;
        else *value = *byte;
        return FaultResult::Resolved;
      }
    }
    FaultResult r = s.handle_fault(VirtAddr(va), a);
    if (r != FaultResult::Resolved) return r;
  }
  return FaultResult::OutOfMemory;
}

}  // namespace swaptest
