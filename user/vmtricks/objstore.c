/* objstore: a persistent object store that brings objects in from a file when the program first touches them,
 * and writes back only the objects it changed. (The technique of the object-oriented databases of the late
 * 1980s; Appel and Li, "Virtual Memory Primitives for User Programs", ASPLOS 1991, section 3.)
 *
 *   objstore [FILE]      run the demonstration with its store in FILE (default /tmp/objstore.db)
 *   objstore -m [FILE]   the same, and after each step the lines of /proc/self/maps that cover the store: each
 *                        mprotect of one page splits the region, so the maps show which objects are absent
 *                        (---p), clean (r--p) and dirty (rw-p)
 *
 * The store is a file of NOBJ objects of one page each. Opening it maps a region of NOBJ pages with no access
 * at all (PROT_NONE) and reads nothing. The program then simply follows pointers in that region:
 *   - the first touch of an object faults; the SIGSEGV handler reads that object from the file into its page
 *     and makes the page read-only ("faulted in");
 *   - the first write to an object faults again, because the page is read-only; the handler marks the object
 *     dirty and makes the page writable ("dirtied");
 *   - commit writes the dirty objects, and only those, back to the file, and makes their pages read-only
 *     again, so the next write is noticed too ("written").
 * The handler tells the two faults apart by what it already knows about the page (absent or clean), not by
 * the kind of access: RISC-V's siginfo does not say whether the access was a read or a write.
 *
 * The demonstration builds a store of 64 objects linked into a list, opens it, walks the first 10 objects of
 * the list, updates 3 of them and commits; then opens the store again and checks that the updates are there.
 * It prints how many objects were faulted in, dirtied and written at each step.
 *
 * Tested by running it (tests/qemu/CMakeLists.txt), compared with qemu-user.
 * TEST: args=/tmp/objstore.db
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define NOBJ 64

/* One object: a page. `next` is the index of the next object in the list (-1 at the end). */
struct object {
  int32_t id;
  int32_t next;
  int64_t counter;
  char name[32];
  char payload[PAGE - 48];
};
_Static_assert(sizeof(struct object) == PAGE, "an object is a page");

enum state { ABSENT, CLEAN, DIRTY };

/* The handler changes the state and the counts behind the program's back: volatile, so the compiler reads them
 * from memory every time (a store into an object may run the handler). */
static struct {
  int fd;
  struct object* base;       /* NOBJ pages */
  volatile enum state state[NOBJ];
  volatile int faulted_in, dirtied, written;
} store;

/* A compiler barrier: the loads and stores to objects before it are done before anything after it. Those
 * accesses may run the handler, which changes the counts, so the program looks at the counts only after one. */
#define TOUCHES_DONE() __asm__ volatile("" ::: "memory")

