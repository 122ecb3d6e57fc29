/* rm: remove files.
 *   rm [-d] PATH...     -d: also remove empty directories
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int dirs = 0, status = 0, i = 1;
  if (i < argc && strcmp(argv[i], "-d") == 0) {
    dirs = 1;
    i++;
  }
  if (i == argc) {
    fprintf(stderr, "usage: rm [-d] PATH...\n");
    return 2;
  }
  for (; i < argc; i++) {
    int r = unlinkat(AT_FDCWD, argv[i], 0);
    if (r < 0 && errno == EISDIR && dirs) r = unlinkat(AT_FDCWD, argv[i], AT_REMOVEDIR);
    if (r < 0) {
      fprintf(stderr, "rm: %s: %s\n", argv[i], strerror(errno));
      status = 1;
    }
  }
  return status;
}
