/* fuzz: the kernel's own system-call fuzzer (see main.c for how it runs, tests/fuzz/fuzz.py for the driver).
 *
 * The pieces:
 *   main.c    the master: options, starting workers, the watchdog, the summary
 *   worker.c  one worker: its memory fixtures and sandbox, the call loop, tracing, forked children and threads
 *   args.c    typed argument generators, biased to edge values
 *   calls.c   the call table (data: one line per system call) and the calls that need code of their own
 *   elf.c     corrupt programs for execve
 *   raw.S     clone and rt_sigreturn without the C library in the way
 *
 * Workers use no C library function that touches thread-local state (errno, stdio, locale): a fuzzed clone
 * may give them a garbage thread pointer, and a fuzzed signal mask or rlimit must not confuse glibc. System
 * calls go through fz_syscall, which returns -errno.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stddef.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int64_t i64;

/* ---- raw system calls ---- */
static inline long fz_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r2 __asm__("a2") = a2;
  register long r3 __asm__("a3") = a3;
  register long r4 __asm__("a4") = a4;
  register long r5 __asm__("a5") = a5;
  register long r7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7) : "memory");
  return r0;
}
#define FZ_SYS0(n) fz_syscall((n), 0, 0, 0, 0, 0, 0)
#define FZ_SYS1(n, a) fz_syscall((n), (long)(a), 0, 0, 0, 0, 0)
#define FZ_SYS2(n, a, b) fz_syscall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define FZ_SYS3(n, a, b, c) fz_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define FZ_SYS4(n, a, b, c, d) fz_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* raw.S: clone(flags, stack, parent_tid, tls, child_tid); the child calls fn(arg) (which must not return),
 * or exits at once when fn is NULL. Returns what clone returned in the parent. */
long fz_raw_clone(u64 flags, u64 stack, u64 parent_tid, u64 tls, u64 child_tid, void (*fn)(void*), void* arg);
/* raw.S: rt_sigreturn with sp set to `frame` (the kernel reads the signal frame there). Returns only if the
 * call fails (its -errno); otherwise execution continues wherever the frame says. */
long fz_raw_sigreturn(u64 frame);

/* ---- the address-space plan of a worker ----
 * The arena is where memory calls (mmap, munmap, mprotect, brk targets, madvise) mostly land, so that they
 * rarely destroy the fuzzer itself; fixtures inside it give pointers of every kind. The scratch area, outside
 * the arena, holds the strings and structures handed to the kernel. */
#define FZ_PAGE 4096UL
#define FZ_ARENA 0x1000000000UL      /* 64 GiB */
#define FZ_ARENA_SIZE (64UL << 20)
#define FZ_RW (FZ_ARENA)             /* 1 MiB read-write, random bytes */
#define FZ_RW_SIZE (1UL << 20)
#define FZ_RO (FZ_ARENA + (2UL << 20)) /* 64 KiB read-only */
#define FZ_RO_SIZE (64UL << 10)
#define FZ_NONE (FZ_ARENA + (3UL << 20)) /* 16 KiB PROT_NONE */
#define FZ_NONE_SIZE (16UL << 10)
#define FZ_EDGE (FZ_ARENA + (4UL << 20)) /* one read-write page followed by a PROT_NONE one */
#define FZ_SHARED (FZ_ARENA + (5UL << 20)) /* 64 KiB MAP_SHARED anonymous */
#define FZ_SHARED_SIZE (64UL << 10)
#define FZ_FILEMAP (FZ_ARENA + (6UL << 20)) /* 16 KiB MAP_SHARED view of a sandbox file */
#define FZ_STACKS (FZ_ARENA + (8UL << 20)) /* stacks for clone children and threads: 8 x 64 KiB */
#define FZ_STACK_SIZE (64UL << 10)
#define FZ_STACK_COUNT 8
#define FZ_FREE (FZ_ARENA + (16UL << 20)) /* the rest: left for mmap to fill */
#define FZ_SCRATCH 0x2000000000UL   /* 128 GiB: argument structures (not in the arena) */
#define FZ_SCRATCH_SIZE (256UL << 10)
#define FZ_USER_END 0x4000000000UL  /* Sv39: the end of the user half */
/* Sentinels: memory no fuzzed call is given, filled with a pattern and checked now and then. A change is the
 * kernel writing where it must not (a wild write, a frame freed twice or reused while still mapped). The
 * master's is inherited copy-on-write by every worker; each worker also fills one of its own (fresh frames). */
#define FZ_SENTINEL 0x3000000000UL  /* 192 GiB */
#define FZ_SENTINEL_SIZE (128UL << 10)
#define FZ_SENTINEL_OWN (FZ_SENTINEL + (1UL << 20))

