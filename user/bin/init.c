/* init: the first user program (/sbin/init, PID 1), started by the kernel.
 *
 * Runner mode (when /etc/run.argv exists; tools/run puts it there):
 *   /etc/run.argv holds a NUL-separated argv, e.g. "/bin/hello\0world\0". init runs that program, reaps it and
 *   every orphan that was reparented to init, removes what it left in /tmp (files, directories, mounts), then
 *   checks that everything the
 *   program's processes held came back (the leak check, below). After a leak init reports it and exits 125;
 *   otherwise it exits with the program's status (128+N if a signal N killed it). When init exits, the kernel
 *   powers the machine off with init's exit status.
 *
 * The leak check compares the kernel's counters (/proc/kernel-stats) after the run with those before it:
 * frames of every use that nothing outlives a process with (page tables, anonymous memory, VM metadata,
 * file-object pages that no file holds, general kernel frames), kernel stacks of threads, and the kernel
 * heap's live allocations. Caches (empty slabs, freed stacks kept mapped, the files of the file system, the
 * block caches of mounted disks, frames_buffer_cache; the page cache of disk files, frames_page_cache; the swap
 * cache's own pages, frames_swap_cache) may differ. Before counting, init calls sync(): the dirty file pages a
 * program left go to the disk, and the cache objects of files nothing maps any more are let go (with their
 * inodes). Swap slots that processes name (swap_slots_named) must come back too: init locks its own memory
 * (mlockall), so that none of its pages is on swap and every named slot after the run is a leak. The kernel's
 * code and read-only data must be as they were (kernel_image_hash): a program that
 * managed to store there through a kernel bug is caught here. A leak must persist for a second: a thread that has just exited may still be freeing its stack.
 *
 * Interactive mode (otherwise):
 *   print /etc/motd, then run /bin/sh again and again: when a shell exits, start a new one. Each shell leads a
 *   session of its own whose controlling terminal is the console (as getty arranges for a login shell), so
 *   that it has job control: ^C, ^Z, fg and bg.
 *
 * fds 0, 1 and 2 are already the console when the kernel starts init.
 */
#define _GNU_SOURCE /* getdents64 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RUN_ARGV_PATH
#define RUN_ARGV_PATH "/etc/run.argv" /* overridable (-DRUN_ARGV_PATH=...) to try init outside the kernel */
#endif
#define MAX_ARGS 64

static char* const environment[] = {"PATH=/bin:/sbin", "HOME=/", NULL};

/* Write a message to stderr without stdio (no buffers allocated behind our back). */
static void say(int fd, const char* msg) {
  size_t len = strlen(msg);
  while (len > 0) {
    ssize_t n = write(fd, msg, len);
    if (n <= 0) return;
    msg += n;
    len -= (size_t)n;
  }
}

/* A wait status as one number: the exit status, or 128+N for death by signal N. */
static int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/* ---- the leak check ---- */
#define MAX_COUNTERS 64
struct counters {
  int count;
  char name[MAX_COUNTERS][32];
  unsigned long long value[MAX_COUNTERS];
};

