/* The call table: every system call the kernel's table names (kernel/syscall.cpp), implemented or not, with
 * the kind of each argument; and the calls that need code of their own (processes, exec, memory maps with
 * a file, signal returns). tests/fuzz/fuzz.py checks that no call of the kernel's table is missing here.
 *
 * Adding a call: one line in fz_calls. If it can block for ever, make that rare (the master's watchdog kills
 * a stalled worker, but a stall wastes a second of the CI budget); if it changes something outside the worker
 * (files outside the sandbox, other processes), use the SAFE_ argument kinds.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fuzz.h"

u64 fz_random_struct(struct fz* fz, u64 size);

/* ---- calls with code of their own ---- */

/* openat: write access only inside the sandbox (or to /dev/null-like files), so that the fuzzer never
 * truncates /bin/sh or the running init. */
static long call_openat(struct fz* fz, u64 a[FZ_ARGS]) {
  int safe = fz_chance(&fz->rng, 50);
  a[0] = fz_arg(fz, safe ? A_SAFE_DIRFD : A_DIRFD);
  a[1] = fz_arg(fz, safe ? A_SAFE_PATH : A_PATH);
  a[2] = fz_arg(fz, A_OPEN_FLAGS);
  a[3] = fz_arg(fz, A_MODE);
  if (!safe) a[2] &= ~(u64)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_TMPFILE | O_APPEND);
  if (!safe && fz_chance(&fz->rng, 10)) a[1] = (u64)(uintptr_t)"/dev/null", a[2] |= O_RDWR;
  fz_trace(fz, a);
  long r = fz_syscall(SYS_openat, a[0], a[1], a[2], a[3], a[4], a[5]);
  fz_note_fd(fz, r);
  return r;
}

/* pipe2: the two descriptors land in memory the kernel writes; non-blocking mostly, so that a read of an
 * empty pipe does not stall the worker. */
static long call_pipe2(struct fz* fz, u64 a[FZ_ARGS]) {
  int good = fz_chance(&fz->rng, 85);
  a[0] = good ? fz_scratch(fz, 8) : fz_out_pointer(fz, 8);
  a[1] = fz_chance(&fz->rng, 95) ? (O_NONBLOCK | (fz_chance(&fz->rng, 50) ? O_CLOEXEC : 0)) : fz_arg(fz, A_OPEN_FLAGS);
  fz_trace(fz, a);
  long r = fz_syscall(SYS_pipe2, a[0], a[1], 0, 0, 0, 0);
  if (r == 0 && good) {
    const int* fds = (const int*)(uintptr_t)a[0];
    fz_note_fd(fz, fds[0]);
    fz_note_fd(fz, fds[1]);
  }
  return r;
}

