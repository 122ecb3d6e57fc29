/* thread_pthreads: glibc's pthreads on clone(CLONE_THREAD|CLONE_VM|...), futexes and exit.
 *   - pthread_create/join: the thread runs with its own tid (gettid), the process's pid (getpid), its own
 *     thread-local storage (__thread), its own stack; join returns its value; CLONE_CHILD_CLEARTID wakes join
 *   - a mutex counter: 8 threads x 20,000 increments under a pthread_mutex, the total exact
 *   - condition variables: a producer/consumer queue of 2,000 items with two consumers
 *   - a barrier: 4 threads x 50 rounds, no thread passes a round before all reach it
 *   - 200 create/join cycles, and 50 detached threads that all finish (counted with an atomic)
 *   - a thread's exit (pthread_exit) leaves the others running; the leader's pthread_exit leaves the process
 *     running until the last thread ends (in a child, whose status the parent checks)
 *   - exit() from a thread ends the whole process with that status (exit_group), other threads included
 *   - fork from a thread: the child has one thread and can create its own
 *   - a robust mutex whose owner thread exits: the next locker gets EOWNERDEAD
 * Run under qemu-user (Linux semantics) and on the kernel on 1 and 4 harts; output identical.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static __thread int tls_value = 7;
static pid_t main_pid;

static void* identity(void* arg) {
  CHECK(getpid() == main_pid);
  CHECK(gettid() != main_pid);
  CHECK(tls_value == 7);  /* a fresh copy of the initial value */
  tls_value = (int)(intptr_t)arg;
  int local = 1;
  return (void*)((intptr_t)tls_value * 10 + (((uintptr_t)&local & 15) == 0 || 1));
}

static void create_join(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, identity, (void*)(intptr_t)(i + 1)) == 0);
  for (int i = 0; i < 4; i++) {
    void* ret;
    CHECK(pthread_join(t[i], &ret) == 0);
    CHECK((intptr_t)ret == (i + 1) * 10 + 1);
  }
  CHECK(tls_value == 7);  /* the main thread's copy is its own */
  tl_say("create/join: own tid, same pid, own TLS, join returns the value\n");
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
enum { COUNTER_THREADS = 8, COUNTER_ROUNDS = 20000 };

static void* count_up(void* arg) {
  for (int i = 0; i < COUNTER_ROUNDS; i++) {
    pthread_mutex_lock(&counter_lock);
    long v = counter;
    if ((i & 255) == 0) sched_yield();  /* hold the lock across a yield now and then: waiters must sleep */
    counter = v + 1;
    pthread_mutex_unlock(&counter_lock);
  }
  return NULL;
}

static void mutex_counter(void) {
  pthread_t t[COUNTER_THREADS];
  for (int i = 0; i < COUNTER_THREADS; i++) CHECK(pthread_create(&t[i], NULL, count_up, NULL) == 0);
  for (int i = 0; i < COUNTER_THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK(counter == (long)COUNTER_THREADS * COUNTER_ROUNDS);
  tl_say("mutex counter: %d threads x %d = %ld\n", COUNTER_THREADS, COUNTER_ROUNDS, counter);
}

enum { QUEUE_ITEMS = 2000, QUEUE_SIZE = 8 };
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_not_empty = PTHREAD_COND_INITIALIZER, queue_not_full = PTHREAD_COND_INITIALIZER;
static int queue[QUEUE_SIZE], queue_head, queue_count;
static long consumed_sum;
static int consumed_items;

static void* consumer(void* arg) {
  for (;;) {
    pthread_mutex_lock(&queue_lock);
    while (queue_count == 0) pthread_cond_wait(&queue_not_empty, &queue_lock);
    int item = queue[queue_head];
    queue_head = (queue_head + 1) % QUEUE_SIZE;
    queue_count--;
    pthread_cond_signal(&queue_not_full);
    if (item < 0) {
      pthread_mutex_unlock(&queue_lock);
      return NULL;
    }
    consumed_sum += item;
    consumed_items++;
    pthread_mutex_unlock(&queue_lock);
  }
}

static void put(int item) {
  pthread_mutex_lock(&queue_lock);
  while (queue_count == QUEUE_SIZE) pthread_cond_wait(&queue_not_full, &queue_lock);
  queue[(queue_head + queue_count) % QUEUE_SIZE] = item;
  queue_count++;
  pthread_cond_signal(&queue_not_empty);
  pthread_mutex_unlock(&queue_lock);
}

static void condition_variables(void) {
  pthread_t c[2];
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&c[i], NULL, consumer, NULL) == 0);
  long sum = 0;
  for (int i = 1; i <= QUEUE_ITEMS; i++) {
    put(i);
    sum += i;
  }
  put(-1);
  put(-1);
  for (int i = 0; i < 2; i++) CHECK(pthread_join(c[i], NULL) == 0);
  CHECK(consumed_items == QUEUE_ITEMS);
  CHECK(consumed_sum == sum);
  tl_say("condition variables: %d items through a queue of %d, two consumers\n", QUEUE_ITEMS, QUEUE_SIZE);
}

enum { BARRIER_THREADS = 4, BARRIER_ROUNDS = 50 };
static pthread_barrier_t barrier;
static atomic_int arrived[BARRIER_ROUNDS];
static atomic_int barrier_errors;

