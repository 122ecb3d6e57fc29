/* gcbarrier: a generational garbage collector whose write barrier is the MMU. (Appel and Li, "Virtual
 * Memory Primitives for User Programs", ASPLOS 1991, section 3: "generational garbage collection".)
 *
 *   gcbarrier [STEPS]     run the workload (default 20000 steps) and check its result
 *
 * The heap holds cells of (car, cdr, value). New cells are made in a small nursery; a minor collection copies
 * the live ones into the old generation (a mark-and-sweep heap with a free list) and empties the nursery.
 * A minor collection must find every pointer into the nursery: from the roots, and from old cells that the
 * program changed since the last collection. Instead of making the program record each store (a software
 * write barrier), the collector write-protects the old generation after every collection. The first store to
 * an old page since then faults; the SIGSEGV handler notes that page as a dirty "card" and makes it writable,
 * and the store is retried. The next minor collection scans only the dirty cards. When the old generation
 * fills up, a major collection marks from the roots and sweeps it.
 *
 * The workload keeps 100 lists of at most 20 values: each step makes a cell and links it in after a list's
 * head (often an old cell: a store of a nursery pointer into the old generation) and cuts the list to 20
 * (another store into old cells; the cut-off cells become garbage). A copy of the same lists in plain arrays,
 * with no collector, says what the result must be; the program compares the two at the end and prints the
 * collections and barrier faults, which depend only on the workload.
 *
 * Tested by running it (tests/qemu/CMakeLists.txt), compared with qemu-user.
 * TEST: args=20000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define OLD_PAGES 64
#define NURSERY_CELLS 1024
#define NLISTS 100
#define MAXLEN 20

struct cell {
  struct cell* car;  /* unused by the workload, but scanned like cdr */
  struct cell* cdr;
  long value;
  uintptr_t meta;    /* old cells: FREE or the mark bit; nursery cells: forwarding address | 1 once copied */
};
#define CELLS_PER_PAGE (PAGE / sizeof(struct cell))
#define FREE ((uintptr_t)2)
#define MARK ((uintptr_t)4)

static struct cell* old_gen;      /* OLD_PAGES pages */
static struct cell* nursery;      /* NURSERY_CELLS cells */
static size_t nursery_used;
static struct cell* free_list;
static size_t old_free;

static struct cell* roots[NLISTS];
static struct cell* temp_root;    /* a pointer held across an allocation */

static volatile unsigned char dirty[OLD_PAGES];
static volatile int barrier_faults;
static int minor_count, major_count, cards_scanned;

