/* mm_guard_pages: accesses outside the program's mappings, or against their protection, kill it with SIGSEGV.
 *
 * mmap(2), ERRORS/signals: "SIGSEGV Attempted write into a region mapped as read-only"; mprotect(2): "If the
 * calling process tries to access memory in a manner that violates the protections, then the kernel
 * generates a SIGSEGV signal for the process"; brk(2): the program break "is the first location after the end
 * of the uninitialized data segment" - memory is mapped up to the page containing the break, and the page
 * after it is not (Linux maps whole pages: the rest of the break's page is accessible).
 * Without a handler, SIGSEGV terminates the process (signal(7): default action "Core"); the parent sees
 * WTERMSIG == SIGSEGV. Each access here runs in its own child. (mm_segv_siginfo checks si_code/si_addr.)
 *
 * Known qemu-user difference: qemu keeps the memory of a shrunk break accessible.
 *
 * On our kernel, each killing fault logs one line naming the si_code a SA_SIGINFO handler would get (handlers
 * arrive with the signals issue; mm_segv_siginfo checks them): SEGV_ACCERR inside a segment that forbids the
 * access, SEGV_MAPERR where no segment is.
 * TEST: kernel-log=load page fault at address 0x\w+, pc 0x\w+, segment 0x\w+-0x\w+ ---p anonymous: access not permitted -> SIGSEGV \(SEGV_ACCERR\)$
 * TEST: kernel-log=store/AMO page fault at address 0x\w+, pc 0x\w+, segment 0x\w+-0x\w+ r--p anonymous: access not permitted -> SIGSEGV \(SEGV_ACCERR\)$
 * TEST: kernel-log=instruction page fault at address (0x\w+), pc \1, segment 0x\w+-0x\w+ ---p anonymous: access not permitted -> SIGSEGV \(SEGV_ACCERR\)$
 * TEST: kernel-log=load page fault at address 0, pc 0x\w+, no segment: no region -> SIGSEGV \(SEGV_MAPERR\)$
 * TEST: kernel-log=load page fault at address 0xffffffd000000000, pc 0x\w+, no segment \(kernel address\): no region -> SIGSEGV \(SEGV_MAPERR\)$
 * TEST: kernel-log=load page fault at address 0x800000000000, pc 0x\w+, no segment \(not a valid Sv39 address\): no region -> SIGSEGV \(SEGV_MAPERR\)$
 * TEST: kernel-log=store/AMO page fault at address 0x\w+, pc 0x\w+, segment 0x\w+-0x\w+ r-xp /bin/mm_guard_pages: access not permitted -> SIGSEGV \(SEGV_ACCERR\)$
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

static void expect(const char* what, int got, int want) {
  CHECK(got == want);
  tl_say("%s: %s\n", what, mt_probe_str(got));
}

static int main_marker(void) { return 1; }

int main(int argc, char** argv) {
  tl_init(argc, argv);

  /* The break: the rest of its page is accessible, the next page is not. */
  char* old = sbrk(100);
  CHECK(old != (char*)-1);
  char* brk_end = sbrk(0);
  CHECK(brk_end == old + 100);
  if ((uintptr_t)brk_end % MT_PAGE == 0) { /* make sure the break is inside a page */
    sbrk(100);
    brk_end = sbrk(0);
  }
  expect("last byte below the break", mt_probe_write(brk_end - 1), MT_OK);
  expect("the break's own page past the break", mt_probe_write(brk_end), MT_OK);
  expect("the page after the break", mt_probe_read((void*)MT_PAGE_ALIGN(brk_end)), MT_SEGV);
  /* Shrinking the break unmaps the pages above it. */
  char* top = sbrk(0);
  CHECK(sbrk(16 * MT_PAGE) == top);
  memset(top, 1, 16 * MT_PAGE);
  CHECK(sbrk(-16 * (long)MT_PAGE) == top + 16 * MT_PAGE);
  int r = mt_probe_read((void*)MT_PAGE_ALIGN(top) + 4 * MT_PAGE);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user keeps memory accessible after the break shrinks below it"))
    CHECK(r == MT_SEGV);
  tl_say("a page released by shrinking the break: %s\n", "SIGSEGV");

  /* A PROT_NONE page between two accessible pages. */
  char* a = mmap(NULL, 3 * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED);
  mt_put_code(a + MT_PAGE);
  CHECK(mprotect(a + MT_PAGE, MT_PAGE, PROT_NONE) == 0);
  expect("the page below a PROT_NONE page", mt_probe_write(a + MT_PAGE - 1), MT_OK);
  expect("reading a PROT_NONE page", mt_probe_read(a + MT_PAGE), MT_SEGV);
  expect("writing a PROT_NONE page", mt_probe_write(a + 2 * MT_PAGE - 1), MT_SEGV);
  expect("calling code in a PROT_NONE page", mt_probe_exec(a + MT_PAGE), MT_SEGV);
  expect("the page above it", mt_probe_write(a + 2 * MT_PAGE), MT_OK);

  /* Unmapped pages. */
  CHECK(munmap(a + MT_PAGE, MT_PAGE) == 0);
  expect("reading an unmapped hole", mt_probe_read(a + MT_PAGE + 123), MT_SEGV);
  expect("writing an unmapped hole", mt_probe_write(a + MT_PAGE + 123), MT_SEGV);
  expect("reading address 0", mt_probe_read(NULL), MT_SEGV);
  expect("reading a kernel address", mt_probe_read((void*)0xffffffd000000000UL), MT_SEGV);
  expect("reading far above the user address space", mt_probe_read((void*)0x800000000000UL), MT_SEGV);

  /* Read-only memory: a read-only mapping, the program's own code, a read-only global. */
  char* ro = mmap(NULL, MT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(ro != MAP_FAILED);
  expect("reading a read-only mapping", mt_probe_read(ro), MT_OK);
  expect("writing a read-only mapping", mt_probe_write(ro), MT_SEGV);
  expect("writing the program's code", mt_probe_write((void*)main_marker), MT_SEGV);
  static const char constant[] = "read-only data";
  expect("writing a const global", mt_probe_write((void*)constant), MT_SEGV);
  return tl_done();
}
