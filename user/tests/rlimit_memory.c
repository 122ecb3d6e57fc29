/* rlimit_memory: RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK bound a process's memory, as on Linux 6.1
 * (may_expand_vm, check_data_rlimit, acct_stack_growth, mprotect_fixup, vma_to_resize):
 *   - RLIMIT_AS: mmap, brk and mremap growth fail with ENOMEM once the mappings would pass it (MAP_FIXED over a
 *     mapping counts only what it adds); below it they work; the stack cannot grow past it (SIGSEGV)
 *   - RLIMIT_DATA: private writable mappings (and the heap) count; read-only, shared and stack ones do not;
 *     mprotect making read-only memory writable is ENOMEM past it
 *   - RLIMIT_STACK: the stack grows within it, and not past it (SIGSEGV)
 *   - prlimit64 on another process changes what that process may map; limits are inherited over fork and exec
 * qemu-user keeps these three limits to itself (it never passes them to its host): the checks are skipped there.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define MiB (1024UL * 1024)

/* Bytes of all mappings (data: only private writable ones that are not the stack, Linux's data_vm). */
static unsigned long mapped_bytes(int data) {
  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  char line[512];
  unsigned long total = 0;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long start, end;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3) continue;
    if (data && (perms[1] != 'w' || perms[3] != 'p' || strstr(line, "[stack]"))) continue;
    total += end - start;
  }
  if (f) fclose(f);
  return total;
}

static void set_limit(int resource, unsigned long bytes) {
  struct rlimit r = {bytes, RLIM_INFINITY};
  CHECK(setrlimit(resource, &r) == 0);
}

static void* map(size_t length, int prot, int flags) { return mmap(NULL, length, prot, flags | MAP_ANONYMOUS, -1, 0); }

