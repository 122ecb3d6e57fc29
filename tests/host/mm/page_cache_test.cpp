// mm/vm_object.{h,cpp} as the page cache of a disk file: a MemoryObject with a writer tracks dirty pages — set by
// mark_dirty (write()) and by stores through shared mappings (the pmap's modified bits, gathered from every
// mapping, or saved when a mapping goes: munmap, exit, MADV_DONTNEED) — and hands them out clean with
// take_dirty; private mappings never dirty it. Shrinking removes every mapping of the pages past the new end,
// so the next access there is a bus error.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <thread>
#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

namespace {

constexpr u64 B = 0x20000000;  // a second address space's mapping, or a second region

// A writer that records what it was asked to write and takes every dirty page (as ext2 does). As the pager, it
// fills page i with the byte disk[i] (0 past the vector) and counts its reads; the pages of bad_pages fail (IO).
struct RecordingWriter final : ObjectWriter {
  MemoryObject* object = nullptr;
  std::vector<u64> written;  // page indexes, in order
  std::vector<u8> first_bytes;
  std::vector<u8> disk;
  std::vector<u64> bad_pages;
  u64 reads = 0;    // pages read, alone or in batches
  u64 batches = 0;  // read_pages calls (read-ahead), failed ones too
  Result<void> read_page(u64 index, Frame* page) override {
    reads++;
    for (u64 bad : bad_pages)
      if (bad == index) return Error::IO;
    memset(g_phys.kernel_pointer(page), index < disk.size() ? disk[index] : 0, PAGE_SIZE);
    return {};
  }
  // A batch with a bad page in it fails whole (having read nothing).
  Result<void> read_pages(u64 first, Frame* const* pages, unsigned count) override {
    batches++;
    for (u64 bad : bad_pages)
      if (bad >= first && bad < first + count) return Error::IO;
    for (unsigned i = 0; i < count; i++) TRY(read_page(first + i, pages[i]));
    return {};
  }
  Result<void> write_back(u64 first, u64 end, bool) override {
    Frame* batch[4];
    while (unsigned n = object->take_dirty(&first, end, batch, 4)) {
      for (unsigned i = 0; i < n; i++) {
        written.push_back(batch[i]->object_page());
        first_bytes.push_back(g_phys.kernel_pointer(batch[i])[0]);
        g_phys.unref(batch[i]);
      }
    }
    return {};
  }
};

struct FileEnv {
  VmEnv env;
  RefPtr<MemoryObject> obj = MemoryObject::create(8 * P, "file", 12);
  RecordingWriter writer;
  FileEnv() {
    REQUIRE(obj);
    writer.object = obj.get();
    obj->set_writer(&writer);
    for (u64 i = 0; i < 8; i++) {  // the file's data, read in
      auto page = obj->get_filled_page(i);
      REQUIRE(page.has_value());
      g_phys.unref(page.value());
    }
  }
  std::vector<u64> sync(u64 first = 0, u64 end = 8) {
    writer.written.clear();
    writer.first_bytes.clear();
    REQUIRE(obj->write_back(first, end, true).has_value());
    return writer.written;
  }
};

using Pages = std::vector<u64>;

}  // namespace

