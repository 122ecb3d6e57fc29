/* fuzz: random system calls against the kernel, from inside the guest.
 *
 *   fuzz --seed S --calls N [--per-worker K] [--parallel P] [--worker I] [--trace] [--only a,b]
 *        [--meminfo] [--profile] [--stall-ms MS] [--kill-wait-ms MS] [--pressure MIB]
 *
 * The master (this process) sets up memory fixtures, then forks workers, P at a time, until N calls have been
 * made. Worker i fuzzes with the seed mix(S, i), so `--seed S --worker i` replays worker i alone (add --trace
 * to see every call and its result). A worker killed by a signal is expected (it may unmap its own code). The
 * master's watchdog kills a worker that makes no progress for --stall-ms (a fuzzed call may block for ever,
 * as on Linux); a worker that does not die within --kill-wait-ms of SIGKILL is a hang, reported with the
 * call it was in. The kernel's failures are found outside: a panic stops the machine, a deadlock times out
 * (tools/run), and init's leak check runs after the master exits.
 *
 * Output: "fuzz: ..." lines as it goes, and one "fuzz-result: calls=N workers=W signaled=S stalled=T hangs=H"
 * line at the end. Exit status 0, 3 after a hang, 4 if a sentinel changed (the kernel wrote into memory it was
 * never given: see FZ_SENTINEL in fuzz.h).
 *
 * --pressure MIB runs a process beside the workers that keeps rewriting MIB of memory (pressure.c): with more
 * than the free memory and a swap device (tools/run --swap), the workers' memory is paged out and in while they
 * fuzz, and the pressure process checks that every page swap gives back holds what it wrote.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct fz_shared* fz_shared;

struct options {
  u64 seed;
  u64 calls;
  u64 per_worker;
  unsigned parallel;
  long only_worker;      /* -1: all */
  int trace;
  unsigned stall_ms;
  unsigned kill_wait_ms;
  unsigned enabled[256]; /* --only: the call filter */
  int has_filter;
  int meminfo;
  int profile;
  unsigned pressure_mib; /* 0: no pressure process */
};

struct running {
  int pid;              /* 0: free */
  unsigned worker;
  unsigned slot;
  u64 last_calls;       /* the slot's counter at the last sign of progress */
  u64 last_progress_ms;
  u64 killed_at_ms;     /* 0: not killed */
};

struct totals {
  u64 workers, exited, signaled, stalled, hangs;
  u64 pressure_restarts; /* the pressure process died (a fuzzed kill, the OOM killer) and was started again */
  u64 by_signal[65];
};

static u64 now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {0, (long)ms * 1000000L};
  nanosleep(&ts, NULL);
}

static void usage(void) {
  fprintf(stderr, "usage: fuzz --seed S --calls N [--per-worker K] [--parallel P] [--worker I] [--trace]\n"
                  "            [--only call,call] [--stall-ms MS] [--kill-wait-ms MS] [--pressure MIB]\n");
  exit(2);
}

static void parse_only(struct options* o, char* list) {
  o->has_filter = 1;
  for (char* name = strtok(list, ","); name; name = strtok(NULL, ",")) {
    const struct fz_call* c = fz_call_by_name(name);
    if (!c) {
      fprintf(stderr, "fuzz: no call named %s\n", name);
      exit(2);
    }
    o->enabled[c - fz_calls] = 1;
  }
}

