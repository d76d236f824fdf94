#include "rules/evaluator.hpp"
#include "tests/support/temp_dir.hpp"

#include "rules/decision.hpp"
#include "rules/diagnostic.hpp"
#include "rules/history.hpp"
#include "rules/loader.hpp"
#include "rules/message.hpp"
#include "rules/time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {
namespace {

using namespace std::chrono_literals;

// --- Helpers --------------------------------------------------------------------------------

time_point at(std::string_view text) {
    const auto t = parse_timestamp(text);
    EXPECT_TRUE(t.has_value()) << "bad timestamp in the test: " << text;
    return t.value_or(time_point{});
}

// A Monday, 10:00 UTC.
time_point default_now() {
    return at("2026-11-23T10:00:00Z");
}

// Loads playbooks; every diagnostic is printed as a test failure.
std::shared_ptr<const playbook_set> load_sources(const std::vector<playbook_source>& sources,
                                                 const load_options& options = {}) {
    const load_result result = load_playbook_sources(sources, options);
    std::string printed;
    for (const auto& d : result.diagnostics) {
        printed += to_string(d) + "\n";
    }
    EXPECT_TRUE(result.set != nullptr) << "the playbooks did not load:\n" << printed;
    EXPECT_TRUE(result.diagnostics.empty()) << printed;
    return result.set;
}

std::shared_ptr<const playbook_set> load_yaml(std::string yaml, const load_options& options = {}) {
    return load_sources({{"pb.yaml", std::move(yaml)}}, options);
}

// A mention on X from Sam Lee (@sam, 120 followers), in English, to account acme-site.
message make_message(std::string text) {
    message m;
    m.id = "m1";
    m.kind = message_kind::mention;
    m.text = std::move(text);
    m.author.id = "u1";
    m.author.handle = "sam";
    m.author.name = "Sam Lee";
    m.author.followers = 120;
    m.lang = "en";
    m.platform = "x";
    m.account = "acme-site";
    return m;
}

decision run(const std::shared_ptr<const playbook_set>& set,
             const message& m,
             const person_history& history = {},
             time_point now = default_now(),
             const offer_ledger* ledger = nullptr) {
    evaluator ev(set);
    return ev.evaluate(m, history, now, ledger);
}

std::string to_json(const decision& d) {
    std::string out;
    append_json(out, d);
    return out;
}

// `s` as a YAML single-quoted scalar.
std::string quoted(std::string_view s) {
    std::string out = "'";
    for (const char c : s) {
        out += c;
        if (c == '\'') {
            out += '\'';
        }
    }
    out += '\'';
    return out;
}

// Shared by the condition tests: lexicons, pools and an insight the conditions can name, then
// one rule `pb/r` whose `when:` is appended.
constexpr std::string_view condition_head = R"(playbook: pb
brand: {name: Acme}
lexicons:
  negative: [broken, refund*, "never again"]
  positive: [love, great]
offers:
  sneak-peek: {per_day: 100}
  other: {per_day: 100}
insights:
  - id: organizing-apps
    question: "What apps keep you organized?"
    schedule: {at: "2026-12-01T15:00:00Z"}
  - id: favourite-colour
    question: "Favourite colour?"
    schedule: {at: "2026-12-02T15:00:00Z"}
rules:
  - id: r
    when: )";

// Whether rule `pb/r` with conditions `when` (a YAML flow mapping) matches `m`.
bool holds(std::string_view when,
           const message& m,
           const person_history& history = {},
           time_point now = default_now()) {
    const auto set =
        load_yaml(std::string(condition_head) + std::string(when) + "\n    then: {tag: [hit]}\n");
    if (!set) {
        return false; // already reported by load_yaml
    }
    const decision d = run(set, m, history, now);
    EXPECT_TRUE(d.matched.empty() || d.matched == std::vector<std::string>{"pb/r"});
    return !d.matched.empty();
}

bool query_holds_on(std::string_view query, std::string_view text) {
    return holds("{query: " + quoted(query) + "}", make_message(std::string(text)));
}

struct query_case {
    std::string_view query;
    std::string_view text;
    bool expected;
};

void check_queries(const std::vector<query_case>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(query_holds_on(c.query, c.text), c.expected)
            << "query " << c.query << " on text \"" << c.text << "\"";
    }
}

history_event message_event(time_point when, std::vector<std::string> tags = {}) {
    history_event e;
    e.what = history_event::kind::message;
    e.at = when;
    e.tags = std::move(tags);
    return e;
}

history_event offer_event(time_point when, std::string pool) {
    history_event e;
    e.what = history_event::kind::offer;
    e.at = when;
    e.pool = std::move(pool);
    return e;
}

// A directory under the system temp dir for codes files, removed afterwards.
class temp_dir : public rapport::testing::temp_dir {
public:
    temp_dir() : rapport::testing::temp_dir("rapport-evaluator-test") {}
    [[nodiscard]] std::string file(const std::string& name) const {
        return (path() / name).string();
    }
};

// A ledger with fixed answers that records what it was asked.
class fixed_ledger final : public offer_ledger {
public:
    int drafted = 0;
    std::optional<int> left;
    mutable std::vector<std::string> asked_pools;
    mutable std::vector<time_point> asked_days;

    [[nodiscard]] int drafted_on_day(std::string_view pool, time_point day_of) const override {
        asked_pools.emplace_back(pool);
        asked_days.push_back(day_of);
        return drafted;
    }
    [[nodiscard]] std::optional<int> codes_left(std::string_view pool) const override {
        asked_pools.emplace_back(pool);
        return left;
    }
};

std::string repeat(std::string_view unit, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) {
        out += unit;
    }
    return out;
}

// --- Query condition ------------------------------------------------------------------------

TEST(evaluator, query_single_word_matches_whole_words_case_insensitively) {
    check_queries({
        {"toaster", "my acme toaster is broken", true},
        {"toaster", "My ACME TOASTER!", true},
        {"toaster", "my acme toasters are broken", false},
        {"toaster", "the toast is fine", false},
        {"toaster", "", false},
        {"café", "CAFÉ downtown", true},
        {"straße", "STRASSE closed", true},
        {"don't", "I DON’T like it", true},
        {"r2d2", "R2D2 rocks", true},
        {"acme", "acme_corp is here", false}, // '_' is a word character
        // Scripts without spaces: each character is a word, so a term is a phrase of them.
        {"東京", "我在東京工作", true},
        {"東京 NEAR/2 工作", "我在東京工作", true},
        {"東京", "我在京都工作", false},
    });
}

TEST(evaluator, query_and_or_and_adjacency) {
    check_queries({
        {"acme AND broken", "my acme toaster is broken", true},
        {"acme AND working", "my acme toaster is broken", false},
        {"acme broken", "my acme toaster is broken", true},
        {"acme working", "my acme toaster is broken", false},
        {"working OR broken", "my acme toaster is broken", true},
        {"working OR fixed", "my acme toaster is broken", false},
        {"working OR fixed OR toaster", "my acme toaster is broken", true},
    });
}

TEST(evaluator, query_not_and_parentheses) {
    check_queries({
        {"acme NOT broken", "my acme toaster is broken", false},
        {"acme NOT working", "my acme toaster is broken", true},
        {"acme AND NOT (working OR fixed)", "my acme toaster is broken", true},
        {"acme AND NOT (working OR broken)", "my acme toaster is broken", false},
        {"(working OR broken) AND acme", "my acme toaster is broken", true},
        {"(working OR broken) AND globex", "my acme toaster is broken", false},
        // OR binds looser than AND: working OR (broken AND globex).
        {"working OR broken globex", "my acme toaster is broken", false},
        {"globex OR broken acme", "my acme toaster is broken", true},
        {"NOT NOT acme", "my acme toaster", true},
    });
}

TEST(evaluator, query_near_counts_words_between_plus_one) {
    check_queries({
        {"alpha NEAR/3 beta", "alpha x y beta", true},
        {"alpha NEAR/2 beta", "alpha x y beta", false},
        {"beta NEAR/3 alpha", "alpha x y beta", true}, // either order
        {"beta NEAR/2 alpha", "alpha x y beta", false},
        {"alpha NEAR/1 beta", "alpha beta", true},
        {"alpha NEAR/1 beta", "alpha x beta", false},
        {"alpha NEAR/2 beta", "alpha x beta", true},
        {"alpha NEAR/1 beta", "Alpha, beta!", true}, // punctuation is not a word
        {"alpha NEAR/3 beta", "alpha only", false},
        // Any pair of occurrences will do.
        {"alpha NEAR/1 beta", "alpha x y z beta w alpha", false},
        {"alpha NEAR/1 beta", "alpha x y z beta alpha", true},
        // Phrases count from their edges.
        {"\"never again\" NEAR/2 acme", "never again with acme", true},
        {"\"never again\" NEAR/1 acme", "never again with acme", false},
        {"acme NEAR/2 \"never again\"", "acme then never again", true},
        // Prefixes and lexicons on either side.
        {"refund* NEAR/2 toaster", "refunding my toaster", true},
        {"$negative NEAR/2 toaster", "toaster is broken", true},
        {"$negative NEAR/1 toaster", "toaster is broken", false},
    });
}

