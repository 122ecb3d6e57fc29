// The host implementation of panic() (declared in lib/assert.h): format the message and throw it.
#include "support/host_panic.h"

#include <cstdarg>
#include <cstdio>

#include "lib/assert.h"

void panic(const char* fmt, ...) {
  char message[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  throw KernelPanic(message);
}
