/* dyn_dlopen: loading a shared library at run time. The program does not link libm (nothing in it calls a libm
 * function directly), then dlopen's libm.so.6: it appears in /proc/self/maps and in dl_iterate_phdr, dlsym
 * finds cos and sqrt and they compute; dlclose unloads it again. dlopen of a library that does not exist fails
 * with glibc's message, and dlsym of a name nobody defines fails too.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>

#include <unistd.h>

#include "testlib.h"

static int maps_mention(const char* name) {
  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  if (!f) return 0;
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, name)) found = 1;
  fclose(f);
  return found;
}

static int phdr_callback(struct dl_phdr_info* info, size_t size, void* data) {
  if (strstr(info->dlpi_name, (const char*)data)) return 1;
  return 0;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  tl_say("before dlopen: libm mapped: %s, in dl_iterate_phdr: %s\n", maps_mention("libm.so.6") ? "yes" : "no",
         dl_iterate_phdr(phdr_callback, "libm.so.6") ? "yes" : "no");

  void* libm = dlopen("libm.so.6", RTLD_NOW);
  CHECK(libm != NULL);
  if (!libm) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return tl_done();
  }
  tl_say("after dlopen: libm mapped: %s, in dl_iterate_phdr: %s\n", maps_mention("libm.so.6") ? "yes" : "no",
         dl_iterate_phdr(phdr_callback, "libm.so.6") ? "yes" : "no");
  double (*cos_fn)(double) = (double (*)(double))dlsym(libm, "cos");
  double (*sqrt_fn)(double) = (double (*)(double))dlsym(libm, "sqrt");
  CHECK(cos_fn != NULL && sqrt_fn != NULL);
  if (cos_fn && sqrt_fn) tl_say("cos(0) = %.3f, sqrt(2) = %.6f\n", cos_fn(0.0), sqrt_fn(2.0));
  Dl_info where;
  CHECK(dladdr((void*)cos_fn, &where) != 0);
  tl_say("dladdr(cos) names %s\n", strstr(where.dli_fname, "libm.so.6") ? "libm.so.6" : where.dli_fname);

  CHECK(dlsym(libm, "no_such_symbol_anywhere") == NULL);
  tl_say("dlsym of a missing name: %s\n", strstr(dlerror(), "undefined symbol") ? "undefined symbol" : "?");
  void* self = dlopen(NULL, RTLD_NOW);
  CHECK(self != NULL && dlsym(self, "printf") != NULL);

  CHECK(dlclose(libm) == 0);
  tl_say("after dlclose: libm mapped: %s\n", maps_mention("libm.so.6") ? "yes" : "no");

  CHECK(dlopen("libno-such-library.so.1", RTLD_NOW) == NULL);
  const char* error = dlerror();
  tl_say("dlopen of a missing library: %s\n",
         error && strstr(error, "cannot open shared object file") ? "cannot open shared object file" : error);
  return tl_done();
}
