#include "rules/schedule.hpp"

#include <date/tz.h>

#include <algorithm>
#include <bitset>
#include <cstddef>

namespace rapport::rules {

namespace {

using namespace std::chrono_literals;
using local_minutes = date::local_time<std::chrono::minutes>;

// 400 Gregorian years are 146097 days, exactly 20871 weeks: every (date, weekday) pair recurs
// within any window this long, so an expression that matches nothing in it matches nothing ever.
// (Feb 29 on a Sunday, `0 0 29 2 */7`, goes 40 years without a match from 2088 to 2128.)
constexpr date::days calendar_cycle{146097};

enum class direction { forward, backward };

// The nearest set bit at or after `from` (forward) or at or before it (backward); -1 if none.
template <std::size_t N>
int nearest(const std::bitset<N>& bits, int from, direction dir) {
    const int step = dir == direction::forward ? 1 : -1;
    for (int i = from; i >= 0 && i < static_cast<int>(N); i += step) {
        if (bits[static_cast<std::size_t>(i)]) {
            return i;
        }
    }
    return -1;
}

// The days of `ym` (bit d = day d) on which `c` fires, months aside.
std::bitset<32> matching_days(const cron_expression& c, date::year_month ym) {
    const unsigned last = static_cast<unsigned>((ym / date::last).day());
    unsigned weekday = date::weekday{date::local_days{ym / 1}}.c_encoding();
    // cron's rule: two restricted day fields OR together; when either starts with `*`, both
    // bitsets must hold (the `*` one is usually full, but `*/2` is not).
    const bool both = c.any_day_of_month || c.any_day_of_week;
    std::bitset<32> days;
    for (unsigned d = 1; d <= last; ++d, weekday = (weekday + 1) % 7) {
        const bool by_date = c.days_of_month[d];
        const bool by_weekday = c.days_of_week[weekday];
        days[d] = both ? by_date && by_weekday : by_date || by_weekday;
    }
    return days;
}

// The nearest wall-clock minute to `from` in direction `dir`, not past `bound`, that `c`
// matches. A month, day or hour that cannot match is left by jumping to its edge, so the loop
// runs a few times per month crossed rather than once per minute.
std::optional<local_minutes> find_match(const cron_expression& c,
                                        local_minutes from,
                                        local_minutes bound,
                                        direction dir) {
    const bool forward = dir == direction::forward;
    local_minutes t = from;
    while (forward ? t <= bound : t >= bound) {
        const date::local_days day = std::chrono::floor<date::days>(t);
        const date::year_month_day ymd{day};
        const date::year_month ym = ymd.year() / ymd.month();
        const int today = static_cast<int>(static_cast<unsigned>(ymd.day()));

        const int d = c.months[static_cast<unsigned>(ymd.month())]
                          ? nearest(matching_days(c, ym), today, dir)
                          : -1;
        if (d < 0) {
            t = forward ? local_minutes{date::local_days{ym / date::last} + date::days{1}}
                        : local_minutes{date::local_days{ym / 1}} - 1min;
            continue;
        }
        if (d != today) {
            const date::local_days other{ym / date::day{static_cast<unsigned>(d)}};
            t = forward ? local_minutes{other} : local_minutes{other + date::days{1}} - 1min;
            continue;
        }

        const auto minute_of_day = static_cast<int>((t - day).count());
        const int hour = minute_of_day / 60;
        const int h = nearest(c.hours, hour, dir);
        if (h < 0) {
            t = forward ? local_minutes{day + date::days{1}} : local_minutes{day} - 1min;
            continue;
        }
        const local_minutes hour_start = day + std::chrono::hours{h};
        if (h != hour) {
            t = forward ? hour_start : hour_start + 59min;
            continue;
        }
        const int m = nearest(c.minutes, minute_of_day % 60, dir);
        if (m < 0) {
            t = forward ? hour_start + 60min : hour_start - 1min;
            continue;
        }
        const local_minutes found = hour_start + std::chrono::minutes{m};
        if (forward ? found > bound : found < bound) {
            break;
        }
        return found;
    }
    return std::nullopt;
}

// The instant a matching wall-clock minute fires: the first instant the zone's clock shows it
// or a later time. A skipped minute maps to the end of its gap, a repeated one to its first
// occurrence. This map never decreases, which the searches below rely on.
time_point fire_instant(const date::time_zone* zone, local_minutes wall) {
    const time_point as_utc{wall.time_since_epoch()};
    if (zone == nullptr) {
        return as_utc;
    }
    const date::local_info info = zone->get_info(date::local_seconds{wall});
    if (info.result == date::local_info::nonexistent) {
        return info.second.begin;
    }
    // For a repeated time, `first` is the offset in force before the clocks fell back.
    return as_utc - info.first.offset;
}

// The latest wall-clock time whose minute has fired by `t` (fire_instant(w) <= t exactly when
// w <= this). That is t's own wall-clock time, except in the second pass through a repeated
// hour: every repeated time already fired in the first pass, up to where the repeat ends.
date::local_seconds wall_clock_done(const date::time_zone* zone, time_point t) {
    const date::local_seconds wall = to_local(zone, t);
    if (zone == nullptr) {
        return wall;
    }
    const date::local_info info = zone->get_info(wall);
    if (info.result == date::local_info::ambiguous && t >= info.second.begin) {
        const time_point repeat_end = info.second.begin + info.first.offset;
        return date::local_seconds{repeat_end.time_since_epoch()} - 1s;
    }
    return wall;
}

// The latest cron slot in (after, until].
std::optional<time_point> latest_cron_fire(const insight_schedule& s,
                                           time_point after,
                                           time_point until) {
    if (until <= after) {
        return std::nullopt;
    }
    const local_minutes from =
        std::chrono::floor<std::chrono::minutes>(wall_clock_done(s.zone, until));
    // Slots at or before `after` are not wanted, and one calendar cycle back finds the latest
    // slot if there is any.
    const local_minutes bound =
        std::max(std::chrono::floor<std::chrono::minutes>(wall_clock_done(s.zone, after)) + 1min,
                 from - calendar_cycle);
    const auto wall = find_match(*s.cron, from, bound, direction::backward);
    if (!wall) {
        return std::nullopt;
    }
    return fire_instant(s.zone, *wall);
}

} // namespace

std::optional<time_point> next_fire_after(const insight_schedule& s, time_point after) {
    if (s.at) {
        return *s.at > after ? s.at : std::nullopt;
    }
    if (!s.cron) {
        return std::nullopt;
    }
    const local_minutes from =
        std::chrono::floor<std::chrono::minutes>(wall_clock_done(s.zone, after)) + 1min;
    const auto wall = find_match(*s.cron, from, from + calendar_cycle, direction::forward);
    if (!wall) {
        return std::nullopt;
    }
    return fire_instant(s.zone, *wall);
}

std::optional<time_point> due_fire(const insight_schedule& s,
                                   const fire_history& h,
                                   time_point now) {
    if (s.at) {
        const bool fired = h.last_fired && *h.last_fired >= *s.at;
        return *s.at <= now && !fired ? s.at : std::nullopt;
    }
    if (!s.cron) {
        return std::nullopt;
    }
    return latest_cron_fire(s, h.last_fired.value_or(h.first_seen), now);
}

} // namespace rapport::rules
