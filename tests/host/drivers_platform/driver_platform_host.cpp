// The out-of-line part of the host's drivers platform (tests/host/drivers_platform/driver_platform_impl.h): the
// captured driver log.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "drivers/driver_platform.h"

namespace {

std::mutex g_log_mutex;

std::vector<std::string>& log_lines() {
  static std::vector<std::string> lines;
  return lines;
}

}  // namespace

void drv_log(DriverLog level, const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  static const char* const names[] = {"I", "W", "E"};
  std::lock_guard<std::mutex> guard(g_log_mutex);
  log_lines().push_back(std::string(names[static_cast<int>(level)]) + " " + line);
  if (getenv("DRV_LOG")) fprintf(stderr, "drv %s %s\n", names[static_cast<int>(level)], line);
}

const std::vector<std::string>& host_drv_log_lines() { return log_lines(); }

void host_drv_log_clear() {
  std::lock_guard<std::mutex> guard(g_log_mutex);
  log_lines().clear();
}
