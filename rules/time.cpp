#include "rules/time.hpp"

#include <date/tz.h>

#include <array>
#include <cstdint>

namespace rapport::rules {

namespace {

// Longer spans are typos (an extra digit), and the bound keeps every product far from
// overflowing std::chrono::seconds' representation.
constexpr std::int64_t max_duration_seconds = std::int64_t{36525} * 24 * 60 * 60; // 100 years

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Reads exactly `count` digits at `pos`; false when any of them is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (!is_digit(text[i])) {
            return false;
        }
        value = value * 10 + (text[i] - '0');
    }
    out = value;
    return true;
}

bool char_at(std::string_view text, std::size_t pos, char expected) {
    return pos < text.size() && text[pos] == expected;
}

// Appends `value` zero-padded to `width` digits (a sign first when negative).
void append_padded(std::string& out, std::int64_t value, int width) {
    if (value < 0) {
        out += '-';
        value = -value;
    }
    std::array<char, 20> digits{};
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (std::size_t i = n; i < static_cast<std::size_t>(width); ++i) {
        out += '0';
    }
    while (n > 0) {
        out += digits[--n];
    }
}

} // namespace

std::optional<duration> parse_duration(std::string_view text) {
    if (text.size() < 2) {
        return std::nullopt;
    }
    std::int64_t unit = 0;
    switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3'600;
            break;
        case 'd':
            unit = 86'400;
            break;
        default:
            return std::nullopt;
    }
    std::int64_t total = 0;
    for (char c : text.substr(0, text.size() - 1)) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        // Checked per digit, so a long run of digits is rejected before it can overflow.
        total = total * 10 + (c - '0') * unit;
        if (total > max_duration_seconds) {
            return std::nullopt;
        }
    }
    return duration{total};
}

std::optional<time_point> parse_timestamp(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS is fixed-width, so positions are constants.
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_digits(text, 0, 4, year) || !char_at(text, 4, '-') ||
        !read_digits(text, 5, 2, month) || !char_at(text, 7, '-') ||
        !read_digits(text, 8, 2, day) || text.size() <= 10 ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !read_digits(text, 11, 2, hour) || !char_at(text, 13, ':') ||
        !read_digits(text, 14, 2, minute) || !char_at(text, 16, ':') ||
        !read_digits(text, 17, 2, second)) {
        return std::nullopt;
    }
    // Leap seconds (:60) are rejected rather than folded: no platform we read emits them.
    if (hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok()) {
        return std::nullopt;
    }

    std::size_t pos = 19;
    if (char_at(text, pos, '.')) {
        ++pos;
        const std::size_t fraction_start = pos;
        while (pos < text.size() && is_digit(text[pos])) {
            ++pos;
        }
        if (pos == fraction_start) {
            return std::nullopt;
        }
    }

    std::chrono::seconds offset{0};
    if (pos >= text.size()) {
        return std::nullopt;
    }
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        const bool negative = text[pos] == '-';
        int offset_hours = 0;
        int offset_minutes = 0;
        if (!read_digits(text, pos + 1, 2, offset_hours) || !char_at(text, pos + 3, ':') ||
            !read_digits(text, pos + 4, 2, offset_minutes) || offset_hours > 23 ||
            offset_minutes > 59) {
            return std::nullopt;
        }
        offset = std::chrono::hours{offset_hours} + std::chrono::minutes{offset_minutes};
        if (negative) {
            offset = -offset;
        }
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }

    // Local time minus its offset from UTC is UTC. Near the ends of years 0000-9999 the offset
    // can push the instant out of them, where format_timestamp could not write it back.
    const time_point utc = time_point{std::chrono::sys_days{date}} + std::chrono::hours{hour} +
                           std::chrono::minutes{minute} + std::chrono::seconds{second} - offset;
    constexpr std::chrono::year_month_day first{std::chrono::year{0}, std::chrono::January,
                                                std::chrono::day{1}};
    constexpr std::chrono::year_month_day after_last{std::chrono::year{10000}, std::chrono::January,
                                                     std::chrono::day{1}};
    if (utc < time_point{std::chrono::sys_days{first}} ||
        utc >= time_point{std::chrono::sys_days{after_last}}) {
        return std::nullopt;
    }
    return utc;
}

std::string format_timestamp(time_point t) {
    const auto day_start = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day date{day_start};
    const std::chrono::hh_mm_ss time{t - day_start};

    std::string out;
    out.reserve(20);
    append_padded(out, static_cast<int>(date.year()), 4);
    out += '-';
    append_padded(out, static_cast<unsigned>(date.month()), 2);
    out += '-';
    append_padded(out, static_cast<unsigned>(date.day()), 2);
    out += 'T';
    append_padded(out, time.hours().count(), 2);
    out += ':';
    append_padded(out, time.minutes().count(), 2);
    out += ':';
    append_padded(out, time.seconds().count(), 2);
    out += 'Z';
    return out;
}

date::local_seconds to_local(const date::time_zone* zone, time_point t) {
    return zone != nullptr ? zone->to_local(t) : date::local_seconds{t.time_since_epoch()};
}

} // namespace rapport::rules
