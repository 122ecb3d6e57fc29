/* pipe_size: a pipe's size, as Linux 6.1's fcntl F_GETPIPE_SZ and F_SETPIPE_SZ.
 *   - a new pipe holds 64 KiB: a non-blocking write stops there
 *   - F_SETPIPE_SZ rounds up to a power of two pages (0 and 1 give one page), returns the size, and above 2 GiB
 *     is EINVAL; root may go past pipe-max-size (/proc/sys/fs/pipe-max-size, 1 MiB)
 *   - shrinking below what the unread bytes take is EBUSY; resizing keeps them, in order, also when they wrap
 *     around the end of the ring
 *   - growing lets a writer blocked on a full pipe finish; a reader blocked on an empty pipe does not hold a
 *     resize up
 *   - a FIFO has a size too; other files are EBADF
 * (Linux counts the pages of a pipe as buffers that partial reads and odd-sized writes do not share: bytes
 * written after a partial read may find less room there than here. Writes and reads here are whole pages where
 * that would show.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define KiB 1024L
#define BIG (2 * 1024 * KiB)

static unsigned char data[BIG];

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + i / 4093); }

/* Non-blocking writes of the pattern from byte `from` until the pipe is full; returns how many went in. */
static long fill(int fd, long from) {
  long done = 0;
  for (;;) {
    for (long i = 0; i < BIG; i++) data[i] = pattern(from + done + i);
    ssize_t n = write(fd, data, BIG);
    if (n < 0) {
      CHECK(errno == EAGAIN);
      return done;
    }
    done += n;
  }
}

/* Reads exactly len bytes and checks they are the pattern from byte `from`. */
static void drain(int fd, long from, long len) {
  long done = 0;
  while (done < len) {
    ssize_t n = read(fd, data, len - done < BIG ? len - done : BIG);
    CHECK(n > 0);
    if (n <= 0) return;
    for (long i = 0; i < n; i++)
      if (data[i] != pattern(from + done + i)) {
        CHECK(!"the bytes read are the bytes written");
        return;
      }
    done += n;
  }
}

static long get_size(int fd) { return fcntl(fd, F_GETPIPE_SZ); }
static long set_size(int fd, unsigned long size) { return fcntl(fd, F_SETPIPE_SZ, size); }

static long unread(int fd) {
  int n = -1;
  CHECK(ioctl(fd, FIONREAD, &n) == 0);
  return n;
}

static void sizes(void) {
  int p[2];
  CHECK(pipe2(p, O_NONBLOCK) == 0);
  CHECK(get_size(p[0]) == 64 * KiB && get_size(p[1]) == 64 * KiB);
  long in = fill(p[1], 0);
  CHECK(in == 64 * KiB);
  tl_say("a new pipe holds 64 KiB\n");

  CHECK_ERRNO(set_size(p[1], 32 * KiB), EBUSY);
  CHECK_ERRNO(set_size(p[0], 4 * KiB), EBUSY);
  CHECK(get_size(p[0]) == 64 * KiB);
  CHECK(set_size(p[1], 64 * KiB) == 64 * KiB);
  CHECK(set_size(p[1], 100000) == 128 * KiB && get_size(p[0]) == 128 * KiB);
  CHECK(fill(p[1], in) == 64 * KiB);
  CHECK(unread(p[0]) == 128 * KiB);
  drain(p[0], 0, 128 * KiB);
  tl_say("shrinking below the unread bytes is EBUSY; growing keeps them and makes room\n");

  static const struct {
    unsigned long asked;
    long size;
  } rounding[] = {{0, 4 * KiB},         {1, 4 * KiB},           {4096, 4 * KiB},
                  {4097, 8 * KiB},      {65535, 64 * KiB},      {1 << 20, 1024 * KiB},
                  {(1 << 20) + 1, 2048 * KiB}, {3 << 19, 2048 * KiB}, {12345, 16 * KiB}};
  /* Checked on Linux 6.1 as root; qemu-user's host may be a container whose root lacks CAP_SYS_RESOURCE. */
  int past_max = !KNOWN_QEMU_USER_DIFFERENCE("F_SETPIPE_SZ past pipe-max-size: the host's root may lack CAP_SYS_RESOURCE");
  for (unsigned i = 0; i < sizeof rounding / sizeof rounding[0]; i++) {
    if (rounding[i].asked > 1 << 20 && !past_max) continue;
    long got = set_size(p[1], rounding[i].asked);
    if (got != rounding[i].size) fprintf(stderr, "F_SETPIPE_SZ %lu: %ld\n", rounding[i].asked, got);
    CHECK(got == rounding[i].size && get_size(p[0]) == rounding[i].size);
  }
  CHECK_ERRNO(set_size(p[1], (1UL << 31) + 1), EINVAL);
  CHECK_ERRNO(set_size(p[1], ~0UL), EINVAL);
  CHECK(get_size(p[1]) == 16 * KiB);
  tl_say("sizes round up to a power of two pages; root may pass pipe-max-size; above 2 GiB EINVAL\n");

  CHECK(set_size(p[1], 4096) == 4096);
  CHECK(fill(p[1], 0) == 4096);
  drain(p[0], 0, 4096);
  long most = past_max ? 2 * 1024 * KiB : 1024 * KiB;
  CHECK(set_size(p[1], most) == most);
  CHECK(fill(p[1], 0) == most);
  drain(p[0], 0, most);
  tl_say("a pipe holds what its size says\n");

  /* The unread bytes wrap around the end of the ring: 16 KiB, 8 read, 8 more written. */
  CHECK(set_size(p[1], 16 * KiB) == 16 * KiB);
  CHECK(fill(p[1], 0) == 16 * KiB);
  drain(p[0], 0, 8 * KiB);
  CHECK(fill(p[1], 16 * KiB) == 8 * KiB);
  CHECK_ERRNO(set_size(p[1], 8 * KiB), EBUSY);
  CHECK(set_size(p[1], 32 * KiB) == 32 * KiB);
  CHECK(unread(p[0]) == 16 * KiB);
  drain(p[0], 8 * KiB, 16 * KiB);
  /* And from the middle of a page: whatever went in comes out, in order, after a resize. */
  CHECK(set_size(p[1], 16 * KiB) == 16 * KiB);
  long written = fill(p[1], 0);
  drain(p[0], 0, 6000);
  written += fill(p[1], written);
  CHECK(set_size(p[1], 64 * KiB) == 64 * KiB);
  CHECK(unread(p[0]) == written - 6000);
  drain(p[0], 6000, written - 6000);
  tl_say("resizing keeps the unread bytes in order, also when they wrap around\n");
  close(p[0]);
  close(p[1]);
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, NULL);
}

