// Page replacement: which page goes to swap when memory runs short. The policy is a replaceable piece with a small
// interface, so that a lab can ask for a new one and a test can compare them on the same workload:
//
//   page_added(page)      a page became pageable (a new anonymous page, a page read back from swap; later the
//                         clean pages of files): remember it.
//   page_removed(page)    a page you hold stops being pageable (it was freed): forget it.
//   choose_victim(probe)  the page to evict next: take it out of your structure and return it (nullptr: you
//                         hold none). To see whether a page was used lately, ask probe.referenced(page): it reads
//                         and clears the accessed bits of every mapping of the page (the hardware sets them
//                         again at the next access), so asking is also how a policy gives a second chance.
//   page_count()          how many pages you hold.
//
// A policy keeps its pages on intrusive lists through Frame::lru_link (one list at a time) and may use the four
// bits Frame::policy_bits() for itself (which list, an age...). Everything runs under the pageable-set lock
// (mm/pageable.h): a policy needs no lock of its own, and must not sleep.
//
// What happens to a victim is the page-out code's business (mm/pageout.cpp): if the page cannot go after all (it
// was locked, written to during its write-out, its disk failed...), it comes back through page_added.
//
// The policies: "fifo" (mm/policy_fifo.cpp: the oldest page, used or not), "clock" (mm/policy_clock.cpp: second
// chance over the accessed bits, the default), "lru2" (mm/policy_lru2.cpp: an LRU approximation with an active
// and an inactive list, as Linux), "aging" (mm/policy_aging.cpp: clock with an age per page; lab 6 asks students to
// write it). The kernel argument replacement=NAME or /proc/sys/vm/page_replacement picks
// one.
#pragma once

#include "lib/types.h"
#include "mm/frame.h"

class PageProbe {
 public:
  // True if the page was accessed through any of its mappings since the last time it was asked about (or since
  // it was mapped). Clears what it read.
  virtual bool referenced(Frame& page) = 0;

 protected:
  ~PageProbe() = default;
};

class ReplacementPolicy {
 public:
  virtual ~ReplacementPolicy() = default;
  virtual const char* name() const = 0;
  virtual void page_added(Frame& page) = 0;
  // A batch of new pages (the hand-over of a CPU's new pages): page_added for each. A policy overrides it with
  // the same loop only so that its own page_added is called directly (every new page of the system goes this
  // way: the fault rows of BENCHMARKS.md pay for each instruction).
  virtual void pages_added(Frame* const* pages, unsigned n) {
    for (unsigned i = 0; i < n; i++) page_added(*pages[i]);
  }
  virtual void page_removed(Frame& page) = 0;
  virtual Frame* choose_victim(PageProbe& probe) = 0;
  virtual u64 page_count() const = 0;
};

// The policies the kernel knows, by name.
struct ReplacementPolicyInfo {
  const char* name;
  const char* description;
  ReplacementPolicy* (*create)();  // a new, empty instance (nullptr when out of memory)
};
// The table of policies, ending with an entry whose name is nullptr.
extern const ReplacementPolicyInfo g_replacement_policies[];
// The entry for `name`, or nullptr.
const ReplacementPolicyInfo* replacement_policy_find(const char* name);
constexpr const char* DEFAULT_REPLACEMENT_POLICY = "clock";

ReplacementPolicy* create_fifo_policy();
ReplacementPolicy* create_clock_policy();
ReplacementPolicy* create_lru2_policy();
ReplacementPolicy* create_aging_policy();
