// Five-field cron expressions for insight question schedules (`0 15 * * 1`).
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::rules {

/// minute hour day-of-month month day-of-week, each `*`, a number, a range `a-b`, a list
/// `a,b`, or a step `*/n` / `a-b/n`; months and weekdays also by three-letter name (`jan`,
/// `mon`); weekday 0 and 7 are Sunday. As in cron, when both day fields are restricted (neither
/// starts with `*`) a day matching either fires.
struct cron_expression {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days_of_month; // 1..31
    std::bitset<13> months;        // 1..12
    std::bitset<7> days_of_week;   // 0 = Sunday
    bool any_day_of_month = true;
    bool any_day_of_week = true;
};

struct cron_parse_result {
    std::optional<cron_expression> expression;
    std::size_t error_offset = 0;
    std::string error;
};

[[nodiscard]] cron_parse_result parse_cron(std::string_view text);

} // namespace rapport::rules
