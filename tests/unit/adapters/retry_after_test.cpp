#include "adapters/common/retry_after.hpp"

#include <gtest/gtest.h>

namespace rapport::adapters {
namespace {

using namespace std::chrono;

// 2026-10-21T07:27:30.250Z: a quarter second past a whole second, so rounding is exercised.
const system_clock::time_point now = sys_days{year{2026} / October / 21} + 7h + 27min + 30s + 250ms;

std::optional<seconds> parse(std::string_view v) {
    return parse_retry_after(v, now);
}

TEST(retry_after, delta_seconds) {
    EXPECT_EQ(parse("120"), seconds{120});
    EXPECT_EQ(parse("0"), seconds{0});
    EXPECT_EQ(parse("007"), seconds{7});
    EXPECT_EQ(parse(" \t 45 \t"), seconds{45});
}

TEST(retry_after, huge_delta_seconds_count_as_two_to_the_31) {
    EXPECT_EQ(parse("2147483647"), seconds{2147483647});
    EXPECT_EQ(parse("2147483649"), seconds{std::int64_t{1} << 31});
    EXPECT_EQ(parse("99999999999999999999999999999"), seconds{std::int64_t{1} << 31});
}

TEST(retry_after, imf_fixdate_rounds_up_to_whole_seconds) {
    // 29.75 s away.
    EXPECT_EQ(parse("Wed, 21 Oct 2026 07:28:00 GMT"), seconds{30});
    EXPECT_EQ(parse("Thu, 22 Oct 2026 07:27:31 GMT"), seconds{86401});
    // The day name is not checked against the date (RFC 9110 does not ask recipients to).
    EXPECT_EQ(parse("Mon, 21 Oct 2026 07:28:00 GMT"), seconds{30});
}

TEST(retry_after, a_date_in_the_past_or_now_gives_zero) {
    EXPECT_EQ(parse("Wed, 21 Oct 2026 07:27:30 GMT"), seconds{0}); // 0.25 s ago
    EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT"), seconds{0});
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT",
                                sys_days{year{2026} / October / 21} + 7h + 28min),
              seconds{0});
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT",
                                sys_days{year{2026} / October / 21} + 7h + 27min + 59s),
              seconds{1});
}

TEST(retry_after, obsolete_date_forms) {
    EXPECT_EQ(parse("Wednesday, 21-Oct-26 07:28:00 GMT"), seconds{30});
    EXPECT_EQ(parse("Wed Oct 21 07:28:00 2026"), seconds{30});
    EXPECT_EQ(parse("Sun Nov  6 08:49:37 1994"), seconds{0});
    EXPECT_EQ(parse("Sun Nov 06 08:49:37 1994"), seconds{0});
}

TEST(retry_after, rfc850_two_digit_years_are_never_more_than_50_years_ahead) {
    // 99 would be 2099, more than 50 years after 2026: it is 1999.
    EXPECT_EQ(parse("Friday, 01-Jan-99 00:00:00 GMT"), seconds{0});
    // 70 is 2070, less than 50 years ahead.
    const auto in_2070 = sys_seconds{sys_days{year{2070} / January / 1}};
    EXPECT_EQ(parse("Wednesday, 01-Jan-70 00:00:00 GMT"), in_2070 - floor<seconds>(now));
}

TEST(retry_after, far_dates_are_capped) {
    EXPECT_EQ(parse("Fri, 31 Dec 9999 23:59:59 GMT"), seconds{std::int64_t{1} << 31});
}

TEST(retry_after, garbage_gives_nullopt) {
    for (const std::string_view bad : {
             "",
             "   ",
             "-5",
             "+5",
             "1.5",
             "12a",
             "1 2",
             "soon",
             "Wed, 31 Feb 2026 07:28:00 GMT", // no such day
             "Wed, 21 Oct 2026 24:00:00 GMT", // hour out of range
             "Wed, 21 Oct 2026 07:60:00 GMT", // minute out of range
             "Wed, 21 Oct 2026 07:28:00 UTC", // only GMT
             "wed, 21 Oct 2026 07:28:00 GMT", // names are case-sensitive
             "Wed, 21 oct 2026 07:28:00 GMT",
             "Wed, 21 Oct 26 07:28:00 GMT",  // IMF-fixdate has four-digit years
             "Wed, 1 Oct 2026 07:28:00 GMT", // and two-digit days
             "Wed, 21 Oct 2026 07:28:00 GMT x",
             "Wed, 21 Oct 2026 07:28 GMT",
             "Wed,21 Oct 2026 07:28:00 GMT",
             "Wed, 21-Oct-26 07:28:00 GMT", // RFC 850 needs the long day name
             "Wed Oct 21 07:28:00 26",
             "2026-10-21T07:28:00Z",
         }) {
        EXPECT_EQ(parse(bad), std::nullopt) << '"' << bad << '"';
    }
}

} // namespace
} // namespace rapport::adapters
