/* swap_threads: threads fault on the same swapped-out page at the same moment; the page is read once and every
 * thread sees it whole.
 *
 * On a 32 MiB machine with 128 MiB of swap: a page is filled with a pattern, then 48 MiB of other memory is
 * written so that the page goes to swap (mincore may still say it is in memory when read-ahead for a neighbouring
 * slot brought it back into the swap cache: that is reported on stderr, not checked). Eight threads
 * wait at a barrier, then all read the page at once (the first fault reads it from swap; the others wait for that
 * read, as Linux's do on the page lock), check the pattern, and each adds one to a counter in the page (a write
 * fault on a page that may still be shared with its swap copy). Three rounds; each ends with the counter
 * equal to the number of threads and the pattern intact.
 *
 * TEST: mem=32M
 * TEST: swap=128M
 * TEST: timeout=300
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define THREADS 8
#define ROUNDS 3
#define PUSH_BYTES (48UL << 20)
#define WORDS (MT_PAGE / sizeof(uint64_t))

static uint64_t* target;  /* the page the threads share; word 0 is the counter */
static char* push;        /* memory written to push the target out */
static pthread_barrier_t start;
static atomic_int wrong_seen;

static uint64_t pattern(size_t word, unsigned round) { return (word * 0x9e3779b97f4a7c15ull) ^ (round + 1); }

static void* thread_main(void* arg) {
  unsigned round = (unsigned)(uintptr_t)arg;
  pthread_barrier_wait(&start);
  for (size_t w = 1; w < WORDS; w++)
    if (target[w] != pattern(w, round)) {
      atomic_fetch_add(&wrong_seen, 1);
      break;
    }
  __atomic_fetch_add(&target[0], 1, __ATOMIC_SEQ_CST);
  return NULL;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  target = mmap(NULL, MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  push = mmap(NULL, PUSH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(target != MAP_FAILED && push != MAP_FAILED);
  if (target == MAP_FAILED || push == MAP_FAILED) return tl_done();
  for (unsigned round = 0; round < ROUNDS; round++) {
    target[0] = 0;
    for (size_t w = 1; w < WORDS; w++) target[w] = pattern(w, round);
    for (size_t off = 0; off < PUSH_BYTES; off += MT_PAGE) push[off] = (char)(round + off / MT_PAGE);
    unsigned char in_memory = 1;
    CHECK(mincore(target, MT_PAGE, &in_memory) == 0);
    fprintf(stderr, "round %u: the page is %s\n", round, in_memory & 1 ? "in memory" : "on swap");
    CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
    pthread_t threads[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
      CHECK(pthread_create(&threads[i], NULL, thread_main, (void*)(uintptr_t)round) == 0);
    for (unsigned i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(pthread_barrier_destroy(&start) == 0);
    CHECK(target[0] == THREADS);
    CHECK(atomic_load(&wrong_seen) == 0);
    tl_say("round %u: %llu threads saw the page, %d saw it wrong\n", round, (unsigned long long)target[0],
           atomic_load(&wrong_seen));
  }
  size_t bad = 0;
  for (size_t off = 0; off < PUSH_BYTES; off += MT_PAGE) bad += push[off] != (char)(ROUNDS - 1 + off / MT_PAGE);
  CHECK(bad == 0);
  tl_say("pushed memory: %lu wrong pages\n", (unsigned long)bad);
  return tl_done();
}
