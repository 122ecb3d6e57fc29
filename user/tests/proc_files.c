/* proc_files: /proc as Linux 6.1 has it (checked there), beyond maps and stat.
 *   - files are generated again by a read from offset 0: /proc/uptime read twice through one descriptor
 *     (lseek to 0, or pread at 0) advances; SEEK_END is EINVAL (seq_file)
 *   - /proc/self/fd lists the open descriptors as links ("pipe:[N]" for a pipe, the path for a file); opening
 *     /proc/self/fd/N opens the same file anew (its own offset); fdinfo/N shows pos and flags (O_CLOEXEC too);
 *     a closed or malformed number is ENOENT
 *   - /proc/thread-self is PID/task/TID; /proc/self/task lists the thread; /proc/self/exe opens the program
 *   - /proc/self/syscall shows the read(2) that reads it: "63 0xFD 0xBUF 0xLEN ..."
 *   - /proc/self/comm shows and sets the name (prctl(PR_GET_NAME) agrees); /proc/self/statm, /proc/loadavg,
 *     /proc/stat and /proc/sys/vm/{max_map_count,mmap_min_addr,overcommit_memory} in Linux's formats
 * TEST: kernel-only
 * (Under qemu-user /proc/self is the emulator's own process on the host.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static double uptime_of(const char* text) { return strtod(text, NULL); }

static void regenerated(void) {
  char a[64] = {0}, b[64] = {0}, c[64] = {0};
  int fd = open("/proc/uptime", O_RDONLY);
  CHECK(fd >= 0 && read(fd, a, sizeof a - 1) > 0);
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  CHECK(lseek(fd, 0, SEEK_SET) == 0 && read(fd, b, sizeof b - 1) > 0);
  nanosleep(&pause, NULL);
  CHECK(pread(fd, c, sizeof c - 1, 0) > 0);
  CHECK(uptime_of(b) > uptime_of(a) && uptime_of(c) > uptime_of(b));
  CHECK_ERRNO(lseek(fd, 0, SEEK_END), EINVAL);
  close(fd);
  tl_say("/proc/uptime advances through one descriptor (lseek, pread); SEEK_END is EINVAL\n");
}

static void descriptors(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  int maker = open("/tmp/proc_files.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(maker >= 0 && write(maker, "some text\n", 10) == 10);
  close(maker);
  int file = open("/tmp/proc_files.txt", O_RDONLY | O_CLOEXEC);
  CHECK(file >= 0);
  char path[64], link[128];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  ssize_t n = readlink(path, link, sizeof link - 1);
  CHECK(n > 0);
  link[n > 0 ? n : 0] = '\0';
  CHECK(strncmp(link, "pipe:[", 6) == 0);
  snprintf(path, sizeof path, "/proc/self/fd/%d", file);
  n = readlink(path, link, sizeof link - 1);
  link[n > 0 ? n : 0] = '\0';
  tl_say("fd link of a file: %s\n", link);
  CHECK(strcmp(link, "/tmp/proc_files.txt") == 0);
  /* Reopening through the link: the same file, a new offset. */
  char first[5] = {0}, again[5] = {0};
  CHECK(read(file, first, 4) == 4);
  int reopened = open(path, O_RDONLY);
  CHECK(reopened >= 0 && read(reopened, again, 4) == 4 && strcmp(first, again) == 0);
  close(reopened);
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", file);
  FILE* info = fopen(path, "r");
  long pos = -1;
  unsigned flags = 0;
  CHECK(info && fscanf(info, "pos: %ld flags: %o", &pos, &flags) == 2);
  if (info) fclose(info);
  tl_say("fdinfo: pos %ld, O_CLOEXEC %s\n", pos, flags & O_CLOEXEC ? "set" : "clear");
  CHECK(pos == 4 && (flags & O_CLOEXEC));
  struct stat st;
  CHECK_ERRNO(lstat("/proc/self/fd/999", &st), ENOENT);
  CHECK_ERRNO(lstat("/proc/self/fd/01", &st), ENOENT);
  CHECK_ERRNO(lstat("/proc/self/fd/1x", &st), ENOENT);
  int seen_pipe = 0;
  DIR* d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  for (struct dirent* e; d && (e = readdir(d));)
    if (atoi(e->d_name) == p[1] && e->d_type == DT_LNK) seen_pipe = 1;
  if (d) closedir(d);
  CHECK(seen_pipe);
  close(p[0]);
  close(p[1]);
  close(file);
  unlink("/tmp/proc_files.txt");
  tl_say("/proc/self/fd and fdinfo: as Linux\n");
}

static void threads_and_exe(void) {
  char link[64], want[64];
  ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
  link[n > 0 ? n : 0] = '\0';
  snprintf(want, sizeof want, "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
  CHECK(strcmp(link, want) == 0);
  int found = 0;
  DIR* d = opendir("/proc/self/task");
  for (struct dirent* e; d && (e = readdir(d));)
    if (atoi(e->d_name) == getpid()) found = 1;
  if (d) closedir(d);
  CHECK(found);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", getpid());
  CHECK(access(path, R_OK) == 0);
  int exe = open("/proc/self/exe", O_RDONLY);
  char magic[4] = {0};
  CHECK(exe >= 0 && read(exe, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0);
  if (exe >= 0) close(exe);
  tl_say("thread-self, task/, exe: as Linux\n");
}

static void syscall_file(void) {
  int fd = open("/proc/self/syscall", O_RDONLY);
  CHECK(fd >= 0);
  char buf[128] = {0}, want[64];
  long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
  snprintf(want, sizeof want, "%ld 0x%x 0x%lx 0x%lx ", (long)SYS_read, fd, (long)buf, (long)(sizeof buf - 1));
  CHECK(n > 0 && strncmp(buf, want, strlen(want)) == 0);
  close(fd);
  tl_say("/proc/self/syscall shows the read that reads it\n");
}

static void names_and_numbers(void) {
  int fd = open("/proc/self/comm", O_WRONLY);
  CHECK(fd >= 0 && write(fd, "renamed", 7) == 7);
  close(fd);
  char name[16] = {0};
  CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "renamed") == 0);
  FILE* f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  CHECK(f && fscanf(f, "%ld %ld", &size, &resident) == 2 && size > 0 && resident > 0 && resident <= size);
  if (f) fclose(f);
  f = fopen("/proc/loadavg", "r");
  double l1, l5, l15;
  int running, total, last;
  CHECK(f && fscanf(f, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last) == 6 && running >= 1 &&
        total >= running && last >= getpid());
  if (f) fclose(f);
  f = fopen("/proc/stat", "r");
  char label[8];
  long user, nice, sys, idle;
  CHECK(f && fscanf(f, "%7s %ld %ld %ld %ld", label, &user, &nice, &sys, &idle) == 5 && strcmp(label, "cpu") == 0);
  if (f) fclose(f);
  long values[3];
  const char* names[3] = {"/proc/sys/vm/max_map_count", "/proc/sys/vm/mmap_min_addr", "/proc/sys/vm/overcommit_memory"};
  for (int i = 0; i < 3; i++) {
    f = fopen(names[i], "r");
    CHECK(f && fscanf(f, "%ld", &values[i]) == 1);
    if (f) fclose(f);
  }
  CHECK(values[0] == 65530 && values[1] >= 4096 && values[2] >= 0 && values[2] <= 2);
  tl_say("comm, statm, loadavg, stat, sys/vm: as Linux\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  regenerated();
  descriptors();
  threads_and_exe();
  syscall_file();
  names_and_numbers();
  return tl_done();
}
