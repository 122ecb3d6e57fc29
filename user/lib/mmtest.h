/* mmtest: helpers for the virtual-memory tests (user/tests/mm_*.c) and benchmarks (user/bench/).
 *
 * Everything here builds on testlib. The helpers never print addresses to stdout (tests compare stdout with
 * the Linux reference byte for byte); diagnostics with numbers go to stderr.
 *
 *  - probes: run one access (read, write, execute) in a forked child and report how it ended, so a test can
 *    check "this page faults" without dying itself;
 *  - /proc/self/maps: parse it, and summarise the lines overlapping an area relative to the area's start
 *    ("0+2 rw-p 3+5 r--p": two pages rw-p at page 0, five r--p at page 3), which is deterministic;
 *  - memory accounting: free pages (sysinfo) and /proc/meminfo fields in pages;
 *  - an "isolated" mapping: one surrounded by unmapped pages, so its /proc/self/maps lines cannot merge with
 *    a neighbour.
 */
#ifndef MMTEST_H
#define MMTEST_H

#include <stdint.h>
#include <sys/types.h>

#include "testlib.h"

#define MT_PAGE 4096UL
#define MT_PAGE_ALIGN(x) (((uintptr_t)(x) + MT_PAGE - 1) & ~(MT_PAGE - 1))

