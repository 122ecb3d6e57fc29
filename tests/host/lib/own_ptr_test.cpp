// lib/own_ptr.h: OwnPtr<T> is the one owner of an object. It releases the object at scope exit, when
// overwritten, on clear(), exactly once; moving hands the object on; leak() gives it up; a release policy
// replaces `delete` for types with a static destroy(). It is as small as a pointer.
#include "lib/own_ptr.h"

#include <doctest/doctest.h>

#include <utility>

#include "lib/result.h"

namespace {

struct Tracked {
  static inline int live = 0;
  static inline int destroyed = 0;
  int value;
  explicit Tracked(int v) : value(v) { live++; }
  virtual ~Tracked() {
    live--;
    destroyed++;
  }
};

struct Derived : Tracked {
  explicit Derived(int v) : Tracked(v) {}
};

// Made by create() and released by destroy(), like the pmap.
struct Pooled {
  static inline int destroy_calls = 0;
  static Pooled* create() { return new Pooled(); }
  static void destroy(Pooled* p) {
    destroy_calls++;
    delete p;
  }
};

void reset_counts() {
  Tracked::live = 0;
  Tracked::destroyed = 0;
}

// A fallible two-step construction: whatever the first step made goes away when the second step fails.
Result<OwnPtr<Tracked>> make_pair_or_fail(bool fail_second, OwnPtr<Tracked>& second) {
  OwnPtr<Tracked> first = make_own<Tracked>(1);
  if (fail_second) return Error::NOMEM;
  second = make_own<Tracked>(2);
  return first;
}

}  // namespace

TEST_SUITE("lib/own_ptr") {

static_assert(sizeof(OwnPtr<Tracked>) == sizeof(Tracked*));
static_assert(sizeof(OwnPtr<Pooled, StaticDestroy<Pooled>>) == sizeof(Pooled*));

TEST_CASE("own_ptr: the object goes at scope exit, once") {
  reset_counts();
  {
    OwnPtr<Tracked> p = make_own<Tracked>(5);
    REQUIRE(p);
    CHECK(p->value == 5);
    CHECK((*p).value == 5);
    CHECK(p.get()->value == 5);
    CHECK(Tracked::live == 1);
  }
  CHECK(Tracked::live == 0);
  CHECK(Tracked::destroyed == 1);
  OwnPtr<Tracked> empty;
  CHECK_FALSE(empty);
  CHECK(empty.get() == nullptr);
  empty.clear();  // nothing to release
  CHECK(Tracked::destroyed == 1);
}

TEST_CASE("own_ptr: moving hands the object on") {
  reset_counts();
  OwnPtr<Tracked> a = make_own<Tracked>(1);
  Tracked* raw = a.get();
  OwnPtr<Tracked> b = std::move(a);
  CHECK_FALSE(a);
  CHECK(b.get() == raw);
  OwnPtr<Tracked> c;
  c = std::move(b);
  CHECK(c.get() == raw);
  CHECK(Tracked::live == 1);
  c = std::move(c);  // self-move keeps the object
  CHECK(c.get() == raw);
  CHECK(Tracked::live == 1);
  // Overwriting releases what was held before.
  c = make_own<Tracked>(2);
  CHECK(Tracked::destroyed == 1);
  CHECK(c->value == 2);
  c = nullptr;
  CHECK(Tracked::live == 0);
  // From an owner of a derived type.
  OwnPtr<Tracked> base = make_own<Derived>(3);
  CHECK(base->value == 3);
  base.clear();
  CHECK(Tracked::live == 0);
}

TEST_CASE("own_ptr: leak gives the object up, reset takes another") {
  reset_counts();
  OwnPtr<Tracked> p = make_own<Tracked>(7);
  Tracked* raw = p.leak();
  CHECK_FALSE(p);
  CHECK(Tracked::live == 1);
  p.reset(raw);  // owned again
  p.reset(new Tracked(8));
  CHECK(Tracked::destroyed == 1);
  CHECK(p->value == 8);
}

TEST_CASE("own_ptr: a release policy instead of delete") {
  Pooled::destroy_calls = 0;
  {
    OwnPtr<Pooled, StaticDestroy<Pooled>> p(Pooled::create());
    REQUIRE(p);
  }
  CHECK(Pooled::destroy_calls == 1);
  OwnPtr<Pooled, StaticDestroy<Pooled>> none(nullptr);
  none.clear();
  CHECK(Pooled::destroy_calls == 1);
}

// Failure paths need no undo: the early return releases what was made, success hands it to the caller.
TEST_CASE("own_ptr: scope exit on a failure path") {
  reset_counts();
  {
    OwnPtr<Tracked> second;
    auto failed = make_pair_or_fail(true, second);
    CHECK(failed.is_error());
    CHECK_FALSE(second);
    CHECK(Tracked::live == 0);
    auto made = make_pair_or_fail(false, second);
    REQUIRE(made.has_value());
    OwnPtr<Tracked> first = made.release_value();
    CHECK(first->value == 1);
    CHECK(second->value == 2);
    CHECK(Tracked::live == 2);
  }
  CHECK(Tracked::live == 0);
}

}  // TEST_SUITE
