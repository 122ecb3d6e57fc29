/* mm_cow_fork: fork(2) gives the child a private copy of every private page (copy-on-write isolation).
 *
 * fork(2): "The child process and the parent process run in separate memory spaces. At the time of fork()
 * both memory spaces have the same content. Memory writes, file mappings (mmap(2)), and unmappings
 * (munmap(2)) performed by one of the processes do not affect the other." A kernel shares the pages and
 * copies one when either side writes it (copy on write); this test checks that the sharing is invisible:
 *
 *   1. a child sees the parent's values, writes its own, and a grandchild writes again: nobody sees the
 *      writes of another; then the parent, now the only owner of the pages, writes them (page reuse);
 *   2. two siblings alive at the same time write, while the parent writes too: each sees only its own;
 *   3. a child that writes and then execs, and one that execs without writing: the new program starts from
 *      the executable's initial values (execve(2): "the text, initialized data, uninitialized data (bss),
 *      and stack of the calling process are overwritten"), forks and writes in turn; the parent is unaffected;
 *   4. a child that unmaps the private mapping and shrinks the heap: the parent keeps them.
 *
 * Each check covers several pages of each kind of private memory: initialized data, bss, heap (malloc:
 * brk), the stack, and a private anonymous mmap.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 4
#define WORDS (PAGES * MT_PAGE / 8)

/* Initialized data (the two initializers put the whole array in .data) and bss. */
static unsigned long g_data[WORDS] = {[0] = 0x1234, [WORDS - 1] = 0x5678};
static unsigned long g_bss[WORDS];

enum { DATA, BSS, HEAP, STACK, ANON, REGIONS };
static const char* const region_name[REGIONS] = {"data", "bss", "heap", "stack", "mmap"};
static void* region[REGIONS];

static void fill_all(unsigned tag) {
  for (int r = 0; r < REGIONS; r++) mt_fill(region[r], PAGES * MT_PAGE, tag * 16 + r);
}

/* True if every region holds tag's pattern; names the regions that do not on stderr. */
static int check_all(unsigned tag, const char* who) {
  int ok = 1;
  for (int r = 0; r < REGIONS; r++) {
    if (!mt_check(region[r], PAGES * MT_PAGE, tag * 16 + r)) {
      fprintf(stderr, "%s: %s does not hold the values of tag %u\n", who, region_name[r], tag);
      ok = 0;
    }
  }
  return ok;
}