static void parse(struct options* o, int argc, char** argv) {
  o->seed = 1;
  o->calls = 10000;
  o->per_worker = 1000;
  o->parallel = 4;
  o->only_worker = -1;
  o->stall_ms = 500;
  o->kill_wait_ms = 10000;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--trace")) { o->trace = 1; continue; }
    if (!strcmp(a, "--meminfo")) { o->meminfo = 1; continue; }
    if (!strcmp(a, "--profile")) { o->profile = 1; continue; }
    if (!v) usage();
    i++;
    if (!strcmp(a, "--seed")) o->seed = strtoull(v, NULL, 0);
    else if (!strcmp(a, "--calls")) o->calls = strtoull(v, NULL, 0);
    else if (!strcmp(a, "--per-worker")) o->per_worker = strtoull(v, NULL, 0);
    else if (!strcmp(a, "--parallel")) o->parallel = (unsigned)strtoul(v, NULL, 0);
    else if (!strcmp(a, "--worker")) o->only_worker = strtol(v, NULL, 0);
    else if (!strcmp(a, "--stall-ms")) o->stall_ms = (unsigned)strtoul(v, NULL, 0);
    else if (!strcmp(a, "--kill-wait-ms")) o->kill_wait_ms = (unsigned)strtoul(v, NULL, 0);
    else if (!strcmp(a, "--pressure")) o->pressure_mib = (unsigned)strtoul(v, NULL, 0);
    else if (!strcmp(a, "--only")) parse_only(o, argv[i]);
    else usage();
  }
  if (o->parallel < 1) o->parallel = 1;
  if (o->parallel > FZ_SLOTS) o->parallel = FZ_SLOTS;
  if (o->per_worker < 1) o->per_worker = 1;
}

/* ---- memory every worker inherits ---- */
static void map_fixed(u64 address, u64 size, int prot, int flags, int fd) {
  void* p = mmap((void*)address, size, prot, flags | MAP_FIXED, fd, 0);
  if (p == MAP_FAILED) {
    fprintf(stderr, "fuzz: cannot map 0x%llx (%llu bytes): %m\n", (unsigned long long)address,
            (unsigned long long)size);
    exit(1);
  }
}

static void setup_fixtures(u64 seed) {
  const int private_anon = MAP_PRIVATE | MAP_ANONYMOUS;
  map_fixed(FZ_RW, FZ_RW_SIZE, PROT_READ | PROT_WRITE, private_anon, -1);
  struct fz_rng rng;
  fz_seed(&rng, seed);
  u64* words = (u64*)FZ_RW;
  for (u64 i = 0; i < FZ_PAGE / 8; i++) words[i] = fz_next(&rng);
  for (u64 off = FZ_PAGE; off < FZ_RW_SIZE; off += FZ_PAGE) memcpy((char*)FZ_RW + off, (void*)FZ_RW, FZ_PAGE);
  map_fixed(FZ_RO, FZ_RO_SIZE, PROT_READ | PROT_WRITE, private_anon, -1);
  memset((void*)FZ_RO, 0x5a, FZ_RO_SIZE);
  mprotect((void*)FZ_RO, FZ_RO_SIZE, PROT_READ);
  map_fixed(FZ_NONE, FZ_NONE_SIZE, PROT_NONE, private_anon, -1);
  map_fixed(FZ_EDGE, FZ_PAGE, PROT_READ | PROT_WRITE, private_anon, -1);
  map_fixed(FZ_EDGE + FZ_PAGE, FZ_PAGE, PROT_NONE, private_anon, -1);
  map_fixed(FZ_SHARED, FZ_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
  map_fixed(FZ_STACKS, FZ_STACK_COUNT * FZ_STACK_SIZE, PROT_READ | PROT_WRITE, private_anon, -1);
  map_fixed(FZ_SCRATCH, FZ_SCRATCH_SIZE, PROT_READ | PROT_WRITE, private_anon, -1);
  int fd = open("/tmp/fz-shared", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 4 * FZ_PAGE) != 0) {
    perror("fuzz: /tmp/fz-shared");
    exit(1);
  }
  map_fixed(FZ_FILEMAP, 4 * FZ_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
  close(fd);
  map_fixed(FZ_SENTINEL, FZ_SENTINEL_SIZE, PROT_READ | PROT_WRITE, private_anon, -1);
  fz_sentinel_fill(FZ_SENTINEL, FZ_SENTINEL_SIZE);
  fz_shared = mmap(NULL, sizeof *fz_shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (fz_shared == MAP_FAILED) {
    perror("fuzz: shared page");
    exit(1);
  }
}

/* ---- cleaning up: every fuzzing process, every sandbox ---- */

/* Remove a tree (dirfd, name) whose path is `path`, depth first; returns 0, or 1 if something stayed. */
static int remove_tree(int dirfd, const char* name, const char* path, int depth);
static void empty_directory(int fd, const char* path, int depth) {
  char buf[2048];
  for (int pass = 0; pass < 64; pass++) {
    int removed = 0;
    long n;
    lseek(fd, 0, SEEK_SET);
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        unsigned short reclen = *(unsigned short*)(buf + off + 16);
        const char* child = buf + off + 19;
        off += reclen;
        if (!strcmp(child, ".") || !strcmp(child, "..")) continue;
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", path, child);
        if (remove_tree(fd, child, sub, depth + 1) == 0) removed++;
      }
    }
    if (!removed) break; /* names were removed under the listing: look again */
  }
}

