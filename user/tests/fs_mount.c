/* fs_mount: mount(2), umount2(2), /proc/mounts and statfs with tmpfs, as Linux does them.
 *   - mounting a tmpfs over a directory hides what was there; st_dev changes; /proc/mounts has a line for it;
 *     ".." from the mounted root leads to the mount point's parent; getcwd inside it
 *   - statfs/fstatfs: f_type TMPFS_MAGIC, ST_VALID, ST_RDONLY after a read-only remount (creating is EROFS)
 *   - link and rename across the mount are EXDEV; rmdir and rename of the mount point are EBUSY
 *   - umount2 of a busy file system (an open file, a working directory inside) is EBUSY, MNT_DETACH works
 *     anyway; umount2 of a directory that is not a mount root is EINVAL; bad flags EINVAL
 *   - mount errors: ENODEV (unknown type), ENOENT (no target), ENOTDIR (target not a directory), EFAULT, EINVAL
 *     (no type), EINVAL (remount of a non-root)
 *   - mounts stack: a second tmpfs over the same directory hides the first until it is unmounted
 * Mounting on the host through qemu-user would change the host: kernel-only (checked against Linux 6.1 with
 * /work/shared/reference-linux/run.sh, which runs it as root in its own machine).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#define TMPFS_MAGIC 0x01021994
#define ST_VALID 0x20

static char base[64], mnt[96], path[160];

static const char* at(const char* name) {
  snprintf(path, sizeof path, "%s/%s", mnt, name);
  return path;
}

/* Whether /proc/mounts has a line "SOURCE MNT TYPE OPTIONS..." for mnt; copies its options. */
static int mounts_line(const char* source, const char* type, char* options, size_t size) {
  FILE* f = fopen("/proc/mounts", "r");
  if (!f) return 0;
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    char s[128], m[128], t[32], o[128];
    if (sscanf(line, "%127s %127s %31s %127s", s, m, t, o) != 4) continue;
    if (strcmp(s, source) == 0 && strcmp(m, mnt) == 0 && strcmp(t, type) == 0) {
      found = 1;
      if (options) snprintf(options, size, "%s", o);
    }
  }
  fclose(f);
  return found;
}

static void write_file(const char* p, const char* text) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  CHECK(close(fd) == 0);
}

static void basics(void) {
  struct stat under, over, parent;
  write_file(at("hidden"), "under");
  CHECK(stat(mnt, &under) == 0);
  CHECK(stat(base, &parent) == 0);
  CHECK(mount("test-tmpfs", mnt, "tmpfs", 0, NULL) == 0);
  CHECK(stat(mnt, &over) == 0);
  CHECK(over.st_dev != under.st_dev);
  CHECK(S_ISDIR(over.st_mode) && (over.st_mode & 07777) == 01777);
  CHECK_ERRNO(access(at("hidden"), F_OK), ENOENT);
  char options[128] = "";
  CHECK(mounts_line("test-tmpfs", "tmpfs", options, sizeof options));
  CHECK(strncmp(options, "rw", 2) == 0 && strstr(options, "relatime") != NULL);
  tl_say("mounted: new device, the old file hidden, listed in /proc/mounts\n");

  /* ".." from the mounted root and getcwd inside. */
  snprintf(path, sizeof path, "%s/..", mnt);
  struct stat dotdot;
  CHECK(stat(path, &dotdot) == 0 && dotdot.st_ino == parent.st_ino && dotdot.st_dev == parent.st_dev);
  CHECK(mkdir(at("sub"), 0755) == 0);
  CHECK(chdir(at("sub")) == 0);
  char cwd[256];
  CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, at("sub")) == 0);
  CHECK(stat("../..", &dotdot) == 0 && dotdot.st_ino == parent.st_ino);
  tl_say("dot-dot crosses back; getcwd inside the mount\n");

  /* Busy while it is our working directory. */
  CHECK_ERRNO(umount(mnt), EBUSY);
  CHECK(chdir("/") == 0);

  struct statfs sf;
  CHECK(statfs(mnt, &sf) == 0 && sf.f_type == TMPFS_MAGIC && (sf.f_flags & ST_VALID) && !(sf.f_flags & ST_RDONLY));
  int fd = open(at("file"), O_RDWR | O_CREAT, 0644);
  CHECK(fd >= 0);
  CHECK(fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC);
  tl_say("statfs and fstatfs report tmpfs\n");

  /* Across the mount: EXDEV. The mount point itself: EBUSY. */
  snprintf(path, sizeof path, "%s/outside", base);
  write_file(path, "x");
  char inside[160];
  snprintf(inside, sizeof inside, "%s/linked", mnt);
  CHECK_ERRNO(link(path, inside), EXDEV);
  CHECK_ERRNO(rename(path, inside), EXDEV);
  CHECK_ERRNO(rmdir(mnt), EBUSY);
  snprintf(inside, sizeof inside, "%s/renamed", base);
  CHECK_ERRNO(rename(mnt, inside), EBUSY);
  CHECK(unlink(path) == 0);
  tl_say("EXDEV across it, EBUSY for the mount point\n");

  /* Busy while a file is open; a directory that is not a mount root cannot be unmounted. */
  CHECK_ERRNO(umount(mnt), EBUSY);
  CHECK_ERRNO(umount(at("sub")), EINVAL);
  CHECK_ERRNO(umount2(mnt, 0x100), EINVAL);
  CHECK(close(fd) == 0);

  /* Read-only remount. */
  CHECK(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0);
  CHECK(statfs(mnt, &sf) == 0 && (sf.f_flags & ST_RDONLY));
  CHECK_ERRNO(open(at("new"), O_WRONLY | O_CREAT, 0644), EROFS);
  CHECK_ERRNO(open(at("file"), O_WRONLY), EROFS);
  CHECK_ERRNO(mkdir(at("newdir"), 0755), EROFS);
  CHECK_ERRNO(mkdir(at("sub"), 0755), EEXIST);
  CHECK_ERRNO(unlink(at("file")), EROFS);
  fd = open(at("file"), O_RDONLY);
  CHECK(fd >= 0 && close(fd) == 0);
  CHECK(mounts_line("test-tmpfs", "tmpfs", options, sizeof options) && strncmp(options, "ro", 2) == 0);
  CHECK(mount(NULL, mnt, NULL, MS_REMOUNT, NULL) == 0);
  CHECK(unlink(at("file")) == 0);
  tl_say("read-only remount: EROFS, then writable again\n");

  CHECK(umount(mnt) == 0);
  CHECK(!mounts_line("test-tmpfs", "tmpfs", NULL, 0));
  CHECK(access(at("hidden"), F_OK) == 0);
  CHECK(stat(mnt, &over) == 0 && over.st_dev == under.st_dev && over.st_ino == under.st_ino);
  CHECK(unlink(at("hidden")) == 0);
  tl_say("unmounted: the old file is back\n");
}

