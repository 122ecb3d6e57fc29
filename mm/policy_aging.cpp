// "aging": clock with an age per page (Linux 2.0's page age, GCLOCK in the literature). Lab 6's policy
// (labs/swap/README.md): the student writes it behind the interface of mm/replacement.h.
//
// Clock (mm/policy_clock.cpp) remembers one bit per page: used since the hand last passed, or not. A page of the
// hot set that happened not to be touched during one turn of the hand goes, exactly like a page used once and
// never again. Aging remembers more: each page has an age, 0 to MAX_AGE, in its policy bits. When the hand
// passes a page that was used, the page gets older (more valuable), up to MAX_AGE; when it passes one that was
// not, the age drops by one; the victim is the first unused page whose age is already 0. A page used on many
// turns has to go unused for several turns before it leaves, a page used once leaves after one or two.
#include "mm/replacement.h"

namespace {

// LAB swap: BEGIN SOLUTION
constexpr u8 MAX_AGE = 3;
// A new page starts one above the bottom: a page read ahead from swap joins before anyone used it (its accessed
// bit is clear), and at age 0 it would be the first to go, often just before its use (on swap_locality's
// workloads, new pages at age 0 cost 6% more major faults on "hot" and 16% on "moving").
constexpr u8 NEW_AGE = 1;

class AgingPolicy final : public ReplacementPolicy {
 public:
  const char* name() const override { return "aging"; }
  void page_added(Frame& page) override {
    page.set_policy_bits(NEW_AGE);
    m_circle.push_back(page);
    m_count++;
  }
  void page_removed(Frame& page) override {
    m_circle.remove(page);
    m_count--;
  }
  Frame* choose_victim(PageProbe& probe) override {
    // A page unused on every pass loses one age per turn: after MAX_AGE + 1 turns some page is at 0, unless
    // pages were used again meanwhile.
    for (u64 steps = 0; steps < (MAX_AGE + 1u) * m_count + 1; steps++) {
      Frame* page = m_circle.pop_front();
      if (!page) return nullptr;
      u8 age = page->policy_bits();
      if (probe.referenced(*page)) {
        if (age < MAX_AGE) page->set_policy_bits(static_cast<u8>(age + 1));
      } else if (age > 0) {
        page->set_policy_bits(static_cast<u8>(age - 1));
      } else {
        m_count--;
        return page;
      }
      m_circle.push_back(*page);  // the hand moves on
    }
    // Everything is in use all the time: take the page under the hand.
    Frame* page = m_circle.pop_front();
    if (page) m_count--;
    return page;
  }
  u64 page_count() const override { return m_count; }

 private:
  IntrusiveList<Frame, &Frame::lru_link> m_circle;  // front: under the hand
  u64 m_count = 0;
};
// LAB swap: STUDENT
// // TODO(lab swap, exercise 1): this is FIFO under another name: it never asks probe.referenced(), so a page
// // used all the time leaves as soon as it is the oldest. Give each page an age in its policy bits
// // (Frame::policy_bits(), four bits of your own) and let use keep a page, as the handout explains.
// class AgingPolicy final : public ReplacementPolicy {
//  public:
//   const char* name() const override { return "aging"; }
//   void page_added(Frame& page) override {
//     m_queue.push_back(page);
//     m_count++;
//   }
//   void page_removed(Frame& page) override {
//     m_queue.remove(page);
//     m_count--;
//   }
//   Frame* choose_victim(PageProbe&) override {
//     Frame* oldest = m_queue.pop_front();
//     if (oldest) m_count--;
//     return oldest;
//   }
//   u64 page_count() const override { return m_count; }
//
//  private:
//   IntrusiveList<Frame, &Frame::lru_link> m_queue;  // oldest first
//   u64 m_count = 0;
// };
// LAB swap: END

}  // namespace

ReplacementPolicy* create_aging_policy() { return new AgingPolicy(); }