TEST(evaluator, query_prefix_matches_word_starts_only) {
    check_queries({
        {"refund*", "I want a refund", true},
        {"refund*", "refunds please", true},
        {"refund*", "REFUNDED yet?", true},
        {"refund*", "this is nonrefundable", false},
        {"refund*", "refun", false},
    });
}

TEST(evaluator, query_phrase_needs_the_words_in_order_and_adjacent) {
    check_queries({
        {"\"never again\"", "I will never again buy this", true},
        {"\"never again\"", "Never, again!", true},
        {"\"never again\"", "never buy again", false},
        {"\"never again\"", "again never", false},
        {"\"never again\"", "nevermore again", false},
        {"\"can't wait\"", "I CAN’T wait!", true},
        {"\"can't wait\"", "I can wait", false},
    });
}

TEST(evaluator, query_hashtags_and_handles) {
    check_queries({
        {"#acme", "love #Acme so much", true},
        {"#acme", "love acme so much", false},
        {"#acme", "love @acme so much", false},
        {"#acme", "love #acmecorp", false},
        {"@acme", "hey @ACME help", true},
        {"@acme", "hey acme help", false},
        {"@acme", "hey #acme help", false},
        {"@acme", "hey @acme_support", false},
        {"@acme*", "hey @acme_support", true},
        {"#acme*", "#AcmeCorp rocks", true},
        {"#acme*", "AcmeCorp rocks", false},
        // A plain term also finds the tag and the handle.
        {"acme", "love #acme", true},
        {"acme", "hey @acme", true},
    });
}

TEST(evaluator, query_same_literal_as_word_and_prefix) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: word
    when: {query: refund}
    then: {tag: [word]}
  - id: prefix
    when: {query: 'refund*'}
    then: {tag: [prefix]}
  - id: phrase
    when: {query: '"refund please"'}
    then: {tag: [phrase]}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    EXPECT_EQ(ev.evaluate(make_message("refund"), {}, default_now()).matched,
              (std::vector<std::string>{"pb/word", "pb/prefix"}));
    EXPECT_EQ(ev.evaluate(make_message("refunds"), {}, default_now()).matched,
              (std::vector<std::string>{"pb/prefix"}));
    EXPECT_EQ(ev.evaluate(make_message("Refund, please!"), {}, default_now()).matched,
              (std::vector<std::string>{"pb/word", "pb/prefix", "pb/phrase"}));
}

TEST(evaluator, query_lexicons_match_any_of_their_terms) {
    check_queries({
        {"$negative", "it arrived broken", true},
        {"$negative", "where is my REFUND", true}, // lexicon prefix refund*
        {"$negative", "refunding now", true},
        {"$negative", "never again acme", true}, // lexicon phrase
        {"$negative", "never buy again", false},
        {"$negative", "all good here", false},
        {"$negative OR $positive", "I love it", true},
        {"$negative AND $positive", "I love it but it is broken", true},
        {"$negative AND $positive", "I love it", false},
        {"$positive NOT $negative", "I love it but it is broken", false},
    });
}

TEST(evaluator, query_not_only_is_evaluated_for_every_message) {
    check_queries({
        {"NOT spam", "hello world", true},
        {"NOT spam", "", true},
        {"NOT spam", "buy spam now", false},
        {"NOT (spam OR scam)", "nothing in here", true},
        {"NOT (spam OR scam)", "a scam", false},
        {"acme OR NOT spam", "zzz", true},
        {"acme OR NOT spam", "spam", false},
        {"acme OR NOT spam", "spam from acme", true},
    });
}

TEST(evaluator, not_only_rule_runs_among_pattern_rules_in_written_order) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: first
    when: {query: zebra}
    then: {tag: [z]}
  - id: clean
    when: {query: 'NOT spam'}
    then: {tag: [clean]}
  - id: last
    when: {query: apple}
    then: {tag: [a]}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    EXPECT_EQ(ev.evaluate(make_message("apple and zebra"), {}, default_now()).matched,
              (std::vector<std::string>{"pb/first", "pb/clean", "pb/last"}));
    EXPECT_EQ(ev.evaluate(make_message("apple spam"), {}, default_now()).matched,
              (std::vector<std::string>{"pb/last"}));
    EXPECT_EQ(ev.evaluate(make_message("nothing"), {}, default_now()).matched,
              (std::vector<std::string>{"pb/clean"}));
    EXPECT_EQ(ev.evaluate(make_message(""), {}, default_now()).matched,
              (std::vector<std::string>{"pb/clean"}));
}

// --- Other conditions -----------------------------------------------------------------------

TEST(evaluator, kind_condition) {
    message m = make_message("hi");
    EXPECT_TRUE(holds("{kind: [mention, direct]}", m));
    EXPECT_FALSE(holds("{kind: [direct, post]}", m));
    m.kind = message_kind::post;
    EXPECT_TRUE(holds("{kind: [direct, post]}", m));
    EXPECT_TRUE(holds("{kind: post}", m));
    EXPECT_FALSE(holds("{kind: [mention, direct, reply, comment]}", m));
    m.kind = message_kind::reply;
    EXPECT_TRUE(holds("{kind: [reply]}", m));
    m.kind = message_kind::comment;
    EXPECT_TRUE(holds("{kind: [comment]}", m));
    EXPECT_FALSE(holds("{kind: [reply]}", m));
    // No kind condition: every kind.
    EXPECT_TRUE(holds("{}", m));
}

TEST(evaluator, platform_condition) {
    message m = make_message("hi");
    EXPECT_TRUE(holds("{platform: [x, mastodon]}", m));
    EXPECT_TRUE(holds("{platform: x}", m));
    m.platform = "bluesky";
    EXPECT_FALSE(holds("{platform: [x, mastodon]}", m));
    EXPECT_TRUE(holds("{platform: [bluesky]}", m));
}

TEST(evaluator, account_condition) {
    message m = make_message("hi");
    EXPECT_TRUE(holds("{account: [acme-site, acme-mastodon]}", m));
    m.account = "acme-bsky";
    EXPECT_FALSE(holds("{account: [acme-site, acme-mastodon]}", m));
    EXPECT_TRUE(holds("{account: acme-bsky}", m));
}

TEST(evaluator, lang_condition) {
    message m = make_message("hi");
    EXPECT_TRUE(holds("{lang: [en, de]}", m));
    m.lang = "fr";
    EXPECT_FALSE(holds("{lang: [en, de]}", m));
    m.lang = std::nullopt;
    EXPECT_FALSE(holds("{lang: [en, de]}", m)) << "a message without lang fails a lang condition";
    EXPECT_TRUE(holds("{}", m));
}

TEST(evaluator, sentiment_below_and_above_are_strict) {
    // Built-in lexicon: broken -3, love 3, good 2, fine 1.
    EXPECT_TRUE(holds("{sentiment: {below: 0}}", make_message("it is broken")));
    EXPECT_FALSE(holds("{sentiment: {below: 0}}", make_message("I love it")));
    EXPECT_FALSE(holds("{sentiment: {below: 0}}", make_message("a toaster"))); // 0 is not < 0
    EXPECT_TRUE(holds("{sentiment: {below: -2}}", make_message("it is broken")));
    EXPECT_FALSE(holds("{sentiment: {below: -3}}", make_message("it is broken")));
    EXPECT_TRUE(holds("{sentiment: {above: 2}}", make_message("I love it")));
    EXPECT_FALSE(holds("{sentiment: {above: 2}}", make_message("it is good"))); // 2 is not > 2
    EXPECT_FALSE(holds("{sentiment: {above: 0}}", make_message("it is broken")));
    EXPECT_TRUE(holds("{sentiment: {above: 0, below: 3}}", make_message("it is good")));
    EXPECT_FALSE(holds("{sentiment: {above: 0, below: 3}}", make_message("I love it")));
}

TEST(evaluator, author_followers_at_least_and_at_most) {
    message m = make_message("hi");
    m.author.followers = 1000;
    EXPECT_TRUE(holds("{author: {followers: {at_least: 1000}}}", m));
    EXPECT_FALSE(holds("{author: {followers: {at_most: 999}}}", m));
    m.author.followers = 999;
    EXPECT_FALSE(holds("{author: {followers: {at_least: 1000}}}", m));
    EXPECT_TRUE(holds("{author: {followers: {at_most: 999}}}", m));
    EXPECT_TRUE(holds("{author: {followers: {at_least: 10, at_most: 999}}}", m));
    EXPECT_FALSE(holds("{author: {followers: {at_least: 10, at_most: 998}}}", m));
    // Missing followers counts as 0.
    m.author.followers = std::nullopt;
    EXPECT_FALSE(holds("{author: {followers: {at_least: 1}}}", m));
    EXPECT_TRUE(holds("{author: {followers: {at_least: 0}}}", m));
    EXPECT_TRUE(holds("{author: {followers: {at_most: 0}}}", m));
    EXPECT_TRUE(holds("{author: {followers: {at_most: 10}}}", m));
}

TEST(evaluator, author_handle_is_case_insensitive_with_or_without_at) {
    message m = make_message("hi");
    m.author.handle = "Sam";
    EXPECT_TRUE(holds("{author: {handle: sam}}", m));
    EXPECT_TRUE(holds("{author: {handle: '@sam'}}", m));
    EXPECT_TRUE(holds("{author: {handle: ['@SAM']}}", m));
    EXPECT_TRUE(holds("{author: {handle: [alex, SAM]}}", m));
    EXPECT_FALSE(holds("{author: {handle: [alex, '@sammy']}}", m));
    m.author.handle = "samuel";
    EXPECT_FALSE(holds("{author: {handle: sam}}", m));
}

