// Counters of the VM system, for /proc/meminfo and the tests: how many anonymous pages exist, how often the
// shared zero page was mapped, how many faults of each kind were resolved.
#pragma once

#include "lib/atomic.h"

#include "mm/frame.h"

struct VmStats {
  Atomic<u64> anon_pages{0};         // frames holding anonymous memory (each counted once)
  Atomic<u64> zero_page_hits{0};     // read faults answered with the shared zero page
  Atomic<u64> faults_demand_zero{0};
  Atomic<u64> faults_cow_copy{0};    // write faults that copied a shared page
  Atomic<u64> faults_cow_reuse{0};   // write faults that reused a page whose other owners were gone
  Atomic<u64> faults_object{0};      // faults that mapped a page of a VM object
  Atomic<u64> faults_stack_growth{0};
};

extern VmStats g_vm_stats;

// The shared, read-only, all-zero frame mapped by read faults on untouched anonymous memory.
Frame* zero_page();
void vm_init();
