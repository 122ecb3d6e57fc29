// FIFO replacement: evict the page that became pageable first, whether it was used since or not. The simplest
// policy, and the yardstick: Belady's anomaly lives here, and a locality workload shows what ignoring the
// accessed bits costs (user/tests/swap_locality.c).
#include "mm/replacement.h"

namespace {

class FifoPolicy final : public ReplacementPolicy {
 public:
  const char* name() const override { return "fifo"; }
  void page_added(Frame& page) override {
    m_queue.push_back(page);
    m_count++;
  }
  void pages_added(Frame* const* pages, unsigned n) override {
    for (unsigned i = 0; i < n; i++) page_added(*pages[i]);
  }
  void page_removed(Frame& page) override {
    m_queue.remove(page);
    m_count--;
  }
  Frame* choose_victim(PageProbe&) override {
    Frame* oldest = m_queue.pop_front();
    if (oldest) m_count--;
    return oldest;
  }
  u64 page_count() const override { return m_count; }

 private:
  IntrusiveList<Frame, &Frame::lru_link> m_queue;  // oldest first
  u64 m_count = 0;
};

}  // namespace

ReplacementPolicy* create_fifo_policy() { return new FifoPolicy(); }
