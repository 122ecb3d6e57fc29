// The host's pmap for mm/pmap.h: FakePmap, a page table reduced to what the pmap(9) contract promises. It
// keeps a map va -> {pa, prot, referenced, modified} and a log of the calls mm/ made, so host tests can check
// what mm/ asked of the machine-dependent layer without any page-table format. The Sv39 implementation is
// arch/riscv/pmap.h; both satisfy the PmapInterface concept (checked in mm/pmap.h).
//
// Behaviour mirrors Sv39Pmap where the contract leaves room:
//   - enter() marks the mapping referenced, and modified when `how` is Dirty and the page is writable;
//   - enter() with Prot::None panics: Sv39 has no such leaf (R = W = X = 0 means a pointer to a table);
//   - protect() only removes rights; a mapping left with no rights is removed;
//   - extract() of an unmapped address is ENOENT;
//   - remove/protect/enter record pending TLB work that update() clears (pending_flushes()).
// Failure injection: fail_next_enters(n) makes the next n enter() calls return ENOMEM; fail_next_creates(n)
// makes create() return nullptr.
// Not thread-safe (like Sv39Pmap, it relies on the address space's lock); only create/destroy may run on several
// threads at once (for tests with one address space per thread).
#pragma once

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/assert.h"
#include "lib/result.h"
#include "mm/types.h"


class FakePmap {
 public:
  struct Mapping {
    PhysAddr pa;
    Prot prot = Prot::None;
    bool referenced = false;
    bool modified = false;
  };

  static FakePmap* create() {
    if (s_failing_creates > 0) {
      s_failing_creates--;
      return nullptr;
    }
    s_live++;
    return new FakePmap();
  }
  static void destroy(FakePmap* pmap) {
    ASSERT(pmap);
    s_live--;
    delete pmap;
  }

  Result<void> enter(VirtAddr va, PhysAddr pa, Prot prot, PmapEnter how) {
    ASSERT_MSG(va.is_page_aligned() && va.get() < USER_END, "FakePmap::enter(%#llx): bad address",
               static_cast<unsigned long long>(va.get()));
    ASSERT_MSG(prot != Prot::None, "FakePmap::enter(%#llx): a mapping without rights",
               static_cast<unsigned long long>(va.get()));
    log("enter %#llx -> %#llx %s%s", hex(va.get()), hex(pa.get()), prot_string(prot).c_str(),
        static_cast<u8>(how) != 0 ? " dirty" : "");
    if (m_failing_enters > 0) {
      m_failing_enters--;
      return Error::NOMEM;
    }
    bool dirty = static_cast<u8>(how) != 0 && has(prot, Prot::Write);  // PmapEnter::Dirty
    m_mappings[va.get()] = Mapping{pa, prot, true, dirty};
    m_l0_tables.insert(va.get() >> 21);
    m_l1_tables.insert(va.get() >> 30);
    m_pending_flushes++;
    return {};
  }

  void remove(VirtAddr start, VirtAddr end) {
    log("remove %#llx-%#llx", hex(start.get()), hex(end.get()));
    for (auto it = m_mappings.lower_bound(start.page_base().get()); it != m_mappings.end() && it->first < end.get();) {
      it = m_mappings.erase(it);
      m_pending_flushes++;
    }
  }

  // As Sv39: a table (one per 2 MiB, one per 1 GiB) goes when its whole span lies in [floor, ceiling) and it
  // reaches into [start, end). It must hold no mapping by then.
  void free_tables(VirtAddr start, VirtAddr end, VirtAddr floor, VirtAddr ceiling) {
    log("free_tables %#llx-%#llx in %#llx-%#llx", hex(start.get()), hex(end.get()), hex(floor.get()),
        hex(ceiling.get()));
    auto drop = [&](std::set<u64>& tables, unsigned shift) {
      u64 span = 1ull << shift;
      for (u64 key = start.get() >> shift; key << shift < end.get(); key++) {
        if ((key << shift) < floor.get() || (key << shift) + span > ceiling.get() || !tables.count(key)) continue;
        auto it = m_mappings.lower_bound(key << shift);
        ASSERT_MSG(it == m_mappings.end() || it->first >= (key << shift) + span,
                   "FakePmap::free_tables: a mapping is left at %#llx", hex(it->first));
        tables.erase(key);
        if (shift == 30)  // the 2 MiB tables below it go with it
          m_l0_tables.erase(m_l0_tables.lower_bound(key << 9), m_l0_tables.lower_bound((key + 1) << 9));
        m_pending_flushes++;
      }
    };
    drop(m_l0_tables, 21);
    drop(m_l1_tables, 30);
  }

  void protect(VirtAddr start, VirtAddr end, Prot prot) {
    log("protect %#llx-%#llx %s", hex(start.get()), hex(end.get()), prot_string(prot).c_str());
    for (auto it = m_mappings.lower_bound(start.page_base().get()); it != m_mappings.end() && it->first < end.get();) {
      Prot reduced = it->second.prot & prot;
      if (reduced == it->second.prot) {
        ++it;
        continue;
      }
      m_pending_flushes++;
      if (reduced == Prot::None) {
        it = m_mappings.erase(it);
      } else {
        it->second.prot = reduced;
        ++it;
      }
    }
  }