static int remove_tree(int dirfd, const char* name, const char* path, int depth) {
  if (unlinkat(dirfd, name, 0) == 0) return 0;
  /* File systems mounted there by fuzzed mounts (perhaps stacked): detach them before looking inside. */
  for (int mounts = 0; mounts < 16 && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; mounts++) {
  }
  int fd = depth < 32 ? openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : -1;
  if (fd >= 0) {
    empty_directory(fd, path, depth);
    close(fd);
  }
  if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0) return 0;
  static int reported;
  if (reported++ < 10) printf("fuzz: cannot remove %s: %m\n", path);
  return 1;
}

/* The master's pid, set before the first worker is forked: workers have the same value in their copy. */
static pid_t g_master_pid;

/* SIGKILL to every process but init and the master that is not a zombie; returns how many it sent to. With
 * verbose, prints them (the ones a kill did not end). kill(-1, SIGKILL) would do the same, but a worker that
 * returns through a garbage signal frame can run any of the fuzzer's code, this too, and its kill(-1) would kill
 * the master (it did, once handlers ran); this function spares g_master_pid whoever runs it. */
static int kill_strays(int verbose) {
  int sent = 0;
  DIR* proc = opendir("/proc");
  if (!proc) printf("fuzz: cannot list /proc to find the strays: %m\n");
  struct dirent* e;
  while (proc) {
    errno = 0;
    if (!(e = readdir(proc))) break;
    int pid = atoi(e->d_name);
    if (pid <= 1 || pid == g_master_pid) continue;
    char path[64], stat[256] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof stat - 1);
    if (n <= 0 && errno != ENOENT && errno != ESRCH) printf("fuzz: cannot read %s: %m\n", path);
    if (fd >= 0) close(fd);
    if (n <= 0) continue;
    stat[n] = 0;
    const char* state = strrchr(stat, ')');
    if (state && state[1] == ' ' && state[2] == 'Z') continue;
    if (verbose && sent < 10) printf("fuzz: after SIGKILL: %s", stat);
    if (kill(pid, SIGKILL) == 0) sent++;
  }
  int listed = proc && !errno;
  if (proc && !listed) printf("fuzz: cannot list /proc to the end (%d killed): %m\n", sent);
  if (proc) closedir(proc);
  return listed ? sent : sent + 1; /* a listing cut short: the caller looks again */
}

