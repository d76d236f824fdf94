// Time values of the domain: instants are sys_seconds, spans are seconds. Nothing in rules/
// reads the clock; callers pass `now` in.
#pragma once

#include <date/date.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace rapport::rules {

using time_point = std::chrono::sys_seconds;
using duration = std::chrono::seconds;

/// Parses a duration written as a whole number and one unit: `45s`, `90m`, `12h`, `30d`.
/// Returns nullopt for anything else (no sign, no fractions, no combined units).
[[nodiscard]] std::optional<duration> parse_duration(std::string_view text);

/// Parses an RFC 3339 timestamp: `2026-11-22T10:00:00Z`, with optional fractional seconds
/// (dropped) and a `Z` or `±HH:MM` offset. Returns nullopt when malformed, or out of range
/// (the instant in UTC must fall in the years 0000-9999, so format_timestamp can write it).
[[nodiscard]] std::optional<time_point> parse_timestamp(std::string_view text);

/// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ`.
[[nodiscard]] std::string format_timestamp(time_point t);

/// The wall-clock time that `zone` shows at instant `t`; UTC when `zone` is null (as the
/// loader leaves it when a playbook names no `tz`).
[[nodiscard]] date::local_seconds to_local(const date::time_zone* zone, time_point t);

} // namespace rapport::rules
