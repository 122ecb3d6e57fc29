/* mm_private_file_pages: a private file mapping uses the page cache's pages until it writes (Linux's
 * filemap_fault, then do_cow_fault / wp_page_copy at the first write).
 *
 *   - a MAP_PRIVATE mapping of a 16-page file, read all over: no page of its own yet (/proc/self/smaps:
 *     Anonymous 0 kB, Rss 64 kB: the file's pages are mapped), and a write() to the file afterwards is seen
 *     through the mapping (it maps the file's own page; POSIX leaves this unspecified, Linux shows it)
 *   - the first store into a page copies it: Anonymous 4 kB, the file unchanged, and later write()s to that page
 *     of the file are no longer seen there (while still seen in the pages never stored to)
 *   - a child forked after that sees the same: its copy of the written page, the file's pages for the rest
 *   - a read-only private mapping (PROT_READ) read all over takes no page of its own either
 * (qemu-user has no smaps figures of its own: the Anonymous/Rss checks run on a kernel only.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 16
#define PG ((size_t)MT_PAGE)

/* A field (in kB) of the /proc/self/smaps entry of the mapping starting at `start`, or -1. An entry's header
 * line starts with its address in lowercase hex; its field lines start with a capital ("Rss:", "Anonymous:"). */
static long smaps_kb(void* start, const char* field) {
  static char text[1 << 16];
  int fd = open("/proc/self/smaps", O_RDONLY);
  if (fd < 0) return -1;
  size_t used = 0;
  ssize_t n;
  while (used < sizeof text - 1 && (n = read(fd, text + used, sizeof text - 1 - used)) > 0) used += (size_t)n;
  close(fd);
  text[used] = '\0';
  char head[32];
  snprintf(head, sizeof head, "%lx-", (unsigned long)start);
  size_t len = strlen(field);
  int inside = 0;
  for (char* line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
    if ((*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f')) {
      if (inside) return -1;
      inside = strncmp(line, head, strlen(head)) == 0;
    } else if (inside && strncmp(line, field, len) == 0 && line[len] == ':') {
      long kb = -1;
      sscanf(line + len + 1, " %ld", &kb);
      return kb;
    }
  }
  return -1;
}

static char byte_at(int fd, size_t off) {
  char c = 0;
  CHECK(pread(fd, &c, 1, (off_t)off) == 1);
  return c;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int kernel = !tl_is_qemu_user();
  char path[] = "/tmp/mm_private_file_pages.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0) return tl_done();
  static char page[PG];
  for (int i = 0; i < PAGES; i++) {
    memset(page, 'a' + i, PG);
    CHECK(write(fd, page, PG) == (ssize_t)PG);
  }

  char* m = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(m != MAP_FAILED);
  if (m == MAP_FAILED) return tl_done();
  int right = 1;
  for (int i = 0; i < PAGES; i++) right &= m[i * PG] == 'a' + i && m[i * PG + PG - 1] == 'a' + i;
  CHECK(right);
  if (kernel) {
    CHECK(smaps_kb(m, "Rss") == PAGES * 4);
    CHECK(smaps_kb(m, "Anonymous") == 0);
  }
  tl_say("read all over: the file's bytes, no page of its own\n");

  CHECK(pwrite(fd, "X", 1, 3 * PG + 7) == 1);
  CHECK(m[3 * PG + 7] == 'X');
  tl_say("a write() to the file is seen in a page only read\n");

  m[5 * PG + 9] = 'P';
  CHECK(byte_at(fd, 5 * PG + 9) == 'f');
  if (kernel) CHECK(smaps_kb(m, "Anonymous") == 4);
  CHECK(pwrite(fd, "Y", 1, 5 * PG + 100) == 1);
  CHECK(m[5 * PG + 100] == 'f');
  CHECK(m[5 * PG + 9] == 'P');
  CHECK(pwrite(fd, "Z", 1, 6 * PG) == 1);
  CHECK(m[6 * PG] == 'Z');
  tl_say("the first store copies its page; the file's later writes stay out of it\n");

  pid_t pid = fork();
  if (pid == 0) {
    int ok = m[5 * PG + 9] == 'P' && m[5 * PG + 100] == 'f' && m[3 * PG + 7] == 'X' && m[6 * PG] == 'Z';
    m[7 * PG] = 'C';
    ok &= byte_at(fd, 7 * PG) == 'h';
    _exit(ok ? 0 : 1);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(m[7 * PG] == 'h');
  tl_say("a child sees the parent's copy and the file's pages\n");

  char* r = mmap(NULL, PAGES * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(r != MAP_FAILED);
  if (r != MAP_FAILED) {
    long sum = 0;
    for (int i = 0; i < PAGES; i++) sum += r[i * PG + 1];
    CHECK(sum > 0);
    if (kernel) {
      CHECK(smaps_kb(r, "Rss") == PAGES * 4);
      CHECK(smaps_kb(r, "Anonymous") == 0);
    }
    munmap(r, PAGES * PG);
  }
  tl_say("a read-only private mapping takes no page of its own\n");
  munmap(m, PAGES * PG);
  close(fd);
  unlink(path);
  return tl_done();
}
