#include "adapters/common/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace rapport::adapters {

namespace {

using namespace std::chrono;

/// The cap on any wait: RFC 9111 §1.2.2's "greatest delta-seconds" (2^31 s, about 68 years).
/// It also keeps `now + wait` far from overflowing a nanosecond time_point.
constexpr std::int64_t max_wait_seconds = std::int64_t{1} << 31;

constexpr std::array<std::string_view, 7> day_names = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_day_names = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/// Left-to-right reader over the grammar's fixed-width fields. Names are case-sensitive, as
/// RFC 9110 §5.6.7 says.
class cursor {
public:
    explicit cursor(std::string_view s) : s_(s) {}

    bool literal(std::string_view lit) {
        if (s_.substr(0, lit.size()) != lit) {
            return false;
        }
        s_.remove_prefix(lit.size());
        return true;
    }

    /// Exactly `n` digits.
    std::optional<int> digits(std::size_t n) {
        if (s_.size() < n) {
            return std::nullopt;
        }
        int v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (!is_digit(s_[i])) {
                return std::nullopt;
            }
            v = v * 10 + (s_[i] - '0');
        }
        s_.remove_prefix(n);
        return v;
    }

    /// Index of the name that comes next.
    template <std::size_t N>
    std::optional<int> one_of(const std::array<std::string_view, N>& names) {
        for (std::size_t i = 0; i < N; ++i) {
            if (literal(names[i])) {
                return static_cast<int>(i);
            }
        }
        return std::nullopt;
    }

    bool done() const { return s_.empty(); }

private:
    std::string_view s_;
};

struct clock_time {
    int hour = 0;
    int minute = 0;
    int second = 0;
};

/// time-of-day = hour ":" minute ":" second; second may be 60 (a leap second).
std::optional<clock_time> time_of_day(cursor& c) {
    const auto h = c.digits(2);
    if (!h || !c.literal(":")) {
        return std::nullopt;
    }
    const auto m = c.digits(2);
    if (!m || !c.literal(":")) {
        return std::nullopt;
    }
    const auto s = c.digits(2);
    if (!s || *h > 23 || *m > 59 || *s > 60) {
        return std::nullopt;
    }
    return clock_time{*h, *m, *s};
}

std::optional<sys_seconds> make_time(int y, int month_index, int d, const clock_time& t) {
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(month_index + 1)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    return sys_days{ymd} + hours{t.hour} + minutes{t.minute} + seconds{t.second};
}

/// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<sys_seconds> imf_fixdate(std::string_view s) {
    cursor c{s};
    if (!c.one_of(day_names) || !c.literal(", ")) {
        return std::nullopt;
    }
    const auto d = c.digits(2);
    if (!d || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto mon = c.one_of(month_names);
    if (!mon || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto y = c.digits(4);
    if (!y || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto t = time_of_day(c);
    if (!t || !c.literal(" GMT") || !c.done()) {
        return std::nullopt;
    }
    return make_time(*y, *mon, *d, *t);
}

/// rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT". A two-digit year that would be more than 50
/// years after `now` is the most recent past year with those digits (RFC 9110 §5.6.7).
std::optional<sys_seconds> rfc850_date(std::string_view s, sys_seconds now) {
    cursor c{s};
    if (!c.one_of(long_day_names) || !c.literal(", ")) {
        return std::nullopt;
    }
    const auto d = c.digits(2);
    if (!d || !c.literal("-")) {
        return std::nullopt;
    }
    const auto mon = c.one_of(month_names);
    if (!mon || !c.literal("-")) {
        return std::nullopt;
    }
    const auto yy = c.digits(2);
    if (!yy || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto t = time_of_day(c);
    if (!t || !c.literal(" GMT") || !c.done()) {
        return std::nullopt;
    }
    const int this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
    int y = this_year - this_year % 100 + *yy;
    if (y > this_year + 50) {
        y -= 100;
    }
    return make_time(y, *mon, *d, *t);
}

/// asctime-date: "Sun Nov  6 08:49:37 1994" (a one-digit day is padded with a space).
std::optional<sys_seconds> asctime_date(std::string_view s) {
    cursor c{s};
    if (!c.one_of(day_names) || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto mon = c.one_of(month_names);
    if (!mon || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto d = c.literal(" ") ? c.digits(1) : c.digits(2);
    if (!d || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto t = time_of_day(c);
    if (!t || !c.literal(" ")) {
        return std::nullopt;
    }
    const auto y = c.digits(4);
    if (!y || !c.done()) {
        return std::nullopt;
    }
    return make_time(*y, *mon, *d, *t);
}

std::string_view trim(std::string_view s) {
    const auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }
    if (is_digit(value.front())) {
        std::int64_t n = 0;
        for (const char c : value) {
            if (!is_digit(c)) {
                return std::nullopt;
            }
            n = std::min(n * 10 + (c - '0'), max_wait_seconds);
        }
        return seconds{n};
    }
    // Whole seconds from the start of the current second: with `now` = F + f (0 <= f < 1 s), a
    // date D later than now is ceil(D - now) = D - F away, and D > now exactly when D - F >= 1.
    const auto now_s = floor<seconds>(now);
    auto date = imf_fixdate(value);
    if (!date) {
        date = rfc850_date(value, now_s);
    }
    if (!date) {
        date = asctime_date(value);
    }
    if (!date) {
        return std::nullopt;
    }
    const std::int64_t wait = (*date - now_s).count();
    return seconds{std::clamp<std::int64_t>(wait, 0, max_wait_seconds)};
}

} // namespace rapport::adapters
