/* vdso_static_pie: a static position-independent program with no C library (user/pie/vdso_pie.c) finds the
 * vDSO through its auxiliary vector, looks up __vdso_clock_gettime by name and version and calls it; the time
 * must agree with the system call. (The regular static glibc programs are the other vdso_* tests.) The program
 * is embedded here, written to /tmp and run three times: a static PIE lands at a different base each time, the
 * vDSO wherever the kernel put it.
 * qemu-user 7.2 gives riscv64 programs no vDSO: the program then exits 77 and the check is skipped.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern const unsigned char pie_blob[], pie_blob_end[];

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* path = tl_install_program("vdso_pie", pie_blob, (size_t)(pie_blob_end - pie_blob));
  if (!path) return tl_done();

  for (int i = 0; i < 3; i++) {
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pipefd[1], 1);
      char* args[] = {(char*)path, NULL};
      tl_execv(path, args);
      _exit(127);
    }
    close(pipefd[1]);
    char out[128] = "";
    ssize_t n = read(pipefd[0], out, sizeof out - 1);
    close(pipefd[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    if (code == 77 && KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 maps no vDSO for riscv64 programs")) continue;
    if (code != 0) fprintf(stderr, "run %d: the static PIE exited with %d\n", i, code);
    CHECK(code == 0);
    CHECK(n > 0 && strcmp(out, "static PIE: __vdso_clock_gettime agrees with the system call\n") == 0);
  }
  tl_say("static PIE: the vDSO's clock_gettime agrees with the system call (3 runs)\n");
  unlink(path);
  return tl_done();
}
