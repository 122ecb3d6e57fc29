// mm/policy_*.cpp: the replacement policies of mm/replacement.h replayed on access traces. A small simulated
// memory of FRAMES pages: an access to a page that is not resident is a major fault; when memory is full the
// policy chooses the victim. The probe answers from the accessed bit of each frame, which every access sets (as
// the hardware sets the PTE's A bit) and every question clears.
//
// Suite swap/replacement: every policy keeps its books (count, removal, each page given back once) and the
// yardsticks behave as named. Suite swap/aging: lab 6's policy (labs/swap/README.md) — owned by the lab.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "mm/replacement.h"

namespace {

class BitProbe final : public PageProbe {
 public:
  explicit BitProbe(std::vector<Frame>& frames) : m_frames(frames), m_bits(frames.size()) {}
  bool referenced(Frame& page) override {
    size_t i = static_cast<size_t>(&page - m_frames.data());
    bool was = m_bits.at(i);
    m_bits[i] = false;
    asked++;
    return was;
  }
  void touch(Frame& page) { m_bits.at(static_cast<size_t>(&page - m_frames.data())) = true; }
  u64 asked = 0;

 private:
  std::vector<Frame>& m_frames;
  std::vector<bool> m_bits;
};

std::unique_ptr<ReplacementPolicy> make(const char* name) {
  const ReplacementPolicyInfo* info = replacement_policy_find(name);
  REQUIRE(info != nullptr);
  return std::unique_ptr<ReplacementPolicy>(info->create());
}

// A memory of `frames` pages under `policy`, replaying page numbers (0..pages-1).
struct Memory {
  Memory(const char* policy_name, size_t frames, size_t pages)
      : policy(make(policy_name)), frames(frames), probe(this->frames), page_of(frames, SIZE_MAX),
        frame_of(pages, SIZE_MAX) {
    for (Frame& f : this->frames) f.use = FrameUse::Anon;
  }
  void access(size_t page) {
    if (frame_of[page] != SIZE_MAX) {
      probe.touch(frames[frame_of[page]]);
      return;
    }
    faults++;
    size_t slot;
    if (used < frames.size()) {
      slot = used++;
    } else {
      Frame* victim = policy->choose_victim(probe);
      REQUIRE(victim != nullptr);
      slot = static_cast<size_t>(victim - frames.data());
      REQUIRE(page_of[slot] != SIZE_MAX);
      frame_of[page_of[slot]] = SIZE_MAX;
    }
    page_of[slot] = page;
    frame_of[page] = slot;
    probe.touch(frames[slot]);
    policy->page_added(frames[slot]);
  }
  std::unique_ptr<ReplacementPolicy> policy;
  std::vector<Frame> frames;
  BitProbe probe;
  std::vector<size_t> page_of, frame_of;
  size_t used = 0;
  u64 faults = 0;
};

// The workloads of user/swap/swap_locality.c, scaled down: PAGES pages on FRAMES frames.
constexpr size_t PAGES = 2000, FRAMES = 1400, TOUCHES = 40000;

struct Rng {
  u64 state = 88172645463325252ull;
  u64 next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

u64 replay(const char* policy, const char* workload) {
  Memory m(policy, FRAMES, PAGES);
  Rng rng;
  size_t hot = PAGES / 5, scan = 0;
  for (size_t p = 0; p < PAGES; p++) m.access(p);
  m.faults = 0;
  for (size_t t = 0; t < TOUCHES; t++) {
    u64 r = rng.next();
    size_t page;
    if (strcmp(workload, "hot") == 0) {
      page = r % 10 < 8 ? (r >> 8) % hot : hot + (r >> 8) % (PAGES - hot);
    } else if (strcmp(workload, "moving") == 0) {
      size_t set = PAGES / 3, step = t * 4 / TOUCHES, start = step * (PAGES - set) / 3;
      page = r % 10 < 8 ? start + (r >> 8) % set : (r >> 8) % PAGES;
    } else {
      if (t % 4 != 3) {
        page = r % hot;
      } else {
        page = hot + scan;
        scan = (scan + 1) % (PAGES - hot);
      }
    }
    m.access(page);
  }
  return m.faults;
}

void check_books(const char* name) {
  CAPTURE(name);
  std::unique_ptr<ReplacementPolicy> p = make(name);
  CHECK(strcmp(p->name(), name) == 0);
  std::vector<Frame> frames(64);
  BitProbe probe(frames);
  CHECK(p->choose_victim(probe) == nullptr);
  for (Frame& f : frames) {
    f.use = FrameUse::Anon;
    p->page_added(f);
  }
  CHECK(p->page_count() == 64);
  for (size_t i = 0; i < 64; i += 4) p->page_removed(frames[i]);
  CHECK(p->page_count() == 48);
  for (size_t i = 1; i < 64; i += 8) probe.touch(frames[i]);  // some used, some not
  std::set<Frame*> seen;
  while (Frame* f = p->choose_victim(probe)) {
    size_t i = static_cast<size_t>(f - frames.data());
    CHECK(i % 4 != 0);                  // never a removed page
    CHECK(seen.insert(f).second);       // never twice
  }
  CHECK(seen.size() == 48);
  CHECK(p->page_count() == 0);
  // Pages come back after a failed page-out (page_added again) and can be chosen again.
  p->page_added(frames[5]);
  CHECK(p->page_count() == 1);
  CHECK(p->choose_victim(probe) == &frames[5]);
}

}  // namespace

TEST_SUITE("swap/replacement") {
  TEST_CASE("fifo, clock and lru2 keep their books") {
    for (const char* name : {"fifo", "clock", "lru2"}) check_books(name);
  }

  TEST_CASE("the policy table has the four policies and the default") {
    for (const char* name : {"fifo", "clock", "lru2", "aging"}) CHECK(replacement_policy_find(name) != nullptr);
    CHECK(replacement_policy_find("lru") == nullptr);
    CHECK(replacement_policy_find(DEFAULT_REPLACEMENT_POLICY) != nullptr);
  }

  TEST_CASE("fifo ignores use; clock gives a used page a second chance") {
    std::vector<Frame> frames(4);
    BitProbe probe(frames);
    for (const char* name : {"fifo", "clock"}) {
      std::unique_ptr<ReplacementPolicy> p = make(name);
      for (Frame& f : frames) p->page_added(f);
      probe.touch(frames[0]);
      Frame* victim = p->choose_victim(probe);
      if (strcmp(name, "fifo") == 0) {
        CHECK(victim == &frames[0]);
      } else {
        CHECK(victim == &frames[1]);
      }
      while (p->choose_victim(probe)) {}
    }
  }

  TEST_CASE("on workloads with locality clock takes fewer major faults than fifo") {
    for (const char* workload : {"hot", "moving", "scan"}) {
      u64 fifo = replay("fifo", workload), clock = replay("clock", workload);
      CAPTURE(workload);
      MESSAGE(workload << ": fifo " << fifo << ", clock " << clock);
      CHECK(clock * 100 <= fifo * 95);
    }
  }
}

TEST_SUITE("swap/aging") {
  TEST_CASE("aging keeps its books") { check_books("aging"); }

  TEST_CASE("aging: a page used on every turn outlives a page used once") {
    std::vector<Frame> frames(8);
    BitProbe probe(frames);
    std::unique_ptr<ReplacementPolicy> p = make("aging");
    for (Frame& f : frames) p->page_added(f);
    // Page 0 is used between every two choices; each other page only when it was added.
    std::set<Frame*> out;
    for (int round = 0; round < 7; round++) {
      probe.touch(frames[0]);
      Frame* victim = p->choose_victim(probe);
      REQUIRE(victim != nullptr);
      CHECK(victim != &frames[0]);
      out.insert(victim);
    }
    CHECK(out.size() == 7);
    CHECK(p->page_count() == 1);
  }

  TEST_CASE("aging asks about the pages it passes, and gives up when everything is in use") {
    std::vector<Frame> frames(16);
    BitProbe probe(frames);
    std::unique_ptr<ReplacementPolicy> p = make("aging");
    for (Frame& f : frames) p->page_added(f);
    // Every page used all the time: a victim still comes, after a bounded number of questions.
    for (int round = 0; round < 4; round++) {
      for (Frame& f : frames) probe.touch(f);
      u64 before = probe.asked;
      CHECK(p->choose_victim(probe) != nullptr);
      CHECK(probe.asked > before);
      CHECK(probe.asked - before <= 16 * 16 + 1);
    }
    CHECK(p->page_count() == 12);
  }

  TEST_CASE("aging takes at most 92% of fifo's major faults and at most 105% of clock's") {
    for (const char* workload : {"hot", "moving", "scan"}) {
      u64 fifo = replay("fifo", workload), clock = replay("clock", workload), aging = replay("aging", workload);
      CAPTURE(workload);
      MESSAGE(workload << ": fifo " << fifo << ", clock " << clock << ", aging " << aging);
      CHECK(aging * 100 <= fifo * 92);
      CHECK(aging * 100 <= clock * 105);
    }
  }
}
