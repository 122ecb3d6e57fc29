/* thread_signals_exec: signals and execve in a process with several threads.
 *   - tgkill to one thread: its handler runs in that thread (gettid there is the target's)
 *   - kill to the process while the main thread blocks the signal: another thread that does not block it
 *     takes it; a signal pending for the process while every thread blocks it goes to the first thread that
 *     unblocks it
 *   - a fault in a thread: SIGSEGV is delivered to the thread that faulted
 *   - a fatal signal (SIGTERM, default action) sent to the process ends every thread: wait status SIGTERM
 *   - execve from a thread that is not the leader while other threads run: the new program runs alone, with
 *     the old pid as pid and tid
 * Compared with qemu-user (Linux semantics).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static atomic_int handled_tid;
static void on_usr1(int sig) { atomic_store(&handled_tid, gettid()); }

static atomic_int worker_tid, stop_worker;
static void* worker(void* arg) {
  atomic_store(&worker_tid, gettid());
  while (!atomic_load(&stop_worker)) sched_yield();
  return NULL;
}

static void wait_for(atomic_int* v) {
  for (int i = 0; i < 5000 && !atomic_load(v); i++) tl_sleep_ms(1);
  CHECK(atomic_load(v) != 0);
}

static void directed(void) {
  CHECK(tl_handle_signal(SIGUSR1, on_usr1, 0) == 0);
  pthread_t t;
  atomic_store(&stop_worker, 0);
  atomic_store(&worker_tid, 0);
  CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
  wait_for(&worker_tid);
  atomic_store(&handled_tid, 0);
  CHECK(syscall(SYS_tgkill, getpid(), atomic_load(&worker_tid), SIGUSR1) == 0);
  wait_for(&handled_tid);
  CHECK(atomic_load(&handled_tid) == atomic_load(&worker_tid));
  CHECK_ERRNO(syscall(SYS_tgkill, getpid() + 100000, atomic_load(&worker_tid), 0), ESRCH);
  tl_say("tgkill: the handler runs in the target thread\n");

  /* The main thread blocks SIGUSR1: a signal to the process goes to the worker. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  CHECK(pthread_sigmask(SIG_BLOCK, &block, &old) == 0);
  atomic_store(&handled_tid, 0);
  CHECK(kill(getpid(), SIGUSR1) == 0);
  wait_for(&handled_tid);
  CHECK(atomic_load(&handled_tid) == atomic_load(&worker_tid));
  CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
  atomic_store(&stop_worker, 1);
  CHECK(pthread_join(t, NULL) == 0);
  tl_say("kill: a thread that does not block the signal takes it\n");
}

static atomic_int blocker_ready, blocker_go;
static void* blocker(void* arg) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &block, NULL);
  atomic_store(&blocker_ready, 1);
  while (!atomic_load(&blocker_go)) sched_yield();
  pthread_sigmask(SIG_UNBLOCK, &block, NULL);  /* the pending signal is taken here */
  return (void*)(intptr_t)gettid();
}

static void pending_for_process(void) {
  sigset_t block, old, pending;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  CHECK(pthread_sigmask(SIG_BLOCK, &block, &old) == 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, blocker, NULL) == 0);  /* inherits the blocked mask */
  wait_for(&blocker_ready);
  atomic_store(&handled_tid, 0);
  CHECK(kill(getpid(), SIGUSR1) == 0);
  CHECK(sigpending(&pending) == 0);
  CHECK(sigismember(&pending, SIGUSR1));
  CHECK(atomic_load(&handled_tid) == 0);
  atomic_store(&blocker_go, 1);
  void* tid;
  CHECK(pthread_join(t, &tid) == 0);
  CHECK(atomic_load(&handled_tid) == (intptr_t)tid);
  CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
  tl_say("a signal every thread blocks waits; the first thread to unblock it takes it\n");
}

static atomic_int segv_tid;
static __thread sigjmp_buf fault_jump;
static void on_segv(int sig) {
  atomic_store(&segv_tid, gettid());
  siglongjmp(fault_jump, 1);
}
static volatile uintptr_t bad_address = 16;
static void* faulter(void* arg) {
  if (!sigsetjmp(fault_jump, 1)) *(volatile int*)bad_address = 1;
  return (void*)(intptr_t)gettid();
}

static void faults(void) {
  CHECK(tl_handle_signal(SIGSEGV, on_segv, SA_NODEFER) == 0);
  pthread_t t;
  void* tid;
  CHECK(pthread_create(&t, NULL, faulter, NULL) == 0);
  CHECK(pthread_join(t, &tid) == 0);
  CHECK(atomic_load(&segv_tid) == (intptr_t)tid);
  signal(SIGSEGV, SIG_DFL);
  tl_say("a fault's SIGSEGV goes to the thread that faulted\n");
}

static void* spin(void* arg) {
  for (;;) sched_yield();
  return NULL;
}

static void fatal_signal(void) {
  pid_t child = fork();
  if (child == 0) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, spin, NULL);
    for (;;) pause();
  }
  tl_sleep_ms(50);
  CHECK(kill(child, SIGTERM) == 0);
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  tl_say("SIGTERM to a process with 4 threads: all end, status SIGTERM\n");
}

static char* const* saved_argv;
static void* exec_from_thread(void* arg) {
  char pid[16];
  snprintf(pid, sizeof(pid), "%d", (int)(intptr_t)arg);
  char* const args[] = {saved_argv[0], (char*)"after-exec", pid, NULL};
  tl_execv(tl_self(), args);
  _exit(97);
}

static void exec_in_thread(void) {
  pid_t child = fork();
  if (child == 0) {
    pthread_t t[3];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, spin, NULL);
    pthread_create(&t[2], NULL, exec_from_thread, (void*)(intptr_t)getpid());
    for (;;) pause();
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("execve from a thread: the new program runs alone as the process\n");
}

static int after_exec(char** argv) {
  pid_t old_pid = atoi(argv[2]);
  if (tl_is_qemu_user()) return 0;  /* qemu-user's exec is a new qemu process: nothing of the old is here */
  if (getpid() != old_pid) return 1;
  if (gettid() != old_pid) return 2;
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "after-exec") == 0) return after_exec(argv);
  tl_init(argc, argv);
  saved_argv = argv;
  directed();
  pending_for_process();
  faults();
  fatal_signal();
  exec_in_thread();
  return tl_done();
}
