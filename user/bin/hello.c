/* hello: a first C program on the kernel: printf with a few formats, and malloc'ed memory.
 *   hello [NAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "world";
  printf("Hello, %s! I am process %d, child of %d.\n", name, getpid(), getppid());
  printf("Numbers: %d %u %x %o %.3f %e %s\n", -42, 42u, 0xbeefu, 8, 3.14159, 6.02e23, "and a string");

  /* malloc: a small block from the heap (brk), then a big one (glibc uses mmap above 128 KiB). */
  size_t small = 100, big = 4u << 20;
  char* a = malloc(small);
  char* b = malloc(big);
  if (!a || !b) {
    perror("hello: malloc");
    return 1;
  }
  snprintf(a, small, "%s, in %zu bytes of heap", name, small);
  memset(b, 'x', big); /* touch every page: the kernel gives us zeroed frames as we go */
  printf("malloc(%zu) at %p holds \"%s\"\n", small, (void*)a, a);
  printf("malloc(%zu) at %p: %zu pages touched\n", big, (void*)b, big / (size_t)sysconf(_SC_PAGESIZE));
  free(b);
  free(a);
  return 0;
}