static void errors(void) {
  CHECK_ERRNO(mount("x", mnt, "no-such-fs", 0, NULL), ENODEV);
  snprintf(path, sizeof path, "%s/missing", base);
  CHECK_ERRNO(mount("x", path, "tmpfs", 0, NULL), ENOENT);
  snprintf(path, sizeof path, "%s/plain", base);
  write_file(path, "f");
  CHECK_ERRNO(mount("x", path, "tmpfs", 0, NULL), ENOTDIR);
  CHECK(unlink(path) == 0);
  CHECK_ERRNO(mount("x", mnt, NULL, 0, NULL), EINVAL);
  CHECK_ERRNO(mount("x", (const char*)8, "tmpfs", 0, NULL), EFAULT);
  CHECK_ERRNO(mount("x", mnt, (const char*)8, 0, NULL), EFAULT);
  CHECK_ERRNO(mount(NULL, mnt, NULL, MS_REMOUNT, NULL), EINVAL); /* not a mount root */
  CHECK_ERRNO(umount(mnt), EINVAL);
  tl_say("mount errors: ENODEV ENOENT ENOTDIR EINVAL EFAULT\n");
}

static void stacking_and_detach(void) {
  CHECK(mount("first", mnt, "tmpfs", 0, NULL) == 0);
  write_file(at("one"), "1");
  CHECK(mount("second", mnt, "tmpfs", 0, NULL) == 0);
  CHECK_ERRNO(access(at("one"), F_OK), ENOENT);
  CHECK(mounts_line("first", "tmpfs", NULL, 0) && mounts_line("second", "tmpfs", NULL, 0));
  CHECK(umount(mnt) == 0);
  CHECK(access(at("one"), F_OK) == 0);
  tl_say("stacked mounts: the newest is seen\n");

  /* A lazy unmount detaches a busy file system; its open file keeps working. */
  int fd = open(at("one"), O_RDWR);
  CHECK(fd >= 0);
  CHECK_ERRNO(umount(mnt), EBUSY);
  CHECK(umount2(mnt, MNT_DETACH) == 0);
  CHECK_ERRNO(access(at("one"), F_OK), ENOENT);
  char c = 0;
  CHECK(pread(fd, &c, 1, 0) == 1 && c == '1');
  CHECK(write(fd, "2", 1) == 1);
  CHECK(close(fd) == 0);
  tl_say("MNT_DETACH: gone from the tree, the open file still works\n");

  /* proc can be mounted again elsewhere. */
  CHECK(mount("proc2", mnt, "proc", 0, NULL) == 0);
  CHECK(access(at("self"), F_OK) == 0);
  CHECK(umount(mnt) == 0);
  tl_say("a second proc mount\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  snprintf(base, sizeof base, "/tmp/fs_mount.%d", getpid());
  snprintf(mnt, sizeof mnt, "%s/mnt", base);
  CHECK(mkdir(base, 0755) == 0);
  CHECK(mkdir(mnt, 0755) == 0);
  basics();
  errors();
  stacking_and_detach();
  CHECK(rmdir(mnt) == 0);
  CHECK(rmdir(base) == 0);
  return tl_done();
}
