#include "rules/cron.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace rapport::rules {
namespace {

template <std::size_t N>
std::bitset<N> bits(std::initializer_list<int> values) {
    std::bitset<N> b;
    for (int v : values) {
        b.set(static_cast<std::size_t>(v));
    }
    return b;
}

template <std::size_t N>
std::bitset<N> span(int first, int last, int step = 1) {
    std::bitset<N> b;
    for (int v = first; v <= last; v += step) {
        b.set(static_cast<std::size_t>(v));
    }
    return b;
}

cron_expression parse_ok(std::string_view text) {
    const auto result = parse_cron(text);
    EXPECT_TRUE(result.expression) << text << ": " << result.error;
    EXPECT_EQ(result.error, "") << text;
    return result.expression.value_or(cron_expression{});
}

void expect_error(std::string_view text, std::size_t offset, std::string_view message) {
    const auto result = parse_cron(text);
    EXPECT_FALSE(result.expression) << text;
    EXPECT_EQ(result.error, message) << text;
    EXPECT_EQ(result.error_offset, offset) << text;
}

TEST(cron, all_stars) {
    const auto e = parse_ok("* * * * *");
    EXPECT_EQ(e.minutes, span<60>(0, 59));
    EXPECT_EQ(e.hours, span<24>(0, 23));
    EXPECT_EQ(e.days_of_month, span<32>(1, 31));
    EXPECT_EQ(e.months, span<13>(1, 12));
    EXPECT_EQ(e.days_of_week, span<7>(0, 6));
    EXPECT_TRUE(e.any_day_of_month);
    EXPECT_TRUE(e.any_day_of_week);
    // Index 0 of the 1-based fields is never set.
    EXPECT_FALSE(e.days_of_month[0]);
    EXPECT_FALSE(e.months[0]);
}

TEST(cron, contract_example) {
    const auto e = parse_ok("0 15 * * 1");
    EXPECT_EQ(e.minutes, bits<60>({0}));
    EXPECT_EQ(e.hours, bits<24>({15}));
    EXPECT_EQ(e.days_of_month, span<32>(1, 31));
    EXPECT_EQ(e.months, span<13>(1, 12));
    EXPECT_EQ(e.days_of_week, bits<7>({1}));
    EXPECT_TRUE(e.any_day_of_month);
    EXPECT_FALSE(e.any_day_of_week);
}

TEST(cron, single_values_at_field_bounds) {
    const auto low = parse_ok("0 0 1 1 0");
    EXPECT_EQ(low.minutes, bits<60>({0}));
    EXPECT_EQ(low.hours, bits<24>({0}));
    EXPECT_EQ(low.days_of_month, bits<32>({1}));
    EXPECT_EQ(low.months, bits<13>({1}));
    EXPECT_EQ(low.days_of_week, bits<7>({0}));
    EXPECT_FALSE(low.any_day_of_month);
    EXPECT_FALSE(low.any_day_of_week);

    const auto high = parse_ok("59 23 31 12 6");
    EXPECT_EQ(high.minutes, bits<60>({59}));
    EXPECT_EQ(high.hours, bits<24>({23}));
    EXPECT_EQ(high.days_of_month, bits<32>({31}));
    EXPECT_EQ(high.months, bits<13>({12}));
    EXPECT_EQ(high.days_of_week, bits<7>({6}));
}

TEST(cron, leading_zeros) {
    const auto e = parse_ok("05 007 01 09 00");
    EXPECT_EQ(e.minutes, bits<60>({5}));
    EXPECT_EQ(e.hours, bits<24>({7}));
    EXPECT_EQ(e.days_of_month, bits<32>({1}));
    EXPECT_EQ(e.months, bits<13>({9}));
    EXPECT_EQ(e.days_of_week, bits<7>({0}));
}

TEST(cron, ranges) {
    const auto e = parse_ok("10-15 9-17 1-7 3-5 1-5");
    EXPECT_EQ(e.minutes, span<60>(10, 15));
    EXPECT_EQ(e.hours, span<24>(9, 17));
    EXPECT_EQ(e.days_of_month, span<32>(1, 7));
    EXPECT_EQ(e.months, span<13>(3, 5));
    EXPECT_EQ(e.days_of_week, span<7>(1, 5));
    EXPECT_EQ(parse_ok("7-7 * * * *").minutes, bits<60>({7}));
}

TEST(cron, lists) {
    const auto e = parse_ok("0,15,30,45 8,12-13,18 1,15 1,7 0,6");
    EXPECT_EQ(e.minutes, bits<60>({0, 15, 30, 45}));
    EXPECT_EQ(e.hours, bits<24>({8, 12, 13, 18}));
    EXPECT_EQ(e.days_of_month, bits<32>({1, 15}));
    EXPECT_EQ(e.months, bits<13>({1, 7}));
    EXPECT_EQ(e.days_of_week, bits<7>({0, 6}));
    // Overlaps and repeats are harmless.
    EXPECT_EQ(parse_ok("5,5,1-6,3 * * * *").minutes, span<60>(1, 6));
}

TEST(cron, star_steps) {
    const auto e = parse_ok("*/15 */6 */10 */3 */2");
    EXPECT_EQ(e.minutes, bits<60>({0, 15, 30, 45}));
    EXPECT_EQ(e.hours, bits<24>({0, 6, 12, 18}));
    EXPECT_EQ(e.days_of_month, bits<32>({1, 11, 21, 31}));
    EXPECT_EQ(e.months, bits<13>({1, 4, 7, 10}));
    EXPECT_EQ(e.days_of_week, bits<7>({0, 2, 4, 6}));
    EXPECT_EQ(parse_ok("*/1 * * * *").minutes, span<60>(0, 59));
    EXPECT_EQ(parse_ok("*/7 * * * *").minutes, span<60>(0, 59, 7));
    // A step past the field's end selects the start alone.
    EXPECT_EQ(parse_ok("*/60 * * * *").minutes, bits<60>({0}));
    EXPECT_EQ(parse_ok("*/99999999999 * * * *").minutes, bits<60>({0}));
}

TEST(cron, range_steps) {
    const auto e = parse_ok("10-30/10 9-17/4 1-15/7 2-12/5 1-5/2");
    EXPECT_EQ(e.minutes, bits<60>({10, 20, 30}));
    EXPECT_EQ(e.hours, bits<24>({9, 13, 17}));
    EXPECT_EQ(e.days_of_month, bits<32>({1, 8, 15}));
    EXPECT_EQ(e.months, bits<13>({2, 7, 12}));
    EXPECT_EQ(e.days_of_week, bits<7>({1, 3, 5}));
    EXPECT_EQ(parse_ok("0-59/20,5 * * * *").minutes, bits<60>({0, 5, 20, 40}));
}

TEST(cron, value_steps_run_to_the_field_end) {
    const auto e = parse_ok("50/3 20/2 28/2 10/1 3/2");
    EXPECT_EQ(e.minutes, bits<60>({50, 53, 56, 59}));
    EXPECT_EQ(e.hours, bits<24>({20, 22}));
    EXPECT_EQ(e.days_of_month, bits<32>({28, 30}));
    EXPECT_EQ(e.months, bits<13>({10, 11, 12}));
    EXPECT_EQ(e.days_of_week, bits<7>({3, 5}));
    // Weekdays stop at Saturday, so Sunday is not picked through its alias 7.
    EXPECT_EQ(parse_ok("* * * * 1/2").days_of_week, bits<7>({1, 3, 5}));
    EXPECT_EQ(parse_ok("* * * * 7/2").days_of_week, bits<7>({0}));
}

TEST(cron, weekday_seven_is_sunday) {
    EXPECT_EQ(parse_ok("* * * * 7").days_of_week, bits<7>({0}));
    EXPECT_EQ(parse_ok("* * * * 0,7").days_of_week, bits<7>({0}));
    EXPECT_EQ(parse_ok("* * * * 5-7").days_of_week, bits<7>({0, 5, 6}));
    EXPECT_EQ(parse_ok("* * * * 0-7").days_of_week, span<7>(0, 6));
    EXPECT_EQ(parse_ok("* * * * 1-7/3").days_of_week, bits<7>({0, 1, 4}));
}

TEST(cron, month_names) {
    const auto e = parse_ok("0 0 1 jan,Mar,DEC *");
    EXPECT_EQ(e.months, bits<13>({1, 3, 12}));
    const char* names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                           "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int m = 1; m <= 12; ++m) {
        const std::string text = std::string{"0 0 1 "} + names[m - 1] + " *";
        EXPECT_EQ(parse_ok(text).months, bits<13>({m})) << text;
    }
    EXPECT_EQ(parse_ok("0 0 1 jun-aug *").months, span<13>(6, 8));
    EXPECT_EQ(parse_ok("0 0 1 jan-dec/3 *").months, bits<13>({1, 4, 7, 10}));
    EXPECT_EQ(parse_ok("0 0 1 jan-3 *").months, span<13>(1, 3));
    EXPECT_EQ(parse_ok("0 0 1 oct/1 *").months, span<13>(10, 12));
}

