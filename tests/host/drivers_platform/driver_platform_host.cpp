// The out-of-line part of the host's drivers platform (tests/host/drivers_platform/driver_platform_impl.h): the
// captured driver log.
#include "drivers/driver_platform.h"
#include "support/captured_log.h"

namespace {

CapturedLog& log() {
  static CapturedLog captured("drv", "DRV_LOG");
  return captured;
}

}  // namespace

void drv_log(DriverLog level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  log().add(static_cast<int>(level), fmt, args);
  va_end(args);
}

const std::vector<std::string>& host_drv_log_lines() { return log().lines(); }
void host_drv_log_clear() { log().clear(); }
