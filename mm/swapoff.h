// Swapoff's work: bring every page stored in an area back into memory (mm/swapoff.cpp).
#pragma once

#include "lib/result.h"
#include "mm/swap_area.h"

// Brings back every page of `area` (draining: nothing new is allocated in it) into the anon tables that name it,
// and drops the pages only its cache holds. Sleeps. NOMEM when memory cannot hold them all, IO when one cannot
// be read: the area stays then, with what is left on it.
Result<void> swapoff_bring_back(SwapArea& area);
