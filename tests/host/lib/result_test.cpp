// lib/result.h and lib/error.h: Result<T> holds a value or an Error, TRY propagates the error, MUST panics on
// it; Error values are the Linux errno numbers.
#include "lib/result.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "support/host_panic.h"

namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error::INVAL;
  return c - '0';
}

// Two digits: uses TRY on each, so the first error is returned unchanged.
Result<int> parse_two_digits(const char* s) {
  int tens = TRY(parse_digit(s[0]));
  int ones = TRY(parse_digit(s[1]));
  return tens * 10 + ones;
}

int g_steps = 0;
Result<void> step(bool fail) {
  if (fail) return Error::NOSPC;
  g_steps++;
  return {};
}
Result<void> three_steps(bool fail_second) {
  TRY(step(false));
  TRY(step(fail_second));
  TRY(step(false));
  return {};
}

Result<std::unique_ptr<int>> make_box(int v) {
  if (v < 0) return Error::RANGE;
  return std::make_unique<int>(v);
}
Result<int> unbox_plus_one(int v) {
  std::unique_ptr<int> box = TRY(make_box(v));
  return *box + 1;
}

// Counts live instances, to check that Result constructs and destroys its value exactly once.
struct Tracked {
  static inline int live = 0;
  int value;
  explicit Tracked(int v) : value(v) { live++; }
  Tracked(const Tracked& o) : value(o.value) { live++; }
  Tracked(Tracked&& o) : value(o.value) { live++; }
  ~Tracked() { live--; }
};

}  // namespace

