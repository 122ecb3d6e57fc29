/* sched_ioprio: ioprio_set/ioprio_get as Linux 6.1 (what busybox's ionice calls; it got ENOSYS):
 *   - a process starts with class none (0); set and get its own (who 0 or its pid): best-effort, idle with its
 *     level kept, real-time (root), none again
 *   - a fork inherits it
 *   - IOPRIO_WHO_PGRP: the best of the group's (a process alone in a new session: its own value)
 *   - EINVAL for class none with a level, an unknown class, an unknown `which`; ESRCH for a pid that does not
 *     exist
 *   - the default resource limits Linux gives init: RLIMIT_NICE and RLIMIT_RTPRIO 0 (ulimit -e, -r),
 *     RLIMIT_MSGQUEUE 819200, RLIMIT_SIGPENDING nonzero
 * qemu-user passes the calls to the host, whose newer kernel differs (its default class): kernel-only. Checked on
 * Linux 6.1 (reference-linux run.sh, 1 hart).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define WHO_PROCESS 1
#define WHO_PGRP 2
#define PRIO(class, data) (((class) << 13) | (data))
#define NONE 0
#define RT 1
#define BE 2
#define IDLE 3

static long get(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long set(int which, int who, int prio) { return syscall(SYS_ioprio_set, which, who, prio); }

int main(int argc, char** argv) {
  tl_init(argc, argv);
  CHECK(get(WHO_PROCESS, 0) == PRIO(NONE, 0));
  CHECK(set(WHO_PROCESS, 0, PRIO(BE, 3)) == 0);
  CHECK(get(WHO_PROCESS, 0) == PRIO(BE, 3) && get(WHO_PROCESS, getpid()) == PRIO(BE, 3));
  CHECK(set(WHO_PROCESS, getpid(), PRIO(IDLE, 7)) == 0 && get(WHO_PROCESS, 0) == PRIO(IDLE, 7));
  CHECK(set(WHO_PROCESS, 0, PRIO(NONE, 0)) == 0 && get(WHO_PROCESS, 0) == PRIO(NONE, 0));
  CHECK(set(WHO_PROCESS, 0, PRIO(RT, 2)) == 0 && get(WHO_PROCESS, 0) == PRIO(RT, 2));
  tl_say("ioprio_set/get on itself: none, best-effort, idle, real-time\n");

  pid_t c = fork();
  if (c == 0) _exit(get(WHO_PROCESS, 0) == PRIO(RT, 2) ? 0 : 1);
  int status;
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  c = fork();
  if (c == 0) {
    if (setsid() < 0) _exit(2);
    if (set(WHO_PGRP, 0, PRIO(BE, 5)) != 0) _exit(3);
    _exit(get(WHO_PGRP, 0) == PRIO(BE, 5) && get(WHO_PGRP, getpid()) == PRIO(BE, 5) ? 0 : 1);
  }
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(get(WHO_PROCESS, 0) == PRIO(RT, 2));  /* the child's group was its own */
  tl_say("fork inherits it; IOPRIO_WHO_PGRP sets and gets a group\n");

  CHECK_ERRNO(set(WHO_PROCESS, 0, PRIO(NONE, 1)), EINVAL);
  CHECK_ERRNO(set(WHO_PROCESS, 0, PRIO(4, 0)), EINVAL);
  CHECK_ERRNO(set(9, 0, PRIO(BE, 0)), EINVAL);
  CHECK_ERRNO(get(9, 0), EINVAL);
  CHECK_ERRNO(get(WHO_PROCESS, 99999), ESRCH);
  CHECK_ERRNO(set(WHO_PROCESS, 99999, PRIO(BE, 0)), ESRCH);
  tl_say("EINVAL and ESRCH as Linux\n");

  struct rlimit r;
  CHECK(getrlimit(RLIMIT_NICE, &r) == 0 && r.rlim_cur == 0 && r.rlim_max == 0);
  CHECK(getrlimit(RLIMIT_RTPRIO, &r) == 0 && r.rlim_cur == 0 && r.rlim_max == 0);
  CHECK(getrlimit(RLIMIT_MSGQUEUE, &r) == 0 && r.rlim_cur == 819200 && r.rlim_max == 819200);
  CHECK(getrlimit(RLIMIT_SIGPENDING, &r) == 0 && r.rlim_cur > 0 && r.rlim_cur != RLIM_INFINITY);
  tl_say("default limits: RLIMIT_NICE 0, RLIMIT_RTPRIO 0, RLIMIT_MSGQUEUE 819200, RLIMIT_SIGPENDING bounded\n");
  return tl_done();
}
