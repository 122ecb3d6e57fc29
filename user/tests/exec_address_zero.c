/* exec_address_zero: a static program whose first segment is at address 0 (below vm.mmap_min_addr) loads and
 * runs for root, as on Linux (where CAP_SYS_RAWIO allows it); /proc/sys/vm/mmap_min_addr is what unprivileged
 * processes would be held to.
 * TEST: kernel-only
 * (qemu-user places guest memory itself; checked on the reference Linux 6.1.)
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern const unsigned char pie_blob[], pie_blob_end[];

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* path = tl_install_program("zero_page", pie_blob, (size_t)(pie_blob_end - pie_blob));
  CHECK(path != NULL);
  pid_t pid = fork();
  if (pid == 0) {
    char* args[] = {(char*)path, NULL};
    execv(path, args);
    _exit(127);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  tl_say("the program at address 0: exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
  unlink(path);
  return tl_done();
}
