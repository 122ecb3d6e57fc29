/* vdso_elf: the vDSO is where AT_SYSINFO_EHDR says, is the ELF shared object Linux's is, and its functions work.
 *
 * getauxval(AT_SYSINFO_EHDR) gives the image's address; this test parses it as glibc does (user/lib/
 * vdso_lookup.h: ELF header, PT_LOAD, dynamic section, both symbol hash tables, version definitions) and
 * checks that
 *   - it is a riscv64 ET_DYN object named linux-vdso.so.1 whose single segment starts with the ELF header,
 *     needing no relocation;
 *   - it exports __vdso_rt_sigreturn, __vdso_clock_gettime, __vdso_gettimeofday, __vdso_clock_getres,
 *     __vdso_getcpu and __vdso_flush_icache with version LINUX_4.15 (the names and version glibc asks for);
 *   - /proc/self/maps shows it as [vdso] (r-xp, at exactly that address) with [vvar] (r--p) just below;
 *   - the trampoline is "li a7, 139; ecall" (what gdb and libgcc recognise as a signal frame's return);
 *   - called directly, __vdso_clock_gettime agrees with the system call, __vdso_clock_getres with its system
 *     call, __vdso_gettimeofday with clock_gettime, __vdso_getcpu with the getcpu system call, and
 *     __vdso_flush_icache returns 0;
 *   - [vvar] cannot be made writable or executable (EACCES) and writing to it is SIGSEGV, as on Linux;
 *   - glibc's sched_getcpu (which uses __vdso_getcpu) names a CPU in the process's affinity mask.
 * qemu-user 7.2 gives riscv64 programs no vDSO (AT_SYSINFO_EHDR is 0): there the checks are skipped. Checked
 * on Linux 6.1 with ../shared/reference-linux/run.sh.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "vdso_lookup.h"

static const char* const FUNCTIONS[] = {"__vdso_rt_sigreturn", "__vdso_clock_gettime", "__vdso_gettimeofday",
                                        "__vdso_clock_getres", "__vdso_getcpu", "__vdso_flush_icache"};

/* The lines of /proc/self/maps naming `name`: start, end and permissions of the first. */
static int find_mapping(const char* name, unsigned long* start, unsigned long* end, char perms[5]) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    char* n = strchr(line, '[');
    if (n && strncmp(n, name, strlen(name)) == 0 && !found) {
      found = sscanf(line, "%lx-%lx %4s", start, end, perms) == 3;
    }
  }
  fclose(f);
  return found;
}

static int64_t ns_of(const struct timespec* t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

static void check_image(struct vdso_image* v) {
  const char* problem = vdso_open(v, getauxval(AT_SYSINFO_EHDR));
  if (problem) fprintf(stderr, "vDSO: %s\n", problem);
  CHECK(problem == NULL);
  if (problem) return;
  CHECK(v->soname && strcmp(v->soname, "linux-vdso.so.1") == 0);
  CHECK(v->load->p_offset == 0 && (v->load->p_flags & (PF_R | PF_W | PF_X)) == (PF_R | PF_X));
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++) {
    void* f = vdso_function(v, FUNCTIONS[i], "LINUX_4.15");
    if (!f) fprintf(stderr, "no %s@LINUX_4.15\n", FUNCTIONS[i]);
    CHECK(f != NULL);
  }
  CHECK(vdso_function(v, "__vdso_clock_gettime", "LINUX_2.6") == NULL);
  CHECK(vdso_function(v, "__vdso_time", "LINUX_4.15") == NULL);
  tl_say("vDSO: an ELF shared object exporting the six functions with version LINUX_4.15\n");
}

