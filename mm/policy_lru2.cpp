// "lru2": an approximation of least-recently-used with two lists, as Linux has (mm/vmscan.c, "active" and
// "inactive"). New pages start on the inactive list. A victim is taken from the old end of the inactive list,
// but an inactive page that was used since it got there is promoted to the active list instead. The active
// list holds the working set; when it outgrows the inactive list, pages from its old end are demoted (their
// accessed bits cleared) so that they must be used again to stay. A page used once is evicted soon; a page used
// repeatedly has to go unused for two trips before it goes.
#include "mm/replacement.h"

namespace {

constexpr u8 ON_ACTIVE = 1;  // Frame::policy_bits(): the page is on the active list

class Lru2Policy final : public ReplacementPolicy {
 public:
  const char* name() const override { return "lru2"; }
  void page_added(Frame& page) override {
    page.set_policy_bits(0);
    m_inactive.push_back(page);
    m_inactive_count++;
  }
  void pages_added(Frame* const* pages, unsigned n) override {
    for (unsigned i = 0; i < n; i++) page_added(*pages[i]);
  }
  void page_removed(Frame& page) override {
    if (page.policy_bits() & ON_ACTIVE) {
      m_active.remove(page);
      m_active_count--;
    } else {
      m_inactive.remove(page);
      m_inactive_count--;
    }
  }
  Frame* choose_victim(PageProbe& probe) override {
    for (u64 steps = 0, limit = 2 * page_count() + 1; steps < limit; steps++) {
      balance(probe);
      Frame* page = m_inactive.pop_front();
      if (!page) return nullptr;
      m_inactive_count--;
      if (!probe.referenced(*page)) return page;
      // Used while inactive: it belongs to the working set.
      page->set_policy_bits(ON_ACTIVE);
      m_active.push_back(*page);
      m_active_count++;
    }
    Frame* page = m_inactive.pop_front();
    if (page) m_inactive_count--;
    else if ((page = m_active.pop_front())) m_active_count--;
    return page;
  }
  u64 page_count() const override { return m_active_count + m_inactive_count; }

 private:
  // Keep the inactive list at least as long as the active one: demote the oldest active pages. A demoted page
  // that was used since it was last looked at goes back to the active end instead (rotated, as Linux does for
  // recently used pages it scans).
  void balance(PageProbe& probe) {
    u64 budget = m_active_count < 32 ? m_active_count : 32;  // a bounded amount of work per victim
    while (m_active_count > m_inactive_count && budget-- > 0) {
      Frame* page = m_active.pop_front();
      if (probe.referenced(*page)) {
        m_active.push_back(*page);
        continue;
      }
      m_active_count--;
      page->set_policy_bits(0);
      m_inactive.push_back(*page);
      m_inactive_count++;
    }
  }

  IntrusiveList<Frame, &Frame::lru_link> m_active;    // oldest first
  IntrusiveList<Frame, &Frame::lru_link> m_inactive;  // oldest first
  u64 m_active_count = 0;
  u64 m_inactive_count = 0;
};

}  // namespace

ReplacementPolicy* create_lru2_policy() { return new Lru2Policy(); }
