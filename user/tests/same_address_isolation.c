/* same_address_isolation: processes have address spaces of their own.
 *   - after fork, parent and child write different values at the same addresses: a global variable, a
 *     64 KiB global array, a malloc'ed block, a page mmap'ed before the fork, and a page each of them maps
 *     with MAP_FIXED at the same address after the fork. Both write before either reads back (they wait for
 *     each other through pipes); each must see only its own values.
 *   - two unrelated processes (this program exec'ed twice) write different values at the same fixed
 *     address and into the same global variable, and each reads back its own.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define FIXED_ADDRESS 0x1000000000UL /* 64 GiB: inside Sv39's user half, away from where mmap puts things */

static long global_value = 1;
static unsigned char global_array[65536];

struct places {
  long* heap;
  long* mapped_before_fork;
  long* fixed;
};

static long* map_fixed(void) {
  void* p = mmap((void*)FIXED_ADDRESS, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(p == (void*)FIXED_ADDRESS);
  return p == MAP_FAILED ? NULL : p;
}

static void write_all(struct places* at, long value) {
  global_value = value;
  memset(global_array, (int)value, sizeof global_array);
  *at->heap = value;
  *at->mapped_before_fork = value;
  at->fixed = map_fixed();
  if (at->fixed) *at->fixed = value;
}

/* Returns the number of places that do not hold `value`. */
static int count_wrong(const struct places* at, long value) {
  int wrong = 0;
  wrong += global_value != value;
  for (size_t i = 0; i < sizeof global_array; i += 4096) wrong += global_array[i] != (unsigned char)value;
  wrong += *at->heap != value;
  wrong += *at->mapped_before_fork != value;
  wrong += !at->fixed || *at->fixed != value;
  return wrong;
}

static void after_fork(void) {
  struct places at;
  at.heap = malloc(sizeof *at.heap);
  *at.heap = 1;
  at.mapped_before_fork = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(at.mapped_before_fork != MAP_FAILED);
  *at.mapped_before_fork = 1;

  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  char c = '!';
  pid_t pid = fork();
  if (pid == 0) {
    write_all(&at, 200);
    write(to_parent[1], &c, 1); /* "I have written" */
    read(to_child[0], &c, 1);   /* wait until the parent has written too */
    _exit(count_wrong(&at, 200));
  }
  write_all(&at, 100);
  CHECK(read(to_parent[0], &c, 1) == 1); /* both have written now */
  int wrong = count_wrong(&at, 100);
  CHECK(write(to_child[1], &c, 1) == 1);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
  tl_say("after fork: parent sees %d wrong values, child %d\n", wrong, WEXITSTATUS(status));
  CHECK(wrong == 0 && WEXITSTATUS(status) == 0);
  for (int i = 0; i < 2; i++) {
    close(to_child[i]);
    close(to_parent[i]);
  }
  munmap(at.fixed, 4096);
  munmap(at.mapped_before_fork, 4096);
  free(at.heap);
}

/* Run as "same_address_isolation writer VALUE READY_FD GO_FD": write VALUE at the fixed address and into the
 * global, say so on READY_FD, wait for a byte on GO_FD, check. Exit status: the number of wrong values. */
static int writer(char** argv) {
  long value = atol(argv[2]);
  int ready = atoi(argv[3]), go = atoi(argv[4]);
  long* fixed = map_fixed();
  if (!fixed) return 10;
  *fixed = value;
  global_value = value;
  char c = 'r';
  write(ready, &c, 1);
  read(go, &c, 1);
  return (*fixed != value) + (global_value != value);
}

static pid_t start_writer(const char* value, int ready, int go) {
  char ready_fd[12], go_fd[12];
  snprintf(ready_fd, sizeof ready_fd, "%d", ready);
  snprintf(go_fd, sizeof go_fd, "%d", go);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    tl_execv(tl_self(), (char*[]){(char*)tl_self(), "writer", (char*)value, ready_fd, go_fd, NULL});
    _exit(127);
  }
  return pid;
}

static void unrelated_processes(void) {
  int ready[2], go[2];
  CHECK(pipe(ready) == 0 && pipe(go) == 0);
  pid_t a = start_writer("1111", ready[1], go[0]);
  pid_t b = start_writer("2222", ready[1], go[0]);
  char c[2];
  CHECK(read(ready[0], &c[0], 1) == 1 && read(ready[0], &c[1], 1) == 1); /* both have written */
  CHECK(write(go[1], "gg", 2) == 2);
  int sa, sb;
  CHECK(waitpid(a, &sa, 0) == a && waitpid(b, &sb, 0) == b);
  CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
  CHECK(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
  tl_say("two programs at the same address: each sees its own value\n");
  for (int i = 0; i < 2; i++) {
    close(ready[i]);
    close(go[i]);
  }
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 5 && strcmp(argv[1], "writer") == 0) return writer(argv);
  after_fork();
  unrelated_processes();
  return tl_done();
}
