// When insight questions fire: the next slot of an `at` or `cron` schedule, and the one slot the
// daemon should fire on a tick. Pure functions of the schedule and the instants passed in.
#pragma once

#include "rules/playbook.hpp"
#include "rules/time.hpp"

#include <optional>

namespace rapport::rules {

/// The first firing time strictly after `after`, or nullopt when there is none.
///
/// `at`: that instant if it is after `after`.
///
/// `cron`: matched against the wall clock of `s.zone` (UTC when null), minute by minute, with
/// cron's day rule (cron.hpp: two restricted day fields OR together). A matching wall-clock
/// minute fires at the first instant the zone's clock shows that minute or a later time:
///  - clocks spring forward over it (02:30 on a 02:00→03:00 night): it fires when the gap ends,
///    03:00 local, as cron runs the fixed-time jobs of a skipped hour. Several skipped minutes
///    that match (`*/15 2 * * *`) fire once, together.
///  - clocks fall back over it, so it happens twice: it fires at the first occurrence only, for
///    every expression. Vixie cron and cronie repeat "interval" jobs (`*` in the minute or hour
///    field) in the repeated hour and skip them in a skipped one; for a question posted to
///    people, never asking twice for one wall-clock slot is the safer rule. So, unlike there,
///    `30 * * * *` fires at 03:00 and 03:30 on a spring-forward night, and `* * * * *` is
///    quiet through a repeated hour.
/// The Gregorian calendar, weekdays included, repeats every 400 years, so the search looks at
/// most 400 years ahead and nullopt means the expression can never fire (`0 0 31 2 *`). It
/// skips whole months, days and hours that cannot match, so it costs steps per month crossed,
/// not per minute: about a microsecond when the next slot is days away, a few tenths of a
/// millisecond to rule out 400 years.
///
/// A schedule with neither `at` nor `cron` (the loader never builds one) never fires.
[[nodiscard]] std::optional<time_point> next_fire_after(const insight_schedule& s,
                                                        time_point after);

/// What the daemon keeps about one insight question between ticks.
struct fire_history {
    /// The slot last returned by due_fire() and fired, or nullopt if it never fired.
    std::optional<time_point> last_fired{};
    /// When the daemon first saw the question; kept across restarts. No default on purpose:
    /// -Wextra flags an initializer that leaves it out.
    time_point first_seen;
};

/// The slot to fire at `now`, or nullopt when nothing is due. Called on every tick; after
/// firing, the daemon records the returned slot as `last_fired`.
///
/// `cron`: the latest slot in (last_fired, now]. A schedule missed while the daemon was down
/// fires once, for its latest slot, not once per missed slot. A question that never fired counts
/// only slots after `first_seen`: adding a cron question does not replay its history.
///
/// `at`: that instant once `now` reaches it, unless `last_fired` is at or after it. An `at` in
/// the past that never fired fires once (first_seen does not matter), and moving `at` later
/// than the last firing arms it again.
[[nodiscard]] std::optional<time_point> due_fire(const insight_schedule& s,
                                                 const fire_history& h,
                                                 time_point now);

} // namespace rapport::rules
