/* lab_signals_threads (lab signals, hidden): a fault's SIGSEGV in a process with several threads.
 *
 * A fault is the faulting thread's own business: its signal is forced on that thread (Linux's
 * force_sig_fault -> force_sig_info_to_task), never left to whichever thread of the process takes signals
 * first, and never dropped or left pending because the thread blocks it or the process ignores it.
 *   - two threads fault 50 times each, each on its own page, while the main thread does not block SIGSEGV:
 *     every handler run is in the thread that faulted, with si_addr that thread's address (the handler
 *     unprotects the page; the thread protects it again and faults again)
 *   - a thread that blocks SIGSEGV faults while the main thread has a handler and does not block it: the
 *     whole process dies of SIGSEGV, and the handler never runs
 *   - a thread faults while the process ignores SIGSEGV: the process dies of SIGSEGV
 *   - a thread faults inside its own SIGSEGV handler (SIGSEGV blocked there): the process dies of SIGSEGV
 *   - with SA_NODEFER, a fault inside the handler runs the handler again, nested, in the same thread
 * Each case runs in a child with an alarm: a thread that faults for ever (its signal never delivered) is
 * killed by SIGALRM, and the line says so. Checked on Linux 6.1 (../shared/reference-linux).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096
#define ROUNDS 50

static const char* how(int status) {
  static char buf[64];
  if (WIFEXITED(status)) snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) snprintf(buf, sizeof buf, "killed by %s", sigabbrev_np(WTERMSIG(status)));
  else snprintf(buf, sizeof buf, "status %#x", status);
  return buf;
}

/* Run fn in a child that SIGALRM ends after `seconds`; returns its wait status. */
static int in_child_for(void (*fn)(void), unsigned seconds) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(seconds);
    fn();
    _exit(0);
  }
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}
static int in_child(void (*fn)(void)) { return in_child_for(fn, 10); }

static void expect(const char* what, int status, int want_exit, int want_sig) {
  if (want_sig) CHECK(WIFSIGNALED(status) && WTERMSIG(status) == want_sig);
  else CHECK(WIFEXITED(status) && WEXITSTATUS(status) == want_exit);
  tl_say("%s: %s\n", what, how(status));
}

static volatile int* volatile null_page = 0;
static void segv(void) { null_page[4] = 1; }

/* ---- every fault is handled in the thread that faulted ---- */

struct worker {
  pthread_t thread;
  atomic_int tid;
  char* page;
  atomic_int handled, wrong_thread, wrong_addr;
};
static struct worker workers[2];

static void fix_handler(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  int self = gettid();
  uintptr_t addr = (uintptr_t)si->si_addr;
  for (int i = 0; i < 2; i++) {
    struct worker* w = &workers[i];
    if (addr < (uintptr_t)w->page || addr >= (uintptr_t)w->page + PAGE) continue;
    if (atomic_load(&w->tid) != self) atomic_fetch_add(&w->wrong_thread, 1);
    atomic_fetch_add(&w->handled, 1);
    mprotect(w->page, PAGE, PROT_READ | PROT_WRITE);
    return;
  }
  /* Not a worker's page: the address is wrong. Count it against both, and make both pages writable so that
   * nothing faults for ever. */
  for (int i = 0; i < 2; i++) {
    atomic_fetch_add(&workers[i].wrong_addr, 1);
    mprotect(workers[i].page, PAGE, PROT_READ | PROT_WRITE);
  }
}

static void* fault_loop(void* arg) {
  struct worker* w = arg;
  atomic_store(&w->tid, gettid());
  for (int i = 0; i < ROUNDS; i++) {
    if (mprotect(w->page, PAGE, PROT_NONE) != 0) return (void*)1;
    ((volatile char*)w->page)[i * 16] = (char)i;  /* faults; the handler unprotects; runs again */
  }
  return NULL;
}