TEST(evaluator, author_handle_written_with_at_in_the_message) {
    // Senders of the generic webhook may write the handle as "@Sam".
    message m = make_message("hi");
    m.author.handle = "@Sam";
    const bool plain = holds("{author: {handle: sam}}", m);
    const bool with_at = holds("{author: {handle: '@sam'}}", m);
    EXPECT_TRUE(plain);
    EXPECT_TRUE(with_at);
}

TEST(evaluator, person_messages_within_window) {
    const message m = make_message("hi");
    const time_point now = default_now();
    const std::string when = "{person: {messages: {within: 30d, at_least: 3}}}";
    person_history h;
    h.events = {message_event(now - 24h), message_event(now - 10 * 24h),
                message_event(now - 29 * 24h)};
    EXPECT_TRUE(holds(when, m, h, now));
    // One outside the window.
    h.events[2] = message_event(now - 31 * 24h);
    EXPECT_FALSE(holds(when, m, h, now));
    // One in the future (after `now`) does not count either.
    h.events[2] = message_event(now + 1h);
    EXPECT_FALSE(holds(when, m, h, now));
    // Offers are not messages.
    h.events[2] = offer_event(now - 1h, "pb/sneak-peek");
    EXPECT_FALSE(holds(when, m, h, now));
    // No history at all.
    EXPECT_FALSE(holds(when, m, {}, now));
    EXPECT_TRUE(holds("{person: {messages: {within: 30d, at_most: 0}}}", m, {}, now));
    // at_most.
    h.events = {message_event(now - 1h), message_event(now - 2h)};
    EXPECT_TRUE(holds("{person: {messages: {within: 1d, at_most: 2}}}", m, h, now));
    EXPECT_FALSE(holds("{person: {messages: {within: 1d, at_most: 1}}}", m, h, now));
    EXPECT_TRUE(holds("{person: {messages: {within: 90m, at_most: 1}}}", m, h, now));
    EXPECT_TRUE(holds("{person: {messages: {within: 1d, at_least: 1, at_most: 2}}}", m, h, now));
}

TEST(evaluator, person_tagged_counts_messages_with_the_tag) {
    const message m = make_message("hi");
    const time_point now = default_now();
    const std::string when = "{person: {tagged: {tag: advocate, within: 30d, at_least: 2}}}";
    person_history h;
    h.events = {message_event(now - 1h, {"fan", "advocate"}), message_event(now - 2h, {"other"}),
                message_event(now - 40 * 24h, {"advocate"}), message_event(now + 1h, {"advocate"})};
    EXPECT_FALSE(holds(when, m, h, now));
    h.events.push_back(message_event(now - 20 * 24h, {"advocate"}));
    EXPECT_TRUE(holds(when, m, h, now));
    EXPECT_TRUE(holds("{person: {tagged: {tag: advocate, within: 30d, at_most: 2}}}", m, h, now));
    EXPECT_FALSE(holds("{person: {tagged: {tag: advocate, within: 30d, at_most: 1}}}", m, h, now));
    EXPECT_TRUE(holds("{person: {tagged: {tag: nobody, within: 30d, at_most: 0}}}", m, h, now));
}

TEST(evaluator, person_offers_within_window_and_by_pool) {
    const message m = make_message("hi");
    const time_point now = default_now();
    person_history h;
    h.events = {offer_event(now - 10 * 24h, "pb/sneak-peek")};
    EXPECT_FALSE(holds("{person: {offers: {within: 90d, at_most: 0}}}", m, h, now));
    EXPECT_TRUE(holds("{person: {offers: {within: 90d, at_least: 1}}}", m, h, now));
    EXPECT_TRUE(holds("{person: {offers: {within: 9d, at_most: 0}}}", m, h, now));
    // Outside the window, or in the future: not counted.
    h.events = {offer_event(now - 100 * 24h, "pb/sneak-peek"), offer_event(now + 1h, "pb/other")};
    EXPECT_TRUE(holds("{person: {offers: {within: 90d, at_most: 0}}}", m, h, now));
    // Messages are not offers.
    h.events = {message_event(now - 1h)};
    EXPECT_TRUE(holds("{person: {offers: {within: 90d, at_most: 0}}}", m, h, now));
    // Filtered by pool: another pool's offers do not count.
    h.events = {offer_event(now - 1h, "pb/other")};
    EXPECT_TRUE(
        holds("{person: {offers: {pool: sneak-peek, within: 90d, at_most: 0}}}", m, h, now));
    EXPECT_FALSE(holds("{person: {offers: {within: 90d, at_most: 0}}}", m, h, now));
    h.events.push_back(offer_event(now - 2h, "pb/sneak-peek"));
    EXPECT_FALSE(
        holds("{person: {offers: {pool: sneak-peek, within: 90d, at_most: 0}}}", m, h, now));
    EXPECT_TRUE(holds(
        "{person: {offers: {pool: sneak-peek, within: 90d, at_least: 1, at_most: 1}}}", m, h, now));
}

TEST(evaluator, person_conditions_all_must_hold) {
    const message m = make_message("hi");
    const time_point now = default_now();
    person_history h;
    h.events = {message_event(now - 1h), message_event(now - 2h),
                message_event(now - 3h, {"advocate"})};
    EXPECT_TRUE(
        holds("{person: {messages: {within: 1d, at_least: 3}, offers: {within: 90d, "
              "at_most: 0}}}",
              m, h, now));
    h.events.push_back(offer_event(now - 1h, "pb/sneak-peek"));
    EXPECT_FALSE(
        holds("{person: {messages: {within: 1d, at_least: 3}, offers: {within: 90d, "
              "at_most: 0}}}",
              m, h, now));
}

// A history that counts how often evaluation asks for it.
class counting_history final : public history_source {
public:
    explicit counting_history(person_history history) : history_(std::move(history)) {}
    const person_history& get() override {
        ++asked;
        return history_;
    }
    int asked = 0;

private:
    person_history history_;
};

