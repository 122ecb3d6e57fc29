/* Typed argument generators. Each kind mixes the values a program would pass with the ones that find bugs:
 * addresses at the edges of the Sv39 halves, in the kernel's image and direct map, in PROT_NONE and read-only
 * pages, across the end of a mapping; lengths that are huge or wrap; descriptors that are closed, huge or have
 * high bits set; flags with unknown bits. Pointers the kernel dereferences point into the worker's fixtures
 * (worker.c) or its scratch area, so that the fuzzer rarely destroys its own state.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "fuzz.h"

/* ---- randomness ---- */
static u64 splitmix(u64* x) {
  u64 z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void fz_seed(struct fz_rng* r, u64 seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }

u64 fz_next(struct fz_rng* r) {
  u64* s = r->s;
  u64 result = rotl(s[1] * 5, 7) * 9;
  u64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

u64 fz_mix(u64 a, u64 b) {
  u64 x = a ^ (b * 0xd1342543de82ef95ull);
  return splitmix(&x);
}

#define PICK(fz, array) ((array)[fz_below(&(fz)->rng, sizeof(array) / sizeof((array)[0]))])

/* ---- numbers and addresses at the edges ---- */
static const u64 edge_values[] = {
    0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 127, 128, 255, 256, 511, 512, 1023, 1024, 4095, 4096, 4097, 8192,
    65535, 65536, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x100000001ull,
    0x7ffff000, 0xfffff000, 0x3fffffffffull, 0x4000000000ull, 0x8000000000ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull, 0xfffffffffffff000ull,
    0xfffffffffffff001ull, 0xffffffff00000000ull, 0xffffffff80000000ull, 0x00000000ffffff9cull /* AT_FDCWD as u32 */,
};

u64 fz_edge_value(struct fz* fz) {
  u64 v = PICK(fz, edge_values);
  switch (fz_below(&fz->rng, 8)) {
    case 0: return v + fz_below(&fz->rng, 3) - 1; /* off by one either way */
    case 1: return -v;
    case 2: return fz_next(&fz->rng);               /* anything */
    default: return v;
  }
}

/* Addresses where the kernel must refuse to go: the top of the user half, the hole between the halves, the
 * kernel's direct map (RAM at 0x80000000 is at 0xffffffc080000000), the kernel stacks, the kernel image. */
static const u64 edge_addresses[] = {
    0, 1, 8, 0xfff, 0x1000, 0x10000, 0x3ffffff000ull, 0x3ffffffff0ull, 0x3ffffffff8ull, 0x3fffffffffull,
    0x4000000000ull, 0x4000001000ull, 0x8000000000ull, 0x7ffffffff000ull, 0xffffffbffffff000ull,
    0xffffffc000000000ull, 0xffffffc080000000ull, 0xffffffc080200000ull, 0xffffffc081000000ull,
    0xffffffc087fff000ull, 0xffffffd000000000ull, 0xffffffd000004000ull, 0xffffffd000007ff0ull,
    0xffffffff80000000ull, 0xffffffff80200000ull, 0xffffffff80201000ull, 0xffffffff80400000ull,
    0xfffffffffffff000ull, 0xffffffffffffffffull,
};

static u64 any_edge_address(struct fz* fz) {
  switch (fz_below(&fz->rng, 10)) {
    case 0: /* somewhere in the first 128 MiB of the direct map (this machine's RAM) */
      return 0xffffffc080000000ull + (fz_below(&fz->rng, 128u << 20) & ~7ull);
    case 1: /* somewhere in the kernel image */
      return 0xffffffff80200000ull + (fz_below(&fz->rng, 8u << 20) & ~7ull);
    case 2: /* this program's own code: mapped, readable, never writable */
      return (u64)(uintptr_t)&fz_edge_address + fz_below(&fz->rng, 4096);
    default: return PICK(fz, edge_addresses);
  }
}

/* An address for the kernel to write through, or to read a string from. The stack is at the top of the user
 * half: its last 64 bytes (the environment's strings) may be scribbled on, but not the live frames below, or
 * the fuzzer corrupts itself (a getcwd into 0x3ffffff000 once rewrote the master's call filter). */
u64 fz_edge_address(struct fz* fz) {
  u64 a = any_edge_address(fz);
  if (a >= FZ_USER_END - (1ull << 20) && a < FZ_USER_END - 64) a = FZ_USER_END - 64 + (a & 63);
  return a;
}

/* ---- memory the kernel reads or writes ---- */
static u64 g_scratch_next;

u64 fz_scratch(struct fz* fz, u64 size) {
  (void)fz;
  size = (size + 15) & ~15ull;
  if (size > FZ_SCRATCH_SIZE / 4) size = FZ_SCRATCH_SIZE / 4;
  if (g_scratch_next + size > FZ_SCRATCH_SIZE) g_scratch_next = 0;
  u64 p = FZ_SCRATCH + g_scratch_next;
  g_scratch_next += size;
  return p;
}

/* A pointer to `len` bytes of memory: mostly good read-write memory, often something the kernel must refuse. */
u64 fz_out_pointer(struct fz* fz, u64 len) {
  struct fz_rng* r = &fz->rng;
  u64 span = len < FZ_RW_SIZE ? FZ_RW_SIZE - len : 0;
  switch (fz_below(r, 20)) {
    case 0: return 0;
    case 1: return FZ_RO + fz_below(r, FZ_RO_SIZE);                 /* read-only */
    case 2: return FZ_NONE + fz_below(r, FZ_NONE_SIZE);             /* PROT_NONE */
    case 3: return FZ_EDGE + FZ_PAGE - fz_below(r, 64);             /* runs into a PROT_NONE page */
    case 4: return FZ_USER_END - 1 - fz_below(r, 64);                /* runs into the kernel half */
    case 5:
    case 6: return fz_edge_address(fz);
    case 7: return FZ_FREE + fz_below(r, FZ_ARENA_SIZE - (FZ_FREE - FZ_ARENA)); /* maybe mapped by now */
    case 8: return FZ_SHARED + fz_below(r, FZ_SHARED_SIZE);
    case 9: return FZ_FILEMAP + fz_below(r, 4 * FZ_PAGE);
    default: {
      u64 p = FZ_RW + fz_below(r, span + 1);
      return fz_chance(r, 70) ? (p & ~7ull) : p;                    /* aligned, mostly */
    }
  }
}

/* Fill a scratch structure and return it, or return a bad pointer instead (one time in eight). */
static u64 in_struct(struct fz* fz, const void* data, u64 size) {
  if (fz_below(&fz->rng, 8) == 0) return fz_out_pointer(fz, size);
  u64 p = fz_scratch(fz, size);
  memcpy((void*)(uintptr_t)p, data, size);
  return p;
}

static u64 random_bytes_struct(struct fz* fz, u64 size) {
  u64 words[32];
  if (size > sizeof words) size = sizeof words;
  for (unsigned i = 0; i < 32; i++) words[i] = fz_chance(&fz->rng, 50) ? fz_edge_value(fz) : fz_next(&fz->rng);
  return in_struct(fz, words, size);
}

/* ---- lengths ---- */
static u64 length(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  switch (fz_below(r, 10)) {
    case 0:
    case 1:
    case 2: return fz_below(r, 65);
    case 3:
    case 4: return fz_below(r, 4097);
    case 5: return FZ_PAGE * (1 + fz_below(r, 16));
    case 6: return fz_below(r, FZ_RW_SIZE + 1);
    default: return fz_edge_value(fz);
  }
}

/* ---- descriptors ---- */
void fz_note_fd(struct fz* fz, long fd) {
  if (fd < 0 || fd >= 1024 || fd == FZ_TRACE_FD) return;
  if (fz->is_thread) return; /* the worker's table is not ours to change */
  for (int i = 0; i < fz->nfds; i++)
    if (fz->fds[i] == fd) return;
  if (fz->nfds < FZ_MAX_FDS) {
    fz->fds[fz->nfds++] = (int)fd;
  } else {
    fz->fds[fz_below(&fz->rng, FZ_MAX_FDS)] = (int)fd;
  }
}

static u64 fd(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  u64 v;
  switch (fz_below(r, 20)) {
    case 0: v = fz_below(r, 3); break;
    case 1: v = fz->sandbox_fd; break;
    case 2: {
      static const i64 bad[] = {-1, -2, -100, -2147483648LL, 2147483647, 1023, 1024, 1025, 65536, 500};
      v = (u64)PICK(fz, bad);
      break;
    }
    case 3: v = fz_next(r); break;
    case 4: v = (fz_chance(r, 50) ? 0x100000000ull : 0xffffffff00000000ull) + (fz->nfds ? fz->fds[fz_below(r, fz->nfds)] : 3);
      break; /* high bits set: the kernel must look at the low 32 bits only */
    default: v = fz->nfds ? (u64)fz->fds[fz_below(r, fz->nfds)] : fz_below(r, 16);
  }
  if ((v & 0xffffffffull) == FZ_TRACE_FD) v = 3;
  return v;
}

u64 fz_sandbox_dirfd(struct fz* fz) {
  struct stat st;
  if (FZ_SYS2(SYS_fstat, fz->sandbox_fd, &st) == 0 && st.st_ino == fz->sandbox_ino && S_ISDIR(st.st_mode))
    return (u64)fz->sandbox_fd;
  return (u64)-1;
}

/* ---- paths ---- */
static const char* const look_paths[] = {
    "/", "/bin", "/bin/sh", "/bin/true", "/sbin/init", "/etc", "/etc/motd", "/etc/run.argv", "/tmp", "/dev",
    "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full", "/proc", "/proc/self",
    "/proc/self/maps", "/proc/self/exe", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/status",
    "/proc/self/stat", "/proc/self/cmdline", "/proc/self/cwd", "/proc/meminfo", "/proc/uptime", "/proc/cpuinfo",
    "/proc/mounts", "/proc/1/maps", "/proc/1/status", "/proc/99999/status", "/proc/kernel-stats", ".", "..", "",
    "////", "/./././", "/../../..", "/nonexistent", "/dev/null/x", "/etc/motd/", "/bin/../bin/./sh",
};
/* Names inside the sandbox (worker.c creates some of them at start). */
static const char* const sandbox_names[] = {
    "f0", "f1", "f2", "d0", "d0/f", "d0/d1", "d0/d1/f", "l0", "lloop", "ldir", "ldangling", "new", "d0/new",
    "prog", "d0/..", "f0/x", "missing/x", "d0/../f1", ".", "fifo",
};

static char* path_buffer(struct fz* fz, u64 size) { return (char*)(uintptr_t)fz_scratch(fz, size); }

/* A path of an odd shape: a name longer than NAME_MAX, a path longer than PATH_MAX, deep nesting, "/../..".
 * A safe one starts in the sandbox (a relative one would land wherever a fuzzed chdir left us). */
static const char* odd_path(struct fz* fz, int safe) {
  struct fz_rng* r = &fz->rng;
  static const unsigned sizes[] = {254, 255, 256, 257, 4094, 4095, 4096, 4097, 9000};
  unsigned n = PICK(fz, sizes);
  char* p = path_buffer(fz, n + 64);
  unsigned start = 0;
  if (safe) {
    char* q = fz_put_str(p, p + 40, fz->sandbox);
    *q++ = '/';
    start = (unsigned)(q - p);
  }
  switch (fz_below(r, 3)) {
    case 0: memset(p + start, 'a', n); break;                                 /* one long name */
    case 1:
      for (unsigned i = 0; i < n; i++) p[start + i] = (i % 2) ? '/' : 'a';   /* many short components */
      break;
    default: /* "../../.." climbs out: only where nothing is created (a symlink to it could lead a safe path
              * anywhere); in the sandbox, "././." */
      for (unsigned i = 0; i < n; i++) p[start + i] = safe ? ((i % 2) ? '/' : '.') : ((i % 3 == 2) ? '/' : '.');
  }
  p[start + n] = 0;
  return p;
}

const char* fz_path_string(struct fz* fz, int safe) {
  struct fz_rng* r = &fz->rng;
  unsigned roll = (unsigned)fz_below(r, 100);
  if (roll < 5) return odd_path(fz, safe);
  if (!safe && roll < 40) return PICK(fz, look_paths);
  const char* name = PICK(fz, sandbox_names);
  char* p = path_buffer(fz, 96);
  char* end = p + 95;
  char* q = fz_put_str(p, end, fz->sandbox);
  q = fz_put_str(q, end, "/");
  q = fz_put_str(q, end, name);
  *q = 0;
  return p;
}

/* A pointer the kernel cannot read a name from: for paths of calls that create names, where garbage read from
 * good memory could name a file outside the sandbox. */
static u64 unreadable_pointer(struct fz* fz) {
  switch (fz_below(&fz->rng, 4)) {
    case 0: return 0;
    case 1: return FZ_NONE + fz_below(&fz->rng, FZ_NONE_SIZE);
    default: {
      u64 a = fz_edge_address(fz);
      return a >= FZ_USER_END || a < 0x10000 ? a : 0;
    }
  }
}

static u64 path(struct fz* fz, int safe) {
  if (fz_below(&fz->rng, 12) == 0) { /* bad pointers, unterminated strings... */
    if (safe) return unreadable_pointer(fz);
    u64 p = fz_out_pointer(fz, 1);
    /* Not the strings at the top of the stack (argv, the environment): the run would depend on the command
     * line, and a replay with --trace would not replay. */
    if (p >= FZ_USER_END - FZ_PAGE && p < FZ_USER_END) p = FZ_EDGE + FZ_PAGE - 1 - (FZ_USER_END - 1 - p);
    return p;
  }
  return (u64)(uintptr_t)fz_path_string(fz, safe);
}

/* ---- flags ---- */
static u64 flag_mix(struct fz* fz, const u64* bits, unsigned n) {
  u64 v = 0;
  unsigned count = (unsigned)fz_below(&fz->rng, 4);
  for (unsigned i = 0; i < count; i++) v |= bits[fz_below(&fz->rng, n)];
  if (fz_below(&fz->rng, 16) == 0) v |= 1ull << fz_below(&fz->rng, 64); /* an unknown bit */
  if (fz_below(&fz->rng, 32) == 0) v = fz_next(&fz->rng);
  return v;
}
#define FLAGS(fz, array) flag_mix((fz), (array), sizeof(array) / sizeof((array)[0]))

static const u64 open_bits[] = {O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK,
                                O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, O_NOCTTY, O_SYNC, O_TMPFILE, 3};
static const u64 at_bits[] = {AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, AT_EACCESS,
                              AT_NO_AUTOMOUNT, 0};
static const u64 map_bits[] = {MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_POPULATE, MAP_NORESERVE,
                               MAP_GROWSDOWN, MAP_FIXED_NOREPLACE, MAP_STACK, MAP_SHARED_VALIDATE, MAP_HUGETLB,
                               MAP_LOCKED, 0x40 /* MAP_32BIT on x86 */};
static const u64 prot_bits[] = {PROT_READ, PROT_WRITE, PROT_EXEC, PROT_NONE, PROT_GROWSDOWN, PROT_GROWSUP};

/* ---- sizes of memory calls, in the arena mostly ---- */
static u64 mm_addr(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  switch (fz_below(r, 10)) {
    case 0: return any_edge_address(fz); /* the stack too: unmapping it kills the worker, as it should */
    case 1: return fz_edge_value(fz);
    case 2: return FZ_FREE + fz_below(r, FZ_ARENA_SIZE - (FZ_FREE - FZ_ARENA)); /* maybe not aligned */
    case 3: return FZ_ARENA + fz_below(r, 16) * FZ_PAGE * 64;                  /* the fixtures */
    default: return FZ_FREE + fz_below(r, (FZ_ARENA_SIZE - (FZ_FREE - FZ_ARENA)) / FZ_PAGE) * FZ_PAGE;
  }
}

static u64 mm_len(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  switch (fz_below(r, 10)) {
    case 0: return fz_edge_value(fz);
    case 1: return fz_below(r, 3 * FZ_PAGE);                         /* unaligned */
    case 2: return (1 + fz_below(r, 4096)) * FZ_PAGE;                 /* up to 16 MiB */
    case 3: return FZ_USER_END - (fz_below(r, 4) * FZ_PAGE);          /* almost all of the user half */
    default: return (1 + fz_below(r, 32)) * FZ_PAGE;
  }
}

/* ---- processes and signals ---- */
static u64 pid(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  i64 v;
  switch (fz_below(r, 10)) {
    case 0: v = 0; break;
    case 1:
    case 2: v = fz->pid; break;
    case 3:
    case 4: v = fz->nkids ? fz->kids[fz_below(r, fz->nkids)] : fz->pid; break;
    case 5: {
      static const i64 odd[] = {32767, 32768, 65536, 99999, 2147483647, -2147483648LL, -32768, -99999};
      v = PICK(fz, odd);
      break;
    }
    case 6: v = -(i64)fz->pid; break;
    case 7: v = (i64)fz_below(r, 400); break; /* some other process, maybe */
    default: v = fz->pid + 1 + (i64)fz_below(r, 8);
  }
  /* Never init (kill(1) powers the machine off today), the master, or everyone (-1). */
  if (v == 1 || v == -1 || v == fz->master_pid || v == -(i64)fz->master_pid) v = fz->pid;
  if (fz_chance(r, 3)) return (u64)v | 0xffffffff00000000ull * (v >= 0); /* high bits: an int is 32 bits */
  return (u64)v;
}

static u64 signal_number(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  static const u64 harmless[] = {0, SIGCHLD, SIGURG, SIGWINCH, SIGCONT}; /* ignored by default */
  static const u64 odd[] = {64, 65, 128, (u64)-1, 0x100000011ull /* SIGCHLD with high bits */};
  static const u64 fatal[] = {SIGSEGV, SIGTERM, SIGKILL, SIGABRT, SIGUSR1, SIGPIPE, SIGSTOP, SIGTSTP, SIGBUS,
                              SIGILL, SIGHUP, SIGALRM};
  switch (fz_below(r, 40)) {
    case 0: return PICK(fz, fatal);
    case 1: return 1 + fz_below(r, 64);
    case 2 ... 5: return PICK(fz, odd);
    default: return PICK(fz, harmless);
  }
}

void fz_on_signal(int sig, siginfo_t* info, void* context);

static u64 sigaction_pointer(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  static const u64 sa_bits[] = {SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_NOCLDSTOP,
                                SA_NOCLDWAIT, 0x04000000 /* SA_RESTORER */};
  u64 act[3];
  switch (fz_below(r, 8)) {
    case 0: act[0] = 1; break; /* SIG_IGN */
    case 1: act[0] = fz_edge_address(fz); break;
    case 2:
    case 3: act[0] = 0; break; /* SIG_DFL */
    default: act[0] = (u64)(uintptr_t)&fz_on_signal;
  }
  act[1] = FLAGS(fz, sa_bits);
  act[2] = fz_chance(r, 50) ? 0 : fz_next(r);
  return in_struct(fz, act, sizeof act);
}

/* Mostly zero or invalid: a sleep of even a nanosecond waits for the next timer tick, which adds up. */
static u64 timespec_pointer(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  i64 ts[2];
  switch (fz_below(r, 1000)) {
    case 0: ts[0] = 0x7fffffffffffffffLL; ts[1] = 999999999; break; /* for ever: the watchdog kills */
    case 1 ... 2: ts[0] = 0; ts[1] = 300000000; break;             /* 0.3 s */
    case 3 ... 99: ts[0] = 0; ts[1] = 1000000000; break;           /* EINVAL */
    case 100 ... 149: ts[0] = -1; ts[1] = 0; break;
    case 150 ... 199: ts[0] = 0; ts[1] = -1; break;
    case 200 ... 299: ts[0] = -(i64)fz_edge_value(fz) | (i64)1 << 63; ts[1] = (i64)fz_edge_value(fz); break;
    case 300 ... 899: ts[0] = 0; ts[1] = 0; break;
    default: ts[0] = 0; ts[1] = (i64)fz_below(r, 200000); /* up to 0.2 ms */
  }
  return in_struct(fz, ts, sizeof ts);
}

static u64 rlimit_pointer(struct fz* fz) {
  struct fz_rng* r = &fz->rng;
  u64 lim[2];
  switch (fz_below(r, 6)) {
    case 0: lim[0] = 2; lim[1] = 1; break; /* cur > max: EINVAL */
    case 1: lim[0] = fz_below(r, 64); lim[1] = RLIM_INFINITY; break; /* tight */
    case 2: lim[0] = fz_edge_value(fz); lim[1] = fz_edge_value(fz); break;
    default: lim[0] = lim[1] = RLIM_INFINITY;
  }
  return in_struct(fz, lim, sizeof lim);
}

static u64 iovec_pointer(struct fz* fz) {
  u64 iov[16];
  for (unsigned i = 0; i < 16; i += 2) {
    iov[i + 1] = fz_chance(&fz->rng, 80) ? fz_below(&fz->rng, 8192) : length(fz);
    iov[i] = fz_out_pointer(fz, iov[i + 1]);
  }
  return in_struct(fz, iov, sizeof iov);
}

u64 fz_arg(struct fz* fz, enum fz_arg kind) {
  struct fz_rng* r = &fz->rng;
  switch (kind) {
    case A_0: return fz_below(r, 32) == 0 ? fz_edge_value(fz) : 0;
    case A_RAW:
      switch (fz_below(r, 10)) {
        case 0 ... 3: return fz_edge_value(fz);
        case 4 ... 6: return fz_edge_address(fz);
        default: return fz_out_pointer(fz, 64);
      }
    case A_FD: return fd(fz);
    case A_DIRFD: return fz_chance(r, 60) ? (u64)(i64)AT_FDCWD : fd(fz);
    case A_SAFE_DIRFD: {
      static const i64 bad[] = {-1, 1024, 2147483647, 0x100000000LL - 100 /* AT_FDCWD, high bits clear */};
      unsigned roll = (unsigned)fz_below(r, 10);
      if (roll < 7) return (u64)(i64)AT_FDCWD;
      if (roll < 9) return fz_sandbox_dirfd(fz);
      return (u64)PICK(fz, bad);
    }
    case A_PATH: return path(fz, 0);
    case A_SAFE_PATH: return path(fz, 1);
    case A_BUF_IN:
    case A_BUF_OUT: return fz_out_pointer(fz, 64);
    case A_LEN: return length(fz);
    case A_OFF:
      switch (fz_below(r, 6)) {
        case 0: return fz_edge_value(fz);
        case 1: return fz_below(r, 1u << 30);
        default: return fz_below(r, 3 * FZ_PAGE);
      }
    case A_IOV: return iovec_pointer(fz);
    case A_IOVCNT: {
      static const u64 counts[] = {0, 1, 2, 3, 8, 1024, 1025, 0x80000000ull, 0xffffffffull, 0x100000001ull};
      return fz_chance(r, 70) ? fz_below(r, 9) : PICK(fz, counts);
    }
    case A_OPEN_FLAGS: return FLAGS(fz, open_bits);
    case A_MODE: return fz_chance(r, 80) ? fz_below(r, 010000) : fz_edge_value(fz);
    case A_ADDR: return mm_addr(fz);
    case A_MMLEN: return mm_len(fz);
    case A_PROT: return FLAGS(fz, prot_bits);
    case A_MAP_FLAGS: return FLAGS(fz, map_bits);
    case A_MADV: {
      static const u64 advice[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED,
                                   MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
                                   MADV_KEEPONFORK, 24 /* DONTNEED_LOCKED */, MADV_HUGEPAGE,
                                   MADV_COLD, MADV_PAGEOUT, 100, (u64)-1};
      return PICK(fz, advice);
    }
    case A_PID: return pid(fz);
    case A_SIG: return signal_number(fz);
    case A_SIGSET: {
      u64 set = fz_chance(r, 50) ? fz_next(r) : (1ull << fz_below(r, 64));
      set &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1))); /* the kernel ignores them anyway */
      return in_struct(fz, &set, sizeof set);
    }
    case A_SIGSETSIZE: return fz_chance(r, 85) ? 8 : fz_edge_value(fz);
    case A_SIGACTION: return fz_chance(r, 15) ? 0 : sigaction_pointer(fz);
    case A_HOW: return fz_chance(r, 85) ? fz_below(r, 3) : fz_edge_value(fz);
    case A_TIMESPEC: return timespec_pointer(fz);
    case A_CLOCK: {
      static const u64 clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                   CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                                   CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, 12, 100,
                                   (u64)-1, (u64)-6 /* a CPU clock id of pid 0 */};
      return PICK(fz, clocks);
    }
    case A_TIMER_FLAGS: return fz_chance(r, 80) ? fz_below(r, 2) : fz_edge_value(fz);
    case A_WHENCE: return fz_chance(r, 85) ? fz_below(r, 5) : fz_edge_value(fz);
    case A_FCNTL_CMD: {
      static const u64 cmds[] = {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
                                 F_DUPFD_CLOEXEC, F_SETOWN, F_GETOWN, F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS,
                                 F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, 100, (u64)-1};
      return PICK(fz, cmds);
    }
    case A_FLOCK_OP: {
      static const u64 ops[] = {LOCK_SH, LOCK_EX, LOCK_UN, LOCK_SH | LOCK_NB, LOCK_EX | LOCK_NB, LOCK_UN | LOCK_NB,
                                32 /* LOCK_MAND */, 0, 3, (u64)-1};
      return PICK(fz, ops);
    }
    case A_IOCTL_CMD: {
      static const u64 cmds[] = {0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x5414, 0x540f, 0x5410, 0x540e,
                                 0x5422, 0x541b, 0x5421, 0x5451, 0x5450, 0x540b, 0x5411, 0x540a, 0x5429,
                                 0x80045430 /* TIOCGPTN */, 0x8008ae9a, 0, (u64)-1};
      return fz_chance(r, 90) ? PICK(fz, cmds) : fz_next(r);
    }
    case A_AT_FLAGS: return FLAGS(fz, at_bits);
    case A_WAIT_OPTS: {
      static const u64 opts[] = {WNOHANG, WNOHANG | WUNTRACED, WNOHANG | WCONTINUED, WNOHANG | __WALL,
                                 WNOHANG | 0x1000000 /* WNOWAIT */, 0x80000000ull | WNOHANG, 0};
      u64 v = PICK(fz, opts);
      /* Blocking waits only for children that exist (an orphan's waits must not stall the worker). */
      if (v == 0 && (fz->nkids == 0 || fz_chance(r, 50))) v = WNOHANG;
      return v;
    }
    case A_RLIM_RES: return fz_chance(r, 85) ? fz_below(r, 16) : fz_edge_value(fz);
    case A_RLIMIT: return fz_chance(r, 30) ? 0 : rlimit_pointer(fz);
    case A_PRCTL_OPT: {
      static const u64 opts[] = {1, 2, 3, 4, 15, 16, 36, 37, 38, 39, 22, 23, 0x59616d61, 0, 1000, (u64)-1};
      return PICK(fz, opts);
    }
    case A_GRND_FLAGS: return fz_chance(r, 80) ? fz_below(r, 8) : fz_edge_value(fz);
    case A_RENAME_FLAGS: return fz_chance(r, 70) ? 0 : fz_below(r, 8);
    case A_CPUSET_LEN: {
      static const u64 lens[] = {8, 8, 8, 16, 128, 4, 0, 7, 1024, 0x100000};
      return PICK(fz, lens);
    }
    case A_REBOOT_MAGIC: {
      /* reboot needs LINUX_REBOOT_MAGIC1 (0xfee1dead) and one of four MAGIC2 values: arguments are only
       * ever one of them plus garbage, so the machine is never really turned off. */
      static const u64 magic[] = {0xfee1dead, 0, 0x28121969, 1, 0xdeadbeef};
      return PICK(fz, magic);
    }
    case A_FUTEX_OP: {
      static const u64 ops[] = {FUTEX_WAKE, FUTEX_WAKE_PRIVATE, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                                FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_REQUEUE, FUTEX_LOCK_PI, FUTEX_UNLOCK_PI,
                                FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 13, 100, (u64)-1};
      return PICK(fz, ops);
    }
    case A_CLONE_FLAGS: return FLAGS(fz, ((const u64[]){SIGCHLD, CLONE_VM, CLONE_FS, CLONE_FILES}));
    case A_COUNT: break;
  }
  return 0;
}

/* For calls whose arguments are made by hand (calls.c). */
u64 fz_random_struct(struct fz* fz, u64 size) { return random_bytes_struct(fz, size); }
