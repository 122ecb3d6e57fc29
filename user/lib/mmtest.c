/* mmtest: helpers for the virtual-memory tests and benchmarks (see mmtest.h). */
#define _GNU_SOURCE
#include "mmtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

void mt_fail_range(const char* file, int line, const char* expr, long v, long lo, long hi) {
  fprintf(stderr, "CHECK FAILED %s:%d: %s = %ld, expected between %ld and %ld\n", file, line, expr, v, lo, hi);
  tl_failures++;
}

void mt_fail_str(const char* file, int line, const char* expr, const char* got, const char* want) {
  fprintf(stderr, "CHECK FAILED %s:%d: %s = \"%s\", expected \"%s\"\n", file, line, expr, got, want);
  tl_failures++;
}

pid_t mt_fork(void) {
  fflush(stdout);
  fflush(stderr);
  return fork();
}

int mt_wait(pid_t pid) {
  int status;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  return r == pid ? status : -1;
}

int mt_in_child(int (*fn)(void* arg), void* arg) {
  pid_t pid = mt_fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int r = fn(arg);
    fflush(stdout);
    fflush(stderr);
    _exit(r);
  }
  return mt_wait(pid);
}

const char* mt_status_str(int status) {
  static char buf[32];
  if (status == -1) return "no child";
  if (WIFEXITED(status)) {
    snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
    return buf;
  }
  if (WIFSIGNALED(status)) {
    switch (WTERMSIG(status)) {
      case SIGSEGV: return "SIGSEGV";
      case SIGBUS: return "SIGBUS";
      case SIGKILL: return "SIGKILL";
      case SIGILL: return "SIGILL";
      default: snprintf(buf, sizeof buf, "signal %d", WTERMSIG(status)); return buf;
    }
  }
  snprintf(buf, sizeof buf, "status %#x", status);
  return buf;
}

/* In a child that is expected to die of a signal: no core file (qemu-user would write one). */
static void no_core_dump(void) {
  struct rlimit zero = {0, 0};
  setrlimit(RLIMIT_CORE, &zero);
}

static int probe_result(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return MT_OK;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) return MT_SEGV;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) return MT_BUS;
  fprintf(stderr, "note: probe child ended with %s\n", mt_status_str(status));
  return MT_OTHER;
}

int mt_probe_read(const void* addr) {
  pid_t pid = mt_fork();
  if (pid == 0) {
    no_core_dump();
    (void)*(const volatile char*)addr;
    _exit(0);
  }
  return probe_result(mt_wait(pid));
}

int mt_probe_write(void* addr) {
  pid_t pid = mt_fork();
  if (pid == 0) {
    no_core_dump();
    volatile char* p = addr;
    char c = *p; /* on a PROT_WRITE-only page this read must work too (riscv: write implies read) */
    *p = c;
    _exit(0);
  }
  return probe_result(mt_wait(pid));
}

int mt_probe_exec(const void* addr) {
  pid_t pid = mt_fork();
  if (pid == 0) {
    no_core_dump();
    int (*fn)(void) = (int (*)(void))addr;
    _exit(fn() == MT_CODE_RESULT ? 0 : 3);
  }
  return probe_result(mt_wait(pid));
}

const char* mt_probe_str(int r) {
  switch (r) {
    case MT_OK: return "ok";
    case MT_SEGV: return "SIGSEGV";
    case MT_BUS: return "SIGBUS";
    default: return "other";
  }
}

/* addi a0, zero, 42 ; jalr zero, 0(ra) */
const uint32_t mt_code[2] = {0x02a00513u, 0x00008067u};

void mt_put_code(void* dst) {
  memcpy(dst, mt_code, sizeof mt_code);
  /* fence.i only covers this hart; __builtin___clear_cache asks the kernel (riscv_flush_icache) to cover
   * every hart the process may run on, as the Linux ABI requires for code written at run time. */
  __builtin___clear_cache((char*)dst, (char*)dst + sizeof mt_code);
  __asm__ volatile("fence.i" ::: "memory");
}