TEST(evaluator, history_is_asked_for_at_most_once_and_only_when_a_rule_needs_it) {
    const auto set = load_yaml(R"(playbook: pb
offers:
  sneak-peek: {per_day: 100, cooldown: 90d}
  sticker: {per_day: 100}
rules:
  - id: plain
    when: {query: hello}
    then: {tag: [plain]}
  - id: regular
    when: {query: broken, person: {messages: {within: 30d, at_least: 1}}}
    then: {tag: [regular]}
  - id: newcomer
    when: {query: broken, person: {messages: {within: 30d, at_most: 0}}}
    then: {tag: [newcomer]}
  - id: sticker
    when: {query: sticker}
    then: {offer: {pool: sticker, text: "A sticker"}}
  - id: peek
    when: {query: love}
    then: {offer: {pool: sneak-peek, text: "A peek"}}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    const time_point now = default_now();
    person_history h;
    h.events = {message_event(now - 1h), offer_event(now - 24h, "pb/sneak-peek")};
    const std::vector<std::pair<std::string, int>> cases{
        {"hello", 0},                    // no rule that looks at history holds
        {"a sticker please", 0},         // an offer from a pool without a cooldown
        {"hello, my bike is broken", 1}, // two rules with person conditions: asked once
        {"I love it", 1},                // an offer from a pool with a cooldown
    };
    for (const auto& [text, asks] : cases) {
        counting_history source(h);
        const decision d = ev.evaluate(make_message(text), source, now);
        EXPECT_EQ(source.asked, asks) << text;
        // The same decision as with the history in memory.
        EXPECT_EQ(to_json(d), to_json(run(set, make_message(text), h, now))) << text;
    }
}

TEST(evaluator, hours_days_and_between_in_utc) {
    const message m = make_message("hi");
    const std::string when = "{hours: {days: mon-fri, between: \"09:00-17:00\"}}";
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-23T09:00:00Z")));  // Mon 09:00
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-23T16:59:59Z")));  // Mon 16:59
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-23T17:00:00Z"))); // end is exclusive
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-23T08:59:00Z")));
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-20T12:00:00Z")));  // Fri
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-21T12:00:00Z"))); // Sat
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-22T12:00:00Z"))); // Sun
    // Days alone: the whole day.
    EXPECT_TRUE(holds("{hours: {days: sat}}", m, {}, at("2026-11-21T00:00:00Z")));
    EXPECT_TRUE(holds("{hours: {days: sat}}", m, {}, at("2026-11-21T23:59:59Z")));
    EXPECT_FALSE(holds("{hours: {days: sat}}", m, {}, at("2026-11-22T00:00:00Z")));
    // A list of days.
    EXPECT_TRUE(holds("{hours: {days: 'sat,sun'}}", m, {}, at("2026-11-22T12:00:00Z")));
    EXPECT_TRUE(holds("{hours: {days: [sat, sun]}}", m, {}, at("2026-11-21T12:00:00Z")));
    EXPECT_FALSE(holds("{hours: {days: [sat, sun]}}", m, {}, at("2026-11-23T12:00:00Z")));
}

TEST(evaluator, hours_day_ranges_wrap_past_the_week_end) {
    const message m = make_message("hi");
    const std::string when = "{hours: {days: fri-mon}}";
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-20T12:00:00Z")));  // Fri
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-21T12:00:00Z")));  // Sat
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-22T12:00:00Z")));  // Sun
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-23T12:00:00Z")));  // Mon
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-24T12:00:00Z"))); // Tue
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-25T12:00:00Z"))); // Wed
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-26T12:00:00Z"))); // Thu
}

TEST(evaluator, hours_between_wraps_past_midnight) {
    const message m = make_message("hi");
    const std::string when = "{hours: {between: \"22:00-06:00\"}}";
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-23T22:00:00Z")));
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-23T23:30:00Z")));
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-24T00:00:00Z")));
    EXPECT_TRUE(holds(when, m, {}, at("2026-11-24T05:59:59Z")));
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-24T06:00:00Z")));
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-23T21:59:59Z")));
    EXPECT_FALSE(holds(when, m, {}, at("2026-11-23T12:00:00Z")));
}

TEST(evaluator, hours_in_a_time_zone_follow_daylight_saving) {
    const message m = make_message("hi");
    const std::string when =
        "{hours: {days: mon-fri, between: \"09:00-17:00\", tz: America/New_York}}";
    // Summer, EDT (UTC-4).
    EXPECT_FALSE(holds(when, m, {}, at("2026-07-15T12:59:00Z"))); // 08:59 EDT
    EXPECT_TRUE(holds(when, m, {}, at("2026-07-15T13:00:00Z")));  // 09:00 EDT
    EXPECT_TRUE(holds(when, m, {}, at("2026-07-15T13:30:00Z")));  // 09:30 EDT
    EXPECT_TRUE(holds(when, m, {}, at("2026-07-15T20:59:00Z")));  // 16:59 EDT
    EXPECT_FALSE(holds(when, m, {}, at("2026-07-15T21:00:00Z"))); // 17:00 EDT
    // Winter, EST (UTC-5): the same UTC instants fall an hour earlier.
    EXPECT_FALSE(holds(when, m, {}, at("2026-01-15T13:30:00Z"))); // 08:30 EST
    EXPECT_TRUE(holds(when, m, {}, at("2026-01-15T14:00:00Z")));  // 09:00 EST
    EXPECT_TRUE(holds(when, m, {}, at("2026-01-15T21:30:00Z")));  // 16:30 EST
    EXPECT_FALSE(holds(when, m, {}, at("2026-01-15T22:00:00Z"))); // 17:00 EST
    // The weekday is the local one: Fri 03:00 UTC is Thu 22:00 in New York.
    EXPECT_FALSE(
        holds("{hours: {days: fri, tz: America/New_York}}", m, {}, at("2026-01-16T03:00:00Z")));
    EXPECT_TRUE(
        holds("{hours: {days: thu, tz: America/New_York}}", m, {}, at("2026-01-16T03:00:00Z")));
    // Across the spring-forward night (2026-03-08): 06:30Z is 01:30 EST, 07:30Z is 03:30 EDT.
    const std::string night = "{hours: {between: \"01:00-02:00\", tz: America/New_York}}";
    EXPECT_TRUE(holds(night, m, {}, at("2026-03-08T06:30:00Z")));
    EXPECT_FALSE(holds(night, m, {}, at("2026-03-08T07:30:00Z")));
    // Across the fall-back night (2026-11-01): 01:30 happens twice, EDT then EST.
    EXPECT_TRUE(holds(night, m, {}, at("2026-11-01T05:30:00Z")));
    EXPECT_TRUE(holds(night, m, {}, at("2026-11-01T06:30:00Z")));
    EXPECT_FALSE(holds(night, m, {}, at("2026-11-01T07:30:00Z"))); // 02:30 EST
}

TEST(evaluator, answers_condition) {
    message m = make_message("Todoist, mostly");
    EXPECT_FALSE(holds("{answers: organizing-apps}", m)); // no insight
    m.insight = "organizing-apps";
    EXPECT_TRUE(holds("{answers: organizing-apps}", m));
    m.insight = "favourite-colour";
    EXPECT_FALSE(holds("{answers: organizing-apps}", m));
}

TEST(evaluator, all_given_conditions_must_hold) {
    message m = make_message("my acme toaster is broken");
    const std::string when =
        "{query: '$negative', kind: [mention], platform: [x], lang: [en], "
        "sentiment: {below: 0}, author: {followers: {at_least: 100}}}";
    EXPECT_TRUE(holds(when, m));
    m.platform = "mastodon";
    EXPECT_FALSE(holds(when, m));
    m.platform = "x";
    m.author.followers = 99;
    EXPECT_FALSE(holds(when, m));
    m.author.followers = 100;
    m.kind = message_kind::direct;
    EXPECT_FALSE(holds(when, m));
}

// --- Actions --------------------------------------------------------------------------------

TEST(evaluator, tags_are_deduplicated_across_rules_in_first_seen_order) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: one
    then: {tag: [b, a]}
  - id: two
    then: {tag: [a, c, b]}
  - id: three
    then: {tag: d}
)");
    ASSERT_TRUE(set);
    const decision d = run(set, make_message("hi"));
    EXPECT_EQ(d.tags, (std::vector<std::string>{"b", "a", "c", "d"}));
    EXPECT_EQ(d.matched, (std::vector<std::string>{"pb/one", "pb/two", "pb/three"}));
    EXPECT_TRUE(d.drafts.empty());
}

TEST(evaluator, team_and_priority_of_drafts) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: own
    when: {query: own}
    then: {team: billing, priority: urgent, reply: "own"}
  - id: sets-team
    when: {query: team}
    then: {team: support}
  - id: sets-low
    when: {query: low}
    then: {priority: low}
  - id: sets-high
    when: {query: high}
    then: {priority: high}
  - id: plain
    when: {query: plain}
    then: {reply: "plain"}
  - id: later-team
    when: {query: later}
    then: {team: social, priority: high}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    const time_point now = default_now();

    // Nothing set anywhere: null team, normal priority.
    decision d = ev.evaluate(make_message("plain"), {}, now);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.drafts[0].team, std::nullopt);
    EXPECT_EQ(d.drafts[0].priority, priority::normal);

    // The draft's own rule wins over what other rules set.
    d = ev.evaluate(make_message("team low own plain"), {}, now);
    ASSERT_EQ(d.drafts.size(), 2U);
    EXPECT_EQ(d.drafts[0].rule, "pb/own");
    EXPECT_EQ(d.drafts[0].team, "billing");
    EXPECT_EQ(d.drafts[0].priority, priority::urgent);
    // A draft whose rule sets nothing takes the first value any matched rule set.
    EXPECT_EQ(d.drafts[1].rule, "pb/plain");
    EXPECT_EQ(d.drafts[1].team, "billing");
    EXPECT_EQ(d.drafts[1].priority, priority::urgent);

    d = ev.evaluate(make_message("plain team low high"), {}, now);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.drafts[0].team, "support");
    EXPECT_EQ(d.drafts[0].priority, priority::low); // first set, not highest

    // Values set by a rule matched after the draft's rule count too.
    d = ev.evaluate(make_message("plain later"), {}, now);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.matched, (std::vector<std::string>{"pb/plain", "pb/later-team"}));
    EXPECT_EQ(d.drafts[0].team, "social");
    EXPECT_EQ(d.drafts[0].priority, priority::high);
}

TEST(evaluator, sla_is_the_smallest_of_matched_rules) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: two-hours
    when: {query: a}
    then: {sla: 2h}
  - id: half-hour
    when: {query: b}
    then: {sla: 30m}
  - id: one-day
    when: {query: c}
    then: {sla: 1d}
  - id: none
    then: {tag: [x]}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    const time_point now = default_now();
    EXPECT_EQ(ev.evaluate(make_message("a b c"), {}, now).sla, duration(1800));
    EXPECT_EQ(ev.evaluate(make_message("a c"), {}, now).sla, duration(7200));
    EXPECT_EQ(ev.evaluate(make_message("c"), {}, now).sla, duration(86400));
    EXPECT_EQ(ev.evaluate(make_message("zzz"), {}, now).sla, std::nullopt);
    EXPECT_EQ(ev.evaluate(make_message("a b c"), {}, now).matched.size(), 4U);
}