/* The exec'd child: its memory starts from the executable, whatever the process had before exec. */
static int exec_child(void) {
  int ok = g_data[0] == 0x1234 && g_data[WORDS - 1] == 0x5678 && mt_is_zero(g_data + 1, (WORDS - 2) * 8) &&
           mt_is_zero(g_bss, sizeof g_bss);
  if (!ok) fprintf(stderr, "exec'd child: data/bss do not hold the executable's initial values\n");
  unsigned long stack_area[WORDS];
  region[DATA] = g_data;
  region[BSS] = g_bss;
  region[HEAP] = malloc(PAGES * MT_PAGE);
  region[STACK] = stack_area;
  region[ANON] = mmap(NULL, PAGES * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill_all(20);
  pid_t pid = mt_fork();
  if (pid == 0) {
    int gok = check_all(20, "grandchild after exec");
    fill_all(21);
    _exit(gok && check_all(21, "grandchild after exec") ? 0 : 1);
  }
  ok &= mt_wait(pid) == 0;
  ok &= check_all(20, "exec'd child");
  return ok ? 0 : 1;
}

static void run_exec_child(void) {
  char* args[] = {(char*)tl_self(), (char*)"exec-child", NULL};
  tl_execv(tl_self(), args);
  _exit(127);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0) return exec_child();

  unsigned long stack_area[WORDS];
  region[DATA] = g_data;
  region[BSS] = g_bss;
  region[HEAP] = malloc(PAGES * MT_PAGE);
  region[STACK] = stack_area;
  region[ANON] = mmap(NULL, PAGES * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(region[HEAP] != NULL && region[ANON] != MAP_FAILED);

  /* 1. child, grandchild, then the parent as the last owner. */
  fill_all(1);
  pid_t pid = mt_fork();
  if (pid == 0) {
    int ok = check_all(1, "child");
    fill_all(2);
    pid_t g = mt_fork();
    if (g == 0) {
      int gok = check_all(2, "grandchild");
      fill_all(3);
      _exit(gok && check_all(3, "grandchild") ? 0 : 1);
    }
    ok &= mt_wait(g) == 0;
    ok &= check_all(2, "child after the grandchild");
    _exit(ok ? 0 : 1);
  }
  int status = mt_wait(pid);
  tl_say("child and grandchild see the values before their fork and only their own writes: %s\n",
         mt_status_str(status));
  CHECK(status == 0);
  CHECK(check_all(1, "parent"));
  tl_say("the parent does not see their writes\n");
  fill_all(4);
  CHECK(check_all(4, "parent"));
  tl_say("the parent writes its pages after the child exited\n");

  /* 2. siblings alive together, the parent writing too. */
  struct mt_chan to_parent, to_b, to_c;
  mt_chan_open(&to_parent);
  mt_chan_open(&to_b);
  mt_chan_open(&to_c);
  fill_all(5);
  pid_t b = mt_fork();
  if (b == 0) {
    int ok = check_all(5, "sibling B");
    fill_all(6);
    mt_chan_send(&to_parent, 'b');
    ok &= mt_chan_recv(&to_b) == 'g';
    ok &= check_all(6, "sibling B after C and the parent wrote");
    _exit(ok ? 0 : 1);
  }
  pid_t c = mt_fork();
  if (c == 0) {
    int ok = mt_chan_recv(&to_c) == 'w';
    ok &= check_all(5, "sibling C after B wrote");
    fill_all(7);
    mt_chan_send(&to_parent, 'c');
    ok &= mt_chan_recv(&to_c) == 'g';
    ok &= check_all(7, "sibling C after the parent wrote");
    _exit(ok ? 0 : 1);
  }
  CHECK(mt_chan_recv(&to_parent) == 'b');
  mt_chan_send(&to_c, 'w');
  CHECK(mt_chan_recv(&to_parent) == 'c');
  CHECK(check_all(5, "parent after both siblings wrote"));
  fill_all(8);
  mt_chan_send(&to_b, 'g');
  mt_chan_send(&to_c, 'g');
  int sb = mt_wait(b), sc = mt_wait(c);
  tl_say("siblings writing while both alive: %s, %s\n", mt_status_str(sb), mt_status_str(sc));
  CHECK(sb == 0 && sc == 0);
  CHECK(check_all(8, "parent after the siblings"));
  tl_say("neither sibling nor the parent sees another's writes\n");
  mt_chan_close(&to_parent);
  mt_chan_close(&to_b);
  mt_chan_close(&to_c);

  /* 3. exec, after writing and without writing. */
  pid = mt_fork();
  if (pid == 0) {
    fill_all(9);
    run_exec_child();
  }
  status = mt_wait(pid);
  tl_say("a child that writes then execs starts from the executable's values: %s\n", mt_status_str(status));
  CHECK(status == 0);
  pid = mt_fork();
  if (pid == 0) run_exec_child();
  status = mt_wait(pid);
  tl_say("a child that execs without writing too: %s\n", mt_status_str(status));
  CHECK(status == 0);
  CHECK(check_all(8, "parent after the exec'd children"));
  fill_all(10);
  CHECK(check_all(10, "parent"));
  tl_say("the parent keeps its values and writes them afterwards\n");

  /* 4. unmapping in the child. */
  pid = mt_fork();
  if (pid == 0) {
    int ok = munmap(region[ANON], PAGES * MT_PAGE) == 0;
    /* Shrink the heap to below the heap region (no malloc from here on). */
    ok &= brk((void*)((uintptr_t)region[HEAP] & ~(MT_PAGE - 1))) == 0;
    _exit(ok ? 0 : 1);
  }
  status = mt_wait(pid);
  tl_say("a child unmaps the mmap and shrinks the heap: %s\n", mt_status_str(status));
  CHECK(status == 0);
  CHECK(check_all(10, "parent after the child unmapped"));
  tl_say("the parent keeps them\n");
  return tl_done();
}
