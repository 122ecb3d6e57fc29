/* thread_kill_tid: kill(2) and rt_sigqueueinfo(2) given the id of a thread that is not its process's first one
 * signal that thread's whole process, as Linux's kill_pid_info does (any task's id names its thread group);
 * once the thread has exited its id names nothing (ESRCH). tgkill still aims at one thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static _Atomic int got, quit;
static _Atomic pid_t worker_tid;

static void on_usr1(int sig) { (void)sig; atomic_fetch_add(&got, 1); }

static void* worker(void* arg) {
  (void)arg;
  atomic_store(&worker_tid, (pid_t)syscall(SYS_gettid));
  while (!atomic_load(&quit)) usleep(1000);
  return NULL;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  signal(SIGUSR1, on_usr1);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
  while (!atomic_load(&worker_tid)) usleep(1000);
  pid_t tid = atomic_load(&worker_tid);
  CHECK(tid != getpid());

  CHECK(kill(tid, 0) == 0);
  CHECK(kill(tid, SIGUSR1) == 0);
  for (int i = 0; i < 2000 && atomic_load(&got) < 1; i++) usleep(1000);
  CHECK(atomic_load(&got) == 1);
  tl_say("kill(a thread's id): the signal reaches its process\n");

  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  CHECK(syscall(SYS_rt_sigqueueinfo, tid, SIGUSR1, &info) == 0);
  for (int i = 0; i < 2000 && atomic_load(&got) < 2; i++) usleep(1000);
  CHECK(atomic_load(&got) == 2);
  tl_say("rt_sigqueueinfo(a thread's id): the same\n");

  CHECK(syscall(SYS_tgkill, getpid(), tid, SIGUSR1) == 0);
  for (int i = 0; i < 2000 && atomic_load(&got) < 3; i++) usleep(1000);
  CHECK(atomic_load(&got) == 3);
  atomic_store(&quit, 1);
  CHECK(pthread_join(t, NULL) == 0);
  /* The id is free now (no thread or process has it, unless a new one took it: none is created here). */
  CHECK_ERRNO(kill(tid, 0), ESRCH);
  CHECK_ERRNO(kill(tid, SIGUSR1), ESRCH);
  tl_say("after the thread exited: ESRCH\n");
  return tl_done();
}
