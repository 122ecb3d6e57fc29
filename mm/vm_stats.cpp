#include "mm/vm_stats.h"

VmStats g_vm_stats;

namespace {
Frame* g_zero_page = nullptr;
}

void vm_init() {
  g_zero_page = g_phys.alloc(0, FrameUse::Zero);
  ASSERT_MSG(g_zero_page, "no memory for the zero page");
  zero_frame(g_zero_page);
}

Frame* zero_page() { return g_zero_page; }
