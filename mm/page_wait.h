// Waiting for a page that is being read from swap (PageFlag::Busy): a fault that finds such a page drops its
// locks and sleeps here until the read has ended, then starts over. The wait queues are not in the frame (a
// descriptor has no room, and few pages are ever waited for): a small table of them is shared by all pages,
// chosen by the frame's address, as Linux's page wait table is.
#pragma once

#include "mm/frame.h"

// Sleeps (uninterruptibly: a read ends) until the page is not Busy. The caller holds a reference to it.
void page_wait_until_ready(Frame* page);
// Wakes whoever waits for the page (called after its Busy flag was cleared).
void page_wake(Frame* page);
