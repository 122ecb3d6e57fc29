// lib/list.h: the intrusive doubly linked list. Linking never allocates, the element is found back from its
// node, and misuse (linking an element twice, unlinking one that is not linked) panics.
#include "lib/list.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <vector>

#include "support/host_panic.h"

namespace {

// The node is deliberately not the first member, so owner_of must subtract a real offset.
struct Item {
  int value = 0;
  u64 padding[3] = {};
  ListNode node;
  explicit Item(int v) : value(v) {}
};

using ItemList = IntrusiveList<Item, &Item::node>;

std::vector<int> values_of(const ItemList& list) {
  std::vector<int> out;
  for (Item& item : list) out.push_back(item.value);
  return out;
}

}  // namespace

TEST_SUITE("lib/list") {

// An empty list has no front, no back and nothing to pop.
TEST_CASE("list: empty list") {
  ItemList list;
  CHECK(list.is_empty());
  CHECK(list.size_slow() == 0);
  CHECK(list.front() == nullptr);
  CHECK(list.back() == nullptr);
  CHECK(list.pop_front() == nullptr);
  CHECK(values_of(list).empty());
}

// push_back appends, push_front prepends; iteration goes front to back; front/back are the ends.
TEST_CASE("list: push_front, push_back and iteration order") {
  Item a(1), b(2), c(3), d(4);
  ItemList list;
  list.push_back(b);
  list.push_back(c);
  list.push_front(a);
  list.push_back(d);
  CHECK(values_of(list) == std::vector<int>{1, 2, 3, 4});
  CHECK(list.size_slow() == 4);
  CHECK(list.front() == &a);
  CHECK(list.back() == &d);
  CHECK(a.node.is_linked());
}

// remove unlinks from the front, the middle and the back; the element is no longer linked.
TEST_CASE("list: remove anywhere") {
  Item a(1), b(2), c(3), d(4);
  ItemList list;
  for (Item* item : {&a, &b, &c, &d}) list.push_back(*item);
  ItemList::remove(c);
  CHECK_FALSE(c.node.is_linked());
  CHECK(values_of(list) == std::vector<int>{1, 2, 4});
  ItemList::remove(a);
  CHECK(values_of(list) == std::vector<int>{2, 4});
  ItemList::remove(d);
  CHECK(values_of(list) == std::vector<int>{2});
  CHECK(list.front() == &b);
  CHECK(list.back() == &b);
  ItemList::remove(b);
  CHECK(list.is_empty());
  // A removed element can be linked again.
  list.push_front(c);
  CHECK(values_of(list) == std::vector<int>{3});
  ItemList::remove(c);
}

// pop_front returns the elements in order and unlinks them.
TEST_CASE("list: pop_front") {
  Item a(1), b(2), c(3);
  ItemList list;
  for (Item* item : {&a, &b, &c}) list.push_back(*item);
  CHECK(list.pop_front() == &a);
  CHECK_FALSE(a.node.is_linked());
  CHECK(list.pop_front() == &b);
  CHECK(list.pop_front() == &c);
  CHECK(list.pop_front() == nullptr);
  CHECK(list.is_empty());
}

// next_of allows removing the current element while walking the list.
TEST_CASE("list: removal-safe iteration with next_of") {
  std::vector<Item> items;
  items.reserve(10);
  for (int i = 0; i < 10; i++) items.emplace_back(i);
  ItemList list;
  for (Item& item : items) list.push_back(item);
  for (Item* item = list.front(); item;) {
    Item* next = list.next_of(*item);
    if (item->value % 2 == 1) ItemList::remove(*item);
    item = next;
  }
  CHECK(values_of(list) == std::vector<int>{0, 2, 4, 6, 8});
  CHECK(list.next_of(items[8]) == nullptr);
  while (list.pop_front()) {
  }
}

// An element can be on two lists at once through two nodes.
TEST_CASE("list: two nodes, two lists") {
  struct Task {
    int id;
    ListNode run_link;
    ListNode all_link;
  };
  Task t1{1, {}, {}}, t2{2, {}, {}};
  IntrusiveList<Task, &Task::run_link> run_queue;
  IntrusiveList<Task, &Task::all_link> all_tasks;
  all_tasks.push_back(t1);
  all_tasks.push_back(t2);
  run_queue.push_back(t2);
  CHECK(run_queue.front() == &t2);
  CHECK(all_tasks.size_slow() == 2);
  decltype(run_queue)::remove(t2);
  CHECK(run_queue.is_empty());
  CHECK(all_tasks.back() == &t2);
  all_tasks.pop_front();
  all_tasks.pop_front();
}

// Linking an element that is already linked, or unlinking one that is not, panics (and changes nothing).
TEST_CASE("list: misuse panics") {
  Item a(1), b(2);
  ItemList list;
  list.push_back(a);
  CHECK_THROWS_AS(list.push_back(a), KernelPanic);
  CHECK_THROWS_AS(list.push_front(a), KernelPanic);
  CHECK_THROWS_AS(ItemList::remove(b), KernelPanic);
  CHECK(values_of(list) == std::vector<int>{1});
  ItemList::remove(a);
}

}  // TEST_SUITE
