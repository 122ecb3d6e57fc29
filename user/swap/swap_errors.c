/* swap_errors: what a program sees when the swap disk fails (tests/qemu/swap_test.py injects the errors with
 * QEMU's blkdebug).
 *
 *   swap_errors write   writes every page of 80 MiB (on a 32 MiB machine: most of it goes to swap, and some
 *                       writes to swap fail), then checks every page: nothing may be lost (a page whose write
 *                       failed stays in memory; its slot is marked bad).
 *   swap_errors read    writes every page, then reads every page back with a SIGBUS handler: a page whose read
 *                       from swap fails gets SIGBUS (si_code BUS_ADRERR, si_addr in the page) and is skipped;
 *                       every other page must be right.
 * Prints "sigbus pages: N" and "wrong pages: M"; exits 0 if M is 0 (and, for read, every SIGBUS was BUS_ADRERR at
 * the page being read).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define BYTES (80UL << 20)
#define PAGES (BYTES / PAGE)
#define WORDS (PAGE / sizeof(uint64_t))

static char* base;
static sigjmp_buf recover;
static volatile char* expected_page;
static volatile int bad_signals;

static uint64_t value(size_t page, size_t word) {
  uint64_t x = page * 0x9e3779b97f4a7c15ull + word * 0xbf58476d1ce4e5b9ull;
  return (x ^ (x >> 31)) * 0x94d049bb133111ebull;
}

static void on_sigbus(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)context;
  char* addr = info->si_addr;
  if (info->si_code != BUS_ADRERR || addr < expected_page || addr >= expected_page + PAGE) bad_signals++;
  siglongjmp(recover, 1);
}

int main(int argc, char** argv) {
  int read_mode = argc > 1 && strcmp(argv[1], "read") == 0;
  base = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  for (size_t i = 0; i < PAGES; i++) {
    uint64_t* p = (uint64_t*)(base + i * PAGE);
    for (size_t w = 0; w < WORDS; w++) p[w] = value(i, w);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  size_t wrong = 0, sigbus_pages = 0;
  for (size_t i = 0; i < PAGES; i++) {
    volatile uint64_t* p = (volatile uint64_t*)(base + i * PAGE);
    expected_page = (char*)p;
    if (sigsetjmp(recover, 1)) {
      sigbus_pages++;
      continue;
    }
    for (size_t w = 0; w < WORDS; w++)
      if (p[w] != value(i, w)) {
        wrong++;
        break;
      }
  }
  printf("%s: sigbus pages: %zu\n", read_mode ? "read" : "write", sigbus_pages);
  printf("wrong pages: %zu\n", wrong);
  printf("bad signals: %d\n", bad_signals);
  if (!read_mode && sigbus_pages) return 1;
  return wrong == 0 && bad_signals == 0 ? 0 : 1;
}
