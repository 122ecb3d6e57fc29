// Fixtures for the tests of the VM system (address spaces, faults, fork, regions, radix tables, VM objects):
//
//   VmEnv      the kernel's frame allocator (g_phys) over a fresh host arena, fresh VM counters (g_vm_stats)
//              and the zero page (vm_init). It snapshots the free frames when it is made and, when it goes
//              away, checks that everything the test made was given back: free frames as at the start, no
//              anonymous / file / VM metadata frame left in use, no FakePmap alive, the zero page still
//              referenced once and still all zeros. Declare it first in every test case, so that it outlives
//              the address spaces and objects of the test.
//   Space      owns one AddressSpace (destroyed with the Space); fork() returns the child as a Space.
//   access / load / store   play the MMU and the trap handler: an access the FakePmap allows goes straight to
//              the page; otherwise handle_fault runs, and after a resolved fault the access must succeed.
//   layout     the regions of an address space as one line per region, like /proc/PID/maps, to compare
//              with what a test expects.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "mm/address_space.h"
#include "mm/pageable.h"
#include "mm/pageout.h"
#include "mm/vm_stats.h"
#include "support/host_panic.h"

namespace vmtest {
// "va 0x1000": an address as the failure messages print it.
inline doctest::String address_string(const char* kind, u64 value) {
  char s[32];
  snprintf(s, sizeof s, "%s %#llx", kind, static_cast<unsigned long long>(value));
  return s;
}
}  // namespace vmtest

namespace doctest {
template <>
struct StringMaker<FaultResult> {
  static String convert(FaultResult r) { return fault_result_name(r); }
};
template <>
struct StringMaker<Error> {
  static String convert(Error e) { return error_name(e); }
};
template <>
struct StringMaker<VirtAddr> {
  static String convert(VirtAddr va) { return vmtest::address_string("va", va.get()); }
};
template <>
struct StringMaker<PhysAddr> {
  static String convert(PhysAddr pa) { return vmtest::address_string("pa", pa.get()); }
};
template <>
struct StringMaker<Prot> {
  static String convert(Prot p) {
    char s[4] = {has(p, Prot::Read) ? 'r' : '-', has(p, Prot::Write) ? 'w' : '-', has(p, Prot::Exec) ? 'x' : '-', 0};
    return s;
  }
};
}  // namespace doctest

namespace vmtest {

using namespace user_layout;

constexpr u64 P = PAGE_SIZE;   // short for offsets in pages
constexpr u64 A = 0x10000000;  // where the tests map their regions (above MMAP_MIN, below MMAP_BASE)

inline u64 counter(const Atomic<u64>& c) { return c.load(MemoryOrder::Relaxed); }
inline u64 frames_in_use(FrameUse use) { return g_phys.counters().used_by[static_cast<unsigned>(use)]; }

class VmEnv {
 public:
  explicit VmEnv(u64 ram_bytes = 1 * MiB)
      : m_arena(ram_bytes), m_frame_count(ram_bytes / PAGE_SIZE), m_frames(new Frame[m_frame_count]) {
    std::destroy_at(&g_phys);
    std::construct_at(&g_phys);
    g_phys.init(HostArena::base().pfn(), HostArena::base().pfn() + m_frame_count, m_frames.get());
    g_phys.add_free_range(HostArena::base(), HostArena::end());
    std::destroy_at(&g_vm_stats);
    std::construct_at(&g_vm_stats);
    g_pageable.reset(nullptr);
    static bool pageout_ready = false;  // (its batches live as long as the test program)
    if (!pageout_ready) pageout_init();
    pageout_ready = true;
    FakePmap::fail_next_creates(0);
    host_reset_space_limits();  // (a test that sets limits leaves them to no other)
    vm_init();
    m_free_at_start = g_phys.free_frames();
    m_pmaps_at_start = FakePmap::live_count();
  }
  ~VmEnv() {
    // After a panic the test has failed already; the state may be anything.
    if (std::uncaught_exceptions() == 0) check_nothing_leaked();
    host_reset_space_limits();
    // Nothing may point into the arena once it is released.
    std::destroy_at(&g_phys);
    std::construct_at(&g_phys);
  }
  VmEnv(const VmEnv&) = delete;
  VmEnv& operator=(const VmEnv&) = delete;

