// A log the host keeps for the tests to read: what a portable part (the drivers, ext2) printed through its
// platform's log function, one line per call with its level ("I", "W", "E") in front, echoed to stderr when the
// environment variable the part names is set. Thread-safe (the fake devices log from their own threads).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

class CapturedLog {
 public:
  // prefix: what stderr lines start with ("drv"); echo_variable: the environment variable that turns echo on.
  CapturedLog(const char* prefix, const char* echo_variable) : m_prefix(prefix), m_echo_variable(echo_variable) {}

  void add(int level, const char* fmt, va_list args) {
    char line[512];
    vsnprintf(line, sizeof line, fmt, args);
    static const char* const names[] = {"I", "W", "E"};
    std::lock_guard<std::mutex> guard(m_mutex);
    m_lines.push_back(std::string(names[level]) + " " + line);
    if (getenv(m_echo_variable)) fprintf(stderr, "%s %s %s\n", m_prefix, names[level], line);
  }
  // Since the last clear, oldest first.
  const std::vector<std::string>& lines() const { return m_lines; }
  void clear() {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_lines.clear();
  }

 private:
  const char* m_prefix;
  const char* m_echo_variable;
  std::mutex m_mutex;
  std::vector<std::string> m_lines;
};