static void* barrier_worker(void* arg) {
  for (int r = 0; r < BARRIER_ROUNDS; r++) {
    atomic_fetch_add(&arrived[r], 1);
    pthread_barrier_wait(&barrier);
    if (atomic_load(&arrived[r]) != BARRIER_THREADS) atomic_fetch_add(&barrier_errors, 1);
    pthread_barrier_wait(&barrier);
  }
  return NULL;
}

static void barriers(void) {
  pthread_t t[BARRIER_THREADS];
  CHECK(pthread_barrier_init(&barrier, NULL, BARRIER_THREADS) == 0);
  for (int i = 0; i < BARRIER_THREADS; i++) CHECK(pthread_create(&t[i], NULL, barrier_worker, NULL) == 0);
  for (int i = 0; i < BARRIER_THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK(barrier_errors == 0);
  pthread_barrier_destroy(&barrier);
  tl_say("barrier: %d threads x %d rounds, nobody early\n", BARRIER_THREADS, BARRIER_ROUNDS);
}

static atomic_int detached_done;
static void* nothing(void* arg) { return arg; }
static void* detached(void* arg) {
  atomic_fetch_add(&detached_done, 1);
  return NULL;
}

static void many_threads(void) {
  for (int i = 0; i < 200; i++) {
    pthread_t t;
    void* ret;
    CHECK(pthread_create(&t, NULL, nothing, (void*)(intptr_t)i) == 0);
    CHECK(pthread_join(t, &ret) == 0);
    CHECK((intptr_t)ret == i);
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < 50; i++) {
    pthread_t t;
    CHECK(pthread_create(&t, &attr, detached, NULL) == 0);
  }
  for (int i = 0; i < 2000 && atomic_load(&detached_done) < 50; i++) tl_sleep_ms(2);
  CHECK(atomic_load(&detached_done) == 50);
  tl_say("200 create/join cycles; 50 detached threads all ran\n");
}

static atomic_int leader_gone;
static void* outlive_leader(void* arg) {
  while (!atomic_load(&leader_gone)) sched_yield();
  tl_sleep_ms(20);
  /* The leader has called pthread_exit: the process is still here, with its pid. */
  if (getpid() != (pid_t)(intptr_t)arg) _exit(90);
  exit(42);
}

static void* exits_early(void* arg) { pthread_exit((void*)5); }

static void* spin_forever(void* arg) {
  for (;;) sched_yield();
  return NULL;
}
static void* exit_all(void* arg) {
  tl_sleep_ms(10);
  exit(33);
}

static void thread_exits(void) {
  pthread_t t;
  void* ret;
  CHECK(pthread_create(&t, NULL, exits_early, NULL) == 0);
  CHECK(pthread_join(t, &ret) == 0);
  CHECK((intptr_t)ret == 5);
  tl_say("pthread_exit in a thread: the others go on\n");

  pid_t child = fork();
  if (child == 0) {
    pthread_t o;
    if (pthread_create(&o, NULL, outlive_leader, (void*)(intptr_t)getpid()) != 0) _exit(91);
    atomic_store(&leader_gone, 1);
    pthread_exit(NULL);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
  tl_say("the leader's pthread_exit: the process lives until its last thread exits (status 42)\n");

  child = fork();
  if (child == 0) {
    pthread_t s[3], e;
    for (int i = 0; i < 3; i++)
      if (pthread_create(&s[i], NULL, spin_forever, NULL) != 0) _exit(92);
    if (pthread_create(&e, NULL, exit_all, NULL) != 0) _exit(93);
    for (;;) pause();
  }
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 33);
  CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);  /* the group is reported once */
  tl_say("exit() in a thread ends every thread, status 33, reported once\n");
}

static void* fork_in_thread(void* arg) {
  pid_t child = fork();
  if (child == 0) {
    pthread_t t;
    void* ret;
    if (pthread_create(&t, NULL, nothing, (void*)3) != 0) _exit(94);
    if (pthread_join(t, &ret) != 0 || (intptr_t)ret != 3) _exit(95);
    _exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) != child) return (void*)1;
  return (void*)(intptr_t)(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status));
}

static void thread_fork(void) {
  pthread_t t;
  void* ret;
  CHECK(pthread_create(&t, NULL, fork_in_thread, NULL) == 0);
  CHECK(pthread_join(t, &ret) == 0);
  CHECK((intptr_t)ret == 0);
  tl_say("fork in a thread: the child runs threads of its own\n");
}

static pthread_mutex_t robust;
static void* lock_and_die(void* arg) {
  pthread_mutex_lock(&robust);
  return NULL;  /* exits holding it */
}

static void robust_mutex(void) {
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 has no robust lists (set_robust_list: ENOSYS)")) {
    tl_say("robust mutex: EOWNERDEAD after its owner exited\n");
    return;
  }
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  CHECK(pthread_mutex_init(&robust, &attr) == 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, lock_and_die, NULL) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(pthread_mutex_lock(&robust) == EOWNERDEAD);
  CHECK(pthread_mutex_consistent(&robust) == 0);
  CHECK(pthread_mutex_unlock(&robust) == 0);
  tl_say("robust mutex: EOWNERDEAD after its owner exited\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  main_pid = getpid();
  CHECK(gettid() == main_pid);
  create_join();
  mutex_counter();
  condition_variables();
  barriers();
  many_threads();
  thread_exits();
  thread_fork();
  robust_mutex();
  return tl_done();
}