/* Check lo <= v <= hi, printing the value on failure (v, lo, hi are longs). */
#define CHECK_RANGE(v, lo, hi)                                                                       \
  do {                                                                                               \
    long mt_v = (long)(v), mt_lo = (long)(lo), mt_hi = (long)(hi);                                   \
    if (mt_v < mt_lo || mt_v > mt_hi) mt_fail_range(__FILE__, __LINE__, #v, mt_v, mt_lo, mt_hi);     \
  } while (0)
void mt_fail_range(const char* file, int line, const char* expr, long v, long lo, long hi);

/* Check that two strings are equal, printing both on failure. */
#define CHECK_STR(got, want)                                                                         \
  do {                                                                                               \
    const char* mt_g = (got);                                                                        \
    const char* mt_w = (want);                                                                       \
    if (strcmp(mt_g, mt_w) != 0) mt_fail_str(__FILE__, __LINE__, #got, mt_g, mt_w);                 \
  } while (0)
void mt_fail_str(const char* file, int line, const char* expr, const char* got, const char* want);

/* fork() after flushing stdio (so buffered output is not written twice). */
pid_t mt_fork(void);
/* waitpid() for one child, retrying on EINTR; returns the wait status (or -1). */
int mt_wait(pid_t pid);
/* Run fn(arg) in a child process, which exits with fn's return value; returns the wait status. */
int mt_in_child(int (*fn)(void* arg), void* arg);
/* A wait status in words, for stdout: "exit 0", "SIGSEGV", "SIGBUS", "SIGKILL", "signal 6". */
const char* mt_status_str(int status);

/* How a probe ended. */
enum { MT_OK = 0, MT_SEGV = 1, MT_BUS = 2, MT_OTHER = 3 };
/* Read one byte at addr in a child. */
int mt_probe_read(const void* addr);
/* Write one byte at addr in a child (the byte read first, then written back). */
int mt_probe_write(void* addr);
/* Call code at addr (an int (*)(void) function) in a child; MT_OK if it returned MT_CODE_RESULT. */
int mt_probe_exec(const void* addr);
/* "ok", "SIGSEGV", "SIGBUS", "other". */
const char* mt_probe_str(int r);

/* Position-independent riscv64 code for exec probes: "li a0, 42; ret". */
#define MT_CODE_RESULT 42
extern const uint32_t mt_code[2];
/* Copy mt_code to dst and make the instruction cache coherent with it (fence.i / riscv_flush_icache). */
void mt_put_code(void* dst);

/* One line of /proc/self/maps. */
struct mt_vma {
  uintptr_t start, end;
  char perms[5];
  unsigned long long offset;
  unsigned dev_major, dev_minor;
  unsigned long inode;
  char path[160];
};
/* Parse /proc/self/maps into v[0..max); returns the number of lines, or -1 if it cannot be read. A line that
 * does not have the Linux format "start-end perms offset major:minor inode [path]" counts as a failed CHECK. */
int mt_read_maps(struct mt_vma* v, int max);
/* The lines overlapping [lo, hi), in words relative to base: "0+2 rw-p 3+5 r--p" (page offset from base +
 * pages, perms), clipped to [lo, hi); "" if none. Returns buf. */
const char* mt_maps_summary(uintptr_t base, uintptr_t lo, uintptr_t hi, char* buf, size_t size);
/* Convenience: summary of the area [base, base + pages*MT_PAGE) widened by `margin` pages on both sides. */
const char* mt_area_maps(void* base, size_t pages, size_t margin);

/* Map `pages` pages with prot/flags (MAP_ANONYMOUS is added) so that `margin` pages on each side are
 * unmapped: the area's /proc/self/maps lines then cannot merge with a neighbour. Fails the test and
 * returns NULL on error. */
void* mt_map_isolated(size_t pages, size_t margin, int prot, int flags);

/* Memory accounting, in 4 KiB pages.
 * mt_free_pages: sysinfo freeram; on Linux plus the pages on its per-CPU free lists (/proc/zoneinfo), which
 * freeram counts as used although they are free (up to ~450 pages on a 128 MiB machine). */
long mt_free_pages(void);
long mt_meminfo_pages(const char* field);  /* /proc/meminfo field (kB) / 4, or -1 */
unsigned long long mt_vmstat(const char* name);  /* a /proc/vmstat counter (pgmajfault, pswpin...), or 0 */
/* True where the kernel's memory accounting describes this program (not under qemu-user, where it is the
 * host's memory); false after recording the known difference on stderr. */
int mt_memory_observable(const char* what);
/* A snapshot of the memory figures this test looks at, in pages (-1 where unavailable). */
struct mt_mem {
  long free;  /* mt_free_pages() */
  long anon;  /* /proc/meminfo AnonPages */
  long pt;    /* /proc/meminfo PageTables */
};
void mt_mem_snapshot(struct mt_mem* m);
/* Print the change from `before` to now on stderr (for calibration); returns the current snapshot. */
struct mt_mem mt_mem_note(const char* when, const struct mt_mem* before);
/* Check that between two snapshots the program gained `pages` anonymous pages (negative: released them) and
 * between pt_lo and pt_hi page-table pages. On our kernel: AnonPages within 2 pages, free memory minus the
 * page-table change within 3 pages (plus up to one page of kernel bookkeeping per page-table page made or freed),
 * PageTables within [pt_lo, pt_hi]. On Linux, a little looser: AnonPages
 * within 8 pages (vmstat counters are folded in batches), free memory minus the page-table change within 16
 * pages (slab caches move), PageTables within [pt_lo - 2, pt_hi + 2]. Call it only when
 * mt_memory_observable(). */
#define CHECK_USAGE(before, after, pages, pt_lo, pt_hi)                                              \
  mt_check_usage(__FILE__, __LINE__, before, after, pages, pt_lo, pt_hi)
void mt_check_usage(const char* file, int line, const struct mt_mem* before, const struct mt_mem* after,
                    long pages, long pt_lo, long pt_hi);

/* Fill / check words of memory with a pattern derived from (tag, index): each word differs. */
void mt_fill(void* p, size_t bytes, unsigned tag);
int mt_check(const void* p, size_t bytes, unsigned tag);
/* True if all bytes are zero. */
int mt_is_zero(const void* p, size_t bytes);

/* One-byte pipe messages between processes. */
struct mt_chan {
  int rd, wr;
};
void mt_chan_open(struct mt_chan* c);
void mt_chan_send(struct mt_chan* c, char msg);
char mt_chan_recv(struct mt_chan* c); /* 0 on EOF */
void mt_chan_close(struct mt_chan* c);

#endif
