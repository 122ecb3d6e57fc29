/* sig_fault_codes: the siginfo of the synchronous signals other than SIGSEGV (mm_segv_siginfo has those).
 *   - SIGBUS, BUS_ADRERR, si_addr = the address: a MAP_SHARED/MAP_PRIVATE file mapping read past the page
 *     that holds the end of the file
 *   - SIGILL, ILL_ILLOPC, si_addr = the pc of the illegal instruction (a write to the read-only cycle CSR, and
 *     the all-zero 16-bit instruction)
 *   - SIGTRAP, TRAP_BRKPT, si_addr = the pc of the ebreak (c.ebreak too)
 *   - all of them: si_signo set, si_errno 0, and the handler may resume after the instruction
 * The file is created in the directory given as the first argument (default /tmp).
 * Compared with qemu-user (faithful for all of this; also checked on Linux 6.1 with ../shared/reference-linux).
 * TEST: args=/tmp
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

static volatile int got_sig, got_code, got_errno;
static volatile uintptr_t got_addr, got_pc;

static void handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  got_sig = si->si_signo == sig ? sig : -1;
  got_code = si->si_code;
  got_errno = si->si_errno;
  got_addr = (uintptr_t)si->si_addr;
  got_pc = uc->uc_mcontext.__gregs[REG_PC];
  uint16_t low = *(uint16_t*)got_pc;
  uc->uc_mcontext.__gregs[REG_PC] += (low & 3) == 3 ? 4 : 2;
}

extern char illegal_csr[], illegal_zero[], break_full[], break_compressed[];
void run_illegal_csr(void);
void run_illegal_zero(void);
void run_breaks(void);
asm(".text\n"
    ".globl run_illegal_csr\n"
    "run_illegal_csr:\n"
    ".globl illegal_csr\n"
    "illegal_csr: .4byte 0xc0001073\n" /* csrrw zero, cycle, zero: cycle is read-only */
    "  ret\n"
    ".globl run_illegal_zero\n"
    "run_illegal_zero:\n"
    ".globl illegal_zero\n"
    "illegal_zero: .2byte 0\n"         /* defined to be illegal */
    "  ret\n"
    ".globl run_breaks\n"
    "run_breaks:\n"
    ".globl break_full\n"
    "break_full: .4byte 0x00100073\n"  /* ebreak */
    ".globl break_compressed\n"
    "break_compressed: .2byte 0x9002\n" /* c.ebreak */
    "  ret\n");

static void bus_error(const char* dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/sig_fault_codes.%d", dir, getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  CHECK(write(fd, "x", 1) == 1);
  char* m = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK(tl_handle_signal(SIGBUS, handler, SA_SIGINFO) == 0);
  got_sig = 0;
  volatile char c = m[100]; /* inside the file's last page: fine */
  (void)c;
  CHECK(got_sig == 0);
  c = m[4096 + 12]; /* the next page is past the end of the file */
  CHECK(got_sig == SIGBUS && got_code == BUS_ADRERR && got_addr == (uintptr_t)(m + 4096 + 12) && got_errno == 0);
  tl_say("reading past the end of a mapped file: SIGBUS, BUS_ADRERR at the address\n");
  munmap(m, 3 * 4096);
  close(fd);
  unlink(path);
}

static void illegal(void) {
  CHECK(tl_handle_signal(SIGILL, handler, SA_SIGINFO) == 0);
  got_sig = 0;
  run_illegal_csr();
  CHECK(got_sig == SIGILL && got_code == ILL_ILLOPC && got_addr == (uintptr_t)illegal_csr &&
        got_pc == (uintptr_t)illegal_csr && got_errno == 0);
  tl_say("csrrw to the read-only cycle CSR: SIGILL, ILL_ILLOPC, si_addr = pc\n");
  got_sig = 0;
  run_illegal_zero();
  CHECK(got_sig == SIGILL && got_code == ILL_ILLOPC && got_addr == (uintptr_t)illegal_zero &&
        got_pc == (uintptr_t)illegal_zero);
  tl_say("the all-zero instruction: SIGILL, ILL_ILLOPC, si_addr = pc\n");
}

static volatile int break_count;
static volatile uintptr_t first_break_addr;
static void break_handler(int sig, siginfo_t* si, void* ucv) {
  if (break_count++ == 0) first_break_addr = (uintptr_t)si->si_addr;
  handler(sig, si, ucv);
}

static void breakpoints(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = break_handler;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGTRAP, &sa, NULL) == 0);
  run_breaks();
  CHECK(break_count == 2 && got_sig == SIGTRAP && got_code == TRAP_BRKPT);
  CHECK(got_pc == (uintptr_t)break_compressed);
  CHECK(first_break_addr == (uintptr_t)break_full && got_addr == (uintptr_t)break_compressed);
  tl_say("ebreak and c.ebreak: SIGTRAP, TRAP_BRKPT, si_addr = pc\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  bus_error(argc > 1 ? argv[1] : "/tmp");
  illegal();
  breakpoints();
  return tl_done();
}
