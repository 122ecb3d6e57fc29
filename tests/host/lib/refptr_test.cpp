// lib/refptr.h: intrusive reference counting. The count lives in the object, RefPtr holds one reference, the
// last reference deletes the object, and dropping more references than exist panics.
#include "lib/refptr.h"

#include <doctest/doctest.h>

#include <thread>
#include <utility>
#include <vector>

#include "support/host_panic.h"

namespace {

struct Counted : RefCounted {
  static inline int destroyed = 0;
  int value;
  explicit Counted(int v) : value(v) {}
  virtual ~Counted() { destroyed++; }
};

struct Derived : Counted {
  explicit Derived(int v) : Counted(v) {}
};

}  // namespace

TEST_SUITE("lib/refptr") {

// make_ref creates an object holding one reference; dropping the RefPtr deletes it.
TEST_CASE("refptr: make_ref and the last reference") {
  Counted::destroyed = 0;
  {
    RefPtr<Counted> p = make_ref<Counted>(5);
    REQUIRE(p);
    CHECK(p->ref_count() == 1);
    CHECK((*p).value == 5);
    CHECK(p.get()->value == 5);
  }
  CHECK(Counted::destroyed == 1);
}

// Copies add references, moves transfer them; the object dies with the last holder.
TEST_CASE("refptr: copy and move") {
  Counted::destroyed = 0;
  RefPtr<Counted> a = make_ref<Counted>(1);
  {
    RefPtr<Counted> b = a;
    CHECK(a->ref_count() == 2);
    CHECK(a == b);
    RefPtr<Counted> c = std::move(b);
    CHECK_FALSE(b);
    CHECK(a->ref_count() == 2);
    RefPtr<Counted> d;
    d = c;
    CHECK(a->ref_count() == 3);
    d = std::move(c);
    CHECK(a->ref_count() == 2);
  }
  CHECK(a->ref_count() == 1);
  CHECK(Counted::destroyed == 0);
  a = nullptr;
  CHECK_FALSE(a);
  CHECK(Counted::destroyed == 1);
}

// Assigning a RefPtr to itself (by copy or move) keeps the object alive and the count unchanged.
TEST_CASE("refptr: self-assignment") {
  Counted::destroyed = 0;
  RefPtr<Counted> a = make_ref<Counted>(1);
  RefPtr<Counted>& alias = a;
  a = alias;
  CHECK(a->ref_count() == 1);
  a = std::move(alias);
  REQUIRE(a);
  CHECK(a->ref_count() == 1);
  CHECK(Counted::destroyed == 0);
}

// Reassigning drops the old object's reference before holding the new one.
TEST_CASE("refptr: reassignment releases the old object") {
  Counted::destroyed = 0;
  RefPtr<Counted> a = make_ref<Counted>(1);
  RefPtr<Counted> b = make_ref<Counted>(2);
  a = b;
  CHECK(Counted::destroyed == 1);
  CHECK(a->value == 2);
  CHECK(b->ref_count() == 2);
}

// RefPtr(T*) takes a new reference, adopt() takes over one the caller holds, leak() gives one up.
TEST_CASE("refptr: adopt, raw pointer and leak") {
  Counted::destroyed = 0;
  auto* raw = new Counted(3);  // count 1, held by "raw"
  {
    RefPtr<Counted> p(raw);
    CHECK(raw->ref_count() == 2);
  }
  CHECK(raw->ref_count() == 1);
  CHECK(Counted::destroyed == 0);
  RefPtr<Counted> owner = RefPtr<Counted>::adopt(raw);
  CHECK(raw->ref_count() == 1);
  Counted* leaked = owner.leak();
  CHECK_FALSE(owner);
  CHECK(leaked == raw);
  CHECK(Counted::destroyed == 0);
  RefPtr<Counted> again = RefPtr<Counted>::adopt(leaked);
  again.clear();
  CHECK(Counted::destroyed == 1);
  RefPtr<Counted> null_ptr(static_cast<Counted*>(nullptr));
  CHECK_FALSE(null_ptr);
}

// A RefPtr<Derived> converts to RefPtr<Base>, by copy (new reference) and by move (same reference).
TEST_CASE("refptr: derived to base conversion") {
  Counted::destroyed = 0;
  RefPtr<Derived> d = make_ref<Derived>(9);
  RefPtr<Counted> copy = d;
  CHECK(d->ref_count() == 2);
  RefPtr<Counted> moved = std::move(d);
  CHECK_FALSE(d);
  CHECK(copy->ref_count() == 2);
  copy = nullptr;
  moved = nullptr;
  CHECK(Counted::destroyed == 1);
}

// unref reports the last reference; one unref too many is an underflow and panics.
TEST_CASE("refptr: reference count underflow panics") {
  Counted c(1);
  c.ref();
  CHECK_FALSE(c.unref());
  CHECK(c.unref());
  CHECK_THROWS_WITH_AS(c.unref(), doctest::Contains("underflow"), KernelPanic);
}

// Counts are atomic: threads copying and dropping the same object concurrently leave the count exact.
TEST_CASE("refptr: concurrent copies") {
  Counted::destroyed = 0;
  RefPtr<Counted> shared = make_ref<Counted>(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&shared] {
      for (int i = 0; i < 20000; i++) {
        RefPtr<Counted> copy = shared;
        RefPtr<Counted> another = copy;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(shared->ref_count() == 1);
  CHECK(Counted::destroyed == 0);
  shared = nullptr;
  CHECK(Counted::destroyed == 1);
}

}  // TEST_SUITE
