/* dyn_relro: RELRO. After relocating an object, glibc's loader makes its PT_GNU_RELRO part (the GOT, .dynamic,
 * the tables relocations wrote once) read-only with mprotect. For the program, libc and ld.so: the pages of
 * the RELRO range are read-only in /proc/self/maps (they were mapped read-write), a write to them is a SIGSEGV
 * with SEGV_ACCERR, and the object's ordinary data after it stays writable.
 */
#define _GNU_SOURCE
#include <link.h>
#include <setjmp.h>
#include <signal.h>

#include <unistd.h>

#include "testlib.h"

static sigjmp_buf recover;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t* info, void* context) {
  fault_code = info->si_code;
  siglongjmp(recover, 1);
}

/* The permissions of the /proc/self/maps line covering address, into perms[5]. */
static void perms_at(uintptr_t address, char* perms) {
  strcpy(perms, "none");
  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long start, end;
    char p[8];
    if (sscanf(line, "%lx-%lx %7s", &start, &end, p) == 3 && address >= start && address < end) {
      memcpy(perms, p, 4);
      perms[4] = '\0';
    }
  }
  fclose(f);
}

static const char* short_name(const char* name) {
  if (!name[0]) return "the program";
  const char* slash = strrchr(name, '/');
  return slash ? slash + 1 : name;
}

/* Write a byte back where it was (harmless if the page is writable): fault_code is then -1, or the si_code of
 * the SIGSEGV. */
static void write_back(volatile char* target) {
  fault_code = 0;
  char old = *target;
  if (sigsetjmp(recover, 1) == 0) {
    *target = old;
    fault_code = -1;
  }
}

static int check_object(struct dl_phdr_info* info, size_t size, void* data) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)* p = &info->dlpi_phdr[i];
    if (p->p_type != PT_GNU_RELRO) continue;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = (info->dlpi_addr + p->p_vaddr) & ~(uintptr_t)(page - 1);
    uintptr_t end = (info->dlpi_addr + p->p_vaddr + p->p_memsz) & ~(uintptr_t)(page - 1);
    if (start == end) {
      tl_say("%s: RELRO smaller than a page\n", short_name(info->dlpi_name));
      continue;
    }
    char perms[8];
    perms_at(start, perms);
    write_back((volatile char*)start);
    tl_say("%s: RELRO pages %s, a write %s\n", short_name(info->dlpi_name), perms,
           fault_code == SEGV_ACCERR ? "faults (SEGV_ACCERR)" : fault_code == -1 ? "succeeds" : "faults oddly");
    CHECK(strcmp(perms, "r--p") == 0);
    CHECK(fault_code == SEGV_ACCERR);
  }
  return 0;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
  dl_iterate_phdr(check_object, NULL);
  /* Ordinary data stays writable. */
  static int data = 1;
  data++;
  CHECK(data == 2);
  return tl_done();
}
