// doctest's main(), in one translation unit shared by every host test executable.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>

#include "support/host_panic.h"

// A panic that escapes a test case fails it; say that it was a panic, and with which message.
DOCTEST_REGISTER_EXCEPTION_TRANSLATOR(const KernelPanic& e) {
  return doctest::String(("kernel panic: " + std::string(e.what())).c_str());
}
