// The out-of-line part of the host's ext2 platform (tests/host/fs_platform/ext2_platform_impl.h): the clock and
// the captured ext2 log.
#include <atomic>

#include "kernel/fs/ext2/ext2_platform.h"
#include "support/captured_log.h"

namespace {

std::atomic<u32> g_now{1700000000};

CapturedLog& log() {
  static CapturedLog captured("ext2", "EXT2_LOG");
  return captured;
}

}  // namespace

u32 ext2_now() { return g_now.load(); }
void host_ext2_set_time(u32 seconds) { g_now.store(seconds); }

void ext2_log(Ext2Log level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  log().add(static_cast<int>(level), fmt, args);
  va_end(args);
}

const std::vector<std::string>& host_ext2_log_lines() { return log().lines(); }
void host_ext2_log_clear() { log().clear(); }