static void blocked(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t writer = fork();
  if (writer == 0) {
    for (long i = 0; i < 100000; i++) data[i] = pattern(i);
    _exit(write(p[1], data, 100000) == 100000 ? 0 : 1);
  }
  sleep_ms(100);
  CHECK(set_size(p[1], 128 * KiB) == 128 * KiB);
  int status = -1;
  CHECK(waitpid(writer, &status, 0) == writer && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(unread(p[0]) == 100000);
  drain(p[0], 0, 100000);
  tl_say("growing a full pipe lets its blocked writer finish\n");

  pid_t reader = fork();
  if (reader == 0) {
    char buf[8];
    _exit(read(p[0], buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0 ? 0 : 1);
  }
  sleep_ms(100);
  CHECK(set_size(p[0], 8 * KiB) == 8 * KiB);
  CHECK(write(p[1], "hello", 5) == 5);
  CHECK(waitpid(reader, &status, 0) == reader && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("a reader waiting on an empty pipe does not hold a resize up\n");
  close(p[0]);
  close(p[1]);
}

static void other_files(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/pipe_size_%d", getpid());
  CHECK(mkfifo(path, 0600) == 0);
  int fifo = open(path, O_RDWR | O_NONBLOCK);
  CHECK(fifo >= 0);
  CHECK(get_size(fifo) == 64 * KiB);
  CHECK(set_size(fifo, 1 << 20) == 1 << 20);
  CHECK(fill(fifo, 0) == 1 << 20);
  drain(fifo, 0, 1 << 20);
  close(fifo);
  CHECK(unlink(path) == 0);
  tl_say("a FIFO has a size too\n");

  int file = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK(file >= 0);
  CHECK_ERRNO(get_size(file), EBADF);
  CHECK_ERRNO(set_size(file, 4096), EBADF);
  close(file);
  CHECK(unlink(path) == 0);
  tl_say("a regular file is EBADF\n");

  const char* settings[][2] = {{"/proc/sys/fs/pipe-max-size", "1048576\n"},
                               {"/proc/sys/fs/pipe-user-pages-hard", "0\n"},
                               {"/proc/sys/fs/pipe-user-pages-soft", "16384\n"}};
  for (unsigned i = 0; i < 3; i++) {
    char text[32] = "";
    int fd = open(settings[i][0], O_RDONLY);
    CHECK(fd >= 0 && read(fd, text, sizeof text - 1) > 0);
    if (strcmp(text, settings[i][1]) != 0) fprintf(stderr, "%s: %s", settings[i][0], text);
    CHECK(strcmp(text, settings[i][1]) == 0);
    close(fd);
  }
  tl_say("/proc/sys/fs has pipe-max-size 1 MiB and the user page limits\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  alarm(30);
  sizes();
  blocked();
  other_files();
  return tl_done();
}