static void die(const char* what) {
  fprintf(stderr, "objstore: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* The whole mechanism. Runs for every first touch and every first write of an object. */
static void on_fault(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  uintptr_t addr = (uintptr_t)si->si_addr;
  uintptr_t start = (uintptr_t)store.base;
  if (addr < start || addr >= start + NOBJ * PAGE) {
    /* Not ours: a real bug. Die of it, as if there were no handler. */
    signal(SIGSEGV, SIG_DFL);
    return;
  }
  // LAB signals: BEGIN SOLUTION
  size_t i = (addr - start) / PAGE;
  struct object* obj = &store.base[i];
  if (store.state[i] == ABSENT) {
    /* First touch: read the object in. The page must be writable while we fill it. */
    if (mprotect(obj, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect");
    if (pread(store.fd, obj, PAGE, (off_t)i * PAGE) != PAGE) die("pread");
    if (mprotect(obj, PAGE, PROT_READ) != 0) die("mprotect");
    store.state[i] = CLEAN;
    store.faulted_in++;
  } else if (store.state[i] == CLEAN) {
    /* First write since it was read or committed: remember that it must be written back. */
    if (mprotect(obj, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect");
    store.state[i] = DIRTY;
    store.dirtied++;
  } else {
    signal(SIGSEGV, SIG_DFL);  /* a dirty page is writable: this fault is not ours */
  }
  // LAB signals: STUDENT
  // /* TODO(lab signals, exercise 3): the object store's fault handler. Which object is it (its index in the
  //  * region)? If it is ABSENT, read it in from the file (pread) and leave its page read-only: it is CLEAN
  //  * now (count it in store.faulted_in). If it is CLEAN, this is its first write: make the page writable
  //  * and the object DIRTY (store.dirtied). Then return, and the access runs again. Anything else is not
  //  * ours. Only async-signal-safe calls in here: mprotect, pread. */
  // signal(SIGSEGV, SIG_DFL);  /* for now every fault is "not ours": the program dies of it */
  // LAB signals: END
}

static void store_open(const char* path) {
  store.fd = open(path, O_RDWR);
  if (store.fd < 0) die(path);
  store.base = mmap(NULL, NOBJ * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (store.base == MAP_FAILED) die("mmap");
  for (int i = 0; i < NOBJ; i++) store.state[i] = ABSENT;
  store.faulted_in = store.dirtied = store.written = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0) die("sigaction");
}

static void store_commit(void) {
  for (int i = 0; i < NOBJ; i++) {
    if (store.state[i] != DIRTY) continue;
    if (pwrite(store.fd, &store.base[i], PAGE, (off_t)i * PAGE) != PAGE) die("pwrite");
    if (mprotect(&store.base[i], PAGE, PROT_READ) != 0) die("mprotect");
    store.state[i] = CLEAN;
    store.written++;
  }
  if (fsync(store.fd) != 0) die("fsync");
}

static void store_close(void) {
  munmap(store.base, NOBJ * PAGE);
  close(store.fd);
  signal(SIGSEGV, SIG_DFL);
}

/* Make a store file: objects 0..NOBJ-1, linked in the order 0, 7, 14, ... (step 7, modulo NOBJ). */
static void store_create(const char* path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(path);
  static struct object obj;
  for (int i = 0; i < NOBJ; i++) {
    memset(&obj, 0, sizeof obj);
    obj.id = i;
    int next = (i + 7) % NOBJ;
    obj.next = next == 0 ? -1 : next;
    obj.counter = 1000 + i;
    snprintf(obj.name, sizeof obj.name, "object %d", i);
    for (size_t k = 0; k < sizeof obj.payload; k++) obj.payload[k] = (char)(i + k);
    if (pwrite(fd, &obj, PAGE, (off_t)i * PAGE) != PAGE) die("pwrite");
  }
  close(fd);
}

static int check_payload(const struct object* o) {
  for (size_t k = 0; k < sizeof o->payload; k += 97)
    if (o->payload[k] != (char)(o->id + k)) return 0;
  return 1;
}

static int show_maps;

/* The lines of /proc/self/maps inside the store's region, with the objects they cover. */
static void print_store_maps(void) {
  if (!show_maps) return;
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) die("/proc/self/maps");
  uintptr_t start = (uintptr_t)store.base, end = start + NOBJ * PAGE;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || hi <= start || lo >= end) continue;
    unsigned long first = (lo - start) / PAGE, last = (hi - start) / PAGE - 1;
    printf("    %lx-%lx %s  object%s %lu%s", lo, hi, perms, first == last ? "" : "s", first, first == last ? "" : "-");
    if (first != last) printf("%lu", last);
    printf("\n");
  }
  fclose(f);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "-m") == 0) {
    show_maps = 1;
    argv++;
    argc--;
  }
  const char* path = argc > 1 ? argv[1] : "/tmp/objstore.db";
  int ok = 1;
  store_create(path);
  printf("created %s: %d objects of %d bytes, linked with step 7\n", path, NOBJ, PAGE);

  store_open(path);
  printf("opened: %d objects faulted in\n", store.faulted_in);
  /* Walk the first 10 objects of the list: only they are read from the file. */
  int64_t sum = 0;
  int i = 0, visited = 0;
  for (; visited < 10; visited++) {
    struct object* o = &store.base[i];
    ok &= o->id == i && check_payload(o);
    sum += o->counter;
    i = o->next;
  }
  TOUCHES_DONE();
  printf("walked 10 objects (sum of counters %lld): %d faulted in, %d dirtied\n", (long long)sum,
         store.faulted_in, store.dirtied);
  print_store_maps();
  ok &= store.faulted_in == 10 && store.dirtied == 0;

  /* Update three of them; the second write to object 14 costs nothing more. */
  store.base[7].counter += 1;
  store.base[14].counter += 10;
  store.base[14].counter += 10;
  strcpy(store.base[21].name, "renamed");
  TOUCHES_DONE();
  printf("updated objects 7, 14 and 21: %d faulted in, %d dirtied\n", store.faulted_in, store.dirtied);
  print_store_maps();
  ok &= store.faulted_in == 10 && store.dirtied == 3;
  store_commit();
  printf("commit: %d objects written\n", store.written);
  print_store_maps();
  ok &= store.written == 3;
  store.base[7].counter += 1; /* dirty again after the commit */
  TOUCHES_DONE();
  printf("after the commit, a write to object 7: %d dirtied\n", store.dirtied);
  ok &= store.dirtied == 4;
  store_close(); /* that last change is not committed */

  store_open(path);
  int good = store.base[7].counter == 1008 && store.base[14].counter == 1034 &&
             strcmp(store.base[21].name, "renamed") == 0 && store.base[28].counter == 1028;
  TOUCHES_DONE();
  printf("reopened: objects 7, 14, 21 and 28 read back %s; %d faulted in\n", good ? "as committed" : "WRONG",
         store.faulted_in);
  ok &= good && store.faulted_in == 4;
  store_close();
  unlink(path);
  printf("%s\n", ok ? "objstore: ok" : "objstore: FAILED");
  return ok ? 0 : 1;
}
