// mm/vm_object.{h,cpp}: MemoryObject, pages that live only in memory. get_page allocates zero-filled pages on
// first use and counts them, refuses pages past the end (BUSERR), peek_page never allocates, set_size shrinks
// by freeing whole pages past the end and zeroing the tail of the last one, and the object's frames go when
// the last reference to it does. The reverse map lists the regions that map it.
#include "mm/vm_object.h"

#include <doctest/doctest.h>

#include <vector>

#include "vm_test_env.h"

using namespace vmtest;

namespace {


u8* bytes(Frame* f) { return g_phys.kernel_pointer(f); }


}  // namespace

TEST_SUITE("mm/vm_object") {

// get_page: a zero-filled frame (the arena holds poison bytes otherwise) owned by the object, the same frame
// every time, counted once; BUSERR past the end; peek_page only looks.
TEST_CASE("memory object: get_page zero-fills and counts resident pages") {
  VmEnv env;
  auto obj = MemoryObject::create(3 * P);
  REQUIRE(obj);
  CHECK(obj->size_pages() == 3);
  CHECK(obj->size_bytes() == 3 * P);
  CHECK(obj->resident_pages() == 0);
  CHECK(obj->peek_page(0) == nullptr);
  CHECK(env.frames_used() == 0);

  Frame* f = obj->get_page(1).value();
  CHECK(f->use == FrameUse::File);
  CHECK(f->object() == obj.get());
  CHECK(f->object_page() == 1);
  CHECK(f->refcount.load() == 1);
  CHECK(all_bytes(bytes(f), P, 0));
  CHECK(obj->resident_pages() == 1);
  CHECK(obj->peek_page(1) == f);
  CHECK(obj->peek_page(0) == nullptr);
  bytes(f)[10] = 0x10;
  CHECK(obj->get_page(1).value() == f);
  CHECK(bytes(obj->get_page(1).value())[10] == 0x10);
  CHECK(obj->resident_pages() == 1);
  CHECK(obj->get_page(2).has_value());
  CHECK(obj->resident_pages() == 2);
  CHECK(obj->get_page(3).error() == Error::BUSERR);
  CHECK(obj->get_page(~0ull).error() == Error::BUSERR);
  CHECK(obj->resident_pages() == 2);
  CHECK(frames_in_use(FrameUse::File) == 2);
}

// Sizes are bytes; a partial last page is a whole page of the object. An empty object has no page.
TEST_CASE("memory object: sizes round up to pages") {
  VmEnv env;
  auto empty = MemoryObject::create(0);
  CHECK(empty->size_pages() == 0);
  CHECK(empty->get_page(0).error() == Error::BUSERR);
  auto odd = MemoryObject::create(P + 1);
  CHECK(odd->size_pages() == 2);
  CHECK(odd->get_page(1).has_value());
  CHECK(odd->get_page(2).error() == Error::BUSERR);
}

// Shrinking frees the pages wholly past the new end and zeroes the rest of the last page (so the bytes read as
// zeros if the object grows again); the pages below are untouched. Growing allocates nothing.
TEST_CASE("memory object: set_size") {
  VmEnv env;
  auto obj = MemoryObject::create(4 * P);
  std::vector<Frame*> pages;
  for (u64 i = 0; i < 4; i++) {
    pages.push_back(obj->get_page(i).value());
    memset(bytes(pages.back()), 0xee, P);
  }
  REQUIRE(obj->set_size(P + 100).has_value());
  CHECK(obj->size_bytes() == P + 100);
  CHECK(obj->size_pages() == 2);
  CHECK(obj->resident_pages() == 2);
  CHECK(frames_in_use(FrameUse::File) == 2);
  CHECK(pages[2]->is_free());
  CHECK(obj->peek_page(2) == nullptr);
  CHECK(obj->peek_page(3) == nullptr);
  CHECK(all_bytes(bytes(pages[0]), P, 0xee));
  CHECK(all_bytes(bytes(pages[1]), 100, 0xee));
  CHECK(all_bytes(bytes(pages[1]) + 100, P - 100, 0));
  CHECK(obj->get_page(2).error() == Error::BUSERR);

  REQUIRE(obj->set_size(4 * P).has_value());
  CHECK(obj->resident_pages() == 2);
  CHECK(frames_in_use(FrameUse::File) == 2);  // growing allocates nothing
  CHECK(all_bytes(bytes(obj->get_page(3).value()), P, 0));
  CHECK(obj->resident_pages() == 3);

  // Shrinking to a page boundary zeroes nothing; to 0 frees everything.
  REQUIRE(obj->set_size(P).has_value());
  CHECK(obj->resident_pages() == 1);
  CHECK(all_bytes(bytes(pages[0]), P, 0xee));
  REQUIRE(obj->set_size(0).has_value());
  CHECK(obj->resident_pages() == 0);
  CHECK(frames_in_use(FrameUse::File) == 0);  // (the page index keeps its nodes)
  // Shrinking an object whose last page is not resident.
  REQUIRE(obj->set_size(3 * P).has_value());
  REQUIRE(obj->get_page(0).has_value());
  REQUIRE(obj->set_size(P + 7).has_value());
  CHECK(obj->resident_pages() == 1);
}

// The name is copied; the object's frames go when its last reference does.
TEST_CASE("memory object: name, inode and lifetime") {
  VmEnv env;
  char name[] = "/tmp/file";
  auto obj = MemoryObject::create(2 * P, name, 42);
  name[1] = 'X';
  CHECK(std::string(obj->path()) == "/tmp/file");
  CHECK(obj->inode_number() == 42);
  CHECK(MemoryObject::create(P)->path() == nullptr);
  REQUIRE(obj->get_page(0).has_value());
  REQUIRE(obj->get_page(1).has_value());
  RefPtr<VmObject> other = obj;
  obj = nullptr;
  CHECK(frames_in_use(FrameUse::File) == 2);
  other = nullptr;
  CHECK(env.frames_used() == 0);
}

// Without memory get_page is ENOMEM and changes nothing.
TEST_CASE("memory object: out of memory") {
  VmEnv env;
  auto obj = MemoryObject::create(4 * P);
  REQUIRE(obj->get_page(0).has_value());
  std::vector<Frame*> hoard;
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);
  CHECK(obj->get_page(1).error() == Error::NOMEM);
  CHECK(obj->get_page(0).has_value());  // resident pages need nothing
  CHECK(obj->resident_pages() == 1);
  // A new object: with no frame, no page; with one frame, the page but not the index nodes (it is given back).
  auto big = MemoryObject::create(1000 * P);
  CHECK(big->get_page(0).error() == Error::NOMEM);
  g_phys.free_frame(hoard.back());
  hoard.pop_back();
  CHECK(big->get_page(600).error() == Error::NOMEM);
  CHECK(g_phys.free_frames() == 1);
  CHECK(big->resident_pages() == 0);
  for (Frame* f : hoard) g_phys.free_frame(f);
  CHECK(big->get_page(600).has_value());
}

