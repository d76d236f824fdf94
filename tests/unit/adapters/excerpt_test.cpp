// What a platform's refusal may say in a draft's last_error: one short line, never a secret
// (adapters/common/excerpt.hpp).
#include "adapters/common/excerpt.hpp"

#include <gtest/gtest.h>

namespace rapport::adapters {
namespace {

TEST(excerpt, is_one_line_of_at_most_200_bytes) {
    EXPECT_EQ(excerpt("Bad Request:\nchat not found"), "Bad Request: chat not found");
    const std::string long_text(250, 'x');
    EXPECT_EQ(excerpt(long_text), std::string(200, 'x') + "...");
}

TEST(without_secret, replaces_every_occurrence_and_nothing_else) {
    EXPECT_EQ(without_secret("token EAAG1 in EAAG1/x", "EAAG1", "<token>"),
              "token <token> in <token>/x");
    EXPECT_EQ(without_secret("nothing here", "EAAG1", "<token>"), "nothing here");
    EXPECT_EQ(without_secret("an empty secret", "", "<token>"), "an empty secret");
    // A placeholder that contains the secret is not searched again.
    EXPECT_EQ(without_secret("aa", "a", "[a]"), "[a][a]");
}

} // namespace
} // namespace rapport::adapters