TEST_SUITE("lib/result") {

// A Result made from a value has that value; one made from an Error has that error.
TEST_CASE("result: value and error") {
  Result<int> ok = 42;
  CHECK(ok.has_value());
  CHECK_FALSE(ok.is_error());
  CHECK(ok.value() == 42);
  CHECK(ok.value_or(7) == 42);

  Result<int> bad = Error::NOMEM;
  CHECK(bad.is_error());
  CHECK_FALSE(bad.has_value());
  CHECK(bad.error() == Error::NOMEM);
  CHECK(bad.value_or(7) == 7);

  Result<void> done;
  CHECK(done.has_value());
  Result<void> failed = Error::IO;
  CHECK(failed.is_error());
  CHECK(failed.error() == Error::IO);
}

// Reading the wrong side of a Result is a bug: it panics.
TEST_CASE("result: value() of an error and error() of a value panic") {
  Result<int> bad = Error::INVAL;
  CHECK_THROWS_AS((void)bad.value(), KernelPanic);
  CHECK_THROWS_AS((void)bad.release_value(), KernelPanic);
  Result<int> ok = 1;
  CHECK_THROWS_AS((void)ok.error(), KernelPanic);
  Result<void> done;
  CHECK_THROWS_AS((void)done.error(), KernelPanic);
}

// TRY evaluates to the value on success and returns the first error to the caller.
TEST_CASE("result: TRY propagates the first error") {
  CHECK(parse_two_digits("42").value() == 42);
  CHECK(parse_two_digits("x2").error() == Error::INVAL);
  CHECK(parse_two_digits("4x").error() == Error::INVAL);
}

// TRY on Result<void> stops at the failing step: later steps do not run.
TEST_CASE("result: TRY on Result<void>") {
  g_steps = 0;
  CHECK(three_steps(false).has_value());
  CHECK(g_steps == 3);
  g_steps = 0;
  Result<void> r = three_steps(true);
  CHECK(r.error() == Error::NOSPC);
  CHECK(g_steps == 1);
}

// MUST gives the value, or panics with the expression, the errno name and the place.
TEST_CASE("result: MUST panics on an error") {
  CHECK(MUST(parse_digit('7')) == 7);
  CHECK_THROWS_WITH_AS(MUST(parse_digit('z')), doctest::Contains("EINVAL"), KernelPanic);
  CHECK_THROWS_WITH_AS(MUST(parse_digit('z')), doctest::Contains("parse_digit('z')"), KernelPanic);
  CHECK_THROWS_WITH_AS(MUST(step(true)), doctest::Contains("ENOSPC"), KernelPanic);
  MUST(step(false));
}

// Move-only values: Result holds them, release_value moves them out, TRY and MUST pass them on.
TEST_CASE("result: move-only values") {
  Result<std::unique_ptr<int>> r = make_box(5);
  REQUIRE(r.has_value());
  CHECK(*r.value() == 5);
  std::unique_ptr<int> box = r.release_value();
  REQUIRE(box);
  CHECK(*box == 5);
  CHECK(unbox_plus_one(9).value() == 10);
  CHECK(unbox_plus_one(-1).error() == Error::RANGE);
  std::unique_ptr<int> must_box = MUST(make_box(3));
  CHECK(*must_box == 3);

  Result<std::unique_ptr<int>> moved = std::move(r);
  CHECK(moved.has_value());
  Result<std::unique_ptr<int>> target = Error::AGAIN;
  target = make_box(8);
  CHECK(*target.value() == 8);
  target = Error::BUSY;
  CHECK(target.error() == Error::BUSY);
}

// Copies, moves and assignments construct and destroy the held value exactly once each.
TEST_CASE("result: the value's lifetime") {
  Tracked::live = 0;
  {
    Result<Tracked> a = Tracked(1);
    CHECK(Tracked::live == 1);
    Result<Tracked> b = a;
    CHECK(Tracked::live == 2);
    Result<Tracked> c = std::move(a);
    CHECK(Tracked::live == 3);
    c = Error::NOENT;
    CHECK(Tracked::live == 2);
    c = b;
    CHECK(Tracked::live == 3);
    CHECK(c.value().value == 1);
    b = b;  // self-assignment keeps the value
    CHECK(b.value().value == 1);
    CHECK(Tracked::live == 3);
    Result<Tracked> e = Error::NOENT;
    CHECK(Tracked::live == 3);
  }
  CHECK(Tracked::live == 0);
}

// Error members are the Linux errno values (so system calls return -errno unchanged) and error_name gives
// the E-name.
TEST_CASE("error: errno values and names") {
  struct Expected {
    Error error;
    int errno_value;
    const char* name;
  };
  const Expected table[] = {
      {Error::PERM, EPERM, "EPERM"},         {Error::NOENT, ENOENT, "ENOENT"},
      {Error::SRCH, ESRCH, "ESRCH"},         {Error::INTR, EINTR, "EINTR"},
      {Error::IO, EIO, "EIO"},               {Error::NXIO, ENXIO, "ENXIO"},
      {Error::TOO_BIG, E2BIG, "E2BIG"},      {Error::NOEXEC, ENOEXEC, "ENOEXEC"},
      {Error::BADF, EBADF, "EBADF"},         {Error::CHILD, ECHILD, "ECHILD"},
      {Error::AGAIN, EAGAIN, "EAGAIN"},      {Error::NOMEM, ENOMEM, "ENOMEM"},
      {Error::ACCESS, EACCES, "EACCES"},     {Error::FAULT, EFAULT, "EFAULT"},
      {Error::BUSY, EBUSY, "EBUSY"},         {Error::EXIST, EEXIST, "EEXIST"},
      {Error::XDEV, EXDEV, "EXDEV"},         {Error::NODEV, ENODEV, "ENODEV"},
      {Error::NOTDIR, ENOTDIR, "ENOTDIR"},   {Error::ISDIR, EISDIR, "EISDIR"},
      {Error::INVAL, EINVAL, "EINVAL"},      {Error::NFILE, ENFILE, "ENFILE"},
      {Error::MFILE, EMFILE, "EMFILE"},      {Error::NOTTY, ENOTTY, "ENOTTY"},
      {Error::FBIG, EFBIG, "EFBIG"},         {Error::NOSPC, ENOSPC, "ENOSPC"},
      {Error::SPIPE, ESPIPE, "ESPIPE"},      {Error::ROFS, EROFS, "EROFS"},
      {Error::MLINK, EMLINK, "EMLINK"},      {Error::PIPE, EPIPE, "EPIPE"},
      {Error::RANGE, ERANGE, "ERANGE"},      {Error::NAMETOOLONG, ENAMETOOLONG, "ENAMETOOLONG"},
      {Error::NOSYS, ENOSYS, "ENOSYS"},      {Error::NOTEMPTY, ENOTEMPTY, "ENOTEMPTY"},
      {Error::LOOP, ELOOP, "ELOOP"},         {Error::OVERFLOW, EOVERFLOW, "EOVERFLOW"},
      {Error::NOTSUP, ENOTSUP, "ENOTSUP"},   {Error::TIMEDOUT, ETIMEDOUT, "ETIMEDOUT"},
  };
  for (const Expected& e : table) {
    INFO(e.name);
    CHECK(errno_value(e.error) == e.errno_value);
    CHECK(std::string(error_name(e.error)) == e.name);
  }
  CHECK(std::string(error_name(static_cast<Error>(12345))) == "E?");
}

}  // TEST_SUITE