TEST_SUITE("mm/page_cache") {

// Stores through a shared mapping make exactly the stored pages dirty; write-back takes them once, and a
// page stored to again after write-back is dirty again.
TEST_CASE("page cache: stores through shared mappings dirty exactly their pages") {
  FileEnv f;
  Space s;
  REQUIRE(map_object(*s, A, 8 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  CHECK(load(*s, A + 0 * P) == 0);
  CHECK(load(*s, A + 5 * P) == 0);  // reads do not dirty
  store(*s, A + 2 * P, 0x22);
  store(*s, A + 6 * P + 100, 0x66);
  CHECK(f.obj->dirty_pages() == 0);  // not gathered yet: the modified bits are in the pmap
  CHECK(f.sync() == Pages{2, 6});
  CHECK(f.obj->dirty_pages() == 0);
  CHECK(f.sync().empty());  // nothing new
  store(*s, A + 2 * P, 0x23);
  CHECK(f.sync() == Pages{2});
  CHECK(f.writer.first_bytes == std::vector<u8>{0x23});
  // A range: only its pages are looked at and taken.
  store(*s, A + 1 * P, 1);
  store(*s, A + 7 * P, 7);
  CHECK(f.sync(0, 4) == Pages{1});
  CHECK(f.sync(4, 8) == Pages{7});
}

// write() marks pages itself; the batch limit of take_dirty resumes where it stopped.
TEST_CASE("page cache: mark_dirty and batches") {
  FileEnv f;
  for (u64 i : {0, 1, 3, 4, 5, 7}) f.obj->mark_dirty(i);
  f.obj->mark_dirty(1);  // twice: counted once
  CHECK(f.obj->dirty_pages() == 6);
  u64 first = 0;
  Frame* batch[4];
  CHECK(f.obj->take_dirty(&first, 8, batch, 4) == 4);
  CHECK(batch[3]->object_page() == 4);
  CHECK(first == 5);
  for (Frame* p : batch) g_phys.unref(p);
  CHECK(f.obj->dirty_pages() == 2);
  CHECK(f.sync() == Pages{5, 7});
}

// An object without a writer (ramfs, shared anonymous memory) never has dirty pages.
TEST_CASE("page cache: memory-only objects are never dirty") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P);
  Space s;
  REQUIRE(map_object(*s, A, 2 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  store(*s, A, 1);
  obj->gather_modified(0, 2);
  obj->mark_dirty(0);
  CHECK(obj->dirty_pages() == 0);
  CHECK(obj->write_back(0, 2, true).has_value());
}

// munmap, exit and MADV_DONTNEED take the mapping away, not the stores made through it: they stay dirty in the
// object until written back.
TEST_CASE("page cache: unmapping keeps stores dirty") {
  FileEnv f;
  {
    Space s;
    REQUIRE(map_object(*s, A, 8 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
    store(*s, A + 1 * P, 0x11);
    store(*s, A + 3 * P, 0x33);
    store(*s, A + 4 * P, 0x44);
    REQUIRE(s->unmap(VirtAddr(A + 1 * P), P).has_value());  // munmap of one page
    CHECK(f.obj->dirty_pages() == 1);
    REQUIRE(s->discard(VirtAddr(A + 3 * P), P).has_value());  // MADV_DONTNEED
    CHECK(f.obj->dirty_pages() == 2);
    CHECK_FALSE(is_mapped(*s, A + 3 * P));
    CHECK(load(*s, A + 3 * P) == 0x33);  // the data is the object's: still there
  }  // exit
  CHECK(f.obj->dirty_pages() == 3);
  CHECK(f.sync() == Pages{1, 3, 4});
  CHECK(f.writer.first_bytes == std::vector<u8>{0x11, 0x33, 0x44});
}

// Two address spaces (two processes) share the pages: a store by one is seen by the other and dirties the page
// once.
TEST_CASE("page cache: two processes share the object's pages") {
  FileEnv f;
  Space s, t;
  REQUIRE(map_object(*s, A, 8 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(map_object(*t, B, 4 * P, Prot::ReadWrite, f.obj, 4, MapFlag::Fixed | MapFlag::Shared).has_value());
  store(*s, A + 5 * P, 0x55);
  CHECK(load(*t, B + 1 * P) == 0x55);
  store(*t, B + 1 * P + 1, 0x56);
  CHECK(*(g_phys.kernel_pointer(f.obj->peek_page(5)) + 1) == 0x56);
  store(*t, B + 3 * P, 0x77);
  CHECK(f.sync() == Pages{5, 7});
}

// Private mappings copy on write: their stores never reach the object.
TEST_CASE("page cache: private mappings never dirty the object") {
  FileEnv f;
  Space s;
  REQUIRE(map_object(*s, A, 8 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed).has_value());
  store(*s, A + 2 * P, 0x22);
  CHECK(g_phys.kernel_pointer(f.obj->peek_page(2))[0] == 0);
  s.reset();
  CHECK(f.sync().empty());
}

// Shrinking under mappings: the pages past the end lose their mappings in every address space and go; an access
// there is a bus error (SIGBUS), below the end still works, and growing again gives zero pages.
TEST_CASE("page cache: shrinking removes mappings past the end") {
  FileEnv f;
  Space s, t;
  REQUIRE(map_object(*s, A, 8 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(map_object(*t, B, 8 * P, Prot::Read, f.obj, 0, MapFlag::Fixed).has_value());
  for (u64 i = 0; i < 8; i++) store(*s, A + i * P, static_cast<u8>(i + 1));
  for (u64 i = 0; i < 8; i++) CHECK(load(*t, B + i * P) == i + 1);
  f.obj->mark_dirty(6);
  REQUIRE(f.obj->set_size(3 * P + 10).has_value());  // pages 0..3 stay, 4..7 go
  CHECK(f.obj->resident_pages() == 4);
  for (u64 i = 4; i < 8; i++) {
    CHECK_FALSE(is_mapped(*s, A + i * P));
    CHECK_FALSE(is_mapped(*t, B + i * P));
  }
  CHECK(access(*s, VirtAddr(A + 5 * P), Access::Read) == FaultResult::BusError);
  CHECK(access(*t, VirtAddr(B + 4 * P), Access::Read) == FaultResult::BusError);
  CHECK(access(*s, VirtAddr(A + 3 * P + 4000), Access::Write) == FaultResult::Resolved);
  CHECK(g_phys.kernel_pointer(f.obj->peek_page(3))[100] == 0);  // the tail of the last page is zeroed
  CHECK(load(*t, B + 3 * P) == 4);
  // Dirty pages past the end are not written back; the ones inside still are.
  CHECK(f.sync() == Pages{0, 1, 2, 3});
  REQUIRE(f.obj->set_size(6 * P).has_value());
  CHECK(load(*s, A + 5 * P) == 0);
  CHECK(access(*s, VirtAddr(A + 6 * P), Access::Read) == FaultResult::BusError);
}

// Shrinking drops the private copies past the new end too (Linux's unmap_mapping_range with even_cows): an access
// there is a bus error, and growing again shows the file's zero page, not the old copy. The copy of the page
// that stays keeps its bytes, and the space's private page count drops by the copies that went.
TEST_CASE("page cache: shrinking drops private copies past the end") {
  FileEnv f;
  Space s;
  REQUIRE(map_object(*s, A, 8 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed).has_value());
  for (u64 i = 0; i < 8; i++) store(*s, A + i * P, static_cast<u8>(0x40 + i));
  CHECK(s->resident_anon_pages() == 8);
  REQUIRE(f.obj->set_size(3 * P + 10).has_value());
  CHECK(s->resident_anon_pages() == 4);
  for (u64 i = 4; i < 8; i++) {
    CHECK_FALSE(is_mapped(*s, A + i * P));
    CHECK(access(*s, VirtAddr(A + i * P), Access::Read) == FaultResult::BusError);
  }
  CHECK(load(*s, A + 3 * P) == 0x43);
  REQUIRE(f.obj->set_size(8 * P).has_value());
  CHECK(load(*s, A + 5 * P) == 0);
  CHECK(s->resident_anon_pages() == 4);
}

// mincore: the object's resident pages (the page cache) for file mappings, and a private copy where the object
// has no page; NOMEM when part of the range is not mapped.
TEST_CASE("page cache: residency (mincore)") {
  FileEnv f;
  Space s;
  constexpr u64 C = 0x30000000;
  REQUIRE(map_object(*s, A, 8 * P, Prot::Read, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  must_map(*s, B, 4 * P, Prot::ReadWrite);  // (which touched anonymous pages count is lab lazy's: not here)
  auto sparse = MemoryObject::create(4 * P);
  REQUIRE(sparse->get_page(1).has_value());
  REQUIRE(map_object(*s, C, 4 * P, Prot::ReadWrite, sparse).has_value());
  store(*s, C + 3 * P, 3);  // a private copy of a page the object does not have
  u8 out[8];
  REQUIRE(s->residency(VirtAddr(A), 8, out).has_value());
  CHECK(std::vector<u8>(out, out + 8) == std::vector<u8>(8, 1));
  REQUIRE(s->residency(VirtAddr(C), 4, out).has_value());
  CHECK(std::vector<u8>(out, out + 4) == std::vector<u8>{0, 1, 0, 1});
  CHECK(s->residency(VirtAddr(B + 2 * P), 3, out).error() == Error::NOMEM);
  CHECK(s->residency(VirtAddr(B - P), 1, out).error() == Error::NOMEM);
}

// A page-cache page that is also in the pageable set has its Dirty bit changed under the object lock and its
// replacement bits (lru_flags) under the pageable-set lock, at the same time on two CPUs. Neither may undo the
// other: here one thread marks the page dirty and takes it clean again through the object, as write() and
// write-back do, while another rewrites the policy bits and checks that they still hold what it last wrote.
// (With Dirty in a u16 overlapping lru_flags, the object's read-modify-write put back stale policy bits.)
TEST_CASE("page cache: the Dirty bit and the replacement bits change independently") {
  FileEnv f;
  Frame* page = f.obj->peek_page(3);
  REQUIRE(page);
  g_phys.hand_over_fresh_pages();  // in the set now: only this test changes its lru_flags from here on
  REQUIRE((page->lru_flags & LruFlag::InSet));
  const u8 low = page->lru_flags & 0x0f, policy = page->policy_bits();
  std::atomic<bool> stop{false};
  std::atomic<u64> lost_dirty{0}, object_rounds{0};
  std::thread object_side([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      f.obj->mark_dirty(3);
      u64 first = 0;
      Frame* taken[1];
      if (f.obj->take_dirty(&first, 8, taken, 1) != 1) lost_dirty++;
      else g_phys.unref(taken[0]);
      object_rounds++;
    }
  });
  // (This thread alone changes lru_flags here: the pageable set's lock would change nothing.)
  u64 lost_policy = 0, policy_rounds = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
  u8 bits = policy;
  while (std::chrono::steady_clock::now() < until || object_rounds.load() < 1000) {
    for (int i = 0; i < 1000; i++, policy_rounds++) {
      if (__atomic_load_n(&page->lru_flags, __ATOMIC_RELAXED) >> 4 != bits) lost_policy++;
      bits = static_cast<u8>((bits + 1) & 0xf);
      __atomic_store_n(&page->lru_flags, static_cast<u8>(low | bits << 4), __ATOMIC_RELAXED);
    }
  }
  stop = true;
  object_side.join();
  INFO(policy_rounds << " policy changes, " << object_rounds.load() << " dirty/clean rounds");
  CHECK(lost_policy == 0);
  CHECK(lost_dirty.load() == 0);
  page->lru_flags = static_cast<u8>(low | policy << 4);
}

// ---- lazy fill and reclaim ----

// A page cache object whose pages come from a pager (the RecordingWriter): nothing is read until a fault or a
// read needs it.
struct LazyFile {
  VmEnv env;
  RefPtr<MemoryObject> obj;
  RecordingWriter pager;
  explicit LazyFile(u64 pages) : obj(MemoryObject::create(pages * P, "lazy", 13)) {
    REQUIRE(obj);
    pager.object = obj.get();
    for (u64 i = 0; i < pages; i++) pager.disk.push_back(static_cast<u8>(0x40 + i));
    obj->set_writer(&pager);
  }
  ~LazyFile() { obj->set_writer(nullptr); }
};

// A fault on a page not read yet reads it through the pager once, with the pages around it in one batch
// (read-around: ReadAhead::MAX_PAGES centered on it), counts a major fault (one per fault that read), and maps
// what the disk has; shared and private mappings alike, and a private write copies the read page. read()'s
// get_filled_page reads only its page.
TEST_CASE("page cache: pages are read from the pager at the first fault, once, with the pages around them") {
  LazyFile f(128);
  CHECK(f.obj->resident_pages() == 0);
  Space s;
  REQUIRE(map_object(*s, A, 128 * P, Prot::Read, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(map_object(*s, B, 128 * P, Prot::ReadWrite, f.obj).has_value());
  CHECK(load(*s, A + 2 * P + 7) == 0x42);
  CHECK(f.pager.batches == 1);
  CHECK(f.pager.reads == 32);  // pages [0, 32)
  CHECK(counter(g_vm_stats.pgmajfault_file) == 1);
  CHECK(load(*s, B + 2 * P) == 0x42);  // the same page, resident now
  store(*s, B + 5 * P, 0x99);          // a private copy of a page read already
  CHECK(load(*s, A + 5 * P) == 0x45);
  CHECK(f.pager.reads == 32);
  store(*s, B + 100 * P, 0x98);  // a private copy of a page read first: with [84, 116)
  CHECK(f.pager.batches == 2);
  CHECK(f.pager.reads == 64);
  CHECK(load(*s, A + 100 * P) == static_cast<u8>(0x40 + 100));
  CHECK(f.obj->resident_pages() == 64);
  CHECK(counter(g_vm_stats.file_pages_read) == 64);
  CHECK(counter(g_vm_stats.pgmajfault_file) == 2);
  auto page = f.obj->get_filled_page(127);  // read() gets its pages the same way
  REQUIRE(page.has_value());
  CHECK(g_phys.kernel_pointer(page.value())[100] == static_cast<u8>(0x40 + 127));
  g_phys.unref(page.value());
  CHECK(f.pager.reads == 65);
}

// A failed read: the fault gets SIGBUS, read() gets EIO, the page stays out of the object, and the next access
// reads it again (and succeeds once the disk does). The read-around batch with the bad page in it failed, and its
// pages were read again one by one: only the bad one is missing.
TEST_CASE("page cache: a read error is a bus error at the fault and EIO for read, and is retried") {
  LazyFile f(4);
  f.pager.bad_pages = {1};
  Space s;
  REQUIRE(map_object(*s, A, 4 * P, Prot::Read, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  CHECK(access(*s, VirtAddr(A + P), Access::Read) == FaultResult::BusError);
  CHECK(f.pager.batches == 1);
  CHECK(f.pager.reads == 4);
  CHECK(f.obj->resident_pages() == 3);
  CHECK(f.obj->peek_page(1) == nullptr);
  CHECK(f.obj->get_filled_page(1).error() == Error::IO);
  CHECK(load(*s, A) == 0x40);  // the others are fine
  CHECK(f.pager.reads == 5);
  f.pager.bad_pages.clear();
  CHECK(load(*s, A + P) == 0x41);
  CHECK(f.pager.reads == 6);
  CHECK(f.pager.batches == 2);  // the missing page alone
}

// read_ahead reads the missing pages of a window, one batch per run of them, within the object's size; a page
// a fault left Busy (get_page) is read with them. A batch that fails is read again page by page.
TEST_CASE("page cache: read_ahead reads runs of missing pages in batches") {
  LazyFile f(40);
  auto five = f.obj->get_filled_page(5);
  REQUIRE(five.has_value());
  g_phys.unref(five.value());
  auto busy = f.obj->get_page(2);  // put in, not read
  REQUIRE(busy.has_value());
  CHECK((busy.value()->page_flags & FrameFlag::Busy) != 0);
  CHECK(f.pager.reads == 1);
  f.obj->read_ahead(0, 32);
  CHECK(f.pager.batches == 2);  // [0, 5) and [6, 32)
  CHECK(f.pager.reads == 32);
  CHECK((busy.value()->page_flags & FrameFlag::Busy) == 0);
  CHECK(g_phys.kernel_pointer(busy.value())[0] == 0x42);
  f.obj->read_ahead(32, 32);  // only 8 pages are left in the file
  CHECK(f.pager.batches == 3);
  CHECK(f.pager.reads == 40);
  CHECK(f.obj->resident_pages() == 40);
  f.obj->read_ahead(0, 64);  // nothing missing: nothing read
  CHECK(f.pager.batches == 3);
}

TEST_CASE("page cache: a read_ahead batch that fails is read again page by page") {
  LazyFile g(8);
  g.pager.bad_pages = {3};
  g.obj->read_ahead(0, 8);
  CHECK(g.pager.batches == 1);
  CHECK(g.pager.reads == 8);  // one by one after the batch failed
  CHECK(g.obj->resident_pages() == 7);
  CHECK(g.obj->get_filled_page(3).error() == Error::IO);
}

// write() of whole pages: the page takes the bytes and is never read, also one a fault put in Busy.
TEST_CASE("page cache: overwrite_page fills a page without reading it") {
  LazyFile f(4);
  std::vector<u8> data(PAGE_SIZE, 0x5a);
  REQUIRE(f.obj->overwrite_page(1, data.data()).has_value());
  auto busy = f.obj->get_page(2);
  REQUIRE(busy.has_value());
  REQUIRE(f.obj->overwrite_page(2, data.data()).has_value());
  CHECK((busy.value()->page_flags & FrameFlag::Busy) == 0);
  auto page = f.obj->get_filled_page(1);
  REQUIRE(page.has_value());
  CHECK(g_phys.kernel_pointer(page.value())[4095] == 0x5a);
  g_phys.unref(page.value());
  CHECK(g_phys.kernel_pointer(busy.value())[0] == 0x5a);
  CHECK(f.pager.reads == 0);
  CHECK(counter(g_vm_stats.file_pages_read) == 0);
  data.assign(PAGE_SIZE, 0x77);
  REQUIRE(f.obj->overwrite_page(1, data.data()).has_value());  // a resident page: changed in place
  CHECK(g_phys.kernel_pointer(f.obj->peek_page(1))[0] == 0x77);
  CHECK(f.obj->resident_pages() == 2);
  CHECK(f.obj->overwrite_page(4, data.data()).error() == Error::BUSERR);
}

// A scan through a mapping: each fault at the end of the last window reads the next whole window.
TEST_CASE("page cache: a sequential scan of a mapping reads a window per fault") {
  LazyFile f(128);
  Space s;
  REQUIRE(map_object(*s, A, 128 * P, Prot::Read, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  for (u64 i = 0; i < 128; i++) CHECK(load(*s, A + i * P) == static_cast<u8>(0x40 + i));
  CHECK(f.pager.batches == 4);
  CHECK(f.pager.reads == 128);
  CHECK(counter(g_vm_stats.pgmajfault_file) == 4);
}

// The windows (Linux's get_init_ra_size and get_next_ra_size with a 32-page maximum).
TEST_CASE("read-ahead: windows grow for sequential reads, random reads get what they want") {
  using W = ReadAhead::Window;
  auto same = [](W a, W b) { return a.first == b.first && a.pages == b.pages; };
  ReadAhead ra;
  CHECK(same(ra.on_miss(0, 1), W{0, 4}));  // page 0 of a fresh file: a sequential start
  ra.note_read_end(4 * P);
  CHECK(same(ra.on_miss(4, 1), W{4, 8}));  // the end of the window
  CHECK(same(ra.on_miss(12, 1), W{12, 16}));
  CHECK(same(ra.on_miss(28, 1), W{28, 32}));
  CHECK(same(ra.on_miss(60, 1), W{60, 32}));
  CHECK(same(ra.on_miss(1000, 2), W{1000, 2}));  // elsewhere: a random read
  ra.note_read_end(1002 * P - 100);               // ended inside page 1001: a read from there on is sequential
  CHECK(same(ra.on_miss(1002, 1), W{1002, 4}));
  ReadAhead big;
  big.note_read_end(16 * P);
  CHECK(same(big.on_miss(16, 16), W{16, 32}));  // 16-page reads: the largest window at once
  CHECK(same(big.on_miss(48, 100), W{48, 32}));
  CHECK(ReadAhead::initial_size(2) == 4);
  CHECK(ReadAhead::initial_size(8) == 16);
  CHECK(ReadAhead::next_size(1) == 4);
  CHECK(ReadAhead::next_size(16) == 32);
  ReadAhead faults;
  CHECK(same(faults.on_fault_miss(100), W{84, 32}));  // around the page
  CHECK(same(faults.on_fault_miss(116), W{116, 32}));  // the end of that window: the next one
  CHECK(same(faults.on_fault_miss(5), W{0, 32}));
  ReadAhead small;  // a disk set to 8 pages (blockdev --setra 64)
  CHECK(same(small.on_miss(0, 1, 8), W{0, 2}));  // (Linux's sizes for a maximum of 8: 2, 4, 8)
  CHECK(same(small.on_miss(2, 1, 8), W{2, 4}));
  CHECK(same(small.on_miss(6, 1, 8), W{6, 8}));
  CHECK(same(small.on_miss(14, 1, 8), W{14, 8}));
  CHECK(same(small.on_fault_miss(100, 8), W{96, 8}));
  ReadAhead off;  // read-ahead off (--setra 0): a page at a time, as Linux's forced read of one page
  CHECK(same(off.on_miss(0, 16, 0), W{0, 1}));
  CHECK(same(off.on_miss(1, 16, 0), W{1, 1}));
  CHECK(same(off.on_fault_miss(7, 0), W{7, 1}));
}

// Page-out drops clean file pages (unmapping them), and a later fault reads them back; a page stored to through
// a shared mapping is not dropped until it has been written back; one held by someone (read()) stays.
TEST_CASE("page cache: page-out drops clean pages, dirty ones after write-back") {
  LazyFile f(16);
  set_file_page_reclaimer(&MemoryObject::reclaimer);
  Space s;
  REQUIRE(map_object(*s, A, 16 * P, Prot::ReadWrite, f.obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  for (u64 i = 0; i < 16; i++) CHECK(load(*s, A + i * P) == 0x40 + i);
  store(*s, A + 3 * P, 0x33);
  auto held = f.obj->get_filled_page(9);
  REQUIRE(held.has_value());
  g_phys.hand_over_fresh_pages();
  u64 freed = 0;
  for (int round = 0; round < 8; round++) freed += reclaim_pages(16, ReclaimFor::Direct);
  CHECK(freed == 14);
  CHECK(f.obj->resident_pages() == 2);
  CHECK(f.obj->peek_page(3) != nullptr);
  CHECK(f.obj->peek_page(9) != nullptr);
  CHECK(f.obj->dirty_pages() == 1);  // the store, seen when the mapping went
  CHECK(counter(g_vm_stats.pgsteal_file) == 14);
  CHECK(s->pmap().extract(VirtAddr(A)).is_error());  // unmapped
  CHECK(f.pager.reads == 16);  // the first fault read them all (read-around)
  CHECK(load(*s, A + 0 * P) == 0x40);  // read again, with the 13 others dropped (read-around)
  CHECK(f.pager.reads == 30);
  CHECK(load(*s, A + 3 * P) == 0x33);  // never lost
  g_phys.unref(held.value());
  CHECK(f.obj->write_back(0, 16, true).has_value());
  CHECK(f.pager.written == Pages{3});
  for (int round = 0; round < 8; round++) (void)reclaim_pages(16, ReclaimFor::Direct);
  CHECK(f.obj->resident_pages() == 0);
  set_file_page_reclaimer(nullptr);
}

}  // TEST_SUITE