TEST(evaluator, reply_as_string_and_as_mapping) {
    const auto set = load_yaml(R"(playbook: pb
brand: {name: Acme}
rules:
  - id: public
    when: {query: public}
    then: {reply: "Hi {{author.name}}!"}
  - id: private
    when: {query: private}
    then: {reply: {text: "Psst {{author.handle}}", private: true}}
  - id: explicit-public
    when: {query: open}
    then: {reply: {text: "Open", private: false}}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    const decision d = ev.evaluate(make_message("public private open"), {}, default_now());
    ASSERT_EQ(d.drafts.size(), 3U);
    EXPECT_EQ(d.drafts[0].rule, "pb/public");
    EXPECT_EQ(d.drafts[0].kind, draft_kind::reply);
    EXPECT_EQ(d.drafts[0].text, "Hi Sam Lee!");
    EXPECT_FALSE(d.drafts[0].is_private);
    EXPECT_EQ(d.drafts[0].offer, std::nullopt);
    EXPECT_FALSE(d.drafts[0].too_long);
    EXPECT_EQ(d.drafts[1].rule, "pb/private");
    EXPECT_EQ(d.drafts[1].kind, draft_kind::reply);
    EXPECT_EQ(d.drafts[1].text, "Psst sam");
    EXPECT_TRUE(d.drafts[1].is_private);
    EXPECT_EQ(d.drafts[2].text, "Open");
    EXPECT_FALSE(d.drafts[2].is_private);
}

TEST(evaluator, template_variables_render_from_the_message_brand_and_insight) {
    const auto set = load_sources({{"pb.yaml", R"(playbook: pb
brand: {name: Acme}
insights:
  - id: organizing-apps
    question: "What apps keep you organized?"
    schedule: {at: "2026-12-01T15:00:00Z"}
rules:
  - id: all
    then:
      reply: "{{author.name}}|{{author.handle}}|{{author.first_name}}|{{message.text}}|{{brand.name}}|{{insight.question}}"
)"},
                                   {"other.yaml", R"(playbook: other
brand: {name: Globex}
rules:
  - id: brand
    then: {reply: "from {{ brand.name }}"}
)"}});
    ASSERT_TRUE(set);
    evaluator ev(set);
    const time_point now = default_now();

    message m = make_message("Hello there");
    decision d = ev.evaluate(m, {}, now);
    ASSERT_EQ(d.drafts.size(), 2U);
    EXPECT_EQ(d.drafts[0].text, "Sam Lee|sam|Sam|Hello there|Acme|");
    EXPECT_EQ(d.drafts[1].text, "from Globex"); // each rule renders with its own brand

    m.insight = "organizing-apps";
    d = ev.evaluate(m, {}, now);
    ASSERT_EQ(d.drafts.size(), 2U);
    EXPECT_EQ(d.drafts[0].text, "Sam Lee|sam|Sam|Hello there|Acme|What apps keep you organized?");

    // An insight the set does not know: empty question.
    m.insight = "unknown";
    d = ev.evaluate(m, {}, now);
    ASSERT_EQ(d.drafts.size(), 2U);
    EXPECT_EQ(d.drafts[0].text, "Sam Lee|sam|Sam|Hello there|Acme|");

    // No display name: name and first name fall back to the handle.
    m = make_message("x");
    m.author.name.clear();
    d = ev.evaluate(m, {}, now);
    ASSERT_EQ(d.drafts.size(), 2U);
    EXPECT_EQ(d.drafts[0].text, "sam|sam|sam|x|Acme|");

    // A one-word name is its own first name; surrounding blanks are not part of it.
    m.author.name = "  Madonna ";
    d = ev.evaluate(m, {}, now);
    ASSERT_EQ(d.drafts.size(), 2U);
    EXPECT_EQ(d.drafts[0].text, "  Madonna |sam|Madonna|x|Acme|");
}

// --- Offers ---------------------------------------------------------------------------------

constexpr std::string_view offer_playbook = R"(playbook: pb
brand: {name: Acme}
offers:
  sneak-peek: {codes_file: codes.txt, per_day: 2, cooldown: 90d}
  other: {codes_file: other.txt}
rules:
  - id: offer
    when: {query: love}
    then:
      team: growth
      offer: {pool: sneak-peek, text: "Here you go {{author.first_name}}: {{offer.code}}"}
)";

TEST(evaluator, offer_draft_keeps_the_code_slot_and_is_private_by_default) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\nA2\nA3\nA4\nA5\n");
    dir.write("other.txt", "B1\n");
    const auto set = load_sources({{dir.file("pb.yaml"), std::string(offer_playbook)}});
    ASSERT_TRUE(set);
    const decision d = run(set, make_message("I love it"));
    EXPECT_EQ(d.matched, (std::vector<std::string>{"pb/offer"}));
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.drafts[0].rule, "pb/offer");
    EXPECT_EQ(d.drafts[0].kind, draft_kind::offer);
    EXPECT_EQ(d.drafts[0].text, "Here you go Sam: {{offer.code}}");
    EXPECT_TRUE(d.drafts[0].is_private);
    EXPECT_EQ(d.drafts[0].offer, "pb/sneak-peek");
    EXPECT_EQ(d.drafts[0].team, "growth");
    EXPECT_EQ(d.drafts[0].priority, priority::normal);
    EXPECT_TRUE(d.skipped.empty());
    // In JSON the pool is unqualified.
    EXPECT_NE(to_json(d).find(R"("offer":"sneak-peek")"), std::string::npos) << to_json(d);
}

TEST(evaluator, offer_private_false_and_pool_without_codes) {
    const auto set = load_yaml(R"(playbook: pb
offers:
  thanks: {per_day: 10}
rules:
  - id: offer
    then: {offer: {pool: thanks, private: false, text: "A free sticker for you"}}
)");
    ASSERT_TRUE(set);
    const decision d = run(set, make_message("hi"));
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.drafts[0].kind, draft_kind::offer);
    EXPECT_FALSE(d.drafts[0].is_private);
    EXPECT_EQ(d.drafts[0].text, "A free sticker for you");
    EXPECT_EQ(d.drafts[0].offer, "pb/thanks");
    EXPECT_TRUE(d.skipped.empty());
}

TEST(evaluator, offer_skipped_for_cooldown) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\nA2\nA3\n");
    dir.write("other.txt", "B1\n");
    const auto set = load_sources({{dir.file("pb.yaml"), std::string(offer_playbook)}});
    ASSERT_TRUE(set);
    const time_point now = default_now();
    const message m = make_message("I love it");

    person_history h;
    h.events = {offer_event(now - 89 * 24h, "pb/sneak-peek")};
    decision d = run(set, m, h, now);
    EXPECT_EQ(d.matched, (std::vector<std::string>{"pb/offer"})); // the rule still matched
    EXPECT_TRUE(d.drafts.empty());
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/offer", "cooldown"}}));
    EXPECT_NE(to_json(d).find(R"("skipped":[{"rule":"pb/offer","reason":"cooldown"}])"),
              std::string::npos)
        << to_json(d);

    // Past the cooldown; another pool's offer; a message event; a future offer: no cooldown.
    h.events = {offer_event(now - 91 * 24h, "pb/sneak-peek"), offer_event(now - 1h, "pb/other"),
                message_event(now - 1h), offer_event(now + 1h, "pb/sneak-peek")};
    d = run(set, m, h, now);
    EXPECT_EQ(d.drafts.size(), 1U);
    EXPECT_TRUE(d.skipped.empty());
}

TEST(evaluator, offer_skipped_for_budget_with_replay_ledger) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\nA2\nA3\nA4\nA5\nA6\n");
    dir.write("other.txt", "B1\n");
    const auto set = load_sources({{dir.file("pb.yaml"), std::string(offer_playbook)}});
    ASSERT_TRUE(set);
    evaluator ev(set);
    replay_ledger ledger(*set);
    const message m = make_message("I love it");
    const time_point morning = at("2026-11-23T08:00:00Z");

    for (int i = 0; i < 2; ++i) {
        const decision d = ev.evaluate(m, {}, morning + std::chrono::hours(i), &ledger);
        ASSERT_EQ(d.drafts.size(), 1U) << i;
        ledger.record(d, morning + std::chrono::hours(i));
    }
    EXPECT_EQ(ledger.drafted_on_day("pb/sneak-peek", morning), 2);
    EXPECT_EQ(ledger.codes_left("pb/sneak-peek"), 4);
    EXPECT_EQ(ledger.codes_left("pb/other"), 1);

    const decision third = ev.evaluate(m, {}, at("2026-11-23T23:59:59Z"), &ledger);
    EXPECT_TRUE(third.drafts.empty());
    EXPECT_EQ(third.skipped, (std::vector<skipped_offer>{{"pb/offer", "budget"}}));

    // The budget is per UTC day.
    const decision next_day = ev.evaluate(m, {}, at("2026-11-24T00:00:00Z"), &ledger);
    EXPECT_EQ(next_day.drafts.size(), 1U);
    EXPECT_TRUE(next_day.skipped.empty());
}

TEST(evaluator, cooldown_is_reported_before_budget) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\n");
    dir.write("other.txt", "B1\n");
    const auto set = load_sources({{dir.file("pb.yaml"), std::string(offer_playbook)}});
    ASSERT_TRUE(set);
    fixed_ledger ledger;
    ledger.drafted = 2; // per_day is 2
    ledger.left = 0;
    person_history h;
    h.events = {offer_event(default_now() - 1h, "pb/sneak-peek")};
    const decision d = run(set, make_message("love"), h, default_now(), &ledger);
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/offer", "cooldown"}}));
    const decision d2 = run(set, make_message("love"), {}, default_now(), &ledger);
    EXPECT_EQ(d2.skipped, (std::vector<skipped_offer>{{"pb/offer", "budget"}}));
}