static void faults_in_threads(void) {
  CHECK(tl_handle_signal(SIGSEGV, fix_handler, SA_SIGINFO) == 0);
  char* pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(pages != MAP_FAILED);
  for (int i = 0; i < 2; i++) {
    workers[i].page = pages + i * PAGE;
    CHECK(pthread_create(&workers[i].thread, NULL, fault_loop, &workers[i]) == 0);
  }
  int ok = 1;
  for (int i = 0; i < 2; i++) {
    void* result = (void*)1;
    CHECK(pthread_join(workers[i].thread, &result) == 0);
    ok &= result == NULL;
  }
  for (int i = 0; i < 2; i++) {
    struct worker* w = &workers[i];
    if (atomic_load(&w->handled) != ROUNDS || atomic_load(&w->wrong_thread) || atomic_load(&w->wrong_addr)) {
      printf("worker %d: %d faults handled (%d expected), %d in another thread, %d with a wrong si_addr\n", i,
             atomic_load(&w->handled), ROUNDS, atomic_load(&w->wrong_thread), atomic_load(&w->wrong_addr));
      ok = 0;
    }
  }
  _exit(ok ? 0 : 1);
}

/* ---- a thread that blocks SIGSEGV, or a process that ignores it ---- */

static atomic_int handler_ran;
static void note_handler(int sig) {
  (void)sig;
  atomic_store(&handler_ran, 1);
  _exit(2);  /* the handler must not run: the fault kills */
}

static void* block_and_fault(void* arg) {
  (void)arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  segv();
  return NULL;
}

static void* just_fault(void* arg) {
  (void)arg;
  segv();
  return NULL;
}

static void run_thread_and_wait(void* (*fn)(void*)) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
  pthread_join(t, NULL);
  _exit(3);  /* the thread came back: the fault did nothing */
}

static void blocked_in_thread(void) {
  CHECK(tl_handle_signal(SIGSEGV, note_handler, 0) == 0);
  run_thread_and_wait(block_and_fault);
}

static void ignored_in_thread(void) {
  signal(SIGSEGV, SIG_IGN);
  run_thread_and_wait(just_fault);
}

/* ---- a fault inside the handler ---- */

static void fault_again_handler(int sig) {
  (void)sig;
  segv();
}

static void fault_in_handler_in_thread(void) {
  CHECK(tl_handle_signal(SIGSEGV, fault_again_handler, 0) == 0);
  run_thread_and_wait(just_fault);
}

static atomic_int depth, max_depth, handler_tid_ok;
static atomic_int faulting_tid;
static char* nodefer_page;
static void nested_handler(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  int d = atomic_fetch_add(&depth, 1) + 1;
  if (d > atomic_load(&max_depth)) atomic_store(&max_depth, d);
  if (gettid() != atomic_load(&faulting_tid)) atomic_store(&handler_tid_ok, 0);
  if ((char*)si->si_addr != nodefer_page) atomic_store(&handler_tid_ok, 0);
  if (d == 1) {
    ((volatile char*)nodefer_page)[0] = 1;  /* faults again, inside this handler: a nested run */
  } else {
    mprotect(nodefer_page, PAGE, PROT_READ | PROT_WRITE);
  }
  atomic_fetch_sub(&depth, 1);
}

static void* fault_on_nodefer_page(void* arg) {
  (void)arg;
  atomic_store(&faulting_tid, gettid());
  ((volatile char*)nodefer_page)[0] = 2;
  return NULL;
}

static void nodefer_in_thread(void) {
  atomic_store(&handler_tid_ok, 1);
  CHECK(tl_handle_signal(SIGSEGV, nested_handler, SA_SIGINFO | SA_NODEFER) == 0);
  nodefer_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(nodefer_page != MAP_FAILED);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, fault_on_nodefer_page, NULL) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  _exit(atomic_load(&max_depth) == 2 && atomic_load(&handler_tid_ok) && nodefer_page[0] == 2 ? 0 : 1);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  /* (Linux 6.1 on 2 harts under QEMU takes about 0.15 s per fault here, its mprotect's remote TLB flushes: 50
   * rounds and 40 s leave room.) */
  expect("two threads fault 50 times each: every handler runs in the faulting thread, with its si_addr",
         in_child_for(faults_in_threads, 40), 0, 0);
  expect("a thread that blocks SIGSEGV faults (the main thread has a handler)", in_child(blocked_in_thread), 0,
         SIGSEGV);
  expect("a thread faults while SIGSEGV is ignored", in_child(ignored_in_thread), 0, SIGSEGV);
  expect("a thread faults inside its SIGSEGV handler", in_child(fault_in_handler_in_thread), 0, SIGSEGV);
  expect("SA_NODEFER: a fault inside the handler runs it again, nested, in the same thread",
         in_child(nodefer_in_thread), 0, 0);
  return tl_done();
}