  // Frames handed out since the start of the test (frames in per-CPU caches count as free).
  u64 frames_used() const { return m_free_at_start - g_phys.free_frames(); }
  u64 frame_count() const { return m_frame_count; }

  void check_nothing_leaked() {
    INFO("frame-leak check at the end of the test");
    g_phys.hand_over_fresh_pages();  // (frames freed while on a hand-over list are freed now)
    g_phys.drain_cpu_cache();
    CHECK(g_pageable.page_count() == 0);
    CHECK(g_phys.free_frames() == m_free_at_start);
    CHECK(g_phys.check());
    CHECK(frames_in_use(FrameUse::Anon) == 0);
    CHECK(frames_in_use(FrameUse::File) == 0);
    CHECK(frames_in_use(FrameUse::VmMeta) == 0);
    CHECK(frames_in_use(FrameUse::Zero) == 1);
    CHECK(counter(g_vm_stats.anon_pages) == 0);
    CHECK(FakePmap::live_count() == m_pmaps_at_start);
    REQUIRE(zero_page());
    CHECK(zero_page()->refcount.load() == 1);
    const u8* z = g_phys.kernel_pointer(zero_page());
    bool all_zero = true;
    for (u64 i = 0; i < PAGE_SIZE; i++) all_zero &= z[i] == 0;
    CHECK_MESSAGE(all_zero, "somebody wrote into the shared zero page");
  }

 private:
  ScopedArena m_arena;
  u64 m_frame_count;
  std::unique_ptr<Frame[]> m_frames;
  u64 m_free_at_start = 0;
  long m_pmaps_at_start = 0;
};

// One address space, destroyed with this object (an OwnPtr<AddressSpace> that fork()s into another Space).
class Space {
 public:
  Space() {
    auto r = AddressSpace::create();
    REQUIRE(r.has_value());
    m_space = r.release_value();
  }
  explicit Space(OwnPtr<AddressSpace> space) : m_space(std::move(space)) {}

  void reset() { m_space.clear(); }
  AddressSpace* get() const { return m_space.get(); }
  AddressSpace* operator->() const { return m_space.get(); }
  AddressSpace& operator*() const { return *m_space; }
  FakePmap& pmap() const { return m_space->pmap(); }
  Space fork() const {
    auto r = m_space->fork();
    REQUIRE(r.has_value());
    return Space(r.release_value());
  }