static int valid_perms(const char* p) {
  return strlen(p) == 4 && (p[0] == 'r' || p[0] == '-') && (p[1] == 'w' || p[1] == '-') &&
         (p[2] == 'x' || p[2] == '-') && (p[3] == 'p' || p[3] == 's');
}

int mt_read_maps(struct mt_vma* v, int max) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) {
    CHECK(!"/proc/self/maps can be opened");
    return -1;
  }
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    struct mt_vma e;
    memset(&e, 0, sizeof e);
    unsigned long start, end;
    char perms[8];
    int used = 0;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\n') line[--len] = 0;
    if (sscanf(line, "%lx-%lx %7s %llx %x:%x %lu%n", &start, &end, perms, &e.offset, &e.dev_major, &e.dev_minor,
               &e.inode, &used) != 7 ||
        !valid_perms(perms) || start >= end || (start | end) % MT_PAGE) {
      fprintf(stderr, "CHECK FAILED: /proc/self/maps line not in the Linux format: \"%s\"\n", line);
      tl_failures++;
      continue;
    }
    e.start = start;
    e.end = end;
    memcpy(e.perms, perms, 5);
    const char* path = line + used;
    while (*path == ' ') path++;
    snprintf(e.path, sizeof e.path, "%s", path);
    if (n < max) v[n] = e;
    n++;
  }
  fclose(f);
  return n < max ? n : max;
}

const char* mt_maps_summary(uintptr_t base, uintptr_t lo, uintptr_t hi, char* buf, size_t size) {
  static struct mt_vma v[512];
  int n = mt_read_maps(v, 512);
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < n; i++) {
    if (v[i].end <= lo || v[i].start >= hi) continue;
    uintptr_t s = v[i].start < lo ? lo : v[i].start;
    uintptr_t e = v[i].end > hi ? hi : v[i].end;
    long off = ((long)s - (long)base) / (long)MT_PAGE;
    long pages = (long)((e - s) / MT_PAGE);
    int w = snprintf(buf + used, size - used, "%s%ld+%ld %s", used ? " " : "", off, pages, v[i].perms);
    if (w < 0 || (size_t)w >= size - used) break;
    used += (size_t)w;
  }
  return buf;
}

const char* mt_area_maps(void* base, size_t pages, size_t margin) {
  static char buf[1024];
  uintptr_t b = (uintptr_t)base;
  return mt_maps_summary(b, b - margin * MT_PAGE, b + (pages + margin) * MT_PAGE, buf, sizeof buf);
}

void* mt_map_isolated(size_t pages, size_t margin, int prot, int flags) {
  size_t total = (pages + 2 * margin) * MT_PAGE;
  char* r = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(r != MAP_FAILED);
  if (r == MAP_FAILED) return NULL;
  CHECK(munmap(r, total) == 0);
  void* p = mmap(r + margin * MT_PAGE, pages * MT_PAGE, prot, flags | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(p == r + margin * MT_PAGE);
  return p == MAP_FAILED ? NULL : p;
}

/* Linux keeps freed pages on per-CPU lists (up to the zone's low watermark on one CPU) and counts them as
 * used in freeram; /proc/zoneinfo lists them ("pagesets ... count: N"). Our kernel has no /proc/zoneinfo. */
static long per_cpu_free_pages(void) {
  FILE* f = fopen("/proc/zoneinfo", "r");
  if (!f) return 0;
  char line[256];
  long total = 0, count;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, " count: %ld", &count) == 1) total += count;
  fclose(f);
  return total;
}

long mt_free_pages(void) {
  long pcp = per_cpu_free_pages();
  return (long)(tl_free_memory() / MT_PAGE) + pcp;
}

long mt_meminfo_pages(const char* field) {
  long kb = tl_meminfo_kb(field);
  return kb < 0 ? -1 : kb / 4;
}

