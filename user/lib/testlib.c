#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tl_failures;
static const char* tl_argv0 = "";

void tl_init(int argc, char** argv) {
  (void)argc;
  tl_argv0 = argv[0];
  setvbuf(stdout, NULL, _IOLBF, 0);
}

const char* tl_self(void) { return tl_argv0; }

void tl_fail(const char* file, int line, const char* expr) {
  fprintf(stderr, "CHECK FAILED %s:%d: %s (errno %d: %s)\n", file, line, expr, errno, strerror(errno));
  tl_failures++;
}

void tl_fail_errno(const char* file, int line, const char* expr, long ret, int got, int want) {
  fprintf(stderr, "CHECK FAILED %s:%d: %s returned %ld with errno %d (%s); expected -1 with errno %d (%s)\n", file,
          line, expr, ret, got, strerror(got), want, strerror(want));
  tl_failures++;
}

void tl_say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

int tl_done(void) {
  if (tl_failures) {
    tl_say("FAIL (%d checks)\n", tl_failures);
    return 1;
  }
  tl_say("PASS\n");
  return 0;
}

int tl_is_qemu_user(void) {
  const char* r = getenv("TESTLIB_REFERENCE");
  return r && strcmp(r, "qemu-user") == 0;
}

int tl_is_our_kernel(void) {
  struct utsname u;
  return uname(&u) == 0 && strstr(u.version, "sv39-teaching-kernel") != NULL;
}

int tl_known_qemu_user_difference(const char* what) {
  if (!tl_is_qemu_user()) return 0;
  fprintf(stderr, "note: skipped under qemu-user (known difference from Linux): %s\n", what);
  return 1;
}

int tl_execv(const char* path, char* const argv[]) {
  if (tl_is_qemu_user()) {
    /* qemu-user cannot exec a riscv64 binary by itself (no binfmt_misc here): start it through qemu. */
    char* args[64];
    int n = 0;
    args[n++] = (char*)"/usr/bin/qemu-riscv64-static";
    args[n++] = (char*)path;
    for (int i = 1; argv[i] && n < 63; i++) args[n++] = argv[i];
    args[n] = NULL;
    return execv(args[0], args);
  }
  return execv(path, argv);
}

int tl_run_self(char* const argv[]) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char* args[64];
    int n = 0;
    args[n++] = (char*)tl_argv0;
    for (int i = 0; argv[i] && n < 63; i++) args[n++] = argv[i];
    args[n] = NULL;
    tl_execv(tl_argv0, args);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return status;
}

const char* tl_install_program(const char* name, const unsigned char* data, size_t size) {
  static char path[96];
  snprintf(path, sizeof path, "/tmp/%s_%d", name, (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  CHECK(fd >= 0);
  if (fd < 0) return NULL;
  ssize_t written = write(fd, data, size);
  CHECK(written == (ssize_t)size);
  close(fd);
  return written == (ssize_t)size ? path : NULL;
}

uint64_t tl_free_memory(void) {
  struct sysinfo si;
  if (sysinfo(&si) != 0) return 0;
  return (uint64_t)si.freeram * si.mem_unit;
}

long tl_meminfo_kb(const char* field) {
  FILE* f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      value = strtol(line + len + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

int tl_handle_signal(int sig, void* handler, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

void tl_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

double tl_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

long tl_raw_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a3 __asm__("a3") = a3;
  register long r_a4 __asm__("a4") = a4;
  register long r_a5 __asm__("a5") = a5;
  register long r_a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7) : "memory");
  return r_a0;
}
