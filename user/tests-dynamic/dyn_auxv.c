/* dyn_auxv: what the kernel tells ld.so and the program through the auxiliary vector when the program is
 * dynamically linked. AT_BASE is the address where ld.so is loaded (its first mapping in /proc/self/maps, offset
 * 0, and where dl_iterate_phdr puts it), AT_PHDR the program's program headers in memory (dl_iterate_phdr's
 * first object), AT_ENTRY the program's entry point (e_entry plus the load bias, not ld.so's), AT_EXECFN its
 * name. And the loader is placed at a random address: two runs of the program see different AT_BASE values
 * (qemu-user does not randomize; Linux does). Run as a program itself (ld.so PROGRAM), ld.so gets AT_BASE 0 and
 * loads the program.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

struct found {
  const char* want;
  uintptr_t addr;
  const ElfW(Phdr) * phdr;
  int index, count;
};

static int find_object(struct dl_phdr_info* info, size_t size, void* data) {
  struct found* f = data;
  if (f->count++ == 0 && !f->want) { /* the first object is the program */
    f->addr = info->dlpi_addr;
    f->phdr = info->dlpi_phdr;
    return 1;
  }
  if (f->want && strstr(info->dlpi_name, f->want)) {
    f->addr = info->dlpi_addr;
    f->phdr = info->dlpi_phdr;
    return 1;
  }
  return 0;
}

/* The start of the mapping of a file whose name contains `name`, at file offset 0. */
static unsigned long first_mapping(const char* name) {
  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  char line[512];
  unsigned long result = 0;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long start, offset;
    if (sscanf(line, "%lx-%*x %*s %lx", &start, &offset) == 2 && offset == 0 && strstr(line, name)) {
      result = start;
      break;
    }
  }
  if (f) fclose(f);
  return result;
}

extern char _start[];

/* Run this program again (through `loader`, if not NULL), as "PROGRAM base FILE"; returns the AT_BASE it wrote to
 * FILE, or ~0 if it did not run. */
static unsigned long child_base(const char* loader, int n) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/dyn_auxv.%d.%d", getpid(), n);
  unlink(path);
  if (loader) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      char* args[] = {(char*)loader, (char*)tl_self(), "base", path, NULL};
      tl_execv(loader, args);
      _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  } else {
    char* args[] = {"base", path, NULL};
    CHECK(tl_run_self(args) == 0);
  }
  unsigned long base = ~0ul;
  FILE* f = fopen(path, "r");
  CHECK(f != NULL);
  if (f) {
    CHECK(fscanf(f, "%lx", &base) == 1);
    fclose(f);
  }
  unlink(path);
  return base;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 3 && strcmp(argv[1], "base") == 0) { /* a child run: write our AT_BASE to the file argv[2] */
    FILE* f = fopen(argv[2], "w");
    if (!f) return 1;
    fprintf(f, "%lx\n", getauxval(AT_BASE));
    return fclose(f) == 0 ? 0 : 1;
  }
  unsigned long base = getauxval(AT_BASE);
  CHECK(base != 0);
  CHECK(base == first_mapping("ld-linux-riscv64-lp64d.so.1"));
  struct found ld = {"ld-linux-riscv64-lp64d.so.1", 0, NULL, 0, 0};
  CHECK(dl_iterate_phdr(find_object, &ld) == 1 && ld.addr == base);
  tl_say("AT_BASE is where ld.so is loaded: %s\n", base && ld.addr == base ? "yes" : "no");

  struct found program = {NULL, 0, NULL, 0, 0};
  CHECK(dl_iterate_phdr(find_object, &program) == 1);
  CHECK(getauxval(AT_PHDR) == (unsigned long)program.phdr);
  CHECK(getauxval(AT_PHNUM) > 0 && getauxval(AT_PHENT) == sizeof(ElfW(Phdr)));
  tl_say("AT_PHDR is the program's headers in memory: %s\n",
         getauxval(AT_PHDR) == (unsigned long)program.phdr ? "yes" : "no");
  CHECK(getauxval(AT_ENTRY) == (unsigned long)_start);
  tl_say("AT_ENTRY is the program's _start, not ld.so's: %s\n",
         getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
  const char* execfn = (const char*)getauxval(AT_EXECFN);
  CHECK(execfn && strcmp(execfn, tl_self()) == 0);
  CHECK(getauxval(AT_PAGESZ) == 4096);

  /* Two more runs: each writes its AT_BASE. */
  unsigned long bases[2];
  for (int i = 0; i < 2; i++) bases[i] = child_base(NULL, i);
  CHECK(bases[0] != 0 && bases[1] != 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("ld.so is loaded at the same address every run"))
    CHECK(bases[0] != bases[1] || bases[0] != base);
  tl_say("ld.so's address differs between runs\n");

  /* ld.so run as a program, with this program as its argument: the kernel loads ld.so as an ordinary
   * position-independent program (no interpreter, so AT_BASE is 0), and ld.so loads the program itself. Under
   * qemu-user the loader is under QEMU_LD_PREFIX. */
  char loader[256];
  const char* prefix = tl_is_qemu_user() ? getenv("QEMU_LD_PREFIX") : NULL;
  snprintf(loader, sizeof loader, "%s/lib/ld-linux-riscv64-lp64d.so.1", prefix ? prefix : "");
  unsigned long direct = child_base(loader, 2);
  CHECK(direct == 0);
  tl_say("ld.so run as a program runs this one, with AT_BASE 0: %s\n", direct == 0 ? "yes" : "no");
  return tl_done();
}