TEST(cron, weekday_names) {
    const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (int d = 0; d < 7; ++d) {
        const std::string text = std::string{"0 9 * * "} + names[d];
        EXPECT_EQ(parse_ok(text).days_of_week, bits<7>({d})) << text;
    }
    EXPECT_EQ(parse_ok("0 9 * * Mon-FRI").days_of_week, span<7>(1, 5));
    EXPECT_EQ(parse_ok("0 9 * * sat,sun").days_of_week, bits<7>({0, 6}));
    EXPECT_EQ(parse_ok("0 9 * * sun-sat/2").days_of_week, bits<7>({0, 2, 4, 6}));
}

TEST(cron, day_fields_restricted_unless_they_start_with_star) {
    auto e = parse_ok("0 0 1 * *");
    EXPECT_FALSE(e.any_day_of_month);
    EXPECT_TRUE(e.any_day_of_week);
    e = parse_ok("0 0 * * mon");
    EXPECT_TRUE(e.any_day_of_month);
    EXPECT_FALSE(e.any_day_of_week);
    e = parse_ok("0 0 13 * fri");
    EXPECT_FALSE(e.any_day_of_month);
    EXPECT_FALSE(e.any_day_of_week);
    // A full range is still a restriction; a field starting with `*` is not (Vixie cron).
    e = parse_ok("0 0 1-31 * 0-6");
    EXPECT_FALSE(e.any_day_of_month);
    EXPECT_FALSE(e.any_day_of_week);
    e = parse_ok("0 0 */2 * */3");
    EXPECT_TRUE(e.any_day_of_month);
    EXPECT_TRUE(e.any_day_of_week);
    // A restricted month does not touch the day flags.
    e = parse_ok("0 0 * jan *");
    EXPECT_TRUE(e.any_day_of_month);
    EXPECT_TRUE(e.any_day_of_week);
}

