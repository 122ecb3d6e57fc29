// Clock replacement (second chance): the pages stand in a circle and a hand goes round. At each page it asks
// whether the page was used since the hand last passed; a used page loses that mark and is passed over (its
// second chance), the first unused one is the victim. Pages used all the time stay; pages nobody touched go.
//
// The circle is a list whose front is where the hand points: passing a page moves it to the back. A new page
// joins just behind the hand (at the back), so it gets a full turn before it is looked at.
#include "mm/replacement.h"

namespace {

class ClockPolicy final : public ReplacementPolicy {
 public:
  const char* name() const override { return "clock"; }
  void page_added(Frame& page) override {
    m_circle.push_back(page);
    m_count++;
  }
  void pages_added(Frame* const* pages, unsigned n) override {
    for (unsigned i = 0; i < n; i++) page_added(*pages[i]);
  }
  void page_removed(Frame& page) override {
    m_circle.remove(page);
    m_count--;
  }
  Frame* choose_victim(PageProbe& probe) override {
    // Two full turns at most: after one, every page has lost its mark, unless it was used again meanwhile.
    for (u64 steps = 0; steps < 2 * m_count + 1; steps++) {
      Frame* page = m_circle.pop_front();
      if (!page) return nullptr;
      if (!probe.referenced(*page)) {
        m_count--;
        return page;
      }
      m_circle.push_back(*page);  // second chance: the hand moves on
    }
    // Everything is in use all the time: take the page under the hand anyway.
    Frame* page = m_circle.pop_front();
    if (page) m_count--;
    return page;
  }
  u64 page_count() const override { return m_count; }

 private:
  IntrusiveList<Frame, &Frame::lru_link> m_circle;  // front: under the hand
  u64 m_count = 0;
};

}  // namespace

ReplacementPolicy* create_clock_policy() { return new ClockPolicy(); }
