/* fs_umount_detach_tree: umount2(MNT_DETACH) detaches a mount together with every mount inside it, as Linux's
 * lazy unmount does (umount_tree), and each file system is freed once its last user has gone.
 *   - tmpfs on /tmp/DIR, a directory in it, a second tmpfs on that directory and a third stacked on it, files
 *     in each; umount2 of the outer one without MNT_DETACH is EBUSY (a mount sits inside), with MNT_DETACH it
 *     works, and /proc/mounts has none of the three any more
 *   - the same while a file in the innermost is open and the working directory is in the middle one: both
 *     stay usable after the detach (the file reads back, getcwd still answers) and the mounts are gone
 * The kernel once detached only the outer mount: the inner ones stayed in the table for ever, out of every
 * path's reach, and kept the outer file system alive (the fuzzer found it: init's leak check saw their heap
 * objects after the run). init's leak check after this test is the check that everything came back.
 * Mounting on the host through qemu-user would change the host: kernel-only (checked against Linux 6.1 with
 * /work/shared/reference-linux/run.sh).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char outer[64], middle[96], inner_file[128];

/* How many /proc/mounts lines have a mount point starting with outer. */
static int mounts_below_outer(void) {
  FILE* f = fopen("/proc/mounts", "r");
  if (!f) return -1;
  char line[512], source[128], point[256];
  int count = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%127s %255s", source, point) == 2 && strncmp(point, outer, strlen(outer)) == 0) count++;
  fclose(f);
  return count;
}

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  CHECK(close(fd) == 0);
}

/* tmpfs on outer; tmpfs on outer/mid; another tmpfs stacked on outer/mid; a file in each. */
static void build_tree(void) {
  char path[160];
  CHECK(mkdir(outer, 0755) == 0);
  CHECK(mount("none", outer, "tmpfs", 0, "size=1M") == 0);
  write_file(strcat(strcpy(path, outer), "/a"), "outer");
  CHECK(mkdir(middle, 0755) == 0);
  CHECK(mount("none", middle, "tmpfs", 0, "size=1M") == 0);
  write_file(strcat(strcpy(path, middle), "/b"), "middle");
  CHECK(mount("none", middle, "tmpfs", 0, "size=1M") == 0);
  write_file(inner_file, "inner");
  CHECK(mounts_below_outer() == 3);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  snprintf(outer, sizeof outer, "/tmp/detach.%d", getpid());
  snprintf(middle, sizeof middle, "%s/mid", outer);
  snprintf(inner_file, sizeof inner_file, "%s/c", middle);

  build_tree();
  CHECK_ERRNO(umount2(outer, 0), EBUSY);
  CHECK(umount2(outer, MNT_DETACH) == 0);
  CHECK(mounts_below_outer() == 0);
  CHECK(rmdir(outer) == 0);
  tl_say("a tree of three mounts detached at once\n");

  build_tree();
  int fd = open(inner_file, O_RDONLY);
  CHECK(fd >= 0);
  CHECK(chdir(middle) == 0);
  CHECK(umount2(outer, MNT_DETACH) == 0);
  CHECK(mounts_below_outer() == 0);
  char buf[16] = {0};
  CHECK(pread(fd, buf, sizeof buf - 1, 0) == 5 && strcmp(buf, "inner") == 0);
  char cwd[256];
  CHECK(getcwd(cwd, sizeof cwd) != NULL || errno == ENOENT);
  CHECK(close(fd) == 0);
  CHECK(chdir("/") == 0);
  CHECK(rmdir(outer) == 0);
  tl_say("a busy tree detached, its users carry on\n");
  return tl_done();
}
