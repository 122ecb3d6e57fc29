/* misc_identity: who a process is, as id(1), whoami and renice ask.
 *   - uid and gid 0, and /etc/passwd and /etc/group name them "root" (getpwuid, getgrgid)
 *   - getgroups: none at first; setgroups stores a list (sorted, as Linux keeps it), getgroups returns it, EINVAL
 *     when it does not fit; fork inherits it; setgroups(0) empties it
 *   - getpriority/setpriority: nice 0 at first; values are clamped to -20..19; raw getpriority answers 20-nice;
 *     PRIO_PROCESS of a missing pid is ESRCH; an unknown `which` is EINVAL; fork inherits the nice value
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void names(void) {
  CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0);
  struct passwd* pw = getpwuid(0);
  CHECK(pw != NULL);
  tl_say("uid 0 is %s, home %s\n", pw ? pw->pw_name : "?", pw ? pw->pw_dir : "?");
  CHECK(pw && strcmp(pw->pw_name, "root") == 0);
  struct group* gr = getgrgid(0);
  CHECK(gr != NULL);
  tl_say("gid 0 is %s\n", gr ? gr->gr_name : "?");
  CHECK(gr && strcmp(gr->gr_name, "root") == 0);
}

static void groups(void) {
  gid_t list[8];
  int initial = getgroups(0, NULL);
  tl_say("getgroups: %d at first\n", initial);
  gid_t set[3] = {9, 5, 7};
  CHECK(setgroups(3, set) == 0);
  CHECK(getgroups(0, NULL) == 3);
  CHECK_ERRNO(getgroups(2, list), EINVAL);
  CHECK(getgroups(8, list) == 3);
  tl_say("getgroups after setgroups(9 5 7): %u %u %u\n", list[0], list[1], list[2]);
  CHECK(list[0] == 5 && list[1] == 7 && list[2] == 9);
  pid_t child = fork();
  if (child == 0) _exit(getgroups(8, list) == 3 && list[1] == 7 ? 0 : 1);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_ERRNO(setgroups(65537, set), EINVAL);
  CHECK(setgroups(0, NULL) == 0);
  CHECK(getgroups(0, NULL) == 0);
  tl_say("setgroups(0): none; fork inherits the list\n");
}

static void priority(void) {
  errno = 0;
  int nice0 = getpriority(PRIO_PROCESS, 0);
  CHECK(errno == 0);
  CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0);
  CHECK(getpriority(PRIO_PROCESS, 0) == 5);
  CHECK(tl_raw_syscall(SYS_getpriority, PRIO_PROCESS, 0, 0, 0, 0, 0) == 15);
  CHECK(setpriority(PRIO_PROCESS, getpid(), 50) == 0);
  CHECK(getpriority(PRIO_PROCESS, 0) == 19);
  pid_t child = fork();
  if (child == 0) _exit(getpriority(PRIO_PROCESS, 0) == 19 ? 0 : 1);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(setpriority(PRIO_PROCESS, 0, -30) == 0);
  CHECK(getpriority(PRIO_PROCESS, 0) == -20);
  CHECK_ERRNO(setpriority(PRIO_PROCESS, 99999, 0), ESRCH);
  CHECK_ERRNO(setpriority(7, 0, 0), EINVAL);
  CHECK(setpriority(PRIO_PROCESS, 0, nice0) == 0);
  tl_say("nice: set 5, 50 -> 19 (inherited by fork), -30 -> -20; ESRCH, EINVAL as Linux\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  names();
  groups();
  priority();
  return tl_done();
}