// The reverse map: every region that maps the object, in any address space, until it is unmapped.
TEST_CASE("memory object: regions mapping it") {
  VmEnv env;
  auto obj = MemoryObject::create(8 * P);
  Space s, t;
  REQUIRE(map_object(*s, 0x10000000, 4 * P, Prot::Read, obj).has_value());
  REQUIRE(map_object(*t, 0x20000000, 8 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(s->protect(VirtAddr(0x10000000 + P), P, Prot::None).has_value());  // three pieces
  int in_s = 0, in_t = 0;
  obj->for_each_region([&](Region& r) {
    CHECK(r.m_object.get() == obj.get());
    in_s += r.m_space == s.get();
    in_t += r.m_space == t.get();
  });
  CHECK(in_s == 3);
  CHECK(in_t == 1);
  CHECK(obj->ref_count() == 1 + 4);  // the test's reference and one per region
  s.reset();
  t.reset();
  int left = 0;
  obj->for_each_region([&](Region&) { left++; });
  CHECK(left == 0);
  CHECK(obj->ref_count() == 1);
}

// An object made without a reverse map (the kernel's [vdso] and [vvar] pages) maps, splits, forks and unmaps
// like any other, its pages are the object's own and read-only until a private copy is written; it just never
// lists its regions.
namespace {
class FixedPages final : public VmObject {
 public:
  explicit FixedPages(MemoryObject& backing) : VmObject(NoReverseMap{}), m_backing(backing) {}
  Result<Frame*> get_page(u64 index) override { return m_backing.get_page(index); }
  Frame* peek_page(u64 index) override { return m_backing.peek_page(index); }
  u64 size_pages() const override { return m_backing.size_pages(); }
  u64 resident_pages() const override { return m_backing.resident_pages(); }

 private:
  MemoryObject& m_backing;
};
}  // namespace

TEST_CASE("object without a reverse map") {
  VmEnv env;
  auto backing = MemoryObject::create(4 * P);
  REQUIRE(backing);
  bytes(backing->get_page(1).value())[0] = 0x5a;
  auto obj = RefPtr<VmObject>::adopt(new FixedPages(*backing));
  {
    Space s;
    REQUIRE(map_object(*s, 0x10000000, 4 * P, Prot::ReadExec, obj).has_value());
    REQUIRE(s->protect(VirtAddr(0x10000000 + P), P, Prot::All).has_value());  // three pieces
    int listed = 0;
    obj->for_each_region([&](Region&) { listed++; });
    CHECK(listed == 0);
    CHECK(obj->ref_count() == 1 + 3);
    CHECK(load(*s, 0x10000000 + P) == 0x5a);
    Space child = s.fork();
    store(*child, 0x10000000 + P, 0x77);  // a private copy
    CHECK(load(*child, 0x10000000 + P) == 0x77);
    CHECK(load(*s, 0x10000000 + P) == 0x5a);
    CHECK(bytes(backing->peek_page(1))[0] == 0x5a);
    REQUIRE(s->unmap(VirtAddr(0x10000000), 2 * P).has_value());
  }
  CHECK(obj->ref_count() == 1);
}

// A budget (a tmpfs's size=) caps the pages a group of objects holds together: the page past it is not allocated
// (NOSPC), and pages given back by a shrink or by the object's end go back to it.
TEST_CASE("memory object: a page budget caps resident pages across objects") {
  VmEnv env;
  RefPtr<PageBudget> budget = PageBudget::create(3);
  REQUIRE(budget);
  auto a = MemoryObject::create(4 * P, nullptr, 0, budget);
  auto b = MemoryObject::create(4 * P, nullptr, 0, budget);
  REQUIRE((a && b));
  CHECK(a->get_page(0).has_value());
  CHECK(a->get_page(1).has_value());
  CHECK(a->get_page(1).has_value());  // already resident: not charged again
  CHECK(b->get_page(3).has_value());
  CHECK(budget->used() == 3);
  CHECK(b->get_page(0).error() == Error::NOSPC);
  CHECK(a->get_page(2).error() == Error::NOSPC);
  CHECK(frames_in_use(FrameUse::File) == 3);
  CHECK(a->peek_page(2) == nullptr);

  REQUIRE(a->set_size(P).has_value());  // page 1 goes back
  CHECK(budget->used() == 2);
  CHECK(b->get_page(0).has_value());
  CHECK(budget->used() == 3);
  b = nullptr;  // its two pages go back
  CHECK(budget->used() == 1);
  a = nullptr;
  CHECK(budget->used() == 0);
  CHECK(frames_in_use(FrameUse::File) == 0);
}

}  // TEST_SUITE