/* Store to every page from the stack pointer down to `bytes` below it, as a deep recursion would. */
static __attribute__((noinline)) void touch_below_stack(unsigned long bytes) {
  uintptr_t sp;
  __asm__ volatile("mv %0, sp" : "=r"(sp));
  for (unsigned long off = 4096; off <= bytes; off += 4096) *(volatile char*)(sp - off) = 1;
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    fflush(stdout);
    _exit(tl_failures ? 1 : 0); /* its failed checks are on stderr already */
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

static int skip_limits(const char* what) { return KNOWN_QEMU_USER_DIFFERENCE(what); }

static void address_space(void) {
  int skip = skip_limits("qemu-user ignores RLIMIT_AS");
  set_limit(RLIMIT_AS, mapped_bytes(0) + 4 * MiB);
  void* big = map(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  if (!skip) CHECK(big == MAP_FAILED && errno == ENOMEM);
  if (big != MAP_FAILED) munmap(big, 8 * MiB);
  char* small = map(2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK(small != MAP_FAILED);
  /* Replacing it in place adds nothing. */
  CHECK(mmap(small, 2 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == small);
  void* more = map(3 * MiB, PROT_READ, MAP_PRIVATE);
  if (!skip) CHECK(more == MAP_FAILED && errno == ENOMEM);
  /* Growing it by mremap counts too, moved or not. */
  void* grown = mremap(small, 2 * MiB, 8 * MiB, MREMAP_MAYMOVE);
  if (!skip) CHECK(grown == MAP_FAILED && errno == ENOMEM);
  errno = 0;
  void* brk_grown = sbrk(8 * MiB);
  if (!skip) CHECK(brk_grown == (void*)-1 && errno == ENOMEM);
  CHECK(sbrk(64 * 1024) != (void*)-1);
  set_limit(RLIMIT_AS, RLIM_INFINITY);
  more = map(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK(more != MAP_FAILED);
  tl_say("RLIMIT_AS: mmap, mremap and brk past it fail with ENOMEM, within it they work\n");
}

static void stack_past_address_space(void) {
  set_limit(RLIMIT_AS, mapped_bytes(0) + 64 * 1024);
  touch_below_stack(4 * MiB);
  fprintf(stderr, "the stack grew past RLIMIT_AS\n"); /* not reached (but under qemu-user) */
}

static void data(void) {
  int skip = skip_limits("qemu-user ignores RLIMIT_DATA");
  set_limit(RLIMIT_DATA, mapped_bytes(1) + 4 * MiB);
  void* p = map(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  if (!skip) CHECK(p == MAP_FAILED && errno == ENOMEM);
  char* ro = map(8 * MiB, PROT_READ, MAP_PRIVATE);
  CHECK(ro != MAP_FAILED);
  p = map(8 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED);
  CHECK(p != MAP_FAILED);
  p = map(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_GROWSDOWN);
  CHECK(p != MAP_FAILED);
  p = map(2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK(p != MAP_FAILED);
  /* Making the read-only mapping writable would pass the limit; part of it fits. */
  if (!skip) CHECK_ERRNO(mprotect(ro, 8 * MiB, PROT_READ | PROT_WRITE), ENOMEM);
  CHECK(mprotect(ro, 1 * MiB, PROT_READ | PROT_WRITE) == 0);
  errno = 0;
  void* grown = sbrk(8 * MiB);
  if (!skip) CHECK(grown == (void*)-1 && errno == ENOMEM);
  tl_say("RLIMIT_DATA: private writable mappings and the heap count, read-only, shared and stack ones do not\n");
}

static void stack(void) {
  set_limit(RLIMIT_STACK, 512 * 1024);
  touch_below_stack(200 * 1024);
  tl_say("RLIMIT_STACK: the stack grows within it\n");
  touch_below_stack(2 * MiB);
  fprintf(stderr, "the stack grew past RLIMIT_STACK\n"); /* not reached (but under qemu-user) */
}

/* A child waits for its parent to lower its RLIMIT_AS with prlimit, then maps. */
static void limit_set_by_another(void) {
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    unsigned long mapped = mapped_bytes(0);
    CHECK(write(to_parent[1], &mapped, sizeof mapped) == sizeof mapped);
    CHECK(read(to_child[0], &c, 1) == 1);
    void* p = map(8 * MiB, PROT_READ, MAP_PRIVATE);
    _exit(p == MAP_FAILED && errno == ENOMEM ? 0 : 3);
  }
  unsigned long mapped = 0;
  CHECK(read(to_parent[0], &mapped, sizeof mapped) == sizeof mapped);
  struct rlimit fresh = {mapped + 1 * MiB, RLIM_INFINITY}, old = {0, 0}, now = {0, 0};
  CHECK(prlimit(pid, RLIMIT_AS, &fresh, &old) == 0);
  CHECK(old.rlim_cur == RLIM_INFINITY && old.rlim_max == RLIM_INFINITY);
  CHECK(prlimit(pid, RLIMIT_AS, NULL, &now) == 0);
  if (!skip_limits("qemu-user does not pass RLIMIT_AS on to its host")) CHECK(now.rlim_cur == fresh.rlim_cur);
  CHECK(write(to_child[1], "x", 1) == 1);
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  if (!skip_limits("qemu-user ignores RLIMIT_AS")) CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
  tl_say("prlimit64 on another process: its mappings are bound from then on\n");
}

/* Run after exec (argv[1] == "exec"): the limit set before fork and exec still holds. */
static int after_exec(void) {
  struct rlimit r;
  CHECK(getrlimit(RLIMIT_DATA, &r) == 0);
  int skip = skip_limits("qemu-user ignores RLIMIT_DATA");
  if (!skip) CHECK(r.rlim_cur == 16 * MiB && r.rlim_max == 32 * MiB);
  void* p = map(32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  if (!skip) CHECK(p == MAP_FAILED && errno == ENOMEM);
  p = map(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK(p != MAP_FAILED);
  return tl_failures ? 1 : 0;
}

static void inherited(void) {
  struct rlimit r = {16 * MiB, 32 * MiB};
  CHECK(setrlimit(RLIMIT_DATA, &r) == 0);
  char* args[] = {"exec", NULL};
  int status = tl_run_self(args);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("RLIMIT_DATA is inherited over fork and exec\n");
}

static void expect_sigsegv(int status, const char* what) {
  if (!KNOWN_QEMU_USER_DIFFERENCE(what)) CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  tl_say("past the limit: SIGSEGV\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "exec") == 0) return after_exec();
  struct rlimit r;
  CHECK(getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur == RLIM_INFINITY);
  CHECK(getrlimit(RLIMIT_DATA, &r) == 0 && r.rlim_cur == RLIM_INFINITY);
  CHECK(getrlimit(RLIMIT_STACK, &r) == 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user reports its host's RLIMIT_STACK")) CHECK(r.rlim_cur == 8 * MiB);
  tl_say("rlimit_memory\n");
  CHECK(in_child(address_space) == 0);
  expect_sigsegv(in_child(stack_past_address_space), "qemu-user ignores RLIMIT_AS for the stack");
  CHECK(in_child(data) == 0);
  expect_sigsegv(in_child(stack), "qemu-user ignores RLIMIT_STACK");
  CHECK(in_child(limit_set_by_another) == 0);
  CHECK(in_child(inherited) == 0);
  return tl_done();
}
