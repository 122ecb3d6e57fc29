/* hello_dynamic: a dynamically linked program (no -static). The kernel maps it and glibc's loader, ld.so, which
 * maps libc.so.6 from /lib with mmap, relocates both and calls main. It prints its own memory map: compare it
 * with the static hello's (`cat /proc/PID/maps` of a static program has no /lib lines).
 *   hello_dynamic [NAME]
 */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "world";
  printf("Hello, %s! I am process %d, dynamically linked.\n", name, getpid());
  printf("ld.so was loaded at %#lx (AT_BASE), main is at %p, printf at %p\n", getauxval(AT_BASE), (void*)main,
         (void*)printf);
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) {
    perror("hello_dynamic: /proc/self/maps");
    return 1;
  }
  char line[256];
  while (fgets(line, sizeof line, maps)) fputs(line, stdout);
  fclose(maps);
  return 0;
}
