/* fs_tmpfs_size: a tmpfs has a size, as on Linux (mm/shmem.c):
 *   - mount -t tmpfs -o size=1m: statfs reports 256 blocks of 4096 bytes, all free; a write of 2 MiB writes
 *     1 MiB and returns that (a short write), the next one fails with ENOSPC; statfs shows none free; a page of
 *     a shared mapping past the size is SIGBUS; truncating gives the pages back
 *   - options: nr_blocks=16, size=N%, mode=; a bad number or an unknown option is EINVAL; without size= a
 *     tmpfs gets half of RAM (sysinfo's totalram / 2)
 *   - the root file system (which holds /tmp) has the same default limit: a program filling /tmp gets ENOSPC
 *     and is not killed for lack of memory; afterwards fork works, and removing the file frees the space
 * Mounting would change the host under qemu-user, and its /tmp is the host's: kernel-only (checked on Linux 6.1
 * with /work/shared/reference-linux/run.sh, where the root is a tmpfs too).
 * TEST: kernel-only
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define MNT "/tmp/fs_tmpfs_size_mnt"
#define PAGE 4096

static sigjmp_buf g_jump;
static volatile int g_signal;

static void on_signal(int sig) {
  g_signal = sig;
  siglongjmp(g_jump, 1);
}

static struct statfs fs_of(const char* path) {
  struct statfs st;
  memset(&st, 0, sizeof st);
  CHECK(statfs(path, &st) == 0);
  return st;
}

static unsigned long long ram_bytes(void) {
  struct sysinfo si;
  CHECK(sysinfo(&si) == 0);
  return (unsigned long long)si.totalram * si.mem_unit;
}

static unsigned long long half_of_ram_pages(void) { return ram_bytes() / PAGE / 2; }

static void sized_mount(void) {
  CHECK(mount("none", MNT, "tmpfs", 0, "size=1m") == 0);
  struct statfs st = fs_of(MNT);
  CHECK(st.f_bsize == PAGE && st.f_blocks == 256 && st.f_bfree == 256 && st.f_bavail == 256);
  tl_say("size=1m: %llu blocks of %ld bytes, %llu free\n", (unsigned long long)st.f_blocks, (long)st.f_bsize,
         (unsigned long long)st.f_bfree);

  size_t big = 2 << 20;
  char* buffer = malloc(big);
  CHECK(buffer != NULL);
  memset(buffer, 'x', big);
  int fd = open(MNT "/big", O_RDWR | O_CREAT, 0644);
  CHECK(fd >= 0);
  ssize_t n = write(fd, buffer, big);
  CHECK(n == 1 << 20);
  CHECK_ERRNO(write(fd, buffer, PAGE), ENOSPC);
  st = fs_of(MNT);
  CHECK(st.f_bfree == 0 && st.f_bavail == 0);
  int other = open(MNT "/other", O_RDWR | O_CREAT, 0644);
  CHECK(other >= 0); /* a new name costs no page */
  CHECK_ERRNO(write(other, "y", 1), ENOSPC);
  tl_say("a 2 MiB write writes %zd bytes, the next one fails with ENOSPC; no block free\n", n);

  /* A shared mapping of a file in the full tmpfs: a page that would need a new frame is SIGBUS. */
  CHECK(ftruncate(other, 4 * PAGE) == 0);
  char* map = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, other, 0);
  CHECK(map != MAP_FAILED);
  struct sigaction sa, old_bus;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGBUS, &sa, &old_bus);
  g_signal = 0;
  if (sigsetjmp(g_jump, 1) == 0) map[PAGE] = 1;
  sigaction(SIGBUS, &old_bus, NULL);
  CHECK(g_signal == SIGBUS);
  tl_say("a store to a shared mapping that needs a page: %s\n", g_signal == SIGBUS ? "SIGBUS" : "no signal");

  /* Truncating gives the blocks back; writing works again. */
  CHECK(ftruncate(fd, 0) == 0);
  st = fs_of(MNT);
  CHECK(st.f_bfree == 256);
  map[PAGE] = 1;
  CHECK(fs_of(MNT).f_bfree == 255);
  CHECK(munmap(map, 4 * PAGE) == 0);
  CHECK(write(other, "y", 1) == 1);
  close(fd);
  close(other);
  free(buffer);
  CHECK(umount(MNT) == 0);
  tl_say("truncated: every block free again, a store and a write work\n");
}

static void options(void) {
  CHECK(mount("none", MNT, "tmpfs", 0, "nr_blocks=16,mode=0700") == 0);
  struct statfs st = fs_of(MNT);
  struct stat sb;
  CHECK(stat(MNT, &sb) == 0 && (sb.st_mode & 07777) == 0700);
  CHECK(st.f_blocks == 16);
  CHECK(umount(MNT) == 0);
  CHECK(mount("none", MNT, "tmpfs", 0, "size=10%") == 0);
  st = fs_of(MNT);
  CHECK(st.f_blocks == (ram_bytes() * 10 / 100 + PAGE - 1) / PAGE); /* rounded up to pages, as shmem_parse_one */
  CHECK(umount(MNT) == 0);
  CHECK(mount("none", MNT, "tmpfs", 0, NULL) == 0);
  st = fs_of(MNT);
  CHECK(st.f_blocks == half_of_ram_pages());
  CHECK(umount(MNT) == 0);
  CHECK_ERRNO(mount("none", MNT, "tmpfs", 0, "size=abc"), EINVAL);
  CHECK_ERRNO(mount("none", MNT, "tmpfs", 0, "size=1q"), EINVAL);
  CHECK_ERRNO(mount("none", MNT, "tmpfs", 0, "colour=blue"), EINVAL);
  tl_say("nr_blocks=, mode=, size=N%%; the default is half of RAM; bad options are EINVAL\n");
}

static void fill_tmp(void) {
  struct statfs before = fs_of("/tmp");
  CHECK(before.f_blocks == half_of_ram_pages());
  size_t chunk = 1 << 20;
  char* buffer = malloc(chunk);
  CHECK(buffer != NULL);
  memset(buffer, 'z', chunk);
  int fd = open("/tmp/fs_tmpfs_size_fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  unsigned long long written = 0;
  int error = 0;
  for (;;) {
    ssize_t n = write(fd, buffer, chunk);
    if (n < 0) {
      error = errno;
      break;
    }
    written += (unsigned long long)n;
  }
  CHECK(error == ENOSPC);
  CHECK(written <= (unsigned long long)before.f_bfree * PAGE);
  CHECK(written + 64 * PAGE >= (unsigned long long)before.f_bfree * PAGE); /* all of it, give or take a little */
  CHECK(fs_of("/tmp").f_bfree == 0);
  tl_say("filling /tmp: ENOSPC, not a kill\n");

  pid_t child = fork();
  if (child == 0) _exit(7);
  int status = 0;
  CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 7);
  close(fd);
  CHECK(unlink("/tmp/fs_tmpfs_size_fill") == 0);
  CHECK(fs_of("/tmp").f_bfree == before.f_bfree);
  free(buffer);
  tl_say("with /tmp full, fork works; removing the file frees the space\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  mkdir(MNT, 0755);
  sized_mount();
  options();
  rmdir(MNT);
  fill_tmp();
  return tl_done();
}