static void read_counters(struct counters* c) {
  c->count = 0;
  int fd = open("/proc/kernel-stats", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  for (char* line = strtok(buf, "\n"); line && c->count < MAX_COUNTERS; line = strtok(NULL, "\n")) {
    char* space = strchr(line, ' ');
    if (!space || space - line >= 32) continue;
    *space = '\0';
    strcpy(c->name[c->count], line);
    c->value[c->count++] = strtoull(space + 1, NULL, 10);
  }
}

static unsigned long long counter(const struct counters* c, const char* name) {
  for (int i = 0; i < c->count; i++)
    if (!strcmp(c->name[i], name)) return c->value[i];
  return 0;
}

/* What must come back when every process of the program is gone. Frames that are caches are left out: the
 * heap's slabs (its allocations are checked instead), kernel stacks (live stacks are), file pages (those no
 * file holds are). Appends a description of each leak to report; returns how many there are. */
static int find_leaks(const struct counters* before, const struct counters* after, char* report, size_t size) {
  static const char* const must_return[] = {"frames_kernel", "frames_page_table", "frames_anonymous",
                                            "frames_vm_metadata", "kernel_stacks", "heap_allocations",
                                            "heap_bytes", "processes", "swap_slots_named"};
  int leaks = 0;
  size_t used = strlen(report);
  /* The heap's objects by size class, to tell what a heap leak is made of. */
  for (int i = 0; i < after->count; i++) {
    if (strncmp(after->name[i], "heap_objects_", 13)) continue;
    unsigned long long b = counter(before, after->name[i]), a = after->value[i];
    if (a > b) used += (size_t)snprintf(report + used, used < size ? size - used : 0, " (%s %llu -> %llu)", after->name[i], b, a);
  }
  for (size_t i = 0; i < sizeof must_return / sizeof must_return[0]; i++) {
    unsigned long long b = counter(before, must_return[i]), a = counter(after, must_return[i]);
    if (a <= b) continue;
    leaks++;
    used += (size_t)snprintf(report + used, used < size ? size - used : 0, " %s %llu -> %llu;", must_return[i], b, a);
  }
  if (counter(after, "kernel_image_hash") != counter(before, "kernel_image_hash")) {
    leaks++;
    used += (size_t)snprintf(report + used, used < size ? size - used : 0,
                             " THE KERNEL'S CODE OR READ-ONLY DATA CHANGED (kernel_image_hash);");
  }
  long long unowned_before = (long long)counter(before, "frames_file") - (long long)counter(before, "ramfs_pages");
  long long unowned_after = (long long)counter(after, "frames_file") - (long long)counter(after, "ramfs_pages");
  if (unowned_after > unowned_before) {
    leaks++;
    snprintf(report + used, used < size ? size - used : 0, " file pages no file holds %lld -> %lld;",
             unowned_before, unowned_after);
  }
  return leaks;
}

/* Remove a directory's contents (what the program left in /tmp), depth first; `path` names the directory.
 * File systems mounted below it are detached first. */
static void remove_contents(int dirfd, const char* path, int depth) {
  char buf[1024];
  for (int pass = 0; pass < 16; pass++) {
    int removed = 0;
    long n;
    lseek(dirfd, 0, SEEK_SET);
    while ((n = getdents64(dirfd, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        struct dirent64* d = (struct dirent64*)(buf + off);
        off += d->d_reclen;
        if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) continue;
        if (unlinkat(dirfd, d->d_name, 0) == 0) {
          removed++;
          continue;
        }
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", path, d->d_name);
        for (int mounts = 0; mounts < 16 && umount2(sub, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; mounts++) {
        }
        int fd = depth < 16 ? openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (fd >= 0) {
          remove_contents(fd, sub, depth + 1);
          close(fd);
        }
        if (unlinkat(dirfd, d->d_name, AT_REMOVEDIR) == 0) removed++;
      }
    }
    if (!removed) return;
  }
}

static void clean_tmp(void) {
  int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  remove_contents(fd, "/tmp", 0);
  close(fd);
}

/* Read all of a file into a malloc'ed, NUL-terminated buffer; *size gets its length. NULL if it can't. */
static char* read_file(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 256, len = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = '\0';
  *size = len;
  return buf;
}

static int give_terminal; /* interactive mode: the program gets a session with the console as its terminal */

/* Start argv[0] (argv NULL: a child that just exits, to warm up). Returns the child's pid, or -1. */
static pid_t start(char* const argv[]) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (argv == NULL) _exit(0);
  if (give_terminal && setsid() >= 0) ioctl(0, TIOCSCTTY, 1); /* 1: take it from the last shell's session */
  execve(argv[0], argv, environment);
  say(2, "init: cannot execute ");
  say(2, argv[0]);
  say(2, ": ");
  say(2, strerror(errno));
  say(2, "\n");
  _exit(127);
}

/* Reap children (orphans are ours too) until `main_pid` has exited, and then, if `all`, until none is left.
 * Returns the wait status of `main_pid`. */
static int reap(pid_t main_pid, int all) {
  int main_status = 0, main_done = 0;
  while (all || !main_done) {
    int status;
    pid_t pid = wait4(-1, &status, 0, NULL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: nobody left */
    }
    if (pid == main_pid) {
      main_status = status;
      main_done = 1;
    }
  }
  return main_status;
}

/* Start a program and wait for it (and, if `all`, for every other child too). Runner mode uses it for the
 * warm-up too, so that the same code, stack and heap pages are touched before the baseline is taken. */
static int run_once(char* const argv[], int all) {
  pid_t pid = start(argv);
  if (pid < 0) {
    say(2, "init: fork failed\n");
    return 127 << 8; /* as if the program had exited 127 */
  }
  return reap(pid, all);
}

static void touch_stack(void) {
  volatile char page[16384];
  for (size_t i = 0; i < sizeof page; i += 512) page[i] = 0;
}

static int runner_mode(char* file, size_t size) {
  char* argv[MAX_ARGS + 1];
  int argc = 0;
  for (size_t i = 0; i < size && argc < MAX_ARGS; i += strlen(file + i) + 1) argv[argc++] = file + i;
  argv[argc] = NULL;
  if (argc == 0) {
    say(2, "init: " RUN_ARGV_PATH " is empty\n");
    return 127;
  }

  /* Warm-up: fork once, touch the stack and read the counters, so that init's own page tables, stack and
   * buffers do not grow later. init's memory stays in memory (its pages on swap would be slots the leak check
   * cannot tell from leaked ones); children do not inherit the lock. */
  touch_stack();
  mlockall(MCL_CURRENT | MCL_FUTURE);
  static struct counters before, after;
  read_counters(&before);
  clean_tmp();
  run_once(NULL, 1);
  read_counters(&before);

  int status = run_once(argv, 1);

  clean_tmp();
  sync();
  char report[1024];
  for (int attempt = 0;; attempt++) {
    report[0] = '\0';
    read_counters(&after);
    if (!find_leaks(&before, &after, report, sizeof report)) break;
    if (attempt == 100) {
      char msg[1400];
      snprintf(msg, sizeof msg, "init: leak: not returned after running %s:%s\n", argv[0], report);
      say(2, msg);
      return 125;
    }
    usleep(10000);
  }
  return status_code(status);
}

static void print_motd(void) {
  size_t size;
  char* motd = read_file("/etc/motd", &size);
  if (!motd) return;
  say(1, motd);
  free(motd);
}

static void interactive_mode(void) {
  char* sh_argv[] = {"/bin/sh", NULL};
  print_motd();
  give_terminal = 1;
  for (;;) {
    int status = run_once(sh_argv, 0); /* orphaned background jobs may live on: don't wait for them */
    char msg[128];
    snprintf(msg, sizeof msg, "init: shell exited (status %d); starting a new one\n", status_code(status));
    say(1, msg);
    if (status_code(status) == 127) sleep(1); /* no /bin/sh? don't spin */
  }
}

int main(void) {
  size_t size;
  char* file = read_file(RUN_ARGV_PATH, &size);
  if (file) return runner_mode(file, size);
  interactive_mode();
  return 0;
}
