/* mm_proc_maps: /proc/self/maps and /proc/meminfo have the Linux format.
 *
 * proc(5), /proc/[pid]/maps: one line per mapping, "address perms offset dev inode pathname", e.g.
 *   00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon
 * address: start-end in hex; perms: r/w/x or '-', then p (private) or s (shared); offset into the file
 * (hex); dev: major:minor (hex); inode (decimal, 0 for anonymous); pathname: the file, "[heap]" (the
 * program's heap, the brk area), "[stack]" (the main thread's stack), or blank for anonymous mappings.
 * Lines are sorted by address and do not overlap. /proc/meminfo: "MemTotal: total usable RAM", "MemFree",
 * "AnonPages: Non-file backed pages mapped into user-space page tables", "PageTables: Amount of memory
 * dedicated to the lowest level of page tables", each as "Name:  <number> kB".
 *
 * The test compares the format, never addresses: every line parses and has the exact layout of Linux's
 * fs/proc/task_mmu.c (at least 8 lowercase hex digits per address and offset, 2 per device number); lines
 * are sorted and disjoint; the program's own executable is mapped r-xp and named by its path; [heap] covers
 * the break, [stack] covers a local variable; new mmap mappings appear with the requested permissions,
 * offset 0, dev 00:00, inode 0 and no name; a file mapping shows the file's offset, a non-zero inode and the
 * path. /proc/meminfo has the four fields, consistent with sysinfo(2).
 *
 * Known qemu-user differences: qemu's emulated maps has no [heap] line (its brk area is anonymous) and does
 * not pad addresses below 0x10000000 to 8 digits.
 * TEST: runtests-skip=MemFree against sysinfo's freeram, which also counts the page cache the tests disk fills
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "mmtest.h"

#define MAX 512
static struct mt_vma v[MAX];

static const struct mt_vma* containing(int n, const void* addr) {
  for (int i = 0; i < n; i++)
    if (v[i].start <= (uintptr_t)addr && (uintptr_t)addr < v[i].end) return &v[i];
  return NULL;
}

static const char* base_name(const char* path) {
  const char* s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* At least `min` lowercase hex digits; advances *p. */