 private:
  OwnPtr<AddressSpace> m_space;
};

inline Result<VirtAddr> map_anon(AddressSpace& s, u64 address, u64 length, Prot prot, u32 flags = MapFlag::Fixed) {
  MapRequest req;
  req.address = VirtAddr(address);
  req.length = length;
  req.prot = prot;
  req.flags = flags;
  return s.map(req);
}

inline Result<VirtAddr> map_object(AddressSpace& s, u64 address, u64 length, Prot prot, RefPtr<VmObject> object,
                                   u64 object_page = 0, u32 flags = MapFlag::Fixed) {
  MapRequest req;
  req.address = VirtAddr(address);
  req.length = length;
  req.prot = prot;
  req.flags = flags;
  req.object = object;
  req.object_page = object_page;
  return s.map(req);
}

// map_anon that must succeed (at address when flags say Fixed).
inline VirtAddr must_map(AddressSpace& s, u64 address, u64 length, Prot prot, u32 flags = MapFlag::Fixed) {
  auto r = map_anon(s, address, length, prot, flags);
  REQUIRE_MESSAGE(r.has_value(), "map failed: " << error_name(r.error()));
  if (flags & MapFlag::Fixed) REQUIRE(r.value() == VirtAddr(address));
  return r.value();
}

// One user access, as the hardware and the trap handler would do it.
inline FaultResult access(AddressSpace& s, VirtAddr va, Access a) {
  if (s.pmap().touch(va, a)) return FaultResult::Resolved;
  FaultResult r = s.handle_fault(va, a);
  CHECK_MESSAGE(s.pmap().pending_flushes() == 0, "the fault left TLB work undone (no pmap update)");
  if (r == FaultResult::Resolved) REQUIRE_MESSAGE(s.pmap().touch(va, a), "the fault was resolved but the access still faults");
  return r;
}

// The kernel's view of the byte that va maps to now (va must be mapped).
inline u8* mapped_byte(AddressSpace& s, VirtAddr va) {
  auto pa = s.pmap().extract(va);
  REQUIRE(pa.has_value());
  return phys_to_kernel(pa.value());
}

// True if the n bytes at p all hold value; page_is: the whole frame does.
inline bool all_bytes(const u8* p, u64 n, u8 value) {
  for (u64 i = 0; i < n; i++)
    if (p[i] != value) return false;
  return true;
}
inline bool page_is(const Frame* f, u8 value) { return all_bytes(g_phys.kernel_pointer(f), PAGE_SIZE, value); }

inline u8 load(AddressSpace& s, VirtAddr va) {
  REQUIRE(access(s, va, Access::Read) == FaultResult::Resolved);
  return *mapped_byte(s, va);
}
inline void store(AddressSpace& s, VirtAddr va, u8 value) {
  REQUIRE(access(s, va, Access::Write) == FaultResult::Resolved);
  *mapped_byte(s, va) = value;
}
inline u8 load(AddressSpace& s, u64 va) { return load(s, VirtAddr(va)); }
inline void store(AddressSpace& s, u64 va, u8 value) { store(s, VirtAddr(va), value); }

// The frame mapped at va in the FakePmap, or nullptr.
inline Frame* mapped_frame(AddressSpace& s, VirtAddr va) {
  auto pa = s.pmap().extract(va.page_base());
  return pa.has_value() ? g_phys.frame_of(pa.value()) : nullptr;
}
inline Frame* mapped_frame(AddressSpace& s, u64 va) { return mapped_frame(s, VirtAddr(va)); }
inline Prot mapped_prot(AddressSpace& s, u64 va) {
  const FakePmap::Mapping* m = s.pmap().find(VirtAddr(va));
  return m ? m->prot : Prot::None;
}
inline bool is_mapped(AddressSpace& s, u64 va) { return s.pmap().find(VirtAddr(va)) != nullptr; }
// Pages mapped in the FakePmap within [start, end).
inline u64 mapped_count(AddressSpace& s, u64 start, u64 end) {
  u64 n = 0;
  for (auto& [va, m] : s.pmap().mappings()) n += va >= start && va < end;
  return n;
}

inline std::string prot_string(Prot p) { return doctest::StringMaker<Prot>::convert(p).c_str(); }

// "start-end rwxp" (hex, like /proc/PID/maps; p private or s shared, then S for a stack or H for the heap).
inline std::string region_line(u64 start, u64 end, const char* perms) {
  char s[96];
  snprintf(s, sizeof s, "%llx-%llx %s", static_cast<unsigned long long>(start), static_cast<unsigned long long>(end),
           perms);
  return s;
}
inline std::string layout(const AddressSpace& s) {
  std::string out;
  s.for_each_region([&](const Region& r) {
    std::string perms = prot_string(r.m_prot) + (r.is_shared() ? "s" : "p");
    if (r.m_flags & RegionFlag::Stack) perms += "S";
    if (r.m_flags & RegionFlag::Heap) perms += "H";
    out += region_line(r.m_start.get(), r.m_end.get(), perms.c_str()) + "\n";
  });
  return out;
}
// Joins region_line()s as layout() prints them.
inline std::string lines(std::initializer_list<std::string> ls) {
  std::string out;
  for (const std::string& l : ls) out += l + "\n";
  return out;
}

// The region containing va, copied out under the lock (start == end == 0 if none).
struct RegionInfo {
  VirtAddr start, end;
  Prot prot = Prot::None;
  Prot max_prot = Prot::None;
  u32 flags = 0;
  const VmObject* object = nullptr;
  u64 object_page = 0;
};
inline RegionInfo region_at(const AddressSpace& s, u64 va) {
  RegionInfo info;
  SpinlockGuard guard(s.lock());
  if (const Region* r = s.find_region_locked(VirtAddr(va))) {
    info = {r->m_start, r->m_end, r->m_prot, r->m_max_prot, r->m_flags, r->m_object.get(), r->m_object_page};
  }
  return info;
}

}  // namespace vmtest
