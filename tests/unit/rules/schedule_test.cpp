#include "rules/schedule.hpp"

#include "rules/cron.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {
namespace {

using namespace std::chrono_literals;

time_point at(std::string_view text) {
    const auto t = parse_timestamp(text);
    EXPECT_TRUE(t) << text;
    return t.value_or(time_point{});
}

insight_schedule cron(std::string_view text, const char* zone = nullptr) {
    const auto parsed = parse_cron(text);
    EXPECT_TRUE(parsed.expression) << text << ": " << parsed.error;
    insight_schedule s;
    s.cron = parsed.expression;
    s.cron_text = text;
    s.zone = zone != nullptr ? date::locate_zone(zone) : nullptr;
    return s;
}

insight_schedule once(std::string_view text) {
    insight_schedule s;
    s.at = at(text);
    return s;
}

std::string show(std::optional<time_point> t) {
    return t ? format_timestamp(*t) : "never";
}

std::string next(const insight_schedule& s, std::string_view after) {
    return show(next_fire_after(s, at(after)));
}

// The first `n` firing times after `after`, each found from the one before.
std::vector<std::string> fires(const insight_schedule& s, std::string_view after, int n) {
    std::vector<std::string> out;
    std::optional<time_point> t = at(after);
    for (int i = 0; i < n && t; ++i) {
        t = next_fire_after(s, *t);
        out.push_back(show(t));
    }
    return out;
}

using times = std::vector<std::string>;

TEST(schedule, every_minute_fires_on_the_next_whole_minute) {
    const auto s = cron("* * * * *");
    EXPECT_EQ(next(s, "2026-03-10T10:00:00Z"), "2026-03-10T10:01:00Z");
    EXPECT_EQ(next(s, "2026-03-10T10:00:30Z"), "2026-03-10T10:01:00Z");
    EXPECT_EQ(next(s, "2026-03-10T10:00:59Z"), "2026-03-10T10:01:00Z");
    EXPECT_EQ(next(s, "2026-12-31T23:59:00Z"), "2027-01-01T00:00:00Z");
}

TEST(schedule, monday_15_in_berlin_is_14_utc_in_winter_and_13_in_summer) {
    const auto s = cron("0 15 * * 1", "Europe/Berlin");
    EXPECT_EQ(fires(s, "2026-01-01T00:00:00Z", 2),
              (times{"2026-01-05T14:00:00Z", "2026-01-12T14:00:00Z"}));
    EXPECT_EQ(next(s, "2026-01-05T13:59:59Z"), "2026-01-05T14:00:00Z");
    EXPECT_EQ(next(s, "2026-01-05T14:00:00Z"), "2026-01-12T14:00:00Z");
    // Summer time starts on Sunday 29 March and ends on Sunday 25 October 2026.
    EXPECT_EQ(fires(s, "2026-03-20T00:00:00Z", 2),
              (times{"2026-03-23T14:00:00Z", "2026-03-30T13:00:00Z"}));
    EXPECT_EQ(next(s, "2026-07-01T00:00:00Z"), "2026-07-06T13:00:00Z");
    EXPECT_EQ(fires(s, "2026-10-15T00:00:00Z", 2),
              (times{"2026-10-19T13:00:00Z", "2026-10-26T14:00:00Z"}));
}

TEST(schedule, two_restricted_day_fields_match_either_day) {
    // March 2026: Mondays are the 2nd, 9th, 16th, 23rd and 30th.
    EXPECT_EQ(fires(cron("0 12 10 * 1"), "2026-03-01T00:00:00Z", 4),
              (times{"2026-03-02T12:00:00Z", "2026-03-09T12:00:00Z", "2026-03-10T12:00:00Z",
                     "2026-03-16T12:00:00Z"}));
    EXPECT_EQ(fires(cron("0 12 10 * *"), "2026-03-01T00:00:00Z", 2),
              (times{"2026-03-10T12:00:00Z", "2026-04-10T12:00:00Z"}));
    EXPECT_EQ(fires(cron("0 12 * * mon"), "2026-03-01T00:00:00Z", 2),
              (times{"2026-03-02T12:00:00Z", "2026-03-09T12:00:00Z"}));
    // A day field starting with `*` makes both hold: odd days that are Mondays.
    EXPECT_EQ(fires(cron("0 12 */2 * 1"), "2026-03-01T00:00:00Z", 3),
              (times{"2026-03-09T12:00:00Z", "2026-03-23T12:00:00Z", "2026-04-13T12:00:00Z"}));
    // The 10th when it is a Sunday, Wednesday or Saturday: Sunday 10 May.
    EXPECT_EQ(next(cron("0 12 10 * */3"), "2026-03-01T00:00:00Z"), "2026-05-10T12:00:00Z");
}

TEST(schedule, steps_and_ranges) {
    EXPECT_EQ(fires(cron("*/20 9-17/4 * * *"), "2026-03-10T09:40:00Z", 7),
              (times{"2026-03-10T13:00:00Z", "2026-03-10T13:20:00Z", "2026-03-10T13:40:00Z",
                     "2026-03-10T17:00:00Z", "2026-03-10T17:20:00Z", "2026-03-10T17:40:00Z",
                     "2026-03-11T09:00:00Z"}));
    EXPECT_EQ(fires(cron("5,50 0 1-7/3 * *"), "2026-03-02T00:00:00Z", 5),
              (times{"2026-03-04T00:05:00Z", "2026-03-04T00:50:00Z", "2026-03-07T00:05:00Z",
                     "2026-03-07T00:50:00Z", "2026-04-01T00:05:00Z"}));
}

TEST(schedule, month_and_weekday_names) {
    EXPECT_EQ(fires(cron("0 9 * jul sat"), "2026-07-20T00:00:00Z", 3),
              (times{"2026-07-25T09:00:00Z", "2027-07-03T09:00:00Z", "2027-07-10T09:00:00Z"}));
    // Tuesday 31 March is the last match of 2026; 1 January 2027 is a Friday.
    EXPECT_EQ(fires(cron("30 8 * JAN-MAR Mon-Wed"), "2026-03-31T08:00:00Z", 2),
              (times{"2026-03-31T08:30:00Z", "2027-01-04T08:30:00Z"}));
}

TEST(schedule, day_31_skips_shorter_months) {
    EXPECT_EQ(fires(cron("0 0 31 * *"), "2026-04-01T00:00:00Z", 4),
              (times{"2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z",
                     "2026-10-31T00:00:00Z"}));
    EXPECT_EQ(next(cron("0 0 29-31 * *"), "2026-02-01T00:00:00Z"), "2026-03-29T00:00:00Z");
}

TEST(schedule, leap_day) {
    const auto s = cron("0 12 29 2 *");
    EXPECT_EQ(fires(s, "2026-01-01T00:00:00Z", 2),
              (times{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}));
    // 2100 is not a leap year.
    EXPECT_EQ(next(s, "2096-03-01T00:00:00Z"), "2104-02-29T12:00:00Z");
    // 29 February on a Sunday: 40 years apart here, found all the same.
    EXPECT_EQ(next(cron("0 0 29 2 */7"), "2088-03-01T00:00:00Z"), "2128-02-29T00:00:00Z");
}

TEST(schedule, an_impossible_expression_never_fires) {
    for (const char* text : {"0 0 31 2 *", "0 0 30 feb *", "0 0 31 4,6,9,11 *", "0 0 30 2 */2"}) {
        SCOPED_TRACE(text);
        const auto s = cron(text, "Europe/Berlin");
        EXPECT_EQ(next_fire_after(s, at("2026-01-01T00:00:00Z")), std::nullopt);
        EXPECT_EQ(
            due_fire(s, {.first_seen = at("2000-01-01T00:00:00Z")}, at("2026-01-01T00:00:00Z")),
            std::nullopt);
    }
}

TEST(schedule, berlin_spring_forward_fires_skipped_times_when_the_gap_ends) {
    // 29 March 2026, 01:00Z: 02:00 CET becomes 03:00 CEST.
    EXPECT_EQ(fires(cron("30 2 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 2),
              (times{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
    // Four skipped slots fire once, together.
    EXPECT_EQ(fires(cron("*/15 2 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 3),
              (times{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:15:00Z"}));
    EXPECT_EQ(fires(cron("* * * * *", "Europe/Berlin"), "2026-03-29T00:58:00Z", 3),
              (times{"2026-03-29T00:59:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:01:00Z"}));
    // Unlike Vixie cron, an hourly-at-half-past expression also fires for 02:30, at 03:00.
    EXPECT_EQ(fires(cron("30 * * * *", "Europe/Berlin"), "2026-03-29T00:00:00Z", 3),
              (times{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(schedule, berlin_fall_back_fires_repeated_times_once) {
    // 25 October 2026, 01:00Z: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
    EXPECT_EQ(fires(cron("30 2 * * *", "Europe/Berlin"), "2026-10-24T12:00:00Z", 2),
              (times{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
    EXPECT_EQ(fires(cron("0 * * * *", "Europe/Berlin"), "2026-10-24T23:30:00Z", 3),
              (times{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}));
    // Asked during the second 02:15, the day's 02:45 has already fired.
    EXPECT_EQ(next(cron("45 2 * * *", "Europe/Berlin"), "2026-10-25T01:15:00Z"),
              "2026-10-26T01:45:00Z");
    // Even every minute stays quiet through the repeated hour.
    EXPECT_EQ(fires(cron("* * * * *", "Europe/Berlin"), "2026-10-25T00:58:00Z", 2),
              (times{"2026-10-25T00:59:00Z", "2026-10-25T02:00:00Z"}));
}

TEST(schedule, new_york_spring_forward_and_fall_back) {
    // 8 March 2026, 07:00Z: 02:00 EST becomes 03:00 EDT.
    EXPECT_EQ(fires(cron("30 2 * * *", "America/New_York"), "2026-03-07T12:00:00Z", 3),
              (times{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}));
    // 1 November 2026, 06:00Z: 02:00 EDT becomes 01:00 EST.
    EXPECT_EQ(fires(cron("30 1 * * *", "America/New_York"), "2026-10-30T12:00:00Z", 3),
              (times{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
}

TEST(schedule, at_fires_once_at_its_instant) {
    const auto s = once("2026-12-01T15:00:00Z");
    EXPECT_EQ(next(s, "2026-11-30T00:00:00Z"), "2026-12-01T15:00:00Z");
    EXPECT_EQ(next(s, "2026-12-01T14:59:59Z"), "2026-12-01T15:00:00Z");
    EXPECT_EQ(next(s, "2026-12-01T15:00:00Z"), "never");

    const fire_history fresh{.first_seen = at("2026-11-01T00:00:00Z")};
    EXPECT_EQ(due_fire(s, fresh, at("2026-12-01T14:59:59Z")), std::nullopt);
    EXPECT_EQ(show(due_fire(s, fresh, at("2026-12-01T15:00:00Z"))), "2026-12-01T15:00:00Z");
    EXPECT_EQ(show(due_fire(s, fresh, at("2027-03-01T00:00:00Z"))), "2026-12-01T15:00:00Z");
    // Seen only after its time passed, it still fires once.
    EXPECT_EQ(
        show(due_fire(s, {.first_seen = at("2027-01-01T00:00:00Z")}, at("2027-01-02T00:00:00Z"))),
        "2026-12-01T15:00:00Z");

    const fire_history fired{.last_fired = at("2026-12-01T15:00:00Z"),
                             .first_seen = fresh.first_seen};
    EXPECT_EQ(due_fire(s, fired, at("2027-03-01T00:00:00Z")), std::nullopt);
    // Moved later than its last firing, it fires again.
    EXPECT_EQ(show(due_fire(once("2026-12-08T15:00:00Z"), fired, at("2026-12-08T15:00:00Z"))),
              "2026-12-08T15:00:00Z");
}

TEST(schedule, missed_slots_fire_once_for_the_latest) {
    const auto s = cron("0 15 * * 1", "Europe/Berlin");
    fire_history h{.last_fired = at("2026-01-05T14:00:00Z"),
                   .first_seen = at("2025-12-01T00:00:00Z")};
    // Down for five Mondays.
    const auto due = due_fire(s, h, at("2026-02-10T12:00:00Z"));
    EXPECT_EQ(show(due), "2026-02-09T14:00:00Z");
    h.last_fired = due;
    EXPECT_EQ(due_fire(s, h, at("2026-02-10T12:00:00Z")), std::nullopt);
    EXPECT_EQ(due_fire(s, h, at("2026-02-16T13:59:59Z")), std::nullopt);
    EXPECT_EQ(show(due_fire(s, h, at("2026-02-16T14:00:00Z"))), "2026-02-16T14:00:00Z");
    EXPECT_EQ(show(due_fire(s, h, at("2026-02-16T14:00:30Z"))), "2026-02-16T14:00:00Z");
    // Across the start of summer time.
    h.last_fired = at("2026-03-23T14:00:00Z");
    EXPECT_EQ(show(due_fire(s, h, at("2026-04-01T00:00:00Z"))), "2026-03-30T13:00:00Z");
    // A clock that went back behind the last firing finds nothing due.
    EXPECT_EQ(due_fire(s, h, at("2026-03-01T00:00:00Z")), std::nullopt);
}

TEST(schedule, a_cron_that_never_fired_counts_only_slots_after_first_seen) {
    const auto s = cron("0 15 * * 1", "Europe/Berlin");
    const fire_history h{.first_seen = at("2026-02-10T12:00:00Z")};
    EXPECT_EQ(due_fire(s, h, at("2026-02-10T12:00:00Z")), std::nullopt);
    EXPECT_EQ(due_fire(s, h, at("2026-02-16T13:59:59Z")), std::nullopt);
    EXPECT_EQ(show(due_fire(s, h, at("2026-02-16T14:00:00Z"))), "2026-02-16T14:00:00Z");
    EXPECT_EQ(show(due_fire(s, h, at("2026-02-20T00:00:00Z"))), "2026-02-16T14:00:00Z");
    // A slot at the very instant the question was first seen is not after it.
    EXPECT_EQ(due_fire(s, {.first_seen = at("2026-02-16T14:00:00Z")}, at("2026-02-16T14:00:00Z")),
              std::nullopt);
}

TEST(schedule, due_fire_around_berlin_clock_changes) {
    const auto s = cron("30 2 * * *", "Europe/Berlin");
    // The skipped 02:30 is due from the end of the gap.
    fire_history h{.last_fired = at("2026-03-28T01:30:00Z"),
                   .first_seen = at("2026-01-01T00:00:00Z")};
    EXPECT_EQ(due_fire(s, h, at("2026-03-29T00:59:59Z")), std::nullopt);
    EXPECT_EQ(show(due_fire(s, h, at("2026-03-29T01:00:00Z"))), "2026-03-29T01:00:00Z");
    // The repeated 02:30 fired in the first pass and is not due again in the second.
    h.last_fired = at("2026-10-25T00:30:00Z");
    EXPECT_EQ(due_fire(s, h, at("2026-10-25T01:31:00Z")), std::nullopt);
    EXPECT_EQ(show(due_fire(s, h, at("2026-10-26T01:30:00Z"))), "2026-10-26T01:30:00Z");
    h.last_fired = at("2026-10-24T00:30:00Z");
    EXPECT_EQ(show(due_fire(s, h, at("2026-10-25T01:31:00Z"))), "2026-10-25T00:30:00Z");
}

// --- Randomized cross-check against a slow reference --------------------------------------

// A cron match written the obvious way, one wall-clock minute at a time.
bool reference_matches(const cron_expression& c, date::local_seconds wall) {
    const auto day = std::chrono::floor<date::days>(wall);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss time{wall - day};
    const bool by_date = c.days_of_month[static_cast<unsigned>(ymd.day())];
    const bool by_weekday = c.days_of_week[date::weekday{day}.c_encoding()];
    const bool day_ok =
        c.any_day_of_month || c.any_day_of_week ? by_date && by_weekday : by_date || by_weekday;
    return day_ok && c.months[static_cast<unsigned>(ymd.month())] &&
           c.hours[static_cast<std::size_t>(time.hours().count())] &&
           c.minutes[static_cast<std::size_t>(time.minutes().count())];
}

// Every instant in (after, until] at which `s` fires, stepping one UTC minute at a time: an
// instant fires when the wall clock reaches, for the first time, a minute that matches, or
// jumps over one.
std::vector<time_point> reference_fires(const insight_schedule& s,
                                        time_point after,
                                        time_point until) {
    // How far the wall clock had got by `after`; a day back covers any clock change.
    date::local_seconds furthest = to_local(s.zone, after);
    for (time_point t = after - 24h; t < after; t += 1min) {
        furthest = std::max(furthest, to_local(s.zone, t));
    }
    std::vector<time_point> out;
    for (time_point t = std::chrono::floor<std::chrono::minutes>(after) + 1min; t <= until;
         t += 1min) {
        const date::local_seconds wall = to_local(s.zone, t);
        bool fire = false;
        for (auto m = std::chrono::floor<std::chrono::minutes>(furthest) + 1min; m <= wall;
             m += 1min) {
            fire = fire || reference_matches(*s.cron, m);
        }
        furthest = std::max(furthest, wall);
        if (fire) {
            out.push_back(t);
        }
    }
    return out;
}

class random_cron {
public:
    explicit random_cron(unsigned seed) : rng_(seed) {}

    std::string expression() {
        static const std::vector<std::string> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
        static const std::vector<std::string> weekdays = {"sun", "mon", "tue", "wed",
                                                          "thu", "fri", "sat"};
        // Hours 1-3 are where clocks change, so they come up often.
        const std::string hour = pick(3) == 0 ? std::to_string(1 + pick(3)) : field(0, 23, nullptr);
        // Mostly any month and day, so that most expressions fire within the window.
        const std::string day = pick(2) == 0 ? "*" : field(1, 31, nullptr);
        const std::string month = pick(4) != 0 ? "*" : field(1, 12, &months);
        return field(0, 59, nullptr) + " " + hour + " " + day + " " + month + " " +
               field(0, 7, &weekdays);
    }

    int pick(int n) { return std::uniform_int_distribution<int>{0, n - 1}(rng_); }

private:
    std::string value(int v, int lo, const std::vector<std::string>* names) {
        if (names != nullptr && v - lo < static_cast<int>(names->size()) && pick(2) == 0) {
            return (*names)[static_cast<std::size_t>(v - lo)];
        }
        return std::to_string(v);
    }

    std::string item(int lo, int hi, const std::vector<std::string>* names) {
        const int a = lo + pick(hi - lo + 1);
        const int b = a + pick(hi - a + 1);
        const std::string step = "/" + std::to_string(1 + pick(std::max(1, (hi - lo) / 3)));
        switch (pick(5)) {
            case 0:
                return "*" + step;
            case 1:
                return value(a, lo, names);
            case 2:
                return value(a, lo, names) + "-" + value(b, lo, names);
            case 3:
                return value(a, lo, names) + "-" + value(b, lo, names) + step;
            default:
                return value(a, lo, names) + "," + value(b, lo, names);
        }
    }

    std::string field(int lo, int hi, const std::vector<std::string>* names) {
        return pick(4) == 0 ? "*" : item(lo, hi, names);
    }

    std::mt19937 rng_;
};

TEST(schedule, cron_agrees_with_a_minute_by_minute_reference) {
    random_cron random{20260329};
    for (const char* zone_name : {static_cast<const char*>(nullptr), "Europe/Berlin",
                                  "America/New_York", "Australia/Lord_Howe"}) {
        const date::time_zone* zone = zone_name ? date::locate_zone(zone_name) : nullptr;
        // The zone's clock changes in 2026, near which half the start times fall.
        std::vector<time_point> changes;
        if (zone != nullptr) {
            for (auto info = zone->get_info(at("2026-01-01T00:00:00Z"));
                 info.end < at("2027-01-01T00:00:00Z"); info = zone->get_info(info.end)) {
                changes.push_back(info.end);
            }
        }
        for (int i = 0; i < 200; ++i) {
            const std::string text = random.expression();
            auto s = cron(text);
            s.zone = zone;
            const time_point base = !changes.empty() && random.pick(2) == 0
                                        ? changes[static_cast<std::size_t>(
                                              random.pick(static_cast<int>(changes.size())))] -
                                              96h
                                        : at("2026-01-01T00:00:00Z") + date::days{random.pick(365)};
            const time_point after = base + std::chrono::seconds{random.pick(5 * 24 * 3600)};
            const time_point until = after + 8 * 24h;
            SCOPED_TRACE("'" + text + "' in " + (zone_name ? zone_name : "UTC") + " after " +
                         format_timestamp(after));

            const auto expected = reference_fires(s, after, until);
            const auto got = next_fire_after(s, after);
            if (expected.empty()) {
                EXPECT_TRUE(!got || *got > until) << show(got);
            } else {
                EXPECT_EQ(show(got), show(expected.front()));
            }
            // due_fire, at a few instants in the window, is the latest reference firing.
            for (int k = 0; k < 4; ++k) {
                const time_point now = after + std::chrono::seconds{random.pick(8 * 24 * 3600)};
                std::optional<time_point> latest;
                for (time_point f : expected) {
                    if (f <= now) {
                        latest = f;
                    }
                }
                EXPECT_EQ(show(due_fire(s, {.last_fired = after, .first_seen = after}, now)),
                          show(latest))
                    << "now " << format_timestamp(now);
            }
        }
    }
}

} // namespace
} // namespace rapport::rules
