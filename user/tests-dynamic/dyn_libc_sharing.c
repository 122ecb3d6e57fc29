/* dyn_libc_sharing: ten processes running the same dynamically linked program share libc's text: one set of frames,
 * seen through /proc.
 *
 * The test (itself dynamically linked) starts ten children, each an exec of this program, which wait on a pipe.
 * In every child's /proc/PID/smaps, libc's text mapping (r-xp, .../libc.so.6) must be resident, mostly shared
 * (Shared_Clean + Shared_Dirty at least 3/4 of Rss), and its Pss, the resident size divided among the address
 * spaces mapping each page, at most a quarter of its Rss (private copies would make it equal). Not all of it and
 * not a tenth: Linux maps up to 16 pages around each fault (fault-around), so each child also maps pages that
 * no other process touched; here every child's text pages are shared by all ten and Pss is a tenth. And /proc/meminfo's Mapped, which counts a file page once however many
 * processes map it, must grow by much less than ten copies of libc's text while the children live.
 *
 * qemu-user has no /proc/PID/smaps of its own (it shows the host's), so the test runs on the kernel only; it
 * passes on Linux 6.1 too (/work/shared/reference-linux/run.sh, where the libraries live in an initramfs and so
 * count as Shared_Dirty).
 * TEST: kernel-only
 */
#include <sys/wait.h>

#include "smaps.h"
#include <unistd.h>

#include "testlib.h"

enum { CHILDREN = 10 };

static const char LIBC[] = "/libc.so.6";

static void child(int ready_fd, int hold_fd) {
  /* Touch some of libc so that each child maps its text pages, then wait for the parent to close the pipe. */
  char buf[64];
  snprintf(buf, sizeof buf, "%s %d %f", "child", getpid(), 1.5);
  if (write(ready_fd, "r", 1) != 1) _exit(2);
  while (read(hold_fd, buf, 1) > 0) {
  }
  _exit(0);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 4 && strcmp(argv[1], "child") == 0) child(atoi(argv[2]), atoi(argv[3]));

  long mapped_before = tl_meminfo_kb("Mapped");
  int ready[2], hold[2];
  CHECK(pipe(ready) == 0 && pipe(hold) == 0);
  pid_t pids[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) {
      close(ready[0]);
      close(hold[1]);
      char r[16], h[16];
      snprintf(r, sizeof r, "%d", ready[1]);
      snprintf(h, sizeof h, "%d", hold[0]);
      char* args[] = {(char*)tl_self(), "child", r, h, NULL};
      execv(tl_self(), args);
      _exit(127);
    }
  }
  close(ready[1]);
  close(hold[0]);
  char c;
  for (int i = 0; i < CHILDREN; i++) CHECK(read(ready[0], &c, 1) == 1);

  long rss_total = 0, most_rss = 0;
  int all_shared = 1, pss_divided = 1;
  for (int i = 0; i < CHILDREN; i++) {
    struct smaps_entry e;
    if (smaps_find(pids[i], "r-xp", LIBC, &e) != 0) {
      fprintf(stderr, "child %d: no r-xp mapping of %s in /proc/%d/smaps\n", i, LIBC, (int)pids[i]);
      tl_failures++;
      continue;
    }
    CHECK(e.rss_kb > 0 && e.rss_kb <= e.size_kb);
    if ((e.shared_clean_kb + e.shared_dirty_kb) * 4 < e.rss_kb * 3) {
      fprintf(stderr, "child %d: libc text Rss %ld kB, shared %ld + %ld kB\n", i, e.rss_kb, e.shared_clean_kb,
              e.shared_dirty_kb);
      all_shared = 0;
    }
    if (e.pss_kb * 4 > e.rss_kb) {
      fprintf(stderr, "child %d: libc text Rss %ld kB, Pss %ld kB: not divided among many\n", i, e.rss_kb, e.pss_kb);
      pss_divided = 0;
    }
    rss_total += e.rss_kb;
    if (e.rss_kb > most_rss) most_rss = e.rss_kb;
  }
  long mapped_during = tl_meminfo_kb("Mapped");
  tl_say("libc text resident in every child, mostly shared: %s\n", all_shared ? "yes" : "no");
  tl_say("Pss at most Rss / 4: %s\n", pss_divided ? "yes" : "no");
  CHECK(all_shared && pss_divided);
  /* Ten private copies would add rss_total to Mapped; one shared copy adds at most one child's libc text plus the
   * children's other pages (their own program, ld.so): allow twice one child's libc text. */
  long growth = mapped_during - mapped_before;
  if (growth >= 2 * most_rss || growth >= rss_total / 2) {
    fprintf(stderr, "Mapped grew by %ld kB with the children (libc text %ld kB in each, %ld kB in all)\n", growth,
            most_rss, rss_total);
    tl_failures++;
  }
  tl_say("/proc/meminfo Mapped counts libc's text once\n");

  close(hold[1]);
  for (int i = 0; i < CHILDREN; i++) {
    int status;
    CHECK(waitpid(pids[i], &status, 0) == pids[i]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  return tl_done();
}