/* ---- deterministic randomness (xoshiro256**, seeded by splitmix64) ---- */
struct fz_rng {
  u64 s[4];
};
void fz_seed(struct fz_rng* r, u64 seed);
u64 fz_next(struct fz_rng* r);
static inline u64 fz_below(struct fz_rng* r, u64 n) { return n ? fz_next(r) % n : 0; }
static inline int fz_chance(struct fz_rng* r, unsigned percent) { return fz_below(r, 100) < percent; }
u64 fz_mix(u64 a, u64 b); /* a seed for stream b of seed a */

/* ---- the state of one fuzzing process (a worker, a forked child or a thread) ---- */
#define FZ_MAX_FDS 48
#define FZ_MAX_KIDS 8
#define FZ_TRACE_FD 999 /* a private copy of the console's stderr, for --trace; never a generated fd */

/* Shared by the master and every fuzzing process (a MAP_SHARED page made before the first fork). Workers may
 * scribble on it through a fuzzed call: the master treats what it reads as numbers, never as pointers. */
#define FZ_SLOTS 16
struct fz_slot {
  volatile u64 calls;  /* calls made by the worker and its children; the watchdog looks for progress */
  volatile u64 nr;     /* the call in progress (its number), for the hang report */
};
#define FZ_MAX_CALLS 192
struct fz_profile {
  volatile u64 calls, ticks, max_ticks; /* time from the call's start to its return (rdtime ticks) */
};
struct fz_shared {
  volatile u64 total_calls;  /* every fuzzing process's calls */
  struct fz_profile profile[FZ_MAX_CALLS]; /* by index in fz_calls */
  volatile u64 corrupt_address, corrupt_expected, corrupt_found, corrupt_worker, corrupt_calls; /* a sentinel */
  struct fz_slot slot[FZ_SLOTS];
};
extern struct fz_shared* fz_shared;

struct fz {
  struct fz_rng rng;
  u64 seed;             /* this process's stream */
  unsigned worker;      /* worker index within the run */
  unsigned depth;       /* 0 worker, 1 its child or thread, 2 ... */
  int is_thread;        /* shares the worker's memory: must not touch the worker's tables */
  u64 budget, done;     /* calls to make, calls made */
  int pid, master_pid;
  int trace;
  int fds[FZ_MAX_FDS];  /* descriptors this process opened (may since have been closed by a fuzzed call) */
  int nfds;
  int kids[FZ_MAX_KIDS];
  int nkids;
  int sandbox_fd;       /* the sandbox directory, opened at start (a fuzzed close may reuse the number) */
  u64 sandbox_ino;
  char sandbox[32];     /* "/tmp/fz<worker pid>" */
  struct fz_slot* slot;
  const unsigned* enabled; /* the call filter, or NULL: every call */
  const struct fz_call* current; /* the call being made (for tracing) */
};

