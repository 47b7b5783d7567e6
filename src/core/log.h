/// Leveled logging to stderr; the level comes from --log-level or EDGETIER_LOG.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace edgetier {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
/// Parses "debug|info|warn|error|off"; returns false on an unknown name.
bool parse_log_level(std::string_view name, LogLevel* level);
void log_message(LogLevel level, std::string_view message);

namespace detail {
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { log_message(level_, stream_.str()); }
  template <typename T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace detail

}  // namespace edgetier

// The stream expression is only evaluated when the level is enabled.
#define EDGETIER_LOG(level)                                          \
  if (::edgetier::LogLevel::level < ::edgetier::log_level()) {       \
  } else                                                             \
    ::edgetier::detail::LogLine(::edgetier::LogLevel::level)
#define LOG_DEBUG EDGETIER_LOG(kDebug)
#define LOG_INFO EDGETIER_LOG(kInfo)
#define LOG_WARN EDGETIER_LOG(kWarn)
#define LOG_ERROR EDGETIER_LOG(kError)
