// Minimal leveled logging to stderr, one line per call, thread-safe.
// Lines look like: 2026-11-25T12:00:00Z INFO  server: listening on ...
#pragma once

#include <string_view>

namespace teamvl {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_line(LogLevel level, std::string_view component, std::string_view message);

inline void log_debug(std::string_view c, std::string_view m) { log_line(LogLevel::kDebug, c, m); }
inline void log_info(std::string_view c, std::string_view m) { log_line(LogLevel::kInfo, c, m); }
inline void log_warn(std::string_view c, std::string_view m) { log_line(LogLevel::kWarn, c, m); }
inline void log_error(std::string_view c, std::string_view m) { log_line(LogLevel::kError, c, m); }

}  // namespace teamvl