/* mmap: anonymous or of one of our descriptors, at a hint, fixed in the arena, or anywhere. */
static long call_mmap(struct fz* fz, u64 a[FZ_ARGS]) {
  struct fz_rng* r = &fz->rng;
  a[0] = fz_arg(fz, A_ADDR);
  a[1] = fz_arg(fz, A_MMLEN);
  a[2] = fz_arg(fz, A_PROT);
  a[3] = fz_arg(fz, A_MAP_FLAGS);
  if (fz_chance(r, 70)) a[3] = (a[3] & ~(u64)(MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE)) |
                               (fz_chance(r, 80) ? MAP_PRIVATE : MAP_SHARED);
  if (fz_chance(r, 60)) a[3] |= MAP_ANONYMOUS;
  /* MAP_FIXED outside the arena would unmap the fuzzer itself: rarely. */
  if ((a[3] & MAP_FIXED) && fz_chance(r, 95) && (a[0] < FZ_FREE || a[0] >= FZ_ARENA + FZ_ARENA_SIZE))
    a[0] = FZ_FREE + fz_below(r, (FZ_ARENA_SIZE - (FZ_FREE - FZ_ARENA)) / FZ_PAGE) * FZ_PAGE;
  /* Populating more than a few MiB takes long (and all of memory, for the huge lengths): rarely. */
  if ((a[3] & MAP_POPULATE) && a[1] > (4ull << 20) && fz_chance(r, 98)) a[3] &= ~(u64)MAP_POPULATE;
  a[4] = (a[3] & MAP_ANONYMOUS) && fz_chance(r, 80) ? (u64)-1 : fz_arg(fz, A_FD);
  a[5] = fz_chance(r, 80) ? fz_below(r, 4) * FZ_PAGE : fz_arg(fz, A_OFF);
  fz_trace(fz, a);
  return fz_syscall(SYS_mmap, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* mremap: mostly the flag combinations Linux accepts (and sometimes random bits), moving into the arena's free
 * part (a fixed target elsewhere would replace the fuzzer itself: rarely). */
static long call_mremap(struct fz* fz, u64 a[FZ_ARGS]) {
  struct fz_rng* r = &fz->rng;
  static const u64 flags[] = {0, 1 /* MAYMOVE */, 1 | 2 /* FIXED */, 1 | 4 /* DONTUNMAP */, 1 | 2 | 4};
  a[0] = fz_arg(fz, A_ADDR);
  a[1] = fz_arg(fz, A_MMLEN);
  a[2] = fz_chance(r, 30) ? a[1] : fz_arg(fz, A_MMLEN);
  a[3] = fz_chance(r, 90) ? flags[fz_below(r, 5)] : fz_arg(fz, A_RAW);
  a[4] = fz_arg(fz, A_ADDR);
  if ((a[3] & 2) && fz_chance(r, 95) && (a[4] < FZ_FREE || a[4] >= FZ_ARENA + FZ_ARENA_SIZE))
    a[4] = FZ_FREE + fz_below(r, (FZ_ARENA_SIZE - (FZ_FREE - FZ_ARENA)) / FZ_PAGE) * FZ_PAGE;
  fz_trace(fz, a);
  return fz_syscall(SYS_mremap, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* madvise: any advice anywhere, except that advice which discards or hides data (DONTNEED, DONTNEED_LOCKED,
 * FREE, REMOVE, DONTFORK, WIPEONFORK) stays in the arena: as on Linux, the mapped parts of a range take the advice
 * even when the range has holes, so a length of "most of the user half" would zero the fuzzer's sentinels (or,
 * for DONTFORK, take them from every later worker) and look like corruption by the kernel. */
static long call_madvise(struct fz* fz, u64 a[FZ_ARGS]) {
  a[0] = fz_arg(fz, A_ADDR);
  a[1] = fz_arg(fz, A_MMLEN);
  a[2] = fz_arg(fz, A_MADV);
  switch (a[2]) {
    case MADV_DONTNEED:
    case 24: /* MADV_DONTNEED_LOCKED */
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_WIPEONFORK:
      if (a[0] < FZ_ARENA || a[0] >= FZ_ARENA + FZ_ARENA_SIZE)
        a[0] = FZ_FREE + fz_below(&fz->rng, (FZ_ARENA_SIZE - (FZ_FREE - FZ_ARENA)) / FZ_PAGE) * FZ_PAGE;
      if (a[1] > FZ_ARENA + FZ_ARENA_SIZE - a[0]) a[1] = FZ_ARENA + FZ_ARENA_SIZE - a[0];
      break;
  }
  fz_trace(fz, a);
  return fz_syscall(SYS_madvise, a[0], a[1], a[2], 0, 0, 0);
}

/* clone: a forked child (or, once the kernel has them, a thread) fuzzes a little and exits. */
static long call_clone(struct fz* fz, u64 a[FZ_ARGS]) {
  struct fz_rng* r = &fz->rng;
  static const u64 extra[] = {CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK,
                              CLONE_PARENT, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_SETTID,
                              CLONE_CHILD_CLEARTID, CLONE_SYSVSEM, CLONE_NEWNS, CLONE_PIDFD, CLONE_IO,
                              CLONE_UNTRACED, CLONE_NEWUSER, CLONE_DETACHED};
  u64 flags = fz_chance(r, 80) ? SIGCHLD : fz_below(r, 70);
  for (unsigned n = (unsigned)fz_below(r, 4); n > 0; n--) flags |= extra[fz_below(r, sizeof extra / sizeof extra[0])];
  if (fz_chance(r, 30)) flags |= CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
  u64 stack;
  switch (fz_below(r, 8)) {
    case 0: stack = 0; break;
    case 1: stack = fz_edge_address(fz); break;
    case 2: stack = FZ_RO + FZ_RO_SIZE; break;
    default: stack = FZ_STACKS + (1 + fz_below(r, FZ_STACK_COUNT)) * FZ_STACK_SIZE - 16 * fz_below(r, 2);
  }
  a[0] = flags;
  a[1] = stack;
  a[2] = fz_out_pointer(fz, 4);
  a[3] = fz_chance(r, 50) ? 0 : fz_arg(fz, A_RAW);
  a[4] = fz_out_pointer(fz, 4);
  fz_trace(fz, a);
  return fz_spawn_child(fz, a[0], a[1], a[2], a[3], a[4]);
}

/* clone3: the same with a struct clone_args; a child returns here on the worker's stack (fork semantics), so
 * no CLONE_VM and no stack of its own unless the call is bound to fail. */
static long call_clone3(struct fz* fz, u64 a[FZ_ARGS]) {
  struct fz_rng* r = &fz->rng;
  u64 args[11] = {0};
  args[0] = fz_chance(r, 70) ? 0 : (fz_arg(fz, A_CLONE_FLAGS) & ~(u64)(CLONE_VM | CLONE_VFORK | CLONE_THREAD));
  args[4] = fz_chance(r, 80) ? SIGCHLD : fz_below(r, 70);
  args[1] = fz_chance(r, 80) ? 0 : fz_out_pointer(fz, 4); /* pidfd */
  args[2] = fz_out_pointer(fz, 4);                          /* child_tid */
  args[3] = fz_out_pointer(fz, 4);                          /* parent_tid */
  u64 size = fz_chance(r, 70) ? 88 : fz_arg(fz, A_LEN);
  if (fz_chance(r, 30)) args[5] = fz_edge_address(fz), args[6] = fz_arg(fz, A_LEN), size = 8; /* stack: EINVAL */
  int forkable = fz->depth < 2 && fz->nkids < FZ_MAX_KIDS && !fz->is_thread;
  if (!forkable) args[4] = 0, size = 7;  /* too small a struct: fails */
  a[0] = fz_scratch(fz, sizeof args);
  memcpy((void*)(uintptr_t)a[0], args, sizeof args);
  a[1] = size;
  fz_trace(fz, a);
  long ret = FZ_SYS2(SYS_clone3, a[0], a[1]);
  if (ret == 0) fz_child_main(fz); /* the child: never returns */
  if (ret > 0 && fz->nkids < FZ_MAX_KIDS) fz->kids[fz->nkids++] = (int)ret;
  return ret;
}

/* execve of a broken program, a directory, a missing file...: the arguments. */
static void execve_args(struct fz* fz, u64 a[FZ_ARGS]) {
  struct fz_rng* r = &fz->rng;
  static char* const other_paths[] = {"/bin/true", "/bin/false", "/etc/motd", "/dev/null", "/", "/tmp",
                                      "/nonexistent", ""};
  switch (fz_below(r, 10)) {
    case 0 ... 5: {
      char* p = (char*)(uintptr_t)fz_scratch(fz, 64);
      char* q = fz_put_str(p, p + 60, fz->sandbox);
      q = fz_put_str(q, p + 60, "/prog");
      *q = 0;
      (void)fz_write_bad_program(fz, p);
      a[0] = (u64)(uintptr_t)p;
      break;
    }
    case 6: a[0] = fz_out_pointer(fz, 1); break;
    case 7: a[0] = (u64)(uintptr_t)fz_path_string(fz, 1); break;
    default: a[0] = (u64)(uintptr_t)other_paths[fz_below(r, sizeof other_paths / sizeof other_paths[0])];
  }
  /* argv and envp: a short good vector, NULL, a bad pointer, bad elements, or a huge string (E2BIG). */
  for (int v = 1; v <= 2; v++) {
    switch (fz_below(r, 8)) {
      case 0: a[v] = 0; break;
      case 1: a[v] = fz_out_pointer(fz, 8); break;
      case 2: {
        u64* vec = (u64*)(uintptr_t)fz_scratch(fz, 8 * 8);
        for (int i = 0; i < 7; i++) vec[i] = fz_out_pointer(fz, 1);
        vec[7] = 0;
        a[v] = (u64)(uintptr_t)vec;
        break;
      }
      case 3: {
        u64 size = fz_chance(r, 50) ? 140000 : 40000; /* over MAX_ARG_STRLEN (128 KiB), or under */
        char* big = (char*)(uintptr_t)fz_scratch(fz, size + 1);
        u64 room = FZ_SCRATCH + FZ_SCRATCH_SIZE - (u64)(uintptr_t)big;
        if (size > room - 1) size = room - 1;
        memset(big, 'x', size);
        big[size] = 0;
        u64* vec = (u64*)(uintptr_t)fz_scratch(fz, 16);
        vec[0] = (u64)(uintptr_t)big;
        vec[1] = 0;
        a[v] = (u64)(uintptr_t)vec;
        break;
      }
      default: {
        u64* vec = (u64*)(uintptr_t)fz_scratch(fz, 16);
        vec[0] = (u64)(uintptr_t) "prog";
        vec[1] = 0;
        a[v] = (u64)(uintptr_t)vec;
      }
    }
  }
}

/* The child that execs: it has a copy of the arguments (and of the scratch area they point into). */
static u64 g_exec_args[3];
static void exec_child(void* arg) {
  (void)arg;
  FZ_SYS3(SYS_execve, g_exec_args[0], g_exec_args[1], g_exec_args[2]);
  FZ_SYS1(SYS_exit_group, 127);
}

/* Mostly from a forked child, so that the worker goes on; sometimes the worker itself. */
static long call_execve(struct fz* fz, u64 a[FZ_ARGS]) {
  execve_args(fz, a);
  int forkable = fz->depth < 2 && fz->nkids < FZ_MAX_KIDS && !fz->is_thread;
  if (forkable && fz_chance(&fz->rng, 95)) {
    memcpy(g_exec_args, a, sizeof g_exec_args);
    fz_trace(fz, a);
    long pid = fz_raw_clone(SIGCHLD, 0, 0, 0, 0, exec_child, NULL);
    if (pid > 0) fz->kids[fz->nkids++] = (int)pid;
    return pid;
  }
  fz_trace(fz, a);
  return FZ_SYS3(SYS_execve, a[0], a[1], a[2]);
}

static int in_table(u64 nr) {
  for (unsigned i = 0; i < fz_call_count; i++)
    if (fz_calls[i].nr >= 0 && (u64)fz_calls[i].nr == nr) return 1;
  return 0;
}

/* A call the kernel does not have: the table's gaps, numbers past its end, a number with high bits. A number the
 * table has is skipped: the kernel grows (33 was mknodat's number all along, and once the kernel had it, raw
 * arguments made files anywhere: "/fuzz" from the tail of the exec strings, which init's leak check then found). */
static long call_nosys(struct fz* fz, u64 a[FZ_ARGS]) {
  static const u64 numbers[] = {38, 200, 244, 300, 450, 511, 512, 1000, 0x100000040ull, (u64)-1};
  u64 nr;
  do nr = numbers[fz_below(&fz->rng, sizeof numbers / sizeof numbers[0])];
  while (in_table(nr));
  for (int i = 0; i < FZ_ARGS; i++) a[i] = fz_arg(fz, A_RAW);
  fz_trace(fz, a);
  return fz_syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* rt_sigreturn with the stack pointer at garbage or at a plausible frame with garbage in it. */
static long call_rt_sigreturn(struct fz* fz, u64 a[FZ_ARGS]) {
  u64 frame;
  if (fz_chance(&fz->rng, 30)) {
    frame = fz_edge_address(fz);
  } else {
    frame = fz_scratch(fz, 2048); /* zeros and leftovers: a frame of sorts */
    if (fz_chance(&fz->rng, 50)) memcpy((void*)(uintptr_t)frame, (void*)(uintptr_t)fz_random_struct(fz, 256), 256);
    /* Whatever else the frame holds, its pc (after the 128-byte siginfo, at the mcontext 176 bytes into the
     * ucontext) faults: a pc from leftovers, a stale return address, would run the fuzzer's own code with
     * garbage registers, and that code can kill the master (it did: kill(-1), then kill(master)). */
    if (fz_chance(&fz->rng, 90)) *(volatile u64*)(uintptr_t)(frame + 128 + 176) = 0x4141414141000ull;
  }
  a[0] = frame;
  fz_trace(fz, a);
  return fz_raw_sigreturn(frame);
}

/* sigaltstack: a stack_t of any kind. */
static long call_sigaltstack(struct fz* fz, u64 a[FZ_ARGS]) {
  u64 ss[3];
  ss[0] = fz_out_pointer(fz, 8192);
  ss[1] = fz_chance(&fz->rng, 70) ? fz_below(&fz->rng, 3) : fz_edge_value(fz); /* SS_ONSTACK, SS_DISABLE */
  ss[2] = fz_chance(&fz->rng, 70) ? 8192 + fz_below(&fz->rng, 65536) : fz_edge_value(fz);
  if (fz_chance(&fz->rng, 10)) {
    a[0] = fz_out_pointer(fz, 24);
  } else {
    a[0] = fz_scratch(fz, sizeof ss);
    memcpy((void*)(uintptr_t)a[0], ss, sizeof ss);
  }
  if (fz_chance(&fz->rng, 20)) a[0] = 0;
  a[1] = fz_chance(&fz->rng, 50) ? 0 : fz_out_pointer(fz, 24);
  fz_trace(fz, a);
  return FZ_SYS2(SYS_sigaltstack, a[0], a[1]);
}

/* exit and exit_group: mostly from a forked child (the exit path with every kind of status), sometimes this
 * process itself (it ends the worker, so rarely). */
static void exit_child(void* arg) {
  const u64* a = arg;
  FZ_SYS1(a[1] ? SYS_exit : SYS_exit_group, a[0]);
}

static long call_exit(struct fz* fz, u64 a[FZ_ARGS]) {
  a[0] = fz_arg(fz, A_RAW);
  a[1] = fz->current->nr == SYS_exit; /* exit ends the thread, exit_group the process */
  fz_trace(fz, a);
  int forkable = fz->depth < 2 && fz->nkids < FZ_MAX_KIDS && !fz->is_thread;
  if (forkable && fz_chance(&fz->rng, 80)) {
    long pid = fz_raw_clone(SIGCHLD, 0, 0, 0, 0, exit_child, a);
    if (pid > 0) fz->kids[fz->nkids++] = (int)pid;
    return pid;
  }
  fz_trace_result(fz, 0);
  return FZ_SYS1(a[1] ? SYS_exit : SYS_exit_group, a[0]);
}

/* mount and umount2: only on names in the sandbox (a mount point elsewhere, or a read-only remount of /tmp,
 * would change the machine for everyone); file system types, flags and options of every kind. */
static u64 mount_point(struct fz* fz) {
  static const char* const names[] = {"d0", "d0/d1", "f0", "ldir", "l0", "missing", "", "d0/d1/f"};
  if (fz_chance(&fz->rng, 5)) return fz_chance(&fz->rng, 50) ? 0 : 0xffffffc080000000ull;
  char* p = (char*)(uintptr_t)fz_scratch(fz, 64);
  char* q = fz_put_str(p, p + 60, fz->sandbox);
  q = fz_put_str(q, p + 60, "/");
  q = fz_put_str(q, p + 60, names[fz_below(&fz->rng, sizeof names / sizeof names[0])]);
  *q = 0;
  return (u64)(uintptr_t)p;
}

static long call_mount(struct fz* fz, u64 a[FZ_ARGS]) {
  struct fz_rng* r = &fz->rng;
  static const char* const types[] = {"tmpfs", "tmpfs", "ramfs", "proc", "ext2", "sysfs", "", "devtmpfs",
                                      "tmpfsxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
  static const char* const options[] = {"size=1M", "size=0", "size=99999999999999999999", "mode=0777",
                                        "nr_inodes=2", "size=1M,mode=17777,uid=0", "garbage=1", "", "size=4k"};
  static const u64 flag_bits[] = {1 /* RDONLY */, 2, 4, 8, 16, 32 /* REMOUNT */, 64, 128, 1024, 4096 /* BIND */,
                                  8192 /* MOVE */, 16384, 32768, 1u << 18, 1u << 20, 1u << 24, 0xc0ed0000u};
  a[0] = fz_chance(r, 80) ? (u64)(uintptr_t) "none" : mount_point(fz);
  a[1] = mount_point(fz);
  a[2] = fz_chance(r, 90) ? (u64)(uintptr_t)types[fz_below(r, sizeof types / sizeof types[0])] : fz_out_pointer(fz, 1);
  a[3] = 0;
  for (unsigned n = (unsigned)fz_below(r, 3); n > 0; n--) a[3] |= flag_bits[fz_below(r, sizeof flag_bits / sizeof flag_bits[0])];
  a[4] = fz_chance(r, 80) ? (u64)(uintptr_t)options[fz_below(r, sizeof options / sizeof options[0])] : fz_out_pointer(fz, 1);
  fz_trace(fz, a);
  return fz_syscall(SYS_mount, a[0], a[1], a[2], a[3], a[4], 0);
}

static long call_umount2(struct fz* fz, u64 a[FZ_ARGS]) {
  a[0] = mount_point(fz);
  a[1] = fz_chance(&fz->rng, 60) ? fz_below(&fz->rng, 16) : fz_edge_value(fz); /* FORCE, DETACH, EXPIRE, NOFOLLOW */
  fz_trace(fz, a);
  return FZ_SYS2(SYS_umount2, a[0], a[1]);
}

/* ---- the table ---- */
#define CALL(nr, name, w, a0, a1, a2, a3, a4, a5, flags) \
  {nr, name, w, {a0, a1, a2, a3, a4, a5}, flags, NULL}
#define SPECIAL(nr, name, w, fn, flags) {nr, name, w, {0}, flags, fn}
/* The argument kinds of a special call are for the trace only (it prints path strings). */
#define SPECIAL_ARGS(nr, name, w, fn, a0, a1, flags) {nr, name, w, {a0, a1}, flags, fn}

const struct fz_call fz_calls[] = {
    CALL(17, "getcwd", 4, A_BUF_OUT, A_LEN, A_0, A_0, A_0, A_0, 0),
    CALL(23, "dup", 6, A_FD, A_0, A_0, A_0, A_0, A_0, FZ_RET_FD),
    CALL(24, "dup3", 6, A_FD, A_FD, A_OPEN_FLAGS, A_0, A_0, A_0, FZ_RET_FD),
    CALL(25, "fcntl", 8, A_FD, A_FCNTL_CMD, A_RAW, A_0, A_0, A_0, FZ_RET_FD),
    CALL(29, "ioctl", 8, A_FD, A_IOCTL_CMD, A_RAW, A_0, A_0, A_0, 0),
    CALL(32, "flock", 4, A_FD, A_FLOCK_OP, A_0, A_0, A_0, A_0, 0),
    CALL(33, "mknodat", 2, A_SAFE_DIRFD, A_SAFE_PATH, A_MODE, A_RAW, A_0, A_0, 0),
    CALL(34, "mkdirat", 4, A_SAFE_DIRFD, A_SAFE_PATH, A_MODE, A_0, A_0, A_0, 0),
    CALL(35, "unlinkat", 4, A_SAFE_DIRFD, A_SAFE_PATH, A_AT_FLAGS, A_0, A_0, A_0, 0),
    CALL(36, "symlinkat", 3, A_SAFE_PATH, A_SAFE_DIRFD, A_SAFE_PATH, A_0, A_0, A_0, 0),
    CALL(37, "linkat", 3, A_SAFE_DIRFD, A_SAFE_PATH, A_SAFE_DIRFD, A_SAFE_PATH, A_AT_FLAGS, A_0, 0),
    CALL(45, "truncate", 2, A_SAFE_PATH, A_OFF, A_0, A_0, A_0, A_0, 0),
    CALL(46, "ftruncate", 4, A_FD, A_OFF, A_0, A_0, A_0, A_0, 0),
    CALL(47, "fallocate", 3, A_FD, A_RAW, A_OFF, A_LEN, A_0, A_0, 0),
    CALL(48, "faccessat", 3, A_DIRFD, A_PATH, A_MODE, A_AT_FLAGS, A_0, A_0, 0),
    CALL(49, "chdir", 2, A_PATH, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(50, "fchdir", 2, A_FD, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(52, "fchmod", 1, A_FD, A_MODE, A_0, A_0, A_0, A_0, 0),
    CALL(53, "fchmodat", 2, A_SAFE_DIRFD, A_SAFE_PATH, A_MODE, A_AT_FLAGS, A_0, A_0, 0),
    CALL(54, "fchownat", 1, A_SAFE_DIRFD, A_SAFE_PATH, A_RAW, A_RAW, A_AT_FLAGS, A_0, 0),
    CALL(55, "fchown", 1, A_FD, A_RAW, A_RAW, A_0, A_0, A_0, 0),
    SPECIAL_ARGS(56, "openat", 14, call_openat, A_DIRFD, A_PATH, 0),
    CALL(57, "close", 8, A_FD, A_0, A_0, A_0, A_0, A_0, FZ_NOT_IN_THREAD),
    SPECIAL(59, "pipe2", 4, call_pipe2, 0),
    CALL(61, "getdents64", 5, A_FD, A_BUF_OUT, A_LEN, A_0, A_0, A_0, 0),
    CALL(62, "lseek", 5, A_FD, A_OFF, A_WHENCE, A_0, A_0, A_0, 0),
    CALL(63, "read", 12, A_FD, A_BUF_OUT, A_LEN, A_0, A_0, A_0, 0),
    CALL(64, "write", 12, A_FD, A_BUF_IN, A_LEN, A_0, A_0, A_0, 0),
    CALL(65, "readv", 5, A_FD, A_IOV, A_IOVCNT, A_0, A_0, A_0, 0),
    CALL(66, "writev", 5, A_FD, A_IOV, A_IOVCNT, A_0, A_0, A_0, 0),
    CALL(67, "pread64", 5, A_FD, A_BUF_OUT, A_LEN, A_OFF, A_0, A_0, 0),
    CALL(68, "pwrite64", 5, A_FD, A_BUF_IN, A_LEN, A_OFF, A_0, A_0, 0),
    CALL(71, "sendfile", 3, A_FD, A_FD, A_BUF_OUT, A_LEN, A_0, A_0, 0),
    CALL(72, "pselect6", 2, A_LEN, A_BUF_OUT, A_BUF_OUT, A_BUF_OUT, A_TIMESPEC, A_BUF_IN, 0),
    CALL(73, "ppoll", 2, A_BUF_IN, A_LEN, A_TIMESPEC, A_SIGSET, A_SIGSETSIZE, A_0, 0),
    CALL(78, "readlinkat", 4, A_DIRFD, A_PATH, A_BUF_OUT, A_LEN, A_0, A_0, 0),
    CALL(79, "newfstatat", 6, A_DIRFD, A_PATH, A_BUF_OUT, A_AT_FLAGS, A_0, A_0, 0),
    CALL(80, "fstat", 5, A_FD, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(81, "sync", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(82, "fsync", 1, A_FD, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(83, "fdatasync", 1, A_FD, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(267, "syncfs", 1, A_FD, A_0, A_0, A_0, A_0, A_0, 0),
    SPECIAL(40, "mount", 2, call_mount, 0),
    SPECIAL(39, "umount2", 2, call_umount2, 0),
    CALL(43, "statfs", 2, A_PATH, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(44, "fstatfs", 2, A_FD, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    SPECIAL(93, "exit", 1, call_exit, 0),
    SPECIAL(94, "exit_group", 1, call_exit, 0),
    CALL(96, "set_tid_address", 3, A_BUF_OUT, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(98, "futex", 4, A_BUF_OUT, A_FUTEX_OP, A_RAW, A_TIMESPEC, A_BUF_OUT, A_RAW, 0),
    CALL(99, "set_robust_list", 2, A_BUF_IN, A_LEN, A_0, A_0, A_0, A_0, 0),
    CALL(100, "get_robust_list", 1, A_PID, A_BUF_OUT, A_BUF_OUT, A_0, A_0, A_0, 0),
    /* Timer ids are small integers handed out per process: A_FD's mix (small, negative, huge) fits them. */
    CALL(107, "timer_create", 2, A_CLOCK, A_BUF_IN, A_BUF_OUT, A_0, A_0, A_0, 0),
    CALL(108, "timer_gettime", 1, A_FD, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(109, "timer_getoverrun", 1, A_FD, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(110, "timer_settime", 2, A_FD, A_TIMER_FLAGS, A_TIMESPEC, A_BUF_OUT, A_0, A_0, 0),
    CALL(111, "timer_delete", 1, A_FD, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(88, "utimensat", 2, A_SAFE_DIRFD, A_SAFE_PATH, A_BUF_IN, A_AT_FLAGS, A_0, A_0, 0),
    CALL(101, "nanosleep", 2, A_TIMESPEC, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(102, "getitimer", 1, A_RAW, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(103, "setitimer", 1, A_RAW, A_TIMESPEC, A_BUF_OUT, A_0, A_0, A_0, 0),
    CALL(113, "clock_gettime", 4, A_CLOCK, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(114, "clock_getres", 2, A_CLOCK, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(115, "clock_nanosleep", 2, A_CLOCK, A_TIMER_FLAGS, A_TIMESPEC, A_BUF_OUT, A_0, A_0, 0),
    CALL(122, "sched_setaffinity", 2, A_PID, A_CPUSET_LEN, A_BUF_IN, A_0, A_0, A_0, 0),
    CALL(123, "sched_getaffinity", 2, A_PID, A_CPUSET_LEN, A_BUF_OUT, A_0, A_0, A_0, 0),
    CALL(124, "sched_yield", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(118, "sched_setparam", 1, A_PID, A_BUF_IN, A_0, A_0, A_0, A_0, 0),
    CALL(119, "sched_setscheduler", 1, A_PID, A_RAW, A_BUF_IN, A_0, A_0, A_0, 0),
    CALL(120, "sched_getscheduler", 1, A_PID, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(121, "sched_getparam", 1, A_PID, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(125, "sched_get_priority_max", 1, A_RAW, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(126, "sched_get_priority_min", 1, A_RAW, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(127, "sched_rr_get_interval", 1, A_PID, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(283, "membarrier", 2, A_RAW, A_RAW, A_RAW, A_0, A_0, A_0, 0),
    CALL(97, "unshare", 1, A_RAW, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(140, "setpriority", 1, A_RAW, A_PID, A_RAW, A_0, A_0, A_0, 0),
    CALL(141, "getpriority", 1, A_RAW, A_PID, A_0, A_0, A_0, A_0, 0),
    CALL(30, "ioprio_set", 1, A_RAW, A_PID, A_RAW, A_0, A_0, A_0, 0),
    CALL(31, "ioprio_get", 1, A_RAW, A_PID, A_0, A_0, A_0, A_0, 0),
    CALL(116, "syslog", 1, A_RAW, A_BUF_OUT, A_LEN, A_0, A_0, A_0, 0),
    CALL(158, "getgroups", 1, A_LEN, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(159, "setgroups", 1, A_LEN, A_BUF_IN, A_0, A_0, A_0, A_0, 0),
    CALL(128, "restart_syscall", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(129, "kill", 4, A_PID, A_SIG, A_0, A_0, A_0, A_0, 0),
    CALL(130, "tkill", 2, A_PID, A_SIG, A_0, A_0, A_0, A_0, 0),
    CALL(131, "tgkill", 2, A_PID, A_PID, A_SIG, A_0, A_0, A_0, 0),
    SPECIAL(132, "sigaltstack", 2, call_sigaltstack, 0),
    CALL(134, "rt_sigaction", 6, A_SIG, A_SIGACTION, A_BUF_OUT, A_SIGSETSIZE, A_0, A_0, 0),
    CALL(135, "rt_sigprocmask", 5, A_HOW, A_SIGSET, A_BUF_OUT, A_SIGSETSIZE, A_0, A_0, 0),
    CALL(133, "rt_sigsuspend", 1, A_SIGSET, A_SIGSETSIZE, A_0, A_0, A_0, A_0, 0),
    CALL(136, "rt_sigpending", 1, A_BUF_OUT, A_SIGSETSIZE, A_0, A_0, A_0, A_0, 0),
    CALL(137, "rt_sigtimedwait", 1, A_SIGSET, A_BUF_OUT, A_TIMESPEC, A_SIGSETSIZE, A_0, A_0, 0),
    CALL(138, "rt_sigqueueinfo", 1, A_PID, A_SIG, A_BUF_IN, A_0, A_0, A_0, 0),
    SPECIAL(139, "rt_sigreturn", 1, call_rt_sigreturn, 0),
    CALL(142, "reboot", 1, A_REBOOT_MAGIC, A_REBOOT_MAGIC, A_RAW, A_BUF_IN, A_0, A_0, 0),
    CALL(153, "times", 2, A_BUF_OUT, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(154, "setpgid", 2, A_PID, A_PID, A_0, A_0, A_0, A_0, 0),
    CALL(155, "getpgid", 2, A_PID, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(156, "getsid", 2, A_PID, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(157, "setsid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(160, "uname", 2, A_BUF_OUT, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(165, "getrusage", 2, A_RAW, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(166, "umask", 1, A_MODE, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(167, "prctl", 3, A_PRCTL_OPT, A_RAW, A_RAW, A_RAW, A_RAW, A_0, 0),
    CALL(168, "getcpu", 2, A_BUF_OUT, A_BUF_OUT, A_RAW, A_0, A_0, A_0, 0),
    CALL(169, "gettimeofday", 2, A_BUF_OUT, A_BUF_OUT, A_0, A_0, A_0, A_0, 0),
    CALL(172, "getpid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(173, "getppid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(174, "getuid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(175, "geteuid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(176, "getgid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(177, "getegid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(178, "gettid", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(179, "sysinfo", 2, A_BUF_OUT, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(214, "brk", 4, A_ADDR, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(215, "munmap", 6, A_ADDR, A_MMLEN, A_0, A_0, A_0, A_0, 0),
    SPECIAL(216, "mremap", 4, call_mremap, 0),
    /* swapon/swapoff: paths of the fuzzer's own files (not block devices: EINVAL), or nothing on swap. */
    CALL(224, "swapon", 1, A_SAFE_PATH, A_RAW, A_0, A_0, A_0, A_0, 0),
    CALL(225, "swapoff", 1, A_SAFE_PATH, A_0, A_0, A_0, A_0, A_0, 0),
    SPECIAL(220, "clone", 4, call_clone, FZ_NOT_IN_THREAD),
    SPECIAL_ARGS(221, "execve", 2, call_execve, A_PATH, A_0, 0),
    SPECIAL(222, "mmap", 12, call_mmap, 0),
    CALL(226, "mprotect", 8, A_ADDR, A_MMLEN, A_PROT, A_0, A_0, A_0, 0),
    CALL(227, "msync", 2, A_ADDR, A_MMLEN, A_RAW, A_0, A_0, A_0, 0),
    CALL(228, "mlock", 1, A_ADDR, A_MMLEN, A_0, A_0, A_0, A_0, 0),
    CALL(229, "munlock", 1, A_ADDR, A_MMLEN, A_0, A_0, A_0, A_0, 0),
    CALL(230, "mlockall", 1, A_RAW, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(231, "munlockall", 1, A_0, A_0, A_0, A_0, A_0, A_0, 0),
    CALL(232, "mincore", 2, A_ADDR, A_MMLEN, A_BUF_OUT, A_0, A_0, A_0, 0),
    CALL(284, "mlock2", 1, A_ADDR, A_MMLEN, A_RAW, A_0, A_0, A_0, 0),
    SPECIAL(233, "madvise", 4, call_madvise, 0),
    CALL(240, "rt_tgsigqueueinfo", 1, A_PID, A_PID, A_SIG, A_BUF_IN, A_0, A_0, 0),
    CALL(259, "riscv_flush_icache", 2, A_ADDR, A_ADDR, A_RAW, A_0, A_0, A_0, 0),
    CALL(260, "wait4", 4, A_PID, A_BUF_OUT, A_WAIT_OPTS, A_BUF_OUT, A_0, A_0, 0),
    CALL(261, "prlimit64", 3, A_PID, A_RLIM_RES, A_RLIMIT, A_BUF_OUT, A_0, A_0, 0),
    CALL(276, "renameat2", 4, A_SAFE_DIRFD, A_SAFE_PATH, A_SAFE_DIRFD, A_SAFE_PATH, A_RENAME_FLAGS, A_0, 0),
    CALL(278, "getrandom", 2, A_BUF_OUT, A_LEN, A_GRND_FLAGS, A_0, A_0, A_0, 0),
    CALL(285, "copy_file_range", 3, A_FD, A_BUF_OUT, A_FD, A_BUF_OUT, A_LEN, A_0, 0),
    CALL(291, "statx", 2, A_DIRFD, A_PATH, A_AT_FLAGS, A_RAW, A_BUF_OUT, A_0, 0),
    CALL(293, "rseq", 1, A_BUF_IN, A_LEN, A_RAW, A_RAW, A_0, A_0, 0),
    CALL(279, "memfd_create", 2, A_PATH, A_RAW, A_0, A_0, A_0, A_0, FZ_RET_FD),
    CALL(424, "pidfd_send_signal", 1, A_FD, A_SIG, A_BUF_IN, A_RAW, A_0, A_0, 0),
    CALL(434, "pidfd_open", 1, A_PID, A_RAW, A_0, A_0, A_0, A_0, FZ_RET_FD),
    SPECIAL(435, "clone3", 2, call_clone3, FZ_NOT_IN_THREAD),
    CALL(437, "openat2", 3, A_SAFE_DIRFD, A_SAFE_PATH, A_BUF_IN, A_LEN, A_0, A_0, FZ_RET_FD),
    CALL(439, "faccessat2", 2, A_DIRFD, A_PATH, A_MODE, A_AT_FLAGS, A_0, A_0, 0),
    SPECIAL(-1, "nosys", 1, call_nosys, 0),
};
const unsigned fz_call_count = sizeof fz_calls / sizeof fz_calls[0];
_Static_assert(sizeof fz_calls / sizeof fz_calls[0] <= FZ_MAX_CALLS, "fz_shared's profile is too small");

const struct fz_call* fz_call_by_name(const char* name) {
  for (unsigned i = 0; i < fz_call_count; i++)
    if (strcmp(fz_calls[i].name, name) == 0) return &fz_calls[i];
  return NULL;
}

const struct fz_call* fz_pick_call(struct fz* fz) {
  static unsigned total;
  if (!total)
    for (unsigned i = 0; i < fz_call_count; i++) total += fz_calls[i].weight;
  for (;;) {
    u64 roll = fz_below(&fz->rng, total);
    const struct fz_call* c = fz_calls;
    while (roll >= c->weight) roll -= c->weight, c++;
    if (fz->enabled && !fz->enabled[c - fz_calls]) continue;
    if (fz->is_thread && (c->flags & FZ_NOT_IN_THREAD)) continue;
    return c;
  }
}