unsigned long long mt_vmstat(const char* name) {
  static char buf[16384];
  int fd = open("/proc/vmstat", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  size_t len = strlen(name);
  for (char* line = buf; *line;) {
    if (strncmp(line, name, len) == 0 && line[len] == ' ') return strtoull(line + len + 1, NULL, 10);
    char* next = strchr(line, '\n');
    if (!next) break;
    line = next + 1;
  }
  return 0;
}

int mt_memory_observable(const char* what) {
  return !KNOWN_QEMU_USER_DIFFERENCE(what);
}

void mt_mem_snapshot(struct mt_mem* m) {
  m->anon = mt_meminfo_pages("AnonPages");
  m->pt = mt_meminfo_pages("PageTables");
  m->free = mt_free_pages();
}

struct mt_mem mt_mem_note(const char* when, const struct mt_mem* before) {
  struct mt_mem now;
  mt_mem_snapshot(&now);
  fprintf(stderr, "note: %s: free %+ld pages, AnonPages %+ld, PageTables %+ld\n", when, now.free - before->free,
          now.anon - before->anon, now.pt - before->pt);
  return now;
}

void mt_check_usage(const char* file, int line, const struct mt_mem* before, const struct mt_mem* after,
                    long pages, long pt_lo, long pt_hi) {
  long anon = after->anon - before->anon, pt = after->pt - before->pt, used = before->free - after->free;
  int ok;
  if (before->anon < 0 || after->anon < 0 || before->pt < 0 || after->pt < 0) {
    ok = 0;
  } else if (tl_is_our_kernel()) {
    /* Up to one page of kernel bookkeeping per page-table page made or freed is tolerated (our kernel keeps an
     * anon table page per touched 2 MiB region, made with its page table and freed with it by munmap or a
     * shrinking break; Linux has nothing similar: see the test report). */
    long made = pt > 0 ? pt : 0, freed = pt < 0 ? -pt : 0;
    ok = anon >= pages - 2 && anon <= pages + 2 && pt >= pt_lo && pt <= pt_hi && used - pt >= pages - 3 - freed &&
         used - pt <= pages + 3 + made;
  } else {
    ok = anon >= pages - 8 && anon <= pages + 8 && pt >= pt_lo - 2 && pt <= pt_hi + 2 && used - pt >= pages - 16 &&
         used - pt <= pages + 16;
  }
  if (!ok) {
    fprintf(stderr,
            "CHECK FAILED %s:%d: memory usage: free memory dropped by %ld pages, AnonPages changed by %ld, "
            "PageTables by %ld; expected %ld anonymous pages and %ld to %ld page-table pages\n",
            file, line, used, anon, pt, pages, pt_lo, pt_hi);
    tl_failures++;
  }
}

static inline uint64_t pattern(unsigned tag, size_t i) {
  return ((uint64_t)tag << 40) ^ ((uint64_t)(i + 1) * 0x9E3779B1u);
}

void mt_fill(void* p, size_t bytes, unsigned tag) {
  volatile uint64_t* w = p;
  for (size_t i = 0; i < bytes / 8; i++) w[i] = pattern(tag, i);
}

int mt_check(const void* p, size_t bytes, unsigned tag) {
  const volatile uint64_t* w = p;
  for (size_t i = 0; i < bytes / 8; i++)
    if (w[i] != pattern(tag, i)) return 0;
  return 1;
}

int mt_is_zero(const void* p, size_t bytes) {
  const volatile unsigned char* c = p;
  for (size_t i = 0; i < bytes; i++)
    if (c[i]) return 0;
  return 1;
}

void mt_chan_open(struct mt_chan* c) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  c->rd = fds[0];
  c->wr = fds[1];
}

void mt_chan_send(struct mt_chan* c, char msg) {
  ssize_t r;
  do {
    r = write(c->wr, &msg, 1);
  } while (r < 0 && errno == EINTR);
  CHECK(r == 1);
}

char mt_chan_recv(struct mt_chan* c) {
  char msg = 0;
  ssize_t r;
  do {
    r = read(c->rd, &msg, 1);
  } while (r < 0 && errno == EINTR);
  return r == 1 ? msg : 0;
}

void mt_chan_close(struct mt_chan* c) {
  close(c->rd);
  close(c->wr);
}