  Result<PhysAddr> extract(VirtAddr va) const {
    const Mapping* m = find(va);
    if (!m) return Error::NOENT;
    return m->pa + va.offset_in_page();
  }

  bool is_referenced(VirtAddr va) const {
    const Mapping* m = find(va);
    return m && m->referenced;
  }
  bool clear_referenced(VirtAddr va) {
    Mapping* m = find(va);
    if (!m || !m->referenced) return false;
    m->referenced = false;
    m_pending_flushes++;
    return true;
  }
  bool is_modified(VirtAddr va) const {
    const Mapping* m = find(va);
    return m && m->modified;
  }
  bool clear_modified(VirtAddr va) {
    Mapping* m = find(va);
    if (!m || !m->modified) return false;
    m->modified = false;
    m_pending_flushes++;
    return true;
  }

  bool remove_page(VirtAddr va) {
    log("remove_page %#llx", hex(va.get()));
    auto it = m_mappings.find(va.page_base().get());
    if (it == m_mappings.end()) return false;
    bool modified = it->second.modified;
    m_mappings.erase(it);
    m_pending_flushes++;
    return modified;
  }

  void update() {
    m_updates++;
    m_pending_flushes = 0;
  }
  // Gathered TLB work (mm/pmap.h): counts the flushes that had work (flushes_done()).
  struct FlushBatch {
    u64 pending = 0;
    void flush() {
      if (pending) s_batch_flushes++;
      pending = 0;
    }
  };
  void update_into(FlushBatch& batch) {
    batch.pending += m_pending_flushes;
    m_pending_flushes = 0;
  }
  static u64 batch_flushes() { return s_batch_flushes; }
  void activate() {
    log("activate");
    m_activations++;
  }
  void deactivate() { log("deactivate"); }
  // Sv39-like count: the root, and one table per 2 MiB and one per 1 GiB that held a mapping since the last
  // free_tables of its span (as on Sv39, removing the mappings leaves the tables).
  u64 table_pages() const { return 1 + m_l0_tables.size() + m_l1_tables.size(); }

  // For tests.
  static constexpr u64 USER_END = 1ull << 38;
  const std::map<u64, Mapping>& mappings() const { return m_mappings; }
  const Mapping* find(VirtAddr va) const {
    auto it = m_mappings.find(va.page_base().get());
    return it == m_mappings.end() ? nullptr : &it->second;
  }
  Mapping* find(VirtAddr va) {
    auto it = m_mappings.find(va.page_base().get());
    return it == m_mappings.end() ? nullptr : &it->second;
  }
  // Simulate the hardware: an access sets "referenced", a write also "modified" (if the mapping allows it).
  bool touch(VirtAddr va, Access access) {
    Mapping* m = find(va);
    Prot needed = access == Access::Write ? Prot::Write : access == Access::Exec ? Prot::Exec : Prot::Read;
    if (!m || !has(m->prot, needed)) return false;
    m->referenced = true;
    if (access == Access::Write) m->modified = true;
    return true;
  }
  const std::vector<std::string>& calls() const { return m_calls; }
  void clear_calls() { m_calls.clear(); }
  u64 pending_flushes() const { return m_pending_flushes; }
  u64 updates() const { return m_updates; }
  u64 activations() const { return m_activations; }
  void fail_next_enters(unsigned n) { m_failing_enters = n; }
  static void fail_next_creates(unsigned n) { s_failing_creates = n; }
  // FakePmaps created and not yet destroyed (leak checks).
  static long live_count() { return s_live; }

 private:
  FakePmap() = default;

  static std::string prot_string(Prot p) {
    std::string s = "---";
    if (has(p, Prot::Read)) s[0] = 'r';
    if (has(p, Prot::Write)) s[1] = 'w';
    if (has(p, Prot::Exec)) s[2] = 'x';
    return s;
  }
  __attribute__((format(printf, 2, 3))) void log(const char* fmt, ...) {
    char line[160];
    va_list args;
    va_start(args, fmt);
    vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    m_calls.emplace_back(line);
  }
  static unsigned long long hex(u64 v) { return v; }

  std::map<u64, Mapping> m_mappings;
  std::set<u64> m_l0_tables, m_l1_tables;  // va >> 21, va >> 30 of the tables that exist
  std::vector<std::string> m_calls;
  u64 m_pending_flushes = 0;
  u64 m_updates = 0;
  u64 m_activations = 0;
  unsigned m_failing_enters = 0;
  static inline unsigned s_failing_creates = 0;
  static inline std::atomic<long> s_live{0};
  static inline std::atomic<u64> s_batch_flushes{0};
};

using Pmap = FakePmap;