static int hex(const char** p, int min) {
  int k = 0;
  while ((**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f')) (*p)++, k++;
  return k >= min;
}

/* The exact Linux layout (fs/proc/task_mmu.c show_vma_header_prefix: "%08lx-%08lx %c%c%c%c %08llx %02x:%02x
 * %lu "), then for a named mapping padding spaces and the name. */
static int strict_line(const char* line) {
  const char* p = line;
  if (!hex(&p, 8) || *p++ != '-' || !hex(&p, 8) || *p++ != ' ') return 0;
  for (int i = 0; i < 4; i++) p++;
  if (*p++ != ' ' || !hex(&p, 8) || *p++ != ' ' || !hex(&p, 2) || *p++ != ':' || !hex(&p, 2) || *p++ != ' ')
    return 0;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') p++;
  if (*p == '\n' || *p == 0) return 1;
  if (*p != ' ') return 0;
  while (*p == ' ') p++;
  return 1; /* a name, or nothing (trailing spaces) */
}

static int all_lines_strict(void) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  char line[512];
  int ok = 1;
  while (fgets(line, sizeof line, f))
    if (!strict_line(line)) {
      fprintf(stderr, "not in the exact Linux layout: %s", line);
      ok = 0;
    }
  fclose(f);
  return ok;
}

/* The raw /proc/meminfo line for a field: "Name:" spaces, a number, " kB". */
static int meminfo_line_ok(const char* field) {
  FILE* f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  int ok = 0;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, len) != 0 || line[len] != ':') continue;
    char* p = line + len + 1;
    while (*p == ' ') p++;
    char* end;
    strtol(p, &end, 10);
    ok = end > p && strcmp(end, " kB\n") == 0;
    break;
  }
  fclose(f);
  return ok;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int stack_var = 1;
  free(malloc(100)); /* make sure the heap exists */

  int n = mt_read_maps(v, MAX);
  CHECK(n > 3);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user's maps does not pad addresses to 8 hex digits"))
    CHECK(all_lines_strict());
  tl_say("every line of /proc/self/maps has the Linux format\n");

  int sorted = 1;
  for (int i = 1; i < n; i++)
    if (v[i].start < v[i - 1].end) sorted = 0;
  CHECK(sorted);
  tl_say("lines are sorted and do not overlap\n");

  const struct mt_vma* text = containing(n, (void*)main);
  CHECK(text && strcmp(text->perms, "r-xp") == 0);
  CHECK(text && strcmp(base_name(text->path), base_name(tl_self())) == 0 && text->path[0] == '/');
  CHECK(text && text->inode != 0);
  tl_say("the program's code: r-xp, with its path and inode\n");

  const struct mt_vma* heap = containing(n, (char*)sbrk(0) - 1);
  CHECK(heap && strcmp(heap->perms, "rw-p") == 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user's maps has no [heap] line"))
    CHECK(heap && strcmp(heap->path, "[heap]") == 0);
  tl_say("the break is in [heap], rw-p\n");

  const struct mt_vma* stack = containing(n, &stack_var);
  CHECK(stack && strcmp(stack->path, "[stack]") == 0 && strcmp(stack->perms, "rw-p") == 0);
  tl_say("a local variable is in [stack], rw-p\n");

  /* New mappings. */
  char* r = mt_map_isolated(3, 2, PROT_READ, MAP_PRIVATE);
  char* rw = mt_map_isolated(2, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  char* s = mt_map_isolated(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED);
  char* none = mt_map_isolated(1, 2, PROT_NONE, MAP_PRIVATE);
  int fd = open(tl_self(), O_RDONLY);
  CHECK(fd >= 0);
  char* file = mmap(NULL, MT_PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * MT_PAGE);
  CHECK(file != MAP_FAILED);
  n = mt_read_maps(v, MAX);
  const struct mt_vma* e = containing(n, r);
  CHECK(e && e->start == (uintptr_t)r && e->end == (uintptr_t)r + 3 * MT_PAGE && strcmp(e->perms, "r--p") == 0);
  CHECK(e && e->offset == 0 && e->dev_major == 0 && e->dev_minor == 0 && e->inode == 0 && e->path[0] == 0);
  e = containing(n, rw);
  CHECK(e && e->start == (uintptr_t)rw && e->end == (uintptr_t)rw + 2 * MT_PAGE && strcmp(e->perms, "rw-p") == 0);
  CHECK(e && e->path[0] == 0);
  e = containing(n, s);
  CHECK(e && e->start == (uintptr_t)s && strcmp(e->perms, "rw-s") == 0);
  e = containing(n, none);
  CHECK(e && e->start == (uintptr_t)none && strcmp(e->perms, "---p") == 0);
  tl_say("new anonymous mappings: exact range, r--p / rw-p / rw-s / ---p, offset 0, dev 00:00, inode 0\n");
  e = containing(n, file);
  CHECK(e && e->start == (uintptr_t)file && strcmp(e->perms, "r--p") == 0 && e->offset == 2 * MT_PAGE);
  CHECK(e && e->inode == text->inode && strcmp(e->path, text->path) == 0);
  tl_say("a file mapping: r--p, the file offset, its inode and path\n");

  /* /proc/meminfo. */
  const char* fields[] = {"MemTotal", "MemFree", "AnonPages", "PageTables"};
  for (int i = 0; i < 4; i++) {
    if (!meminfo_line_ok(fields[i])) fprintf(stderr, "/proc/meminfo: no proper %s line\n", fields[i]);
    CHECK(meminfo_line_ok(fields[i]));
  }
  tl_say("/proc/meminfo has MemTotal, MemFree, AnonPages and PageTables in kB\n");
  if (mt_memory_observable("/proc/meminfo is the host's under qemu-user")) {
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    long total_kb = (long)(si.totalram * si.mem_unit / 1024), free_kb = (long)(si.freeram * si.mem_unit / 1024);
    CHECK(tl_meminfo_kb("MemTotal") == total_kb);
    CHECK_RANGE(tl_meminfo_kb("MemFree"), free_kb - 1024, free_kb + 1024);
    CHECK(tl_meminfo_kb("MemFree") < tl_meminfo_kb("MemTotal"));
    CHECK(tl_meminfo_kb("AnonPages") > 0 && tl_meminfo_kb("PageTables") > 0);
  }
  tl_say("they agree with sysinfo\n");
  close(fd);
  return tl_done();
}
