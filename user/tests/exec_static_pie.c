/* exec of a static position-independent program (ET_DYN without an interpreter): the kernel places it at a
 * random base (load-time relocation) and it runs. The program (user/pie/hello_pie.c) is embedded here, written
 * to /tmp, and run several times: it must print its greeting each time and report (through its exit status,
 * derived from its load address) at least two different load addresses in eight runs.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern const unsigned char pie_blob[], pie_blob_end[];

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* path = tl_install_program("static_pie", pie_blob, (size_t)(pie_blob_end - pie_blob));
  if (!path) return tl_done();

  int statuses[8];
  for (int i = 0; i < 8; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      char* args[] = {(char*)path, NULL};
      tl_execv(path, args);
      _exit(255);  /* exec failed: a status the program (0-250) never exits with */
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    statuses[i] = WEXITSTATUS(status);
    CHECK(statuses[i] != 255);
  }
  int distinct = 0;
  for (int i = 1; i < 8; i++)
    if (statuses[i] != statuses[0]) distinct = 1;
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user loads a static PIE at a fixed base")) CHECK(distinct);
  tl_say("static PIE ran 8 times%s\n", "");
  unlink(path);
  return tl_done();
}