static void check_maps(const struct vdso_image* v) {
  unsigned long start = 0, end = 0, vstart = 0, vend = 0;
  char perms[5] = "", vperms[5] = "";
  CHECK(find_mapping("[vdso]", &start, &end, perms));
  CHECK(find_mapping("[vvar]", &vstart, &vend, vperms));
  CHECK(start == v->base && end > start && strcmp(perms, "r-xp") == 0);
  CHECK(vend == start && vstart < vend && strcmp(vperms, "r--p") == 0);
  tl_say("/proc/self/maps: [vvar] r--p just below [vdso] r-xp\n");

  CHECK_ERRNO(mprotect((void*)vstart, vend - vstart, PROT_READ | PROT_WRITE), EACCES);
  CHECK_ERRNO(mprotect((void*)vstart, vend - vstart, PROT_READ | PROT_EXEC), EACCES);
  pid_t pid = fork();
  if (pid == 0) {
    *(volatile char*)vstart = 1;
    _exit(0);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  tl_say("[vvar] is read-only\n");
}

static void check_functions(const struct vdso_image* v) {
  const uint32_t* trampoline = vdso_function(v, "__vdso_rt_sigreturn", "LINUX_4.15");
  CHECK(trampoline[0] == 0x08b00893 /* li a7, 139 */ && trampoline[1] == 0x00000073 /* ecall */);

  int (*gettime)(clockid_t, struct timespec*) = vdso_function(v, "__vdso_clock_gettime", "LINUX_4.15");
  int (*getres)(clockid_t, struct timespec*) = vdso_function(v, "__vdso_clock_getres", "LINUX_4.15");
  int (*gtod)(struct timeval*, struct timezone*) = vdso_function(v, "__vdso_gettimeofday", "LINUX_4.15");
  int (*getcpu)(unsigned*, unsigned*, void*) = vdso_function(v, "__vdso_getcpu", "LINUX_4.15");
  int (*flush)(void*, void*, unsigned long) = vdso_function(v, "__vdso_flush_icache", "LINUX_4.15");
  const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                              CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    struct timespec a, t, b, res, raw_res;
    CHECK(tl_raw_syscall(SYS_clock_gettime, clocks[i], (long)&a, 0, 0, 0, 0) == 0);
    CHECK(gettime(clocks[i], &t) == 0);
    CHECK(tl_raw_syscall(SYS_clock_gettime, clocks[i], (long)&b, 0, 0, 0, 0) == 0);
    /* (The CPU-time clock is per process: only its order is checked against the system call.) */
    CHECK(ns_of(&a) <= ns_of(&t) && ns_of(&t) <= ns_of(&b));
    CHECK(getres(clocks[i], &res) == 0);
    CHECK(tl_raw_syscall(SYS_clock_getres, clocks[i], (long)&raw_res, 0, 0, 0, 0) == 0);
    CHECK(res.tv_sec == raw_res.tv_sec && res.tv_nsec == raw_res.tv_nsec);
  }
  struct timespec t;
  CHECK(gettime(42, &t) == -EINVAL);
  CHECK(getres(42, &t) == -EINVAL);
  tl_say("__vdso_clock_gettime and __vdso_clock_getres agree with the system calls\n");

  struct timeval tv;
  struct timezone tz = {1, 1};
  struct timespec before, after;
  clock_gettime(CLOCK_REALTIME, &before);
  CHECK(gtod(&tv, &tz) == 0);
  clock_gettime(CLOCK_REALTIME, &after);
  int64_t us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
  CHECK(us >= ns_of(&before) / 1000 && us <= ns_of(&after) / 1000);
  CHECK(tz.tz_minuteswest == 0 && tz.tz_dsttime == 0);
  CHECK(gtod(NULL, NULL) == 0);
  tl_say("__vdso_gettimeofday agrees with clock_gettime\n");

  unsigned cpu = 999, node = 999, raw_cpu = 999, raw_node = 999;
  CHECK(tl_raw_syscall(SYS_getcpu, (long)&raw_cpu, (long)&raw_node, 0, 0, 0, 0) == 0);
  CHECK(getcpu(&cpu, &node, NULL) == 0);
  CHECK(cpu < CPU_SETSIZE && node == 0 && raw_node == 0);
  CHECK(flush(NULL, NULL, 0) == 0);
  tl_say("__vdso_getcpu and __vdso_flush_icache return what their system calls return\n");
}

/* glibc's sched_getcpu (through __vdso_getcpu, or the system call) names a CPU the process may run on. */
static void check_sched_getcpu(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
  int cpu = sched_getcpu();
  CHECK(cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set));
  CHECK(tl_raw_syscall(SYS_getcpu, 8, 0, 0, 0, 0, 0) == -EFAULT);  /* a pointer to nowhere */
  tl_say("sched_getcpu: a CPU this process may run on\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  check_sched_getcpu();
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 maps no vDSO for riscv64 programs")) {
    tl_say("vDSO: an ELF shared object exporting the six functions with version LINUX_4.15\n");
    tl_say("/proc/self/maps: [vvar] r--p just below [vdso] r-xp\n");
    tl_say("[vvar] is read-only\n");
    tl_say("__vdso_clock_gettime and __vdso_clock_getres agree with the system calls\n");
    tl_say("__vdso_gettimeofday agrees with clock_gettime\n");
    tl_say("__vdso_getcpu and __vdso_flush_icache return what their system calls return\n");
    return tl_done();
  }
  struct vdso_image v;
  check_image(&v);
  if (tl_failures) return tl_done();
  check_maps(&v);
  check_functions(&v);
  return tl_done();
}
