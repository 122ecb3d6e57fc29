// /proc files of swap and page-out, in Linux's formats (proc(5)):
//   /proc/swaps    one line per swap area: the path, "partition", size and used in KiB, priority
//   /proc/vmstat   Linux's names for the counters of paging (pswpin, pswpout, pgfault, pgmajfault, pgscan_*,
//                  pgsteal_*, swap_ra...), and the free-page and swap-cache counts
#include <cstring>

#include "kernel/fs/procfs.h"
#include "mm/frame.h"
#include "mm/pageable.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

Result<void> proc_swaps(TextBuilder& out) {
  out.append("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
  constexpr u64 KB_PER_PAGE = PAGE_SIZE / KiB;
  g_swap.for_each_area([&](SwapArea& area) {
    // As Linux's swap_show: the name padded to 40 columns (at least one space), then the numbers separated by
    // two tabs while they have fewer than 8 digits, one after. (Compared with Linux 6.1: byte for byte the same.)
    const char* path = area.device().path();
    u64 size = area.total_pages() * KB_PER_PAGE, used = area.used_pages() * KB_PER_PAGE;
    usize len = strlen(path);
    out.appendf("%s%*s%s\t%llu\t%s%llu\t%s%d\n", path, len < 40 ? static_cast<int>(40 - len) : 1, " ", "partition",
                static_cast<unsigned long long>(size), size < 10000000 ? "\t" : "", static_cast<unsigned long long>(used),
                used < 10000000 ? "\t" : "", area.priority());
  });
  return {};
}

Result<void> proc_vmstat(TextBuilder& out) {
  auto line = [&](const char* name, u64 value) { out.appendf("%s %llu\n", name, static_cast<unsigned long long>(value)); };
  auto v = [](const Atomic<u64>& c) { return c.load(MemoryOrder::Relaxed); };
  const VmStats& s = g_vm_stats;
  SwapTotals swap = g_swap.totals();
  line("nr_free_pages", g_phys.free_frames());
  line("nr_anon_pages", v(s.anon_pages));
  line("nr_swapcached", swap.cached_pages);
  // Pages read and written by paging, in KiB (Linux counts swap I/O in pgpgin/pgpgout too).
  line("pgpgin", (v(s.pswpin) + v(s.file_pages_read)) * (PAGE_SIZE / KiB));
  line("pgpgout", v(s.pswpout) * (PAGE_SIZE / KiB));
  line("pswpin", v(s.pswpin));
  line("pswpout", v(s.pswpout));
  line("pgfault", s.pgfault());
  line("pgmajfault", v(s.pgmajfault) + v(s.pgmajfault_file));
  line("pgsteal_kswapd", v(s.pgsteal_kswapd));
  line("pgsteal_direct", v(s.pgsteal_direct));
  line("pgscan_kswapd", v(s.pgscan_kswapd));
  line("pgscan_direct", v(s.pgscan_direct));
  line("pgscan_anon", v(s.pgscan_kswapd) + v(s.pgscan_direct));
  line("pgscan_file", 0);
  u64 stolen = v(s.pgsteal_kswapd) + v(s.pgsteal_direct), stolen_file = v(s.pgsteal_file);
  line("pgsteal_anon", stolen > stolen_file ? stolen - stolen_file : 0);
  line("pgsteal_file", v(s.pgsteal_file));
  // Not in Linux 6.1, which only has the per-reclaimer and per-kind lines above: their sums, by the names the
  // swap issue uses.
  line("pgscan", v(s.pgscan_kswapd) + v(s.pgscan_direct));
  line("pgsteal", v(s.pgsteal_kswapd) + v(s.pgsteal_direct));
  line("oom_kill", v(s.oom_kill));
  line("swap_ra", v(s.swap_ra));
  line("swap_ra_hit", v(s.swap_ra_hit));
  return {};
}
