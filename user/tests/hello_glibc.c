/* hello_glibc: the C library works on the kernel: startup (argv, environment, TLS, auxv), printf with many
 * formats, malloc/free of many sizes (brk heap) and a large malloc (mmap), string functions, qsort.
 * Everything printed is deterministic (no pointers).
 */
#include <stdint.h>
#include <unistd.h>

#include "testlib.h"

static void formats(void) {
  char buf[256];
  snprintf(buf, sizeof buf, "%d %i %u %x %X %o %c %s %%", -42, 7, 3000000000u, 0xbeefu, 0xcafeu, 8, 'z', "str");
  tl_say("%s\n", buf);
  CHECK(strcmp(buf, "-42 7 3000000000 beef CAFE 10 z str %") == 0);
  snprintf(buf, sizeof buf, "[%5d|%-5d|%05d|%+d|%x|%#x|%#o]", 42, 42, 42, 42, 255u, 255u, 8u);
  tl_say("%s\n", buf);
  CHECK(strcmp(buf, "[   42|42   |00042|+42|ff|0xff|010]") == 0);
  snprintf(buf, sizeof buf, "%ld %lld %lu %zu %jd", -1234567890123L, 9223372036854775807LL, 18446744073709551615UL,
           (size_t)123, (intmax_t)-5);
  tl_say("%s\n", buf);
  CHECK(strcmp(buf, "-1234567890123 9223372036854775807 18446744073709551615 123 -5") == 0);
  snprintf(buf, sizeof buf, "%.3f %8.2f %e %g %g %.0f", 3.14159, -2.5, 6.02e23, 0.0001, 1e20, 2.5);
  tl_say("%s\n", buf);
  CHECK(strcmp(buf, "3.142    -2.50 6.020000e+23 0.0001 1e+20 2") == 0);
  snprintf(buf, sizeof buf, "[%10s|%-10s|%.3s|%*d]", "right", "left", "truncated", 6, -1);
  tl_say("%s\n", buf);
  CHECK(strcmp(buf, "[     right|left      |tru|    -1]") == 0);
  const char* volatile long_string = "a long string"; /* volatile: keep the compiler from warning */
  int n = snprintf(buf, 8, "%s", long_string);
  CHECK(n == 13 && strcmp(buf, "a long ") == 0);
  tl_say("printf: formats ok\n");
}

/* Fill a block with a pattern that depends on its index, so that overlapping blocks would be noticed. */
static void fill(unsigned char* p, size_t size, unsigned seed) {
  for (size_t i = 0; i < size; i++) p[i] = (unsigned char)(seed * 31 + i);
}

static int intact(const unsigned char* p, size_t size, unsigned seed) {
  for (size_t i = 0; i < size; i++)
    if (p[i] != (unsigned char)(seed * 31 + i)) return 0;
  return 1;
}

static void small_mallocs(void) {
  enum { COUNT = 500 };
  static unsigned char* blocks[COUNT];
  static size_t sizes[COUNT];
  for (unsigned i = 0; i < COUNT; i++) {
    sizes[i] = 1 + (i * 37) % 3000;
    blocks[i] = malloc(sizes[i]);
    CHECK(blocks[i] != NULL && (uintptr_t)blocks[i] % 16 == 0);
    if (blocks[i]) fill(blocks[i], sizes[i], i);
  }
  /* Free every other one, allocate again, and check nothing overlapped. */
  for (unsigned i = 0; i < COUNT; i += 2) free(blocks[i]);
  for (unsigned i = 0; i < COUNT; i += 2) {
    blocks[i] = malloc(sizes[i]);
    CHECK(blocks[i] != NULL);
    if (blocks[i]) fill(blocks[i], sizes[i], i);
  }
  int ok = 1;
  for (unsigned i = 0; i < COUNT; i++) ok &= blocks[i] && intact(blocks[i], sizes[i], i);
  CHECK(ok);
  for (unsigned i = 0; i < COUNT; i++) free(blocks[i]);
  tl_say("malloc: %d blocks of 1..3000 bytes ok\n", COUNT);

  /* Growing blocks with realloc keep their contents. */
  unsigned char* p = malloc(16);
  fill(p, 16, 7);
  for (size_t size = 32; size <= 65536; size *= 2) {
    p = realloc(p, size);
    CHECK(p && intact(p, 16, 7));
  }
  free(p);
  int* zeros = calloc(1000, sizeof(int));
  int all_zero = 1;
  for (int i = 0; i < 1000; i++) all_zero &= zeros[i] == 0;
  CHECK(all_zero);
  free(zeros);
  tl_say("realloc, calloc: ok\n");
}

static void large_malloc(void) {
  size_t size = 8u << 20; /* above glibc's mmap threshold: an mmap of its own */
  unsigned char* p = malloc(size);
  CHECK(p != NULL);
  if (!p) return;
  long page = sysconf(_SC_PAGESIZE);
  CHECK(page == 4096);
  int zero = 1;
  for (size_t i = 0; i < size; i += (size_t)page) zero &= p[i] == 0;
  CHECK(zero); /* fresh anonymous memory reads as zero */
  for (size_t i = 0; i < size; i += (size_t)page) p[i] = (unsigned char)(i / (size_t)page);
  int ok = 1;
  for (size_t i = 0; i < size; i += (size_t)page) ok &= p[i] == (unsigned char)(i / (size_t)page);
  CHECK(ok);
  free(p);
  tl_say("malloc: 8 MiB block ok\n");
}

static int compare_ints(const void* a, const void* b) { return *(const int*)a - *(const int*)b; }

static void strings(void) {
  char buf[64];
  CHECK(strlen("hello") == 5);
  CHECK(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0);
  CHECK(strncmp("abcdef", "abcxyz", 3) == 0);
  strcpy(buf, "hello");
  strcat(buf, ", world");
  CHECK(strcmp(buf, "hello, world") == 0);
  CHECK(strchr(buf, 'w') == buf + 7 && strrchr(buf, 'o') == buf + 8 && strstr(buf, "wor") == buf + 7);
  memmove(buf + 2, buf, 5); /* overlapping */
  buf[7] = '\0';
  CHECK(strcmp(buf, "hehello") == 0);
  char* copy = strdup("a,b,,c");
  int fields = 0;
  for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) fields++;
  CHECK(fields == 3);
  free(copy);
  CHECK(strtol("-123", NULL, 10) == -123 && strtoul("ff", NULL, 16) == 255 && atoi("42x") == 42);
  int values[] = {5, 3, 9, 1, 7, 2, 8};
  qsort(values, 7, sizeof values[0], compare_ints);
  for (int i = 0; i + 1 < 7; i++) CHECK(values[i] < values[i + 1]);
  tl_say("strings, qsort: ok\n");
}

static void startup(int argc, char** argv) {
  CHECK(argc >= 1 && argv[0] != NULL && argv[argc] == NULL);
  static __thread int tls_value = 1234; /* thread-local storage, set up by glibc from the ELF's PT_TLS */
  CHECK(tls_value == 1234);
  errno = 0; /* errno is thread-local too */
  CHECK(close(-1) == -1 && errno == EBADF);
  tl_say("startup: argv and TLS ok\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  tl_say("hello from glibc\n");
  startup(argc, argv);
  formats();
  small_mallocs();
  large_malloc();
  strings();
  return tl_done();
}
