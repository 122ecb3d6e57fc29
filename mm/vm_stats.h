// Counters of the VM system, for /proc/meminfo, /proc/vmstat and the tests: how many anonymous pages exist, how
// often the shared zero page was mapped, how many faults of each kind were resolved, what swap did.
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

  // Swap and page-out (Linux's /proc/vmstat names where it has them).
  Atomic<u64> pswpin{0};             // pages read from swap (read-ahead included)
  Atomic<u64> pswpout{0};            // pages written to swap
  Atomic<u64> pgmajfault{0};         // faults that had to read from swap
  Atomic<u64> swap_cache_hits{0};    // faults on a swapped page found in the swap cache (no I/O)
  Atomic<u64> swap_ra{0};            // pages read ahead
  Atomic<u64> swap_ra_hit{0};        // pages read ahead that a fault then used
  Atomic<u64> pgscan_kswapd{0};      // pages the page-out thread looked at
  Atomic<u64> pgscan_direct{0};      // pages direct reclaim looked at
  Atomic<u64> pgsteal_kswapd{0};     // pages the page-out thread freed
  Atomic<u64> pgsteal_direct{0};     // pages direct reclaim freed
  Atomic<u64> swap_read_errors{0};   // swap-in requests that failed
  Atomic<u64> swap_write_errors{0};  // pages whose write-out failed
  Atomic<u64> swap_full_rounds{0};   // page-out rounds that found swap full
  Atomic<u64> oom_kill{0};           // processes the OOM killer killed

  // The page cache (mm/vm_object.h). Not in pgfault's sum: a fault that waited for a file page is counted when
  // it maps the page (faults_object).
  Atomic<u64> file_pages_read{0};    // pages read from files into the page cache (lazy fill)
  Atomic<u64> pgmajfault_file{0};    // faults that waited for a file page to be read (/proc/vmstat pgmajfault)
  Atomic<u64> pgsteal_file{0};       // clean file pages page-out dropped

  // Every fault the VM system resolved or started to (Linux's pgfault): the sum of the kinds above, so that no
  // fault pays for one more counter.
  u64 pgfault() const {
    auto v = [](const Atomic<u64>& c) { return c.load(MemoryOrder::Relaxed); };
    return v(zero_page_hits) + v(faults_demand_zero) + v(faults_cow_copy) + v(faults_cow_reuse) + v(faults_object) +
           v(pgmajfault) + v(swap_cache_hits);
  }
};

extern VmStats g_vm_stats;

// The shared, read-only, all-zero frame mapped by read faults on untouched anonymous memory.
Frame* zero_page();
void vm_init();
