/* ext2_mount: mount(2) and umount2(2) of an ext2 disk, with Linux's errnos (tests/qemu/ext2_test.py, scenario
 * "mount": /dev/vda is a small ext2 volume the kernel mounted at /mnt, /dev/vdb a blank disk).
 *   - umount is EBUSY while a working directory or an open file is inside, then works; /proc/mounts follows
 *   - a read-only mount: EROFS for creating and writing, ST_RDONLY in statfs; a remount makes it writable
 *   - errors: EINVAL for a disk without ext2 and for an unknown option, ENOTBLK for a file or character device,
 *     ENOENT for a missing node
 *   - a full volume: ENOSPC for data (after a short write) and for inodes; the space comes back
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "testlib.h"

static int mounted_at_mnt(const char* options_prefix) {
  FILE* f = fopen("/proc/mounts", "r");
  if (!f) return 0;
  char line[256], source[64], point[64], type[16], options[64];
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%63s %63s %15s %63s", source, point, type, options) == 4 && strcmp(point, "/mnt") == 0 &&
        strcmp(type, "ext2") == 0 && strcmp(source, "/dev/vda") == 0)
      found = !options_prefix || strncmp(options, options_prefix, strlen(options_prefix)) == 0;
  fclose(f);
  return found;
}

static void busy_and_unmount(void) {
  CHECK(mounted_at_mnt("rw"));
  CHECK(chdir("/mnt") == 0);
  CHECK_ERRNO(umount("/mnt"), EBUSY);
  CHECK(chdir("/") == 0);
  int fd = open("/mnt/open-file", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0);
  CHECK_ERRNO(umount("/mnt"), EBUSY);
  CHECK(close(fd) == 0);
  CHECK(umount("/mnt") == 0);
  CHECK(!mounted_at_mnt(NULL));
  CHECK_ERRNO(access("/mnt/open-file", F_OK), ENOENT);
  CHECK_ERRNO(umount("/mnt"), EINVAL);
  tl_say("umount: EBUSY while used, then unmounted\n");
}

static void read_only(void) {
  CHECK(mount("/dev/vda", "/mnt", "ext2", MS_RDONLY, NULL) == 0);
  CHECK(mounted_at_mnt("ro"));
  CHECK(access("/mnt/open-file", F_OK) == 0);
  CHECK_ERRNO(open("/mnt/new", O_WRONLY | O_CREAT, 0644), EROFS);
  CHECK_ERRNO(open("/mnt/open-file", O_WRONLY), EROFS);
  CHECK_ERRNO(unlink("/mnt/open-file"), EROFS);
  CHECK_ERRNO(mkdir("/mnt/d", 0755), EROFS);
  struct statfs sf;
  CHECK(statfs("/mnt", &sf) == 0 && (sf.f_flags & ST_RDONLY));
  CHECK(mount("/dev/vda", "/mnt", NULL, MS_REMOUNT, NULL) == 0);
  CHECK(mounted_at_mnt("rw"));
  CHECK(statfs("/mnt", &sf) == 0 && !(sf.f_flags & ST_RDONLY));
  CHECK(unlink("/mnt/open-file") == 0);
  CHECK(umount("/mnt") == 0);
  tl_say("read-only: EROFS; remounted read-write\n");
}

static void errors(void) {
  CHECK_ERRNO(mount("/dev/vdb", "/mnt", "ext2", 0, NULL), EINVAL);
  CHECK_ERRNO(mount("/dev/null", "/mnt", "ext2", 0, NULL), ENOTBLK);
  int fd = open("/tmp/not-a-disk", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0 && close(fd) == 0);
  CHECK_ERRNO(mount("/tmp/not-a-disk", "/mnt", "ext2", 0, NULL), ENOTBLK);
  CHECK(unlink("/tmp/not-a-disk") == 0);
  CHECK_ERRNO(mount("/dev/vdz", "/mnt", "ext2", 0, NULL), ENOENT);
  CHECK_ERRNO(mount("/dev/vda", "/mnt", "ext2", 0, "no_such_option"), EINVAL);
  CHECK(mount("/dev/vda", "/mnt", "ext2", MS_NOSUID | MS_NODEV, "errors=remount-ro") == 0);
  CHECK(mounted_at_mnt("rw,nosuid,nodev"));
  tl_say("mount errors: EINVAL, ENOTBLK, ENOENT; options\n");
}

static void full(void) {
  static char chunk[16 * 1024];
  memset(chunk, 'f', sizeof chunk);
  struct statfs before;
  CHECK(statfs("/mnt", &before) == 0);
  int fd = open("/mnt/filler", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0);
  long total = 0;
  ssize_t n;
  errno = 0;
  while ((n = write(fd, chunk, sizeof chunk)) > 0) total += n;
  CHECK(n == -1 && errno == ENOSPC);
  CHECK(total > 1024 * 1024);
  CHECK(close(fd) == 0);
  struct statfs sf;
  CHECK(statfs("/mnt", &sf) == 0 && sf.f_bfree == 0);
  struct stat st;
  CHECK(stat("/mnt/filler", &st) == 0 && st.st_size == total);
  CHECK(unlink("/mnt/filler") == 0);
  CHECK(statfs("/mnt", &sf) == 0 && sf.f_bfree == before.f_bfree);
  int made = 0;
  for (; made < 200; made++) {
    char name[32];
    snprintf(name, sizeof name, "/mnt/i%d", made);
    fd = open(name, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) break;
    close(fd);
  }
  CHECK(made > 10 && made < 64 && errno == ENOSPC);
  for (int i = 0; i < made; i++) {
    char name[32];
    snprintf(name, sizeof name, "/mnt/i%d", i);
    CHECK(unlink(name) == 0);
  }
  CHECK(statfs("/mnt", &sf) == 0 && sf.f_ffree == before.f_ffree);
  tl_say("a full volume: ENOSPC for data and for inodes; space back\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  busy_and_unmount();
  read_only();
  errors();
  full();
  return tl_done();
}
