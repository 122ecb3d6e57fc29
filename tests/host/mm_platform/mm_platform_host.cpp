// The out-of-line parts of the host platform (tests/host/mm_platform/mm_platform_impl.h): the arena, the
// captured log, the thread-to-"hart" numbering.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mm/mm_platform.h"

namespace {

// Indices of the running threads that asked for one; a thread's index returns to the pool when it exits.
std::atomic<u64> g_cpus_in_use{0};

struct ThreadCpu {
  int index = -1;    // what mm_current_cpu() answers
  int reserved = -1;  // the index this thread holds in g_cpus_in_use
  ~ThreadCpu() {
    if (reserved >= 0) g_cpus_in_use.fetch_and(~(1ull << reserved));
  }
};
thread_local ThreadCpu t_cpu;

std::vector<std::string>& log_lines() {
  static std::vector<std::string> lines;
  return lines;
}

// Page alignment, like the direct map: a page-aligned physical address gives a page-aligned pointer. The size
// is a whole number of pages, as aligned_alloc wants, so AddressSanitizer's bounds are exactly the arena's.
constexpr u64 ARENA_ALIGNMENT = PAGE_SIZE;

}  // namespace

unsigned mm_current_cpu() {
  if (t_cpu.index < 0) {
    u64 in_use = g_cpus_in_use.load();
    for (;;) {
      u64 free = ~in_use & ((1ull << HOST_MAX_CPUS) - 1);
      ASSERT_MSG(free != 0, "more than %u threads use mm/ at once", HOST_MAX_CPUS);
      u64 bit = free & -free;
      if (g_cpus_in_use.compare_exchange_weak(in_use, in_use | bit)) {
        t_cpu.index = t_cpu.reserved = __builtin_ctzll(bit);
        break;
      }
    }
  }
  return static_cast<unsigned>(t_cpu.index);
}

// The thread keeps its own index reserved (returned when it exits), so it can switch back to it safely.
void host_set_current_cpu(unsigned cpu) {
  ASSERT(cpu < HOST_MAX_CPUS);
  (void)mm_current_cpu();
  t_cpu.index = static_cast<int>(cpu);
}

void HostArena::setup(u64 size, PhysAddr base) {
  ASSERT_MSG(size > 0 && is_aligned(size, PAGE_SIZE), "HostArena: size %#llx is not a whole number of pages",
             static_cast<unsigned long long>(size));
  ASSERT_MSG(base.is_page_aligned(), "HostArena: base %#llx is not page-aligned",
             static_cast<unsigned long long>(base.get()));
  release();
  void* memory = aligned_alloc(ARENA_ALIGNMENT, size);
  ASSERT_MSG(memory, "HostArena: cannot allocate %llu bytes", static_cast<unsigned long long>(size));
  memset(memory, POISON, size);
  s_memory = static_cast<u8*>(memory);
  s_base = base;
  s_size = size;
}

void HostArena::release() {
  free(s_memory);
  s_memory = nullptr;
  s_base = PhysAddr();
  s_size = 0;
}

void mm_log(const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  log_lines().emplace_back(line);
  if (getenv("MM_LOG")) fprintf(stderr, "mm: %s\n", line);
}

const std::vector<std::string>& host_mm_log_lines() { return log_lines(); }

void host_mm_log_clear() { log_lines().clear(); }

namespace {
thread_local bool t_fatal_signal_pending = false;
}

bool mm_fatal_signal_pending() { return t_fatal_signal_pending; }
void host_set_fatal_signal_pending(bool pending) { t_fatal_signal_pending = pending; }

namespace {
thread_local SpaceLimits t_space_limits;
}

SpaceLimits mm_space_limits() { return t_space_limits; }
void host_set_space_limits(const SpaceLimits& limits) { t_space_limits = limits; }
void host_reset_space_limits() { t_space_limits = SpaceLimits(); }
