/* lab_lazy_sparse (lab lazy, hidden): a sparse 512 MiB heap on a 64 MiB machine, and the break's edge.
 *
 * brk(2) only reserves: a program may grow its break far past the machine's RAM and pay for the pages it
 * touches. Checked: the break grows by 512 MiB in steps of 32 MiB (Linux's overcommit heuristic refuses one
 * request larger than RAM + swap); one byte written every 32 MiB and 100 untouched pages read (zeros);
 * shrinking the break back returns the old break, and a regrown page reads as zero again. Before that, a child
 * that touches the first page past the page-aligned break dies of SIGSEGV.
 *
 * qemu-user emulates brk itself and lets a program touch past its break (GUIDE.md), so this runs on the kernel
 * only; it passes on Linux 6.1 (/work/shared/reference-linux/run.sh -m 64M).
 * TEST: mem=64M
 * TEST: kernel-only
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define STEP (32ul << 20)
#define STEPS 16
#define PAGE 4096ul

int main(void) {
  /* First the edge, while the heap is small (Linux's overcommit heuristic refuses to fork a process that has
   * reserved far more than the machine has). */
  fflush(stdout);
  /* The break now (stdio's buffer may have come from malloc, which moves it), rounded up to a page. */
  uintptr_t edge = ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    *(volatile char*)edge = 1; /* past the break: no region */
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("a write past the break: %s\n",
         WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : "not SIGSEGV");

  char* start = sbrk(0);
  for (int i = 0; i < STEPS; i++) {
    if (sbrk(STEP) == (void*)-1) {
      printf("sbrk step %d of 32 MiB failed: the break must only reserve memory\n", i);
      return 1;
    }
  }
  char* end = sbrk(0);
  printf("break grew by %lu MiB\n", (unsigned long)((end - start) >> 20));
  for (int i = 0; i < STEPS; i++) start[(unsigned long)i * STEP + 1] = (char)(i + 1);
  int bad = 0;
  for (int i = 0; i < STEPS; i++) bad += start[(unsigned long)i * STEP + 1] != (char)(i + 1);
  for (unsigned long p = 0; p < 100; p++) bad += start[STEP / 2 + p * PAGE + 7] != 0;
  printf("sparse writes and zero reads: %s\n", bad ? "WRONG" : "ok");

  start[5 * PAGE] = 'x';
  char* now = sbrk(0);
  if (sbrk(-(intptr_t)(now - start)) == (void*)-1 || sbrk(0) != start) {
    printf("shrinking the break failed\n");
    return 1;
  }
  if (sbrk(16 * PAGE) == (void*)-1) return 1;
  printf("regrown page reads %d\n", start[5 * PAGE]);
  return bad;
}