static void die(const char* what) {
  fprintf(stderr, "gcbarrier: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int in_nursery(const struct cell* c) { return c >= nursery && c < nursery + NURSERY_CELLS; }
static int in_old(const void* p) {
  return (const char*)p >= (const char*)old_gen && (const char*)p < (const char*)old_gen + OLD_PAGES * PAGE;
}

/* The write barrier: the first store into a protected old page since the last collection. */
static void on_fault(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  if (!in_old(si->si_addr)) {
    signal(SIGSEGV, SIG_DFL); /* a real bug: die of it */
    return;
  }
  size_t page = ((char*)si->si_addr - (char*)old_gen) / PAGE;
  dirty[page] = 1;
  barrier_faults++;
  if (mprotect((char*)old_gen + page * PAGE, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect");
}

static void protect_old(int prot) {
  if (mprotect(old_gen, OLD_PAGES * PAGE, prot) != 0) die("mprotect");
}

static struct cell* old_alloc(void) {
  struct cell* c = free_list;
  if (!c) {
    fprintf(stderr, "gcbarrier: the old generation is full\n");
    exit(1);
  }
  free_list = c->cdr;
  old_free--;
  c->meta = 0;
  return c;
}

/* Minor collection: copy what the nursery holds that is reachable into the old generation. */
static struct cell* scan_stack[NURSERY_CELLS];
static size_t scan_top;

static void promote(struct cell** slot) {
  struct cell* c = *slot;
  if (!c || !in_nursery(c)) return;
  if (c->meta & 1) {
    *slot = (struct cell*)(c->meta & ~(uintptr_t)1);
    return;
  }
  struct cell* n = old_alloc();
  n->car = c->car;
  n->cdr = c->cdr;
  n->value = c->value;
  c->meta = (uintptr_t)n | 1;
  scan_stack[scan_top++] = n;
  *slot = n;
}

static void minor_collect(void) {
  protect_old(PROT_READ | PROT_WRITE); /* the collector writes the old generation freely */
  scan_top = 0;
  for (int i = 0; i < NLISTS; i++) promote(&roots[i]);
  promote(&temp_root);
  for (int p = 0; p < OLD_PAGES; p++) {
    if (!dirty[p]) continue;
    cards_scanned++;
    struct cell* cells = old_gen + p * CELLS_PER_PAGE;
    for (size_t k = 0; k < CELLS_PER_PAGE; k++) {
      if (cells[k].meta == FREE) continue;
      promote(&cells[k].car);
      promote(&cells[k].cdr);
    }
    dirty[p] = 0;
  }
  while (scan_top > 0) {
    struct cell* n = scan_stack[--scan_top];
    promote(&n->car);
    promote(&n->cdr);
  }
  nursery_used = 0;
  minor_count++;
}

static void mark(struct cell* c) {
  while (c && !(c->meta & MARK)) {
    c->meta |= MARK;
    mark(c->car);
    c = c->cdr;
  }
}

/* Major collection (right after a minor one, so the nursery is empty): mark from the roots, sweep. */
static void major_collect(void) {
  for (int i = 0; i < NLISTS; i++) mark(roots[i]);
  mark(temp_root);
  free_list = NULL;
  old_free = 0;
  for (size_t k = OLD_PAGES * CELLS_PER_PAGE; k-- > 0;) {
    struct cell* c = &old_gen[k];
    if (c->meta & MARK) {
      c->meta &= ~MARK;
    } else {
      c->meta = FREE;
      c->car = NULL;
      c->cdr = free_list;
      free_list = c;
      old_free++;
    }
  }
  major_count++;
}

static struct cell* alloc(void) {
  if (nursery_used == NURSERY_CELLS) {
    minor_collect();
    if (old_free < 2 * NURSERY_CELLS) major_collect();
    protect_old(PROT_READ); /* the barrier is armed again */
  }
  struct cell* c = &nursery[nursery_used++];
  c->meta = 0;
  return c;
}

static struct cell* cons(long value, struct cell* tail) {
  temp_root = tail;
  struct cell* c = alloc();
  c->car = NULL;
  c->cdr = temp_root;
  c->value = value;
  temp_root = NULL;
  return c;
}

/* The same lists without a collector, to check against. */
static long shadow[NLISTS][MAXLEN];
static int shadow_len[NLISTS];

static unsigned long rng = 12345;
static unsigned next_random(void) {
  rng = rng * 6364136223846793005ul + 1442695040888963407ul;
  return (unsigned)(rng >> 33);
}

static void step(long v) {
  int k = next_random() % NLISTS;
  if (!roots[k]) {
    roots[k] = cons(v, NULL);
  } else {
    struct cell* n = cons(v, roots[k]->cdr); /* may collect: roots[k] is read again below */
    roots[k]->cdr = n;                      /* a store into the head, often an old cell */
  }
  struct cell* c = roots[k];
  for (int i = 1; i < MAXLEN && c; i++) c = c->cdr;
  if (c && c->cdr) c->cdr = NULL;           /* cut the list: another store into the old generation */

  if (shadow_len[k] == 0) {
    shadow[k][0] = v;
    shadow_len[k] = 1;
  } else {
    int len = shadow_len[k] < MAXLEN ? shadow_len[k] + 1 : MAXLEN;
    for (int i = len - 1; i > 1; i--) shadow[k][i] = shadow[k][i - 1];
    shadow[k][1] = v;
    shadow_len[k] = len;
  }
}

int main(int argc, char** argv) {
  long steps = argc > 1 ? atol(argv[1]) : 20000;
  old_gen = mmap(NULL, OLD_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  nursery = mmap(NULL, NURSERY_CELLS * sizeof(struct cell), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (old_gen == MAP_FAILED || nursery == MAP_FAILED) die("mmap");
  for (size_t k = OLD_PAGES * CELLS_PER_PAGE; k-- > 0;) {
    old_gen[k].meta = FREE;
    old_gen[k].cdr = free_list;
    free_list = &old_gen[k];
    old_free++;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSEGV, &sa, NULL) != 0) die("sigaction");
  protect_old(PROT_READ);

  for (long s = 1; s <= steps; s++) step(s);
  __asm__ volatile("" ::: "memory"); /* the stores above may have run the handler */

  int ok = 1;
  long sum = 0;
  for (int k = 0; k < NLISTS; k++) {
    struct cell* c = roots[k];
    for (int i = 0; i < shadow_len[k]; i++, c = c->cdr) {
      if (!c || c->value != shadow[k][i]) ok = 0;
      if (c) sum += c->value;
    }
    if (c) ok = 0;
  }
  printf("gcbarrier: %ld steps, %d minor and %d major collections\n", steps, minor_count, major_count);
  printf("write barrier: %d faults, %d dirty cards scanned\n", barrier_faults, cards_scanned);
  printf("lists: sum of values %ld, %s the collector-free copy\n", sum, ok ? "equal to" : "DIFFERENT FROM");
  printf("%s\n", ok && barrier_faults > 0 ? "gcbarrier: ok" : "gcbarrier: FAILED");
  return ok && barrier_faults > 0 ? 0 : 1;
}
