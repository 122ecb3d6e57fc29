/* lab_swap_aging (lab 6, hidden): the student's policy under the kernel's real page-out, in the cases where a
 * policy's books go wrong: pages freed while the policy holds them (munmap, MADV_DONTNEED, exit), a fork of a
 * partly swapped process with both sides writing, and memory 1.5 times the size of RAM. Every byte must come back
 * right and init's leak check must find every frame and swap slot returned.
 *
 * TEST: mem=32M
 * TEST: swap=128M
 * TEST: kernel-args=replacement=aging
 * TEST: kernel-log=page-out: aging replacement
 * TEST: timeout=240
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1024UL * 1024)

static uint64_t value(size_t page, unsigned gen) { return (page * 2654435761u + 7) ^ ((uint64_t)gen << 40); }

static char* map(size_t bytes) {
  char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  return p;
}

static void fill(char* base, size_t pages, size_t from, size_t step, unsigned gen) {
  for (size_t i = from; i < pages; i += step) *(uint64_t*)(base + i * PAGE) = value(i, gen);
}

static size_t wrong(char* base, size_t pages, size_t from, size_t step, unsigned gen) {
  size_t bad = 0;
  for (size_t i = from; i < pages; i += step)
    if (*(volatile uint64_t*)(base + i * PAGE) != value(i, gen)) bad++;
  return bad;
}

int main(void) {
  /* 1. Pages freed while the policy holds them, some resident and some on swap. */
  size_t pages = 40 * MIB / PAGE;
  char* a = map(pages * PAGE);
  fill(a, pages, 0, 1, 1);
  munmap(a + pages / 4 * PAGE, pages / 4 * PAGE);                  /* a quarter unmapped */
  madvise(a + pages / 2 * PAGE, pages / 8 * PAGE, MADV_DONTNEED);  /* an eighth dropped: reads give zeros */
  size_t bad = wrong(a, pages / 4, 0, 1, 1) + wrong(a, pages, pages / 2 + pages / 8, 1, 1);
  for (size_t i = pages / 2; i < pages / 2 + pages / 8; i++)
    if (*(volatile uint64_t*)(a + i * PAGE) != 0) bad++;
  printf("freed while held: %zu wrong pages\n", bad);
  munmap(a, pages * PAGE);

  /* 2. A fork of a process whose memory is half on swap: child and parent each rewrite half and check all. */
  pages = 40 * MIB / PAGE;
  char* b = map(pages * PAGE);
  fill(b, pages, 0, 1, 2);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    fill(b, pages, 0, 2, 3);
    size_t w = wrong(b, pages, 0, 2, 3) + wrong(b, pages, 1, 2, 2);
    _exit(w == 0 ? 0 : 1);
  }
  fill(b, pages, 1, 2, 4);
  size_t w = wrong(b, pages, 1, 2, 4) + wrong(b, pages, 0, 2, 2);
  int status;
  waitpid(pid, &status, 0);
  printf("fork while swapped: parent %zu wrong pages, child %s\n", w,
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "right" : "wrong");
  munmap(b, pages * PAGE);

  /* 3. Half again the RAM, two passes with locality (a hot eighth touched between every two cold pages), then a
   * child that exits with most of its memory on swap. */
  pages = 48 * MIB / PAGE;
  char* c = map(pages * PAGE);
  fill(c, pages, 0, 1, 5);
  size_t hot = pages / 8;
  bad = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = hot; i < pages; i += 3) {
      if (*(volatile uint64_t*)(c + i * PAGE) != value(i, 5)) bad++;
      size_t h = (i * 7919) % hot;
      if (*(volatile uint64_t*)(c + h * PAGE) != value(h, 5)) bad++;
    }
  printf("1.5 times the RAM: %zu wrong pages\n", bad);
  pid = fork();
  if (pid == 0) {
    fill(c, pages, 0, 5, 6);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  printf("child exit with pages on swap: %s; parent %zu wrong pages\n",
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed", wrong(c, pages, 0, 1, 5));
  return 0;
}
