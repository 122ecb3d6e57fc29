/* misc_memfd: memfd_create(2) and its seals, as Linux 6.1.
 *   - the file is "/memfd:NAME (deleted)" in /proc/self/fd, mode 0777, readable, writable, truncatable, mapped
 *     shared across fork, and opened again through /proc/self/fd/N; names longer than 249 bytes and unknown
 *     flags are EINVAL
 *   - without MFD_ALLOW_SEALING the seals are F_SEAL_SEAL and no seal can be added (EPERM); F_GET_SEALS of a file
 *     that is not a memfd is EINVAL
 *   - F_SEAL_SHRINK and F_SEAL_GROW fix the size (EPERM); F_SEAL_WRITE is EBUSY while a shared writable mapping
 *     exists, then writes and writable shared mappings are EPERM, a read-only shared mapping cannot be made
 *     writable (EACCES), a private one still can; F_SEAL_SEAL ends sealing
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = memfd_create("conformance", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  CHECK(fd >= 0);
  char path[64], link[128] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  CHECK(readlink(path, link, sizeof link - 1) > 0);
  tl_say("memfd: %s\n", link);
  CHECK(strcmp(link, "/memfd:conformance (deleted)") == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_mode == (S_IFREG | 0777) && st.st_size == 0);
  CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
  CHECK(write(fd, "hello", 5) == 5 && ftruncate(fd, 8192) == 0);
  char* shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(shared != MAP_FAILED && memcmp(shared, "hello", 5) == 0);
  pid_t child = fork();
  if (child == 0) {
    shared[4096] = 'C';
    _exit(0);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && shared[4096] == 'C');
  int again = open(path, O_RDWR);
  char buf[6] = {0};
  CHECK(again >= 0 && read(again, buf, 5) == 5 && strcmp(buf, "hello") == 0);
  close(again);
  tl_say("read, write, truncate, shared mapping across fork, reopened through /proc/self/fd\n");

  char long_name[251];
  memset(long_name, 'x', 250);
  long_name[250] = '\0';
  CHECK_ERRNO(memfd_create(long_name, 0), EINVAL);
  CHECK_ERRNO(memfd_create("x", 0x100), EINVAL);
  int plain = memfd_create("plain", 0);
  CHECK(plain >= 0 && fcntl(plain, F_GET_SEALS) == F_SEAL_SEAL);
  CHECK_ERRNO(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
  close(plain);
  int p[2];
  CHECK(pipe(p) == 0);
  CHECK_ERRNO(fcntl(p[1], F_GET_SEALS), EINVAL);
  close(p[0]);
  close(p[1]);
  tl_say("names, flags, unsealable memfds, F_GET_SEALS of a pipe: as Linux\n");

  CHECK(fcntl(fd, F_GET_SEALS) == 0);
  CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  CHECK_ERRNO(ftruncate(fd, 4096), EPERM);
  CHECK_ERRNO(ftruncate(fd, 16384), EPERM);
  CHECK_ERRNO(pwrite(fd, "x", 1, 8192), EPERM);
  CHECK(pwrite(fd, "w", 1, 0) == 1);
  CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
  CHECK(munmap(shared, 8192) == 0);
  CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
  CHECK_ERRNO(pwrite(fd, "w", 1, 0), EPERM);
  CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM);
  char* ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(ro != MAP_FAILED && ro[0] == 'w');
  CHECK_ERRNO(mprotect(ro, 4096, PROT_READ | PROT_WRITE), EACCES);
  char* private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(private != MAP_FAILED);
  if (private != MAP_FAILED) private[0] = 'p';
  CHECK(ro[0] == 'w');
  CHECK(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
  CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0);
  CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM);
  tl_say("seals: SHRINK, GROW, WRITE (EBUSY while mapped writable), SEAL, as Linux\n");
  close(fd);
  return tl_done();
}