static void clean_up(void) {
  /* Every process but init and us: only fuzzing processes are left (strays whose worker died). Strays may
   * fork meanwhile: again until none is left. */
  int round = 0;
  while (kill_strays(0) && round++ < 100) sleep_ms(10);
  sleep_ms(50);
  if (kill_strays(1)) printf("fuzz: processes outlived SIGKILL\n");
  int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
  if (tmp < 0) return;
  char buf[2048];
  long n;
  for (int pass = 0; pass < 8; pass++) {
    int removed = 0;
    lseek(tmp, 0, SEEK_SET);
    while ((n = syscall(SYS_getdents64, tmp, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        unsigned short reclen = *(unsigned short*)(buf + off + 16);
        const char* name = buf + off + 19;
        char path[300];
        snprintf(path, sizeof path, "/tmp/%s", name);
        if (!strncmp(name, "fz", 2) && remove_tree(tmp, name, path, 0) == 0) removed++;
        off += reclen;
      }
    }
    if (!removed) break;
  }
  close(tmp);
}

/* --meminfo: the /proc/meminfo lines that changed over the run (to tell what a leak is made of). */
static void read_meminfo(char* buf, size_t size) {
  buf[0] = 0;
  int fd = open("/proc/meminfo", O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, size - 1);
  buf[n > 0 ? n : 0] = 0;
  close(fd);
}

static void print_meminfo_changes(const char* before, const char* after) {
  while (*before && *after) {
    size_t la = strcspn(before, "\n"), lb = strcspn(after, "\n");
    if (la != lb || memcmp(before, after, la))
      printf("fuzz: meminfo: %.*s -> %.*s\n", (int)la, before, (int)lb, after);
    before += la + (before[la] != 0);
    after += lb + (after[lb] != 0);
  }
}

/* Where the time went, by call (--profile), and the longest single call. The timebase of QEMU virt is 10 MHz. */
static u64 ticks_to_us(u64 ticks) { return ticks / 10; }

static void print_profile(int full) {
  unsigned order[FZ_MAX_CALLS];
  unsigned n = fz_call_count, longest = 0;
  for (unsigned i = 0; i < n; i++) {
    order[i] = i;
    if (fz_shared->profile[i].max_ticks > fz_shared->profile[longest].max_ticks) longest = i;
  }
  printf("fuzz: the longest call: %s, %llu us (from its start to its return, on a shared hart)\n",
         fz_calls[longest].name, (unsigned long long)ticks_to_us(fz_shared->profile[longest].max_ticks));
  /* The kernel's own figure (/proc/kernel-stats): the longest any thread kept its hart after a tick asked for
   * it, and the call it was in (issue 14: at most 10 ms). Guest time: a host that stops QEMU adds to it. */
  FILE* stats = fopen("/proc/kernel-stats", "r");
  if (stats) {
    char line[128], comm[32] = "?";
    unsigned long long us = 0, nr = ~0ull;
    while (fgets(line, sizeof line, stats)) {
      sscanf(line, "sched_longest_hold_us %llu", &us);
      sscanf(line, "sched_longest_hold_syscall %llu", &nr);
      sscanf(line, "sched_longest_hold_comm %31s", comm);
    }
    fclose(stats);
    const char* call = nr == ~0ull ? "a kernel thread" : "user mode or a call the fuzzer does not make";
    for (unsigned i = 0; i < n; i++)
      if ((unsigned long long)fz_calls[i].nr == nr) call = fz_calls[i].name;
    printf("fuzz: the longest hold of a hart: %llu us (%s, %s)\n", us, comm, call);
  }
  if (!full) return;
  for (unsigned i = 1; i < n; i++) /* by total time, descending */
    for (unsigned j = i; j > 0 && fz_shared->profile[order[j]].ticks > fz_shared->profile[order[j - 1]].ticks; j--) {
      unsigned t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  printf("fuzz: profile: call, calls, total ms, average us, longest us\n");
  for (unsigned k = 0; k < n && k < 25; k++) {
    const struct fz_profile* p = &fz_shared->profile[order[k]];
    if (!p->calls) break;
    printf("fuzz: profile: %-18s %8llu %8llu %8llu %8llu\n", fz_calls[order[k]].name, (unsigned long long)p->calls,
           (unsigned long long)ticks_to_us(p->ticks) / 1000, (unsigned long long)ticks_to_us(p->ticks / p->calls),
           (unsigned long long)ticks_to_us(p->max_ticks));
  }
}

/* ---- the master ---- */
static void start_worker(const struct options* o, struct running* w, unsigned index, unsigned slot, u64 budget) {
  struct fz fz;
  memset(&fz, 0, sizeof fz);
  fz.worker = index;
  fz.seed = fz_mix(o->seed, index);
  fz_seed(&fz.rng, fz.seed);
  fz.budget = budget;
  fz.master_pid = getpid();
  g_master_pid = fz.master_pid;
  fz.trace = o->trace;
  fz.slot = &fz_shared->slot[slot];
  fz.enabled = o->has_filter ? o->enabled : NULL;
  fz_shared->slot[slot].calls = 0;
  fz_shared->slot[slot].nr = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) fz_worker_main(&fz);
  if (pid < 0) {
    fprintf(stderr, "fuzz: fork: %m (retrying)\n");
    sleep_ms(100);
    return;
  }
  printf("fuzz: worker %u (pid %d)\n", index, pid);
  w->pid = pid;
  w->worker = index;
  w->slot = slot;
  w->last_calls = 0;
  w->last_progress_ms = now_ms();
  w->killed_at_ms = 0;
}

static void reaped(struct totals* t, struct running* w, int status) {
  t->workers++;
  if (WIFSIGNALED(status)) {
    t->signaled++;
    int sig = WTERMSIG(status);
    t->by_signal[sig > 0 && sig <= 64 ? sig : 0]++;
  } else {
    t->exited++;
  }
  w->pid = 0;
}

static const char* call_name(u64 nr) {
  for (unsigned i = 0; i < fz_call_count; i++)
    if ((u64)fz_calls[i].nr == nr) return fz_calls[i].name;
  return "?";
}

/* The state letter of a process (R running, S sleeping, Z zombie...) from /proc/PID/stat, for reports. */
static char process_state(int pid) {
  char path[32], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char* paren = strrchr(buf, ')');
  return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* The watchdog: SIGKILL for a worker without progress; a hang if SIGKILL does not end it. */
static int watch(const struct options* o, struct totals* t, struct running* w) {
  u64 now = now_ms();
  u64 calls = fz_shared->slot[w->slot].calls;
  if (calls != w->last_calls) {
    w->last_calls = calls;
    w->last_progress_ms = now;
  }
  if (!w->killed_at_ms && now - w->last_progress_ms > o->stall_ms) {
    kill(w->pid, SIGKILL);
    w->killed_at_ms = now;
    t->stalled++;
    printf("fuzz: worker %u (pid %d, state %c) made no progress for %u ms (in %s): killed\n", w->worker, w->pid,
           process_state(w->pid), o->stall_ms, call_name(fz_shared->slot[w->slot].nr));
  }
  if (w->killed_at_ms && now - w->killed_at_ms > o->kill_wait_ms) {
    printf("fuzz: HANG: worker %u (pid %d, state %c) still alive %u ms after SIGKILL, in %s\n", w->worker, w->pid,
           process_state(w->pid), o->kill_wait_ms, call_name(fz_shared->slot[w->slot].nr));
    printf("fuzz: replay it alone with: --seed %llu --worker %u --trace\n", (unsigned long long)o->seed, w->worker);
    t->hangs++;
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  struct options o;
  memset(&o, 0, sizeof o);
  parse(&o, argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_master_pid = getpid();
  struct termios console;
  int has_console = ioctl(1, TCGETS, &console) == 0;
  if (o.trace && dup2(2, FZ_TRACE_FD) < 0) perror("fuzz: trace descriptor");
  setpgid(0, 0);
  setup_fixtures(o.seed);
  static char meminfo_before[4096], meminfo_after[4096];
  if (o.meminfo) read_meminfo(meminfo_before, sizeof meminfo_before);
  printf("fuzz: seed %llu, %llu calls, %llu per worker, %u in parallel\n", (unsigned long long)o.seed,
         (unsigned long long)o.calls, (unsigned long long)o.per_worker, o.parallel);

  struct running running[FZ_SLOTS];
  memset(running, 0, sizeof running);
  struct totals t;
  memset(&t, 0, sizeof t);
  unsigned next_worker = o.only_worker >= 0 ? (unsigned)o.only_worker : 0;
  int hung = 0;
  int pressure_pid = o.pressure_mib ? fz_pressure_start(o.pressure_mib) : 0;
  for (;;) {
    int busy = 0;
    int status;
    if (pressure_pid > 0 && waitpid(pressure_pid, &status, WNOHANG) == pressure_pid) {
      if (fz_shared->corrupt_address) break;
      printf("fuzz: pressure: the process died (%s %d): starting it again\n",
             WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      t.pressure_restarts++;
      pressure_pid = fz_pressure_start(o.pressure_mib);
    }
    for (unsigned s = 0; s < o.parallel; s++) {
      struct running* w = &running[s];
      if (w->pid) {
        int status;
        pid_t r = waitpid(w->pid, &status, WNOHANG);
        if (r == w->pid) {
          reaped(&t, w, status);
        } else if (watch(&o, &t, w)) {
          hung = 1;
          break;
        }
      }
      /* Workers often die early (that is expected): keep starting them until enough calls were made. */
      int more = o.only_worker >= 0 ? next_worker == (unsigned)o.only_worker : fz_shared->total_calls < o.calls;
      if (!w->pid && more) {
        start_worker(&o, w, next_worker, s, o.per_worker);
        if (w->pid) next_worker++;
      }
      if (w->pid) busy = 1;
    }
    if (hung || !busy || fz_shared->corrupt_address) break;
    sleep_ms(5);
  }
  clean_up();
  fz_sentinel_check(NULL, FZ_SENTINEL, FZ_SENTINEL_SIZE); /* our own copy too */
  int corrupt = fz_shared->corrupt_address != 0;
  if (corrupt) {
    if ((long long)fz_shared->corrupt_worker == -2) {
      printf("fuzz: MEMORY CORRUPTION: a page of the pressure process came back from swap wrong (above)\n");
    } else {
      printf("fuzz: MEMORY CORRUPTION: a sentinel word at 0x%llx held 0x%016llx instead of 0x%016llx (seen by worker "
             "%lld after %llu calls)\n", (unsigned long long)fz_shared->corrupt_address,
             (unsigned long long)fz_shared->corrupt_found, (unsigned long long)fz_shared->corrupt_expected,
             (long long)fz_shared->corrupt_worker, (unsigned long long)fz_shared->corrupt_calls);
    }
  }
  if (o.meminfo) {
    sleep_ms(500); /* init reaps the strays */
    read_meminfo(meminfo_after, sizeof meminfo_after);
    print_meminfo_changes(meminfo_before, meminfo_after);
  }
  if (has_console) ioctl(1, TCSETS, &console); /* a fuzzed ioctl may have changed the console's modes */
  u64 calls = fz_shared->total_calls;
  print_profile(o.profile);
  printf("fuzz: worker deaths by signal:");
  for (int s = 0; s <= 64; s++)
    if (t.by_signal[s]) {
      const char* name = s ? sigabbrev_np(s) : NULL;
      if (name) printf(" SIG%s %llu", name, (unsigned long long)t.by_signal[s]);
      else printf(" signal-%d %llu", s, (unsigned long long)t.by_signal[s]);
    }
  printf("\n");
  u64 swapped_out, swapped_in;
  fz_swap_counts(&swapped_out, &swapped_in);
  printf("fuzz-result: seed=%llu calls=%llu workers=%llu exited=%llu signaled=%llu stalled=%llu hangs=%llu "
         "corruptions=%d pressure_restarts=%llu pswpout=%llu pswpin=%llu\n",
         (unsigned long long)o.seed, (unsigned long long)calls, (unsigned long long)t.workers,
         (unsigned long long)t.exited, (unsigned long long)t.signaled, (unsigned long long)t.stalled,
         (unsigned long long)t.hangs, corrupt, (unsigned long long)t.pressure_restarts,
         (unsigned long long)swapped_out, (unsigned long long)swapped_in);
  return hung ? 3 : corrupt ? 4 : 0;
}
