// The out-of-line part of the host's ext2 platform (tests/host/fs_platform/ext2_platform_impl.h).
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "kernel/fs/ext2/ext2_platform.h"

namespace {

std::mutex g_log_mutex;
std::atomic<u32> g_now{1700000000};

std::vector<std::string>& log_lines() {
  static std::vector<std::string> lines;
  return lines;
}

}  // namespace

u32 ext2_now() { return g_now.load(); }
void host_ext2_set_time(u32 seconds) { g_now.store(seconds); }

void ext2_log(Ext2Log level, const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  static const char* const names[] = {"I", "W", "E"};
  std::lock_guard<std::mutex> guard(g_log_mutex);
  log_lines().push_back(std::string(names[static_cast<int>(level)]) + " " + line);
  if (getenv("EXT2_LOG")) fprintf(stderr, "ext2 %s %s\n", names[static_cast<int>(level)], line);
}

const std::vector<std::string>& host_ext2_log_lines() { return log_lines(); }

void host_ext2_log_clear() {
  std::lock_guard<std::mutex> guard(g_log_mutex);
  log_lines().clear();
}