TEST(evaluator, offer_skipped_when_the_pool_is_empty) {
    const temp_dir dir;
    dir.write("codes.txt", "ONLY-ONE\n");
    dir.write("other.txt", "");
    const auto set = load_sources({{dir.file("pb.yaml"), std::string(offer_playbook) + R"(
  - id: other-offer
    when: {query: other}
    then: {offer: {pool: other, text: "{{offer.code}}"}}
)"}});
    ASSERT_TRUE(set);
    evaluator ev(set);
    replay_ledger ledger(*set);
    const time_point now = default_now();

    decision d = ev.evaluate(make_message("love"), {}, now, &ledger);
    ASSERT_EQ(d.drafts.size(), 1U);
    ledger.record(d, now);
    EXPECT_EQ(ledger.codes_left("pb/sneak-peek"), 0);
    d = ev.evaluate(make_message("love"), {}, now + 1min, &ledger);
    EXPECT_TRUE(d.drafts.empty());
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/offer", "pool_empty"}}));

    // A codes file with no codes is empty from the start, with or without a ledger.
    d = ev.evaluate(make_message("other"), {}, now, &ledger);
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/other-offer", "pool_empty"}}));
    d = ev.evaluate(make_message("other"), {}, now, nullptr);
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/other-offer", "pool_empty"}}));
}

TEST(evaluator, offer_with_a_custom_ledger) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\nA2\n");
    dir.write("other.txt", "B1\n");
    const auto set = load_sources({{dir.file("pb.yaml"), std::string(offer_playbook)}});
    ASSERT_TRUE(set);
    const time_point now = default_now();
    const message m = make_message("love");

    fixed_ledger ledger;
    ledger.drafted = 1;
    ledger.left = 5;
    decision d = run(set, m, {}, now, &ledger);
    EXPECT_EQ(d.drafts.size(), 1U);
    EXPECT_TRUE(d.skipped.empty());
    ASSERT_FALSE(ledger.asked_pools.empty());
    for (const auto& pool : ledger.asked_pools) {
        EXPECT_EQ(pool, "pb/sneak-peek"); // qualified
    }
    ASSERT_EQ(ledger.asked_days.size(), 1U);
    EXPECT_EQ(ledger.asked_days[0], now);

    ledger.drafted = 2;
    d = run(set, m, {}, now, &ledger);
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/offer", "budget"}}));

    ledger.drafted = 0;
    ledger.left = 0;
    d = run(set, m, {}, now, &ledger);
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/offer", "pool_empty"}}));

    // The ledger's answer wins over the codes file: it has already handed some out.
    ledger.left = 1;
    d = run(set, m, {}, now, &ledger);
    EXPECT_TRUE(d.skipped.empty());
    EXPECT_EQ(d.drafts.size(), 1U);

    // A ledger that says the pool hands out no codes never reports it empty.
    ledger.left = std::nullopt;
    d = run(set, m, {}, now, &ledger);
    EXPECT_TRUE(d.skipped.empty());
    EXPECT_EQ(d.drafts.size(), 1U);
}

TEST(evaluator, two_offers_from_one_pool_in_one_decision_share_the_budget) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\nA2\nA3\n");
    const auto set = load_sources({{dir.file("pb.yaml"), R"(playbook: pb
offers:
  sneak-peek: {codes_file: codes.txt, per_day: 1}
rules:
  - id: first
    when: {query: love}
    then: {offer: {pool: sneak-peek, text: "one {{offer.code}}"}}
  - id: second
    when: {query: love}
    then: {offer: {pool: sneak-peek, text: "two {{offer.code}}"}}
)"}});
    ASSERT_TRUE(set);
    // Without a ledger and with a fresh replay ledger alike.
    replay_ledger ledger(*set);
    for (const offer_ledger* l :
         {static_cast<const offer_ledger*>(nullptr), static_cast<const offer_ledger*>(&ledger)}) {
        const decision d = run(set, make_message("love"), {}, default_now(), l);
        EXPECT_EQ(d.matched, (std::vector<std::string>{"pb/first", "pb/second"}));
        ASSERT_EQ(d.drafts.size(), 1U);
        EXPECT_EQ(d.drafts[0].rule, "pb/first");
        EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/second", "budget"}}));
    }
}

TEST(evaluator, two_offers_from_one_pool_in_one_decision_share_the_codes) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\n");
    const auto set = load_sources({{dir.file("pb.yaml"), R"(playbook: pb
offers:
  sneak-peek: {codes_file: codes.txt}
rules:
  - id: first
    when: {query: love}
    then: {offer: {pool: sneak-peek, text: "one {{offer.code}}"}}
  - id: second
    when: {query: love}
    then: {offer: {pool: sneak-peek, text: "two {{offer.code}}"}}
)"}});
    ASSERT_TRUE(set);
    replay_ledger ledger(*set);
    const decision d = run(set, make_message("love"), {}, default_now(), &ledger);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.drafts[0].text, "one {{offer.code}}");
    EXPECT_EQ(d.skipped, (std::vector<skipped_offer>{{"pb/second", "pool_empty"}}));
}

// --- Collect, stop, accounts, order ---------------------------------------------------------

TEST(evaluator, collect_with_a_thanks_draft) {
    const auto set = load_yaml(R"(playbook: pb
brand: {name: Acme}
insights:
  - id: organizing-apps
    question: "What apps keep you organized?"
    schedule: {at: "2026-12-01T15:00:00Z"}
    thank: "Thanks {{author.first_name}}! Re: {{insight.question}}"
  - id: colour
    question: "Favourite colour?"
    schedule: {cron: "0 15 * * 1", tz: Europe/Berlin}
rules:
  - id: answers
    when: {answers: organizing-apps}
    then: {collect: organizing-apps, team: research, priority: low}
  - id: colour
    when: {answers: colour}
    then: {collect: colour}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    message m = make_message("Todoist and paper");
    m.insight = "organizing-apps";
    decision d = ev.evaluate(m, {}, default_now());
    EXPECT_EQ(d.matched, (std::vector<std::string>{"pb/answers"}));
    EXPECT_EQ(d.collect, (std::vector<std::string>{"organizing-apps"}));
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_EQ(d.drafts[0].rule, "pb/answers");
    EXPECT_EQ(d.drafts[0].kind, draft_kind::thanks);
    EXPECT_EQ(d.drafts[0].text, "Thanks Sam! Re: What apps keep you organized?");
    EXPECT_FALSE(d.drafts[0].is_private);
    EXPECT_EQ(d.drafts[0].team, "research");
    EXPECT_EQ(d.drafts[0].priority, priority::low);
    EXPECT_EQ(d.drafts[0].offer, std::nullopt);

    // An insight without a thank template: collected, no draft.
    m.insight = "colour";
    d = ev.evaluate(m, {}, default_now());
    EXPECT_EQ(d.collect, (std::vector<std::string>{"colour"}));
    EXPECT_TRUE(d.drafts.empty());

    // Not an answer: nothing collected.
    m.insight = std::nullopt;
    d = ev.evaluate(m, {}, default_now());
    EXPECT_TRUE(d.collect.empty());
    EXPECT_TRUE(d.matched.empty());
}

TEST(evaluator, collect_is_deduplicated) {
    const auto set = load_yaml(R"(playbook: pb
insights:
  - id: q
    question: "Q?"
    schedule: {at: "2026-12-01T15:00:00Z"}
rules:
  - id: one
    then: {collect: q}
  - id: two
    then: {collect: q}
)");
    ASSERT_TRUE(set);
    const decision d = run(set, make_message("hi"));
    EXPECT_EQ(d.collect, (std::vector<std::string>{"q"}));
    EXPECT_EQ(d.matched.size(), 2U);
}

TEST(evaluator, stop_ends_its_own_playbook_only) {
    const auto set = load_sources({{"a.yaml", R"(playbook: a
rules:
  - id: before
    then: {tag: [before]}
  - id: stopper
    when: {query: acme}
    then: {tag: [stopped], stop: true}
  - id: after
    then: {tag: [after]}
)"},
                                   {"b.yaml", R"(playbook: b
rules:
  - id: other
    then: {tag: [other]}
)"}});
    ASSERT_TRUE(set);
    evaluator ev(set);
    decision d = ev.evaluate(make_message("acme"), {}, default_now());
    EXPECT_EQ(d.matched, (std::vector<std::string>{"a/before", "a/stopper", "b/other"}));
    EXPECT_EQ(d.tags, (std::vector<std::string>{"before", "stopped", "other"}));
    // A stop rule that does not match stops nothing.
    d = ev.evaluate(make_message("globex"), {}, default_now());
    EXPECT_EQ(d.matched, (std::vector<std::string>{"a/before", "a/after", "b/other"}));
}

TEST(evaluator, playbook_accounts_restrict_which_messages_it_sees) {
    const auto set = load_sources({{"a.yaml", R"(playbook: a
accounts: [acme-site, acme-mastodon]
rules:
  - id: r
    then: {tag: [a]}
)"},
                                   {"b.yaml", R"(playbook: b
rules:
  - id: r
    then: {tag: [b]}
)"}});
    ASSERT_TRUE(set);
    evaluator ev(set);
    message m = make_message("hi");
    m.account = "acme-mastodon";
    EXPECT_EQ(ev.evaluate(m, {}, default_now()).matched, (std::vector<std::string>{"a/r", "b/r"}));
    m.account = "acme-bsky";
    EXPECT_EQ(ev.evaluate(m, {}, default_now()).matched, (std::vector<std::string>{"b/r"}));
    m.account.clear(); // no account: every playbook sees it
    EXPECT_EQ(ev.evaluate(m, {}, default_now()).matched, (std::vector<std::string>{"a/r", "b/r"}));
}

TEST(evaluator, rules_run_in_written_order) {
    const auto set = load_sources({{"a.yaml", R"(playbook: a
rules:
  - id: zebra
    when: {query: zebra}
    then: {reply: "z"}
  - id: always
    then: {reply: "always"}
  - id: apple
    when: {query: apple}
    then: {reply: "a"}
)"},
                                   {"b.yaml", R"(playbook: b
rules:
  - id: apple
    when: {query: apple}
    then: {reply: "b-a"}
  - id: zebra
    when: {query: zebra}
    then: {reply: "b-z"}
)"}});
    ASSERT_TRUE(set);
    // Terms appear in the text in the opposite order to the rules.
    const decision d = run(set, make_message("apple apple zebra"));
    EXPECT_EQ(d.matched,
              (std::vector<std::string>{"a/zebra", "a/always", "a/apple", "b/apple", "b/zebra"}));
    ASSERT_EQ(d.drafts.size(), 5U);
    EXPECT_EQ(d.drafts[0].text, "z");
    EXPECT_EQ(d.drafts[1].text, "always");
    EXPECT_EQ(d.drafts[2].text, "a");
    EXPECT_EQ(d.drafts[3].text, "b-a");
    EXPECT_EQ(d.drafts[4].text, "b-z");
}

TEST(evaluator, message_id_is_copied_and_nothing_matches_by_default) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: r
    when: {query: zebra}
    then: {tag: [z]}
)");
    ASSERT_TRUE(set);
    message m = make_message("nothing here");
    m.id = "ext-42";
    const decision d = run(set, m);
    EXPECT_EQ(d.message_id, "ext-42");
    EXPECT_TRUE(d.matched.empty());
    EXPECT_TRUE(d.tags.empty());
    EXPECT_TRUE(d.drafts.empty());
    EXPECT_TRUE(d.collect.empty());
    EXPECT_TRUE(d.skipped.empty());
    EXPECT_EQ(d.sla, std::nullopt);
}

// --- too_long -------------------------------------------------------------------------------

constexpr std::string_view echo_playbook = R"(playbook: pb
rules:
  - id: echo
    then: {reply: "{{message.text}}"}
)";

bool echo_too_long(const std::shared_ptr<const playbook_set>& set,
                   std::string_view platform,
                   std::string text) {
    message m = make_message(std::move(text));
    m.platform = std::string(platform);
    const decision d = run(set, m);
    EXPECT_EQ(d.drafts.size(), 1U);
    return !d.drafts.empty() && d.drafts[0].too_long;
}

// U+1F468 ZWJ U+1F469 ZWJ U+1F467: one grapheme of five code points.
constexpr std::string_view family =
    "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
// U+1F1FA U+1F1F8 (a flag): one grapheme of two code points.
constexpr std::string_view flag = "\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8";
// e + U+0301 combining acute: one grapheme of two code points.
constexpr std::string_view e_acute = "e\xCC\x81";

TEST(evaluator, too_long_on_x_counts_as_x_weighs) {
    const auto set = load_yaml(std::string(echo_playbook));
    ASSERT_TRUE(set);
    EXPECT_FALSE(echo_too_long(set, "x", repeat("a", 280)));
    EXPECT_TRUE(echo_too_long(set, "x", repeat("a", 281)));
    EXPECT_FALSE(echo_too_long(set, "x", repeat("\xC3\xA9", 280))); // 560 bytes, 280 é
    EXPECT_TRUE(echo_too_long(set, "x", repeat("\xC3\xA9", 281)));
    EXPECT_FALSE(echo_too_long(set, "x", repeat("\xE6\x97\xA5", 140))); // 日 weighs 2
    EXPECT_TRUE(echo_too_long(set, "x", repeat("\xE6\x97\xA5", 141)));
    EXPECT_FALSE(echo_too_long(set, "x", repeat(family, 140))); // an emoji weighs 2
    EXPECT_TRUE(echo_too_long(set, "x", repeat(family, 141)));
    // 580 code points, but X counts the link as 23.
    const std::string with_link = repeat("a", 256) + " https://kestrel.example/" + repeat("p", 300);
    EXPECT_FALSE(echo_too_long(set, "x", with_link));
    EXPECT_TRUE(echo_too_long(set, "x", "a" + with_link));
}

TEST(evaluator, too_long_on_x_allows_10000_in_a_direct_message) {
    const auto set = load_yaml(std::string(echo_playbook));
    ASSERT_TRUE(set);
    message m = make_message(repeat("a", 281));
    m.platform = "x";
    m.kind = message_kind::direct;
    decision d = run(set, m);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_FALSE(d.drafts[0].too_long) << "a reply to a DM goes as a DM";
    m.text = repeat("a", 10001);
    d = run(set, m);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_TRUE(d.drafts[0].too_long);

    const auto private_set = load_yaml(R"(playbook: pb
rules:
  - id: echo
    then: {reply: {text: "{{message.text}}", private: true}}
)");
    ASSERT_TRUE(private_set);
    m.kind = message_kind::mention;
    m.text = repeat("a", 281);
    d = run(private_set, m);
    ASSERT_EQ(d.drafts.size(), 1U);
    EXPECT_FALSE(d.drafts[0].too_long) << "a private reply to a mention goes as a DM";
    EXPECT_TRUE(echo_too_long(set, "x", repeat("a", 281))) << "a public reply does not";
}

TEST(evaluator, too_long_on_mastodon_is_500) {
    const auto set = load_yaml(std::string(echo_playbook));
    ASSERT_TRUE(set);
    EXPECT_FALSE(echo_too_long(set, "mastodon", repeat("a", 500)));
    EXPECT_TRUE(echo_too_long(set, "mastodon", repeat("a", 501)));
    EXPECT_FALSE(echo_too_long(set, "mastodon", repeat(family, 500))); // graphemes
    EXPECT_TRUE(echo_too_long(set, "mastodon", repeat(family, 501)));
    // A link counts 23 and a mention's server nothing.
    const std::string with_link = repeat("a", 476) + " https://kestrel.example/" + repeat("p", 300);
    EXPECT_FALSE(echo_too_long(set, "mastodon", with_link));
    EXPECT_TRUE(echo_too_long(set, "mastodon", "a" + with_link));
    EXPECT_FALSE(echo_too_long(set, "mastodon", "@sam@social.example.org " + repeat("a", 495)));
}

TEST(evaluator, too_long_on_bluesky_counts_graphemes) {
    const auto set = load_yaml(std::string(echo_playbook));
    ASSERT_TRUE(set);
    EXPECT_FALSE(echo_too_long(set, "bluesky", repeat("a", 300)));
    EXPECT_TRUE(echo_too_long(set, "bluesky", repeat("a", 301)));
    EXPECT_FALSE(echo_too_long(set, "bluesky", repeat(family, 300))); // 1,500 code points
    EXPECT_TRUE(echo_too_long(set, "bluesky", repeat(family, 301)));
    EXPECT_FALSE(echo_too_long(set, "bluesky", repeat(flag, 300)));
    EXPECT_TRUE(echo_too_long(set, "bluesky", repeat(flag, 301)));
    EXPECT_FALSE(echo_too_long(set, "bluesky", repeat(e_acute, 300)));
    EXPECT_TRUE(echo_too_long(set, "bluesky", repeat(e_acute, 301)));
    // The same text weighs 600 on X.
    EXPECT_TRUE(echo_too_long(set, "x", repeat(family, 300)));
}

TEST(evaluator, too_long_on_telegram_counts_utf16_code_units) {
    const auto set = load_yaml(std::string(echo_playbook));
    ASSERT_TRUE(set);
    EXPECT_FALSE(echo_too_long(set, "telegram", repeat("a", 4096)));
    EXPECT_TRUE(echo_too_long(set, "telegram", repeat("a", 4097)));
    // A family is three emoji (two units each) joined by two ZWJs (one each): 8 units.
    EXPECT_FALSE(echo_too_long(set, "telegram", repeat(family, 512)));
    EXPECT_TRUE(echo_too_long(set, "telegram", repeat(family, 512) + "a"));
    EXPECT_FALSE(echo_too_long(set, "telegram", repeat(flag, 1024))); // 2,048 code points
    EXPECT_TRUE(echo_too_long(set, "telegram", repeat(flag, 1025)));
    // CJK in the Basic Multilingual Plane: one unit a character.
    EXPECT_FALSE(echo_too_long(set, "telegram", repeat("\xE6\x97\xA5", 4096)));
    EXPECT_TRUE(echo_too_long(set, "telegram", repeat("\xE6\x97\xA5", 4097)));
}

TEST(evaluator, unknown_platform_is_never_too_long) {
    const auto set = load_yaml(std::string(echo_playbook));
    ASSERT_TRUE(set);
    EXPECT_FALSE(echo_too_long(set, "slack", repeat("a", 100000)));
    EXPECT_FALSE(echo_too_long(set, "", repeat("a", 100000)));
    EXPECT_FALSE(echo_too_long(set, "X", repeat("a", 1000))); // platform names are exact
}

TEST(evaluator, custom_length_limits) {
    load_options options;
    options.length_limits = {{"x", {10, length_limit::unit::code_points}},
                             {"slack", {3, length_limit::unit::graphemes}}};
    const auto set = load_yaml(std::string(echo_playbook), options);
    ASSERT_TRUE(set);
    EXPECT_FALSE(echo_too_long(set, "x", repeat("a", 10)));
    EXPECT_TRUE(echo_too_long(set, "x", repeat("a", 11)));
    EXPECT_FALSE(echo_too_long(set, "slack", repeat(family, 3)));
    EXPECT_TRUE(echo_too_long(set, "slack", repeat(family, 4)));
    // Limits not given are gone, not defaulted.
    EXPECT_FALSE(echo_too_long(set, "telegram", repeat("a", 5000)));
    EXPECT_FALSE(echo_too_long(set, "mastodon", repeat("a", 1000)));
    EXPECT_FALSE(echo_too_long(set, "bluesky", repeat("a", 1000)));
}

TEST(evaluator, too_long_applies_to_offer_and_thanks_drafts) {
    load_options options;
    options.length_limits = {{"x", {5, length_limit::unit::code_points}}};
    const auto set = load_yaml(R"(playbook: pb
offers:
  p: {per_day: 5}
insights:
  - id: q
    question: "Q?"
    schedule: {at: "2026-12-01T15:00:00Z"}
    thank: "Thank you very much"
rules:
  - id: offer
    then: {offer: {pool: p, text: "12345"}}
  - id: offer-long
    then: {offer: {pool: p, text: "123456"}}
  - id: collect
    then: {collect: q}
)",
                               options);
    ASSERT_TRUE(set);
    const decision d = run(set, make_message("hi"));
    ASSERT_EQ(d.drafts.size(), 3U);
    EXPECT_FALSE(d.drafts[0].too_long);
    EXPECT_TRUE(d.drafts[1].too_long);
    EXPECT_EQ(d.drafts[2].kind, draft_kind::thanks);
    EXPECT_TRUE(d.drafts[2].too_long);
}

// --- Sentiment ------------------------------------------------------------------------------

TEST(evaluator, decision_sentiment_uses_the_builtin_lexicon) {
    const auto set = load_yaml(R"(playbook: pb
rules:
  - id: r
    then: {tag: [t]}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    const time_point now = default_now();
    EXPECT_EQ(ev.evaluate(make_message("I love it"), {}, now).sentiment, 3);
    EXPECT_EQ(ev.evaluate(make_message("my toaster is broken"), {}, now).sentiment, -3);
    EXPECT_EQ(ev.evaluate(make_message("not good"), {}, now).sentiment, -2);
    EXPECT_EQ(ev.evaluate(make_message("LOVE it but BROKEN"), {}, now).sentiment, 0);
    EXPECT_EQ(ev.evaluate(make_message("a toaster"), {}, now).sentiment, 0);
    EXPECT_EQ(ev.evaluate(make_message(""), {}, now).sentiment, 0);
}

TEST(evaluator, playbook_sentiment_overrides_and_extends_the_lexicon) {
    const auto set = load_yaml(R"(playbook: pb
sentiment: {toaster: -2, love: 1, Wonderbar: 4}
rules:
  - id: negative
    when: {sentiment: {below: 0}}
    then: {tag: [negative]}
)");
    ASSERT_TRUE(set);
    evaluator ev(set);
    const time_point now = default_now();
    decision d = ev.evaluate(make_message("I love my toaster"), {}, now);
    EXPECT_EQ(d.sentiment, -1); // love 1 (overridden from 3) + toaster -2 (added)
    EXPECT_EQ(d.tags, (std::vector<std::string>{"negative"}));
    d = ev.evaluate(make_message("I love it"), {}, now);
    EXPECT_EQ(d.sentiment, 1);
    EXPECT_TRUE(d.tags.empty());
    EXPECT_EQ(ev.evaluate(make_message("WONDERBAR"), {}, now).sentiment, 4);
    EXPECT_EQ(ev.evaluate(make_message("broken"), {}, now).sentiment, -3); // built-in kept
}

// --- Determinism ----------------------------------------------------------------------------

constexpr std::string_view rich_playbook = R"(playbook: acme-core
brand: {name: Acme, voice: "warm, brief"}
lexicons:
  negative: [broken, refund*, worst, "never again"]
  positive: [love, great, "can't wait"]
offers:
  sneak-peek: {per_day: 5, cooldown: 90d}
insights:
  - id: organizing-apps
    question: "What apps keep you organized these days?"
    schedule: {at: "2026-12-01T15:00:00Z"}
    thank: "Thanks {{author.name}}, that's a great pick!"
rules:
  - id: complaint
    when:
      query: '$negative AND NOT ("just kidding" OR jk)'
      kind: [mention, direct, reply, comment]
      sentiment: {below: 0}
    then:
      tag: [complaint]
      team: support
      priority: high
      sla: 1h
      reply: "Hi {{author.name}}, sorry about that. Could you DM us your order number?"
  - id: delight
    when: {query: '$positive AND (acme OR @acme)', person: {messages: {within: 30d, at_least: 1}}}
    then: {tag: [fan], offer: {pool: sneak-peek, text: "You've been great to us, {{author.first_name}}!"}}
  - id: clean
    when: {query: 'NOT spam'}
    then: {tag: [clean], sla: 1d}
  - id: toaster
    when: {query: 'toaster NEAR/3 broken', platform: [x, bluesky]}
    then: {tag: [toaster], stop: true}
  - id: answers
    when: {answers: organizing-apps}
    then: {collect: organizing-apps}
  - id: night
    when: {hours: {between: "22:00-06:00", tz: America/New_York}}
    then: {tag: [night]}
)";

std::vector<message> varied_messages() {
    std::vector<message> out;
    out.push_back(make_message("my acme toaster is broken"));
    out.push_back(make_message("I love @acme, can't wait!"));
    out.push_back(make_message("worst refund ever, jk"));
    out.push_back(make_message("buy spam now"));
    message answer = make_message("Todoist and paper");
    answer.insight = "organizing-apps";
    out.push_back(answer);
    message mastodon = make_message("toaster broken, never again");
    mastodon.platform = "mastodon";
    mastodon.kind = message_kind::direct;
    out.push_back(mastodon);
    out.push_back(make_message(""));
    return out;
}

TEST(evaluator, same_input_always_yields_the_same_decision) {
    const auto set = load_yaml(std::string(rich_playbook));
    ASSERT_TRUE(set);
    const std::vector<message> messages = varied_messages();
    const time_point now = default_now();
    person_history h;
    h.events = {message_event(now - 24h, {"fan"}),
                offer_event(now - 200 * 24h, "acme-core/sneak-peek")};

    evaluator first(set);
    std::vector<decision> expected;
    std::vector<std::string> expected_json;
    for (const auto& m : messages) {
        expected.push_back(first.evaluate(m, h, now));
        expected_json.push_back(to_json(expected.back()));
    }
    // The decisions are not trivial (the test would prove little otherwise).
    EXPECT_EQ(
        expected[0].matched,
        (std::vector<std::string>{"acme-core/complaint", "acme-core/clean", "acme-core/toaster"}));
    EXPECT_EQ(expected[1].drafts.size(), 1U);
    // 10:00 UTC is 05:00 in New York: night.
    EXPECT_EQ(expected[3].matched, (std::vector<std::string>{"acme-core/night"}));
    EXPECT_EQ(expected[4].collect, (std::vector<std::string>{"organizing-apps"}));

    // 1,000 times on the same evaluator.
    for (int i = 0; i < 1000; ++i) {
        const decision d = first.evaluate(messages[0], h, now);
        ASSERT_EQ(d, expected[0]) << "iteration " << i;
        ASSERT_EQ(to_json(d), expected_json[0]) << "iteration " << i;
    }
    // On a second evaluator instance.
    evaluator second(set);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const decision d = second.evaluate(messages[i], h, now);
        EXPECT_EQ(d, expected[i]) << "message " << i;
        EXPECT_EQ(to_json(d), expected_json[i]) << "message " << i;
    }
    // Interleaved with other messages, on both.
    for (int i = 0; i < 1000; ++i) {
        const std::size_t k = static_cast<std::size_t>(i * 7 + i / 3) % messages.size();
        evaluator& ev = i % 2 == 0 ? first : second;
        const decision d = ev.evaluate(messages[k], h, now);
        ASSERT_EQ(d, expected[k]) << "iteration " << i << ", message " << k;
        ASSERT_EQ(to_json(d), expected_json[k]) << "iteration " << i << ", message " << k;
    }
    // On a set loaded again from the same text.
    const auto again = load_yaml(std::string(rich_playbook));
    ASSERT_TRUE(again);
    evaluator third(again);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        EXPECT_EQ(to_json(third.evaluate(messages[i], h, now)), expected_json[i]) << i;
    }
}

TEST(evaluator, same_input_with_a_ledger_yields_the_same_decision) {
    const auto set = load_yaml(std::string(rich_playbook));
    ASSERT_TRUE(set);
    const replay_ledger ledger(*set); // not recorded into: the same inputs every time
    const time_point now = default_now();
    person_history h;
    h.events = {message_event(now - 24h)};
    const message m = make_message("I love @acme, can't wait!");
    evaluator ev(set);
    const decision expected = ev.evaluate(m, h, now, &ledger);
    ASSERT_EQ(expected.drafts.size(), 1U);
    const std::string expected_json = to_json(expected);
    for (int i = 0; i < 1000; ++i) {
        const decision d = ev.evaluate(m, h, now, &ledger);
        ASSERT_EQ(d, expected) << i;
        ASSERT_EQ(to_json(d), expected_json) << i;
    }
}

} // namespace
} // namespace rapport::rules
