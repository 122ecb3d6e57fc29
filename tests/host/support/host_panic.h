// On the host, panic() (lib/assert.h) throws a KernelPanic carrying the formatted message, so a test can check
// that an invariant is enforced:
//
//   CHECK_THROWS_AS(list.remove(unlinked_item), KernelPanic);
//   CHECK_THROWS_WITH_AS(MUST(fails()), doctest::Contains("ENOMEM"), KernelPanic);
//
// A panic nobody expects fails the test case that caused it, with the message.
#pragma once

#include <stdexcept>
#include <string>

class KernelPanic : public std::runtime_error {
 public:
  explicit KernelPanic(const std::string& message) : std::runtime_error(message) {}
};
