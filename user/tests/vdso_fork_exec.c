/* vdso_fork_exec: fork keeps the vDSO, exec gives the new program a fresh one, and no process can change
 * another's.
 *   - after fork the child has [vdso] and [vvar] where the parent has them, and the function pointers the
 *     parent looked up work in the child;
 *   - after exec the new program has exactly one [vdso] and one [vvar], its AT_SYSINFO_EHDR names the [vdso]
 *     mapping, and its functions work (a program that execs again, too);
 *   - a child that makes its [vdso] writable (allowed, as on Linux) and overwrites __vdso_clock_gettime gets a
 *     private copy: the parent's vDSO, and a later process's, still work.
 * qemu-user 7.2 gives riscv64 programs no vDSO: there the checks are skipped. Checked on Linux 6.1 with
 * ../shared/reference-linux/run.sh.
 */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "vdso_lookup.h"

typedef int (*gettime_fn)(clockid_t, struct timespec*);

struct mappings {
  unsigned long vdso_start, vdso_end, vvar_start, vvar_end;
  int vdso_count, vvar_count;
};

static struct mappings read_maps(void) {
  struct mappings m = {0};
  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  if (!f) return m;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    if (sscanf(line, "%lx-%lx", &s, &e) != 2) continue;
    if (strstr(line, "[vdso]")) m.vdso_start = s, m.vdso_end = e, m.vdso_count++;
    if (strstr(line, "[vvar]")) m.vvar_start = s, m.vvar_end = e, m.vvar_count++;
  }
  fclose(f);
  return m;
}

static gettime_fn lookup_gettime(void) {
  struct vdso_image v;
  if (vdso_open(&v, getauxval(AT_SYSINFO_EHDR))) return NULL;
  return (gettime_fn)vdso_function(&v, "__vdso_clock_gettime", "LINUX_4.15");
}

/* The vDSO's clock_gettime works: between two system-call readings. */
static int gettime_works(gettime_fn gettime) {
  struct timespec a, t, b;
  if (!gettime) return 0;
  tl_raw_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&a, 0, 0, 0, 0);
  if (gettime(CLOCK_MONOTONIC, &t) != 0) return 0;
  tl_raw_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&b, 0, 0, 0, 0);
  int64_t ta = a.tv_sec * 1000000000LL + a.tv_nsec, tt = t.tv_sec * 1000000000LL + t.tv_nsec;
  return ta <= tt && tt <= b.tv_sec * 1000000000LL + b.tv_nsec;
}

/* What an exec'd copy of this program checks (exit status 0 when all is well). */
static int exec_child(int depth) {
  struct mappings m = read_maps();
  int ok = m.vdso_count == 1 && m.vvar_count == 1 && m.vdso_start == getauxval(AT_SYSINFO_EHDR) &&
           m.vvar_end == m.vdso_start && gettime_works(lookup_gettime());
  if (!ok) return 1;
  if (depth > 0) {
    char* args[] = {(char*)"exec-child", (char*)"0", NULL};
    int status = tl_run_self(args);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
  }
  return 0;
}

static void after_fork(gettime_fn gettime, struct mappings parent) {
  pid_t pid = fork();
  if (pid == 0) {
    struct mappings m = read_maps();
    int ok = m.vdso_count == 1 && m.vvar_count == 1 && m.vdso_start == parent.vdso_start &&
             m.vdso_end == parent.vdso_end && m.vvar_start == parent.vvar_start && gettime_works(gettime);
    _exit(ok ? 0 : 1);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("fork: the child has the parent's vDSO, and it works\n");
}

static void after_exec(void) {
  char* args[] = {(char*)"exec-child", (char*)"1", NULL};
  int status = tl_run_self(args);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("exec: the new program has one vDSO of its own, and it works (twice)\n");
}

static void private_copies(gettime_fn gettime, struct mappings m) {
  pid_t pid = fork();
  if (pid == 0) {
    /* Linux lets a program (a debugger setting breakpoints) write its vDSO: it gets a copy. */
    if (mprotect((void*)m.vdso_start, m.vdso_end - m.vdso_start, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) _exit(2);
    uint32_t* code = (uint32_t*)(uintptr_t)gettime;
    code[0] = 0;  /* an illegal instruction */
    code[1] = 0;
    _exit(*(volatile uint32_t*)gettime == 0 ? 0 : 3);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(gettime_works(gettime));
  char* args[] = {(char*)"exec-child", (char*)"0", NULL};
  status = tl_run_self(args);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("a child's write to its vDSO changes only its own copy\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 3 && strcmp(argv[1], "exec-child") == 0) return exec_child(atoi(argv[2]));
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 maps no vDSO for riscv64 programs")) {
    tl_say("fork: the child has the parent's vDSO, and it works\n");
    tl_say("exec: the new program has one vDSO of its own, and it works (twice)\n");
    tl_say("a child's write to its vDSO changes only its own copy\n");
    return tl_done();
  }
  gettime_fn gettime = lookup_gettime();
  struct mappings m = read_maps();
  CHECK(gettime_works(gettime));
  CHECK(m.vdso_count == 1 && m.vvar_count == 1);
  after_fork(gettime, m);
  after_exec();
  private_copies(gettime, m);
  return tl_done();
}