/* ---- argument kinds (args.c); the call table (calls.c) names one per argument ---- */
enum fz_arg {
  A_0,          /* zero (unused argument); sometimes garbage: the kernel must ignore it */
  A_RAW,        /* any 64-bit value, biased to edges */
  A_FD,         /* a descriptor: ours, standard, closed, negative, huge, with high bits set */
  A_DIRFD,      /* AT_FDCWD mostly, else A_FD */
  A_SAFE_DIRFD, /* for calls that create or remove names: AT_FDCWD, the sandbox or a bad fd */
  A_PATH,       /* a path anywhere (for calls that only look) */
  A_SAFE_PATH,  /* a path in the sandbox (for calls that change the file system), or a bad one */
  A_BUF_IN,     /* memory the kernel reads */
  A_BUF_OUT,    /* memory the kernel writes */
  A_LEN,        /* a length, biased to edges */
  A_OFF,        /* a file offset */
  A_IOV,        /* an iovec array */
  A_IOVCNT,     /* its count */
  A_OPEN_FLAGS, /* O_* */
  A_MODE,       /* permission bits */
  A_ADDR,       /* an address for memory calls: mostly in the arena */
  A_MMLEN,      /* a length for memory calls */
  A_PROT,       /* PROT_* */
  A_MAP_FLAGS,  /* MAP_* */
  A_MADV,       /* MADV_* */
  A_PID,        /* a pid: ours, our children, nonexistent, odd; never init or the master */
  A_SIG,        /* a signal number, biased to harmless ones */
  A_SIGSET,     /* a pointer to a sigset (or a bad pointer) */
  A_SIGSETSIZE, /* 8 mostly */
  A_SIGACTION,  /* a pointer to a struct sigaction (or a bad pointer) */
  A_HOW,        /* SIG_BLOCK... */
  A_TIMESPEC,   /* a pointer to a timespec: short, zero, negative, huge (or a bad pointer) */
  A_CLOCK,      /* a clock id */
  A_TIMER_FLAGS,/* TIMER_ABSTIME or not */
  A_WHENCE,     /* SEEK_* */
  A_FCNTL_CMD,  /* F_* */
  A_FLOCK_OP,   /* flock(2)'s LOCK_* */
  A_IOCTL_CMD,  /* terminal and file ioctls */
  A_AT_FLAGS,   /* AT_* */
  A_WAIT_OPTS,  /* WNOHANG mostly */
  A_RLIM_RES,   /* RLIMIT_* */
  A_RLIMIT,     /* a pointer to a struct rlimit (new limits are kept loose) */
  A_PRCTL_OPT,  /* PR_* */
  A_GRND_FLAGS, /* getrandom flags */
  A_RENAME_FLAGS,
  A_CPUSET_LEN, /* sched_{get,set}affinity lengths */
  A_REBOOT_MAGIC, /* never the real magic pair */
  A_FUTEX_OP,
  A_CLONE_FLAGS,
  A_COUNT
};
u64 fz_arg(struct fz* fz, enum fz_arg kind);
/* A pointer into memory the kernel may write (fixtures, or bad); `len` is how much is wanted. */
u64 fz_out_pointer(struct fz* fz, u64 len);
/* Builders in the scratch area. */
u64 fz_scratch(struct fz* fz, u64 size); /* size bytes of scratch, 16-byte aligned; wraps around */
const char* fz_path_string(struct fz* fz, int safe);
void fz_note_fd(struct fz* fz, long fd);
/* The sandbox's descriptor if it still is the sandbox, else a bad one: names relative to it stay inside. */
u64 fz_sandbox_dirfd(struct fz* fz);
u64 fz_edge_value(struct fz* fz);
u64 fz_edge_address(struct fz* fz);

/* ---- the call table (calls.c) ---- */
#define FZ_ARGS 6
struct fz_call {
  int nr;
  const char* name;
  unsigned weight;     /* relative frequency */
  unsigned char arg[FZ_ARGS];
  unsigned flags;
  long (*special)(struct fz* fz, u64 a[FZ_ARGS]); /* calls that need more than six generated arguments */
};
#define FZ_RET_FD 1u      /* the result is a new descriptor */
#define FZ_NOT_IN_THREAD 2u /* would disturb the worker's own tables: not from a CLONE_VM child */
extern const struct fz_call fz_calls[];
extern const unsigned fz_call_count;
const struct fz_call* fz_pick_call(struct fz* fz);
const struct fz_call* fz_call_by_name(const char* name);

/* ---- corrupt programs (elf.c) ---- */
/* Write a broken program (ELF or #! script) to path; returns 0 or -errno. */
long fz_write_bad_program(struct fz* fz, const char* path);

/* ---- sentinels (worker.c) ---- */
void fz_sentinel_fill(u64 base, u64 size);
/* 0 if intact; otherwise the address of the first changed word (also recorded in fz_shared). */
u64 fz_sentinel_check(struct fz* fz, u64 base, u64 size);

/* ---- the worker (worker.c) ---- */
int fz_pressure_start(unsigned mib);           /* pressure.c: the pressure process's pid */
void fz_swap_counts(u64* out, u64* in);        /* pressure.c: pswpout, pswpin */
void fz_worker_main(struct fz* fz);            /* runs fz->budget calls, then exits */
void fz_child_main(void* fz_copy);             /* a forked child or thread: fuzz a little, then exit */
void fz_run_calls(struct fz* fz);
long fz_spawn_child(struct fz* fz, u64 flags, u64 stack, u64 ptid, u64 tls, u64 ctid);
/* Special calls trace their arguments themselves, just before the system call. */
void fz_trace(struct fz* fz, const u64 a[FZ_ARGS]);
void fz_trace_result(struct fz* fz, long r);

static inline u64 fz_rdtime(void) {
  u64 t;
  __asm__ volatile("rdtime %0" : "=r"(t));
  return t;
}

/* ---- tiny formatting without stdio ---- */
char* fz_put_str(char* p, char* end, const char* s);
char* fz_put_dec(char* p, char* end, i64 v);
char* fz_put_hex(char* p, char* end, u64 v);
void fz_write_all(int fd, const char* s, size_t n);
void fz_say(int fd, const char* s);

#endif
