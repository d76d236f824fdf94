// The compiled playbook set: every playbook's rules, lexicons, offers and insights, with one
// matcher over all their terms. Built by load_playbooks(), immutable afterwards, shared by
// every evaluator as shared_ptr<const playbook_set>.
#pragma once

#include "rules/cron.hpp"
#include "rules/decision.hpp"
#include "rules/matcher.hpp"
#include "rules/message.hpp"
#include "rules/query.hpp"
#include "rules/sentiment.hpp"
#include "rules/template.hpp"
#include "rules/time.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace rapport::rules {

/// Where something was written, for messages that point back at the YAML.
struct source_location {
    std::string file;
    int line = 0;
    int column = 0;
};

/// A query with each term resolved to a set of pattern ids of the playbook set's matcher.
struct compiled_query {
    struct node {
        query_ast::op op = query_ast::op::term;
        /// term and lexicon nodes: index into playbook_set::term_sets.
        std::uint32_t term_set = 0;
        std::uint32_t distance = 0;
        std::vector<std::uint32_t> children;
    };
    std::vector<node> nodes;
    std::uint32_t root = 0;
    std::string source;
};

/// `at_least` / `at_most` over a person's events within a window.
struct count_condition {
    enum class subject { messages, tagged, offers };
    count_condition::subject what = subject::messages;
    duration within{0};
    std::optional<int> at_least;
    std::optional<int> at_most;
    /// tagged: the tag; offers: a pool name to count only that pool (qualified), else any.
    std::string filter;
};

struct hours_condition {
    /// Bit d set: weekday d allowed (0 = Sunday).
    std::uint8_t days = 0x7f;
    /// Minutes after local midnight; when end <= start the window wraps past midnight.
    int start_minute = 0;
    int end_minute = 24 * 60;
    const date::time_zone* zone = nullptr; // null: UTC
};

struct conditions {
    std::optional<compiled_query> query;
    /// Bit (1 << kind) set: kind allowed. All bits set when not restricted.
    std::uint8_t kinds = 0x1f;
    std::vector<std::string> platforms;
    std::vector<std::string> accounts;
    std::vector<std::string> langs;
    std::optional<int> sentiment_below;
    std::optional<int> sentiment_above;
    std::optional<std::int64_t> followers_at_least;
    std::optional<std::int64_t> followers_at_most;
    /// Folded handles, without a leading @.
    std::vector<std::string> handles;
    std::vector<count_condition> person;
    std::optional<hours_condition> hours;
    std::optional<std::string> answers;
};

struct reply_action {
    message_template text;
    bool is_private = false;
};

struct offer_action {
    /// Qualified pool name.
    std::string pool;
    message_template text;
    bool is_private = true;
};

struct actions {
    std::vector<std::string> tags;
    std::optional<std::string> team;
    std::optional<rules::priority> priority;
    std::optional<duration> sla;
    std::optional<reply_action> reply;
    std::optional<offer_action> offer;
    std::optional<std::string> collect;
    bool stop = false;
};

struct rule {
    /// `playbook/rule`.
    std::string id;
    std::uint32_t playbook = 0;
    rules::conditions when;
    rules::actions then;
    source_location where;
};

struct offer_pool {
    /// Qualified name, `playbook/pool`.
    std::string name;
    std::vector<std::string> codes;
    bool has_codes_file = false;
    std::optional<int> per_day;
    std::optional<duration> cooldown;
};

struct insight_schedule {
    std::optional<time_point> at;
    std::optional<cron_expression> cron;
    std::string cron_text;
    const date::time_zone* zone = nullptr; // cron only; null: UTC
};

struct insight {
    std::string id;
    std::uint32_t playbook = 0;
    std::string question;
    std::vector<std::string> accounts;
    insight_schedule schedule;
    std::optional<message_template> thank;
};

struct playbook {
    std::string name;
    std::string file;
    std::string brand_name;
    std::string brand_voice;
    /// Empty: every account.
    std::vector<std::string> accounts;
    std::map<std::string, offer_pool, std::less<>> offers;
};

/// Telegram's sendMessage takes at most this many UTF-16 code units of text.
inline constexpr std::size_t telegram_max_text_length = 4096;
/// X's direct messages take at most this many characters.
inline constexpr std::size_t x_max_direct_text_length = 10000;

/// How long a draft may be on one platform, in the unit that platform counts.
struct length_limit {
    enum class unit { code_points, graphemes, utf16_code_units, x_weighted, mastodon_characters };
    std::size_t max = 0;
    length_limit::unit counted_in = unit::code_points;
    /// The limit when the reply goes as a direct message, if the platform has another one
    /// there (X: 10,000); 0 when `max` applies to both.
    std::size_t direct_max = 0;

    /// The limit for a reply sent publicly or (`direct`) as a direct message.
    [[nodiscard]] std::size_t max_for(bool direct) const {
        return direct && direct_max != 0 ? direct_max : max;
    }

    /// The length of `text` in this limit's unit.
    [[nodiscard]] std::size_t length_of(std::string_view text) const;
    /// The unit's name for people, plural: "characters", "graphemes", "UTF-16 code units",
    /// "weighted characters".
    [[nodiscard]] std::string_view unit_name() const;
};

/// The platform limits the contract names: X 280 characters (10,000 in a direct message),
/// Bluesky 300 graphemes, Mastodon 500 characters; and Telegram's sendMessage limit, 4096
/// UTF-16 code units.
[[nodiscard]] std::map<std::string, length_limit, std::less<>> default_length_limits();

struct playbook_set {
    std::vector<playbook> playbooks;
    /// Every rule of every playbook, playbook by playbook in load order.
    std::vector<rule> rules;
    std::map<std::string, insight, std::less<>> insights;

    std::vector<pattern> patterns;
    rules::matcher matcher;
    /// Term and lexicon nodes of queries point here: the patterns any of which makes them true.
    std::vector<std::vector<std::uint32_t>> term_sets;
    /// For each pattern, the term sets it belongs to: a hit marks them, so a query asks about a
    /// whole lexicon in one lookup.
    std::vector<std::vector<std::uint32_t>> term_sets_by_pattern;
    /// A rule's query is an AND of parts ("conjuncts"; a query that is not an AND is one part)
    /// and most parts cannot hold unless one of their patterns hit. A pattern's triggers say
    /// which part of which rule it satisfies; a rule is evaluated only once every such part
    /// of it has a hit, so a message wakes the few rules that can match, not every rule that
    /// shares a common word.
    struct trigger {
        std::uint32_t rule = 0;
        std::uint32_t conjunct_bit = 0;
    };
    std::vector<std::vector<trigger>> triggers_by_pattern;
    /// For each rule, the bits of all its triggering parts (0 for unconditional rules).
    std::vector<std::uint32_t> conjunct_masks;
    /// Rules that must be evaluated for every message (no query, or one that can hold
    /// without any hit, such as `NOT spam`).
    std::vector<std::uint32_t> unconditional_rules;

    sentiment_lexicon sentiment;
    std::map<std::string, length_limit, std::less<>> length_limits;

    [[nodiscard]] const offer_pool* find_pool(std::string_view qualified) const;
};

} // namespace rapport::rules