TEST(cron, whitespace_between_and_around_fields) {
    const auto e = parse_ok("  0\t15  *   *\t 1 \n");
    EXPECT_EQ(e.minutes, bits<60>({0}));
    EXPECT_EQ(e.hours, bits<24>({15}));
    EXPECT_EQ(e.days_of_week, bits<7>({1}));
}

TEST(cron, wrong_field_count) {
    expect_error("0 15 * *", 8,
                 "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                 "got 4");
    expect_error("", 0,
                 "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                 "got 0");
    expect_error("   ", 3,
                 "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                 "got 0");
    expect_error("@daily", 6,
                 "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                 "got 1");
    // Too many: the offset names the first extra field (a seconds or year field).
    expect_error("0 0 15 * * 1", 11,
                 "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                 "got 6");
    expect_error("0 0 15 * * 2026 x", 11,
                 "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                 "got 7");
}

TEST(cron, values_out_of_range) {
    expect_error("61 * * * *", 0, "minute 61 is out of range 0-59");
    expect_error("60 * * * *", 0, "minute 60 is out of range 0-59");
    expect_error("* 24 * * *", 2, "hour 24 is out of range 0-23");
    expect_error("* * 0 * *", 4, "day-of-month 0 is out of range 1-31");
    expect_error("* * 32 * *", 4, "day-of-month 32 is out of range 1-31");
    expect_error("* * * 0 *", 6, "month 0 is out of range 1-12");
    expect_error("* * * 13 *", 6, "month 13 is out of range 1-12");
    expect_error("* * * * 8", 8, "day-of-week 8 is out of range 0-7");
    // The number is quoted as written, however long.
    expect_error("99999999999999999999 * * * *", 0,
                 "minute 99999999999999999999 is out of range 0-59");
    expect_error("0061 * * * *", 0, "minute 0061 is out of range 0-59");
}

TEST(cron, out_of_range_inside_lists_ranges_and_steps) {
    expect_error("0,15,75 * * * *", 5, "minute 75 is out of range 0-59");
    expect_error("0 9-25 * * *", 4, "hour 25 is out of range 0-23");
    expect_error("0 0 1 1 0-9/2", 10, "day-of-week 9 is out of range 0-7");
    expect_error("70/5 * * * *", 0, "minute 70 is out of range 0-59");
}

TEST(cron, bad_steps) {
    expect_error("*/0 * * * *", 1, "bad step '/0'");
    expect_error("0 1-5/0 * * *", 5, "bad step '/0'");
    expect_error("0 0 * * 1/00", 9, "bad step '/00'");
    expect_error("*/ * * * *", 1, "bad step '/'");
    expect_error("*/x * * * *", 1, "bad step '/x'");
    expect_error("*/-2 * * * *", 1, "bad step '/-2'");
    expect_error("*/2/3 * * * *", 1, "bad step '/2/3'");
    expect_error("0 0 1 */feb *", 7, "bad step '/feb'");
    expect_error("5,10-20/0,30 * * * *", 7, "bad step '/0'");
}

TEST(cron, unknown_names) {
    expect_error("0 0 1 jnu *", 6, "unknown month name 'jnu' (did you mean 'jun'?)");
    expect_error("0 0 1 january *", 6, "unknown month name 'january'");
    expect_error("0 0 1 xyz *", 6, "unknown month name 'xyz'");
    expect_error("0 9 * * mno", 8, "unknown weekday name 'mno' (did you mean 'mon'?)");
    expect_error("0 9 * * monday", 8, "unknown weekday name 'monday'");
    expect_error("0 9 * * mon-fir", 12, "unknown weekday name 'fir' (did you mean 'fri'?)");
    // Names belong to their own field only.
    expect_error("0 9 * mon *", 6, "unknown month name 'mon'");
    expect_error("0 9 * * jan", 8, "unknown weekday name 'jan'");
}

TEST(cron, names_only_in_month_and_weekday) {
    expect_error("jan * * * *", 0, "bad minute value 'jan'");
    expect_error("* mon * * *", 2, "bad hour value 'mon'");
    expect_error("* * sun * *", 4, "bad day-of-month value 'sun'");
}

TEST(cron, malformed_values) {
    expect_error("1x * * * *", 0, "bad minute value '1x'");
    expect_error("* * * 1a *", 6, "bad month value '1a'");
    expect_error("* * * * mon1", 8, "bad day-of-week value 'mon1'");
    expect_error("? * * * *", 0, "bad minute value '?'");
    expect_error("** * * * *", 0, "bad minute value '**'");
    expect_error("*-5 * * * *", 0, "bad minute value '*'");
    expect_error("1-** * * * *", 2, "bad minute value '**'");
    expect_error("1-2-3 * * * *", 2, "bad minute value '2-3'");
    expect_error("-5 * * * *", 0, "missing minute value");
    expect_error("5- * * * *", 2, "missing minute value");
    expect_error("/5 * * * *", 0, "missing minute value");
    expect_error("0 0 * * L", 8, "unknown weekday name 'L'");
}

TEST(cron, backwards_ranges) {
    expect_error("30-10 * * * *", 0, "minute range '30-10' ends before it starts");
    expect_error("0 0 * * fri-mon", 8, "day-of-week range 'fri-mon' ends before it starts");
    expect_error("0 0 * dec-jan/2 *", 6, "month range 'dec-jan' ends before it starts");
}

TEST(cron, empty_list_items) {
    expect_error("1,,2 * * * *", 2, "empty list item in minute field");
    expect_error(",1 * * * *", 0, "empty list item in minute field");
    expect_error("0 1, * * *", 4, "empty list item in hour field");
    expect_error("0 0 * * ,", 8, "empty list item in day-of-week field");
}

TEST(cron, first_error_wins) {
    // Fields are checked left to right, items within a field likewise.
    expect_error("61 25 * * *", 0, "minute 61 is out of range 0-59");
    expect_error("0 0 1 jnu xyz", 6, "unknown month name 'jnu' (did you mean 'jun'?)");
    expect_error("99/0 * * * *", 0, "minute 99 is out of range 0-59");
}

TEST(cron, success_leaves_error_empty) {
    const auto result = parse_cron("0 15 * * 1");
    ASSERT_TRUE(result.expression);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.error_offset, 0U);
}

} // namespace
} // namespace rapport::rules
