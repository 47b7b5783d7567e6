/// Logging implementation: one line per message, prefixed with level and seconds since start.
#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/clock.h"

namespace edgetier {
namespace {

LogLevel initial_level() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("EDGETIER_LOG")) parse_log_level(env, &level);
  return level;
}

std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{initial_level()};
  return level;
}

}  // namespace

void set_log_level(LogLevel level) { level_ref().store(level); }
LogLevel log_level() { return level_ref().load(); }

bool parse_log_level(std::string_view name, LogLevel* level) {
  if (name == "debug") *level = LogLevel::kDebug;
  else if (name == "info") *level = LogLevel::kInfo;
  else if (name == "warn") *level = LogLevel::kWarn;
  else if (name == "error") *level = LogLevel::kError;
  else if (name == "off") *level = LogLevel::kOff;
  else return false;
  return true;
}

void log_message(LogLevel level, std::string_view message) {
  static std::mutex mutex;
  static const int64_t start_ns = monotonic_ns();
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error", "off"};
  const double seconds = static_cast<double>(monotonic_ns() - start_ns) * 1e-9;
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "[%8.3f %-5s] %.*s\n", seconds, kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace edgetier
