#include "rules/loader.hpp"
#include "tests/support/temp_dir.hpp"

#include "rules/text.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {
namespace {

namespace fs = std::filesystem;
using strings = std::vector<std::string>;

load_result load(std::string_view yaml, const load_options& options = {}) {
    return load_playbook_sources({{"pb.yaml", std::string(yaml)}}, options);
}

strings printed(const std::vector<diagnostic>& diagnostics) {
    strings out;
    for (const auto& d : diagnostics) {
        out.push_back(to_string(d));
    }
    return out;
}

// Every diagnostic of loading `yaml` as pb.yaml, printed. A load with problems has no set.
strings errors(std::string_view yaml, const load_options& options = {}) {
    const load_result r = load(yaml, options);
    EXPECT_EQ(r.set == nullptr, !r.diagnostics.empty());
    return printed(r.diagnostics);
}

// Loads `yaml` expecting no problems.
std::shared_ptr<const playbook_set> loaded(std::string_view yaml,
                                           const load_options& options = {}) {
    load_result r = load(yaml, options);
    EXPECT_EQ(printed(r.diagnostics), strings{});
    EXPECT_NE(r.set, nullptr);
    return r.set;
}

load_options with_config() {
    load_options o;
    o.known_teams = std::set<std::string, std::less<>>{"support", "sales"};
    o.known_accounts = std::set<std::string, std::less<>>{"acme-site", "acme-mastodon"};
    return o;
}

// A fresh directory under the system temp dir, removed with everything in it at the end.
using rapport::testing::temp_dir;

// 1-based line of the first line of `text` that contains `needle`.
int line_of(std::string_view text, std::string_view needle) {
    const auto at = text.find(needle);
    EXPECT_NE(at, std::string_view::npos) << needle;
    return 1 +
           static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

std::uint32_t pattern_index(const playbook_set& set, std::string_view literal, bool prefix) {
    for (std::uint32_t i = 0; i < set.patterns.size(); ++i) {
        if (set.patterns[i].literal == literal && set.patterns[i].prefix == prefix) {
            return i;
        }
    }
    ADD_FAILURE() << "no pattern '" << literal << "' prefix=" << prefix;
    return 0;
}

// The literals of a term set, sorted.
strings literals(const playbook_set& set, std::uint32_t term_set) {
    strings out;
    for (const auto p : set.term_sets.at(term_set)) {
        out.push_back(set.patterns.at(p).literal + (set.patterns.at(p).prefix ? "*" : ""));
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The rules a pattern's hit counts towards, in rule order.
std::vector<std::uint32_t> rules_for(const playbook_set& set,
                                     std::string_view literal,
                                     bool prefix = false) {
    std::vector<std::uint32_t> rules;
    for (const auto& t : set.triggers_by_pattern.at(pattern_index(set, literal, prefix))) {
        rules.push_back(t.rule);
    }
    std::sort(rules.begin(), rules.end());
    rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
    return rules;
}

using ids = std::vector<std::uint32_t>;

// ---------------------------------------------------------------------------------------------
// The CONTRACT §3 example loads with the expected structure.

constexpr std::string_view contract_example =
    R"yaml(playbook: acme-core                # unique name
brand: {name: Acme, voice: "warm, brief, first names"}   # shown to approvers
accounts: [acme-site, acme-mastodon]                    # default: all accounts
lexicons:                          # named term lists, used in queries as $name
  negative: [broken, refund, worst, "never again"]
  positive: [love, great, "can't wait"]
  wish: ["i want", "i wish", "dream of"]
  competitors: [globex, initech]
offers:
  sneak-peek:
    codes_file: codes/sneak-peek.txt   # relative to the playbook; one code a line, each used once
    per_day: 5                          # budget across all people
    cooldown: 90d                       # per person
insights:
  - id: organizing-apps
    question: "What apps keep you organized these days?"
    accounts: [acme-mastodon]
    schedule: {at: "2026-12-01T15:00:00Z"}        # or {cron: "0 15 * * 1", tz: "Europe/Berlin"}
    thank: "Thanks {{author.name}}, that's a great pick!"   # optional: a thank-you draft per answer
rules:                             # evaluated in order for every message
  - id: complaint                  # unique within the playbook
    when:                          # all given conditions must hold
      query: '$negative AND NOT ("just kidding" OR jk)'
      kind: [mention, direct, reply, comment]
      platform: [x, mastodon]
      sentiment: {below: 0}        # or {above: N}
      lang: [en]
      author: {followers: {at_least: 1000}}
      person: {messages: {within: 30d, at_least: 3}, offers: {within: 90d, at_most: 0}}
      hours: {days: mon-fri, between: "09:00-17:00", tz: America/New_York}
    then:
      tag: [complaint]
      team: support
      priority: high               # low | normal (default) | high | urgent
      sla: 1h                      # answer due within; breach raises sla.breached
      reply: "Hi {{author.name}}, sorry about that. Could you DM us your order number?"
      stop: true                   # later rules do not see this message
  - id: delight-advocate
    when: {query: '$positive AND (acme OR @acme)', person: {tagged: {tag: advocate, within: 30d, at_least: 3}}}
    then: {offer: {pool: sneak-peek, private: true, text: "You've been great to us, {{author.name}}. Here's an early look: {{offer.code}}"}}
  - id: insight-answers
    when: {answers: organizing-apps}  # replies to that insight question
    then: {collect: organizing-apps}
)yaml";

struct contract_fixture {
    temp_dir dir;
    std::string file;
    load_result result;

    contract_fixture() {
        dir.write("codes/sneak-peek.txt", "PEEK-001\nPEEK-002\n\n  PEEK-003  \r\n");
        file = dir.write("acme.yaml", contract_example).string();
        result = load_playbook_sources({{file, std::string(contract_example)}}, with_config());
    }
};

TEST(loader, contract_example_loads) {
    const contract_fixture f;
    EXPECT_EQ(printed(f.result.diagnostics), strings{});
    ASSERT_NE(f.result.set, nullptr);
}

TEST(loader, contract_example_playbook) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    ASSERT_EQ(set.playbooks.size(), 1U);
    const playbook& book = set.playbooks[0];
    EXPECT_EQ(book.name, "acme-core");
    EXPECT_EQ(book.file, f.file);
    EXPECT_EQ(book.brand_name, "Acme");
    EXPECT_EQ(book.brand_voice, "warm, brief, first names");
    EXPECT_EQ(book.accounts, (strings{"acme-site", "acme-mastodon"}));
    EXPECT_EQ(set.length_limits.size(), default_length_limits().size());
    EXPECT_GT(set.sentiment.size(), 0U);
}

TEST(loader, contract_example_offer_pool) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    const playbook& book = set.playbooks.at(0);
    ASSERT_EQ(book.offers.size(), 1U);
    const auto it = book.offers.find("sneak-peek");
    ASSERT_NE(it, book.offers.end());
    const offer_pool& pool = it->second;
    EXPECT_EQ(pool.name, "acme-core/sneak-peek");
    EXPECT_TRUE(pool.has_codes_file);
    EXPECT_EQ(pool.codes, (strings{"PEEK-001", "PEEK-002", "PEEK-003"}));
    EXPECT_EQ(pool.per_day, 5);
    EXPECT_EQ(pool.cooldown, duration(90 * 24 * 3600));
    EXPECT_EQ(set.find_pool("acme-core/sneak-peek"), &pool);
    EXPECT_EQ(set.find_pool("sneak-peek"), nullptr);
    EXPECT_EQ(set.find_pool("other/sneak-peek"), nullptr);
    EXPECT_EQ(set.find_pool("acme-core/nope"), nullptr);
}

TEST(loader, contract_example_insight) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    ASSERT_EQ(set.insights.size(), 1U);
    const auto it = set.insights.find("organizing-apps");
    ASSERT_NE(it, set.insights.end());
    const insight& in = it->second;
    EXPECT_EQ(in.id, "organizing-apps");
    EXPECT_EQ(in.playbook, 0U);
    EXPECT_EQ(in.question, "What apps keep you organized these days?");
    EXPECT_EQ(in.accounts, strings{"acme-mastodon"});
    EXPECT_EQ(in.schedule.at, parse_timestamp("2026-12-01T15:00:00Z"));
    EXPECT_FALSE(in.schedule.cron.has_value());
    ASSERT_TRUE(in.thank.has_value());
    EXPECT_EQ(in.thank->source(), "Thanks {{author.name}}, that's a great pick!");
    EXPECT_TRUE(in.thank->uses(template_variable::author_name));
}

TEST(loader, contract_example_rules_are_qualified_and_located) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    ASSERT_EQ(set.rules.size(), 3U);
    EXPECT_EQ(set.rules[0].id, "acme-core/complaint");
    EXPECT_EQ(set.rules[1].id, "acme-core/delight-advocate");
    EXPECT_EQ(set.rules[2].id, "acme-core/insight-answers");
    for (const rule& r : set.rules) {
        EXPECT_EQ(r.playbook, 0U);
        EXPECT_EQ(r.where.file, f.file);
        EXPECT_EQ(r.where.column, 5);
    }
    EXPECT_EQ(set.rules[0].where.line, line_of(contract_example, "- id: complaint"));
    EXPECT_EQ(set.rules[1].where.line, line_of(contract_example, "- id: delight-advocate"));
    EXPECT_EQ(set.rules[2].where.line, line_of(contract_example, "- id: insight-answers"));
}

TEST(loader, contract_example_complaint_conditions) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const conditions& c = f.result.set->rules.at(0).when;
    ASSERT_TRUE(c.query.has_value());
    EXPECT_EQ(c.query->source, "$negative AND NOT (\"just kidding\" OR jk)");
    const auto bit = [](message_kind k) { return 1U << static_cast<unsigned>(k); };
    EXPECT_EQ(c.kinds, bit(message_kind::mention) | bit(message_kind::direct) |
                           bit(message_kind::reply) | bit(message_kind::comment));
    EXPECT_EQ(c.platforms, (strings{"x", "mastodon"}));
    EXPECT_EQ(c.langs, strings{"en"});
    EXPECT_EQ(c.sentiment_below, 0);
    EXPECT_FALSE(c.sentiment_above.has_value());
    EXPECT_EQ(c.followers_at_least, 1000);
    EXPECT_FALSE(c.followers_at_most.has_value());
    ASSERT_EQ(c.person.size(), 2U);
    EXPECT_EQ(c.person[0].what, count_condition::subject::messages);
    EXPECT_EQ(c.person[0].within, duration(30 * 24 * 3600));
    EXPECT_EQ(c.person[0].at_least, 3);
    EXPECT_FALSE(c.person[0].at_most.has_value());
    EXPECT_EQ(c.person[1].what, count_condition::subject::offers);
    EXPECT_EQ(c.person[1].within, duration(90 * 24 * 3600));
    EXPECT_EQ(c.person[1].at_most, 0);
    EXPECT_EQ(c.person[1].filter, "");
    ASSERT_TRUE(c.hours.has_value());
    EXPECT_EQ(c.hours->days, 0x3e); // mon..fri
    EXPECT_EQ(c.hours->start_minute, 9 * 60);
    EXPECT_EQ(c.hours->end_minute, 17 * 60);
    ASSERT_NE(c.hours->zone, nullptr);
    EXPECT_EQ(c.hours->zone->name(), "America/New_York");
    EXPECT_FALSE(c.answers.has_value());
}

TEST(loader, contract_example_complaint_actions) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const actions& a = f.result.set->rules.at(0).then;
    EXPECT_EQ(a.tags, strings{"complaint"});
    EXPECT_EQ(a.team, "support");
    EXPECT_EQ(a.priority, priority::high);
    EXPECT_EQ(a.sla, duration(3600));
    ASSERT_TRUE(a.reply.has_value());
    EXPECT_EQ(a.reply->text.source(),
              "Hi {{author.name}}, sorry about that. Could you DM us your order number?");
    EXPECT_FALSE(a.reply->is_private);
    EXPECT_FALSE(a.offer.has_value());
    EXPECT_FALSE(a.collect.has_value());
    EXPECT_TRUE(a.stop);
}

TEST(loader, contract_example_offer_and_collect_rules) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const rule& delight = f.result.set->rules.at(1);
    ASSERT_EQ(delight.when.person.size(), 1U);
    EXPECT_EQ(delight.when.person[0].what, count_condition::subject::tagged);
    EXPECT_EQ(delight.when.person[0].filter, "advocate");
    EXPECT_EQ(delight.when.person[0].at_least, 3);
    ASSERT_TRUE(delight.then.offer.has_value());
    EXPECT_EQ(delight.then.offer->pool, "acme-core/sneak-peek");
    EXPECT_TRUE(delight.then.offer->is_private);
    EXPECT_TRUE(delight.then.offer->text.uses(template_variable::offer_code));
    EXPECT_FALSE(delight.then.stop);

    const rule& answers = f.result.set->rules.at(2);
    EXPECT_FALSE(answers.when.query.has_value());
    EXPECT_EQ(answers.when.answers, "organizing-apps");
    EXPECT_EQ(answers.then.collect, "organizing-apps");
}

TEST(loader, contract_example_compiled_query_and_lexicon_term_sets) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    const compiled_query& q = *set.rules.at(0).when.query;
    const auto& root = q.nodes.at(q.root);
    EXPECT_EQ(root.op, query_ast::op::all_of);
    ASSERT_EQ(root.children.size(), 2U);
    const auto& lexicon = q.nodes.at(root.children[0]);
    EXPECT_EQ(lexicon.op, query_ast::op::lexicon);
    EXPECT_EQ(literals(set, lexicon.term_set),
              (strings{"broken", "never again", "refund", "worst"}));
    const auto& negate = q.nodes.at(root.children[1]);
    EXPECT_EQ(negate.op, query_ast::op::negate);
    const auto& any = q.nodes.at(negate.children.at(0));
    EXPECT_EQ(any.op, query_ast::op::any_of);
    ASSERT_EQ(any.children.size(), 2U);
    EXPECT_EQ(literals(set, q.nodes.at(any.children[0]).term_set), strings{"just kidding"});
    EXPECT_EQ(literals(set, q.nodes.at(any.children[1]).term_set), strings{"jk"});

    const compiled_query& q2 = *set.rules.at(1).when.query;
    const auto& root2 = q2.nodes.at(q2.root);
    EXPECT_EQ(literals(set, q2.nodes.at(root2.children.at(0)).term_set),
              (strings{"can t wait", "great", "love"}));
    // Every lexicon term and query term is one pattern; none repeats.
    EXPECT_EQ(set.patterns.size(), 16U);
    EXPECT_EQ(set.matcher.pattern_count(), 16U);
}

TEST(loader, contract_example_index) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    EXPECT_EQ(set.unconditional_rules, ids{2});
    ASSERT_EQ(set.triggers_by_pattern.size(), set.patterns.size());
    // complaint: only $negative is required (the NOT branch can hold without a hit).
    for (const char* word : {"broken", "refund", "worst", "never again"}) {
        EXPECT_EQ(rules_for(set, word), ids{0}) << word;
    }
    EXPECT_EQ(rules_for(set, "just kidding"), ids{});
    EXPECT_EQ(rules_for(set, "jk"), ids{});
    // delight-advocate: $positive AND (acme OR @acme) needs a hit in both parts.
    EXPECT_EQ(rules_for(set, "acme"), ids{1});
    EXPECT_EQ(rules_for(set, "@acme"), ids{1});
    EXPECT_EQ(rules_for(set, "love"), ids{1});
    EXPECT_EQ(set.conjunct_masks[1], 0b11U);
    EXPECT_EQ(rules_for(set, "globex"), ids{});
}

TEST(loader, contract_example_matcher_finds_rule_terms) {
    const contract_fixture f;
    ASSERT_NE(f.result.set, nullptr);
    const playbook_set& set = *f.result.set;
    matcher::scratch s;
    std::vector<pattern_hit> hits;
    set.matcher.scan(normalize("My @Acme toaster is BROKEN, never again!"), s, hits);
    strings found;
    for (const auto& h : hits) {
        found.push_back(set.patterns.at(h.pattern).literal);
    }
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (strings{"@acme", "acme", "broken", "never again"}));
}

// ---------------------------------------------------------------------------------------------
// Which rules each pattern wakes.

constexpr std::string_view index_playbook = R"yaml(playbook: idx
lexicons:
  three: [x, y, z]
rules:
  - id: and
    when: {query: a AND b}
  - id: or
    when: {query: a OR b}
  - id: not
    when: {query: NOT a}
  - id: or-not
    when: {query: a OR NOT b}
  - id: none
    then: {tag: t}
  - id: lexicon-and
    when: {query: $three AND c}
  - id: lexicon-or
    when: {query: $three OR c}
  - id: near
    when: {query: a NEAR/2 b}
  - id: and-not
    when: {query: c AND NOT a}
  - id: prefix
    when: {query: a*}
  - id: no-query
    when: {kind: mention}
)yaml";

TEST(loader, index_triggers_by_pattern) {
    const auto set = loaded(index_playbook);
    ASSERT_NE(set, nullptr);
    ASSERT_EQ(set->rules.size(), 11U);
    EXPECT_EQ(set->patterns.size(), 7U); // x y z a b c a*
    // Each part of a top-level AND (or NEAR) is a conjunct; an OR is one part.
    EXPECT_EQ(rules_for(*set, "a"), (ids{0, 1, 7}));
    EXPECT_EQ(rules_for(*set, "b"), (ids{0, 1, 7}));
    EXPECT_EQ(rules_for(*set, "c"), (ids{5, 6, 8}));
    EXPECT_EQ(rules_for(*set, "x"), (ids{5, 6}));
    EXPECT_EQ(rules_for(*set, "y"), (ids{5, 6}));
    EXPECT_EQ(rules_for(*set, "z"), (ids{5, 6}));
    EXPECT_EQ(rules_for(*set, "a", true), ids{9});
    // A rule is evaluated once every part has a hit: a AND b has two, NOT a adds none.
    EXPECT_EQ(set->conjunct_masks[0], 0b11U);
    EXPECT_EQ(set->conjunct_masks[1], 0b1U);
    EXPECT_EQ(set->conjunct_masks[5], 0b11U);
    EXPECT_EQ(set->conjunct_masks[7], 0b11U);
    EXPECT_EQ(set->conjunct_masks[8], 0b1U);
    EXPECT_EQ(set->conjunct_masks[2], 0U);
}

TEST(loader, index_unconditional_rules) {
    const auto set = loaded(index_playbook);
    ASSERT_NE(set, nullptr);
    // NOT a, a OR NOT b, no `when`, and a `when` without a query.
    EXPECT_EQ(set->unconditional_rules, (ids{2, 3, 4, 10}));
}

TEST(loader, index_spans_playbooks_and_shares_patterns) {
    const load_result r = load_playbook_sources(
        {{"one.yaml", std::string(index_playbook)},
         {"two.yaml", "playbook: two\nrules:\n  - id: and\n    when: {query: a}\n"}});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    ASSERT_EQ(r.set->rules.size(), 12U);
    EXPECT_EQ(r.set->rules[0].id, "idx/and");
    EXPECT_EQ(r.set->rules[11].id, "two/and");
    EXPECT_EQ(r.set->rules[11].playbook, 1U);
    EXPECT_EQ(r.set->patterns.size(), 7U);
    EXPECT_EQ(rules_for(*r.set, "a"), (ids{0, 1, 7, 11}));
}

TEST(loader, same_term_in_query_and_lexicon_is_one_pattern) {
    const auto set = loaded(R"yaml(playbook: p
lexicons: {l: [Acme, "ACME!", acme*]}
rules:
  - {id: r, when: {query: acme OR $l}}
)yaml");
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->patterns.size(), 2U); // acme, acme*
    EXPECT_EQ(literals(*set, set->rules.at(0).when.query->nodes.at(0).term_set), strings{"acme"});
    EXPECT_EQ(rules_for(*set, "acme"), ids{0});
    EXPECT_EQ(rules_for(*set, "acme", true), ids{0});
}

// ---------------------------------------------------------------------------------------------
// Good playbooks: less common shapes.

TEST(loader, minimal_playbook) {
    const auto set = loaded("playbook: tiny\n");
    ASSERT_NE(set, nullptr);
    ASSERT_EQ(set->playbooks.size(), 1U);
    EXPECT_EQ(set->playbooks[0].name, "tiny");
    EXPECT_TRUE(set->playbooks[0].accounts.empty());
    EXPECT_TRUE(set->rules.empty());
    EXPECT_TRUE(set->patterns.empty());
    EXPECT_EQ(set->matcher.pattern_count(), 0U);
}

TEST(loader, sections_may_come_in_any_order) {
    const auto set = loaded(R"yaml(rules:
  - id: r
    when: {query: $late, answers: q}
    then: {offer: {pool: later, text: "x"}, collect: q}
insights:
  - {id: q, question: "?", schedule: {cron: "0 9 * * mon", tz: Europe/Berlin}}
offers: {later: {per_day: 1}}
lexicons: {late: [a]}
playbook: backwards
)yaml");
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->rules.at(0).id, "backwards/r");
    EXPECT_EQ(set->rules.at(0).then.offer->pool, "backwards/later");
    const insight& in = set->insights.at("q");
    EXPECT_TRUE(in.schedule.cron.has_value());
    EXPECT_EQ(in.schedule.cron_text, "0 9 * * mon");
    ASSERT_NE(in.schedule.zone, nullptr);
    EXPECT_EQ(in.schedule.zone->name(), "Europe/Berlin");
}

TEST(loader, insights_are_shared_across_playbooks) {
    const load_result r = load_playbook_sources(
        {{"a.yaml", "playbook: a\nrules:\n  - {id: r, when: {answers: q}, then: {collect: q}}\n"},
         {"b.yaml",
          "playbook: b\ninsights:\n  - {id: q, question: \"?\", schedule: {at: "
          "\"2026-01-01T00:00:00Z\"}}\n"}});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    EXPECT_EQ(r.set->insights.at("q").playbook, 1U);
}

TEST(loader, scalar_forms_and_other_fields) {
    const auto set = loaded(R"yaml(playbook: p
accounts: acme-site
offers:
  pool: {per_day: 0}
sentiment: {meh: -1, Yay: 4}
rules:
  - id: r
    when:
      kind: post
      platform: bluesky
      account: acme-mastodon
      lang: de
      sentiment: {above: -3}
      author: {followers: {at_most: 50}, handle: ["@Sam", BOB]}
      person: {tagged: {tag: vip, at_most: 0}, offers: {pool: pool, at_least: 1}}
      hours: {days: "sat,sun", between: "22:00-06:00"}
    then:
      tag: urgent-ish
      priority: urgent
      reply: {text: "Hi {{author.first_name}}", private: yes}
      offer: {pool: pool, text: "A gift from {{brand.name}}", private: false}
      stop: off
)yaml",
                            with_config());
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->playbooks.at(0).accounts, strings{"acme-site"});
    EXPECT_EQ(set->sentiment.word_score("meh"), -1);
    EXPECT_EQ(set->sentiment.word_score("yay"), 4);
    const rule& r = set->rules.at(0);
    EXPECT_EQ(r.when.kinds, 1U << static_cast<unsigned>(message_kind::post));
    EXPECT_EQ(r.when.platforms, strings{"bluesky"});
    EXPECT_EQ(r.when.accounts, strings{"acme-mastodon"});
    EXPECT_EQ(r.when.langs, strings{"de"});
    EXPECT_EQ(r.when.sentiment_above, -3);
    EXPECT_EQ(r.when.followers_at_most, 50);
    EXPECT_EQ(r.when.handles, (strings{"sam", "bob"}));
    ASSERT_EQ(r.when.person.size(), 2U);
    EXPECT_EQ(r.when.person[0].within, duration::max());
    EXPECT_EQ(r.when.person[1].filter, "p/pool");
    ASSERT_TRUE(r.when.hours.has_value());
    EXPECT_EQ(r.when.hours->days, 0x41); // sun, sat
    EXPECT_EQ(r.when.hours->start_minute, 22 * 60);
    EXPECT_EQ(r.when.hours->end_minute, 6 * 60);
    EXPECT_EQ(r.when.hours->zone, nullptr);
    EXPECT_EQ(r.then.tags, strings{"urgent-ish"});
    EXPECT_EQ(r.then.priority, priority::urgent);
    ASSERT_TRUE(r.then.reply.has_value());
    EXPECT_TRUE(r.then.reply->is_private);
    ASSERT_TRUE(r.then.offer.has_value());
    EXPECT_FALSE(r.then.offer->is_private);
    EXPECT_FALSE(r.then.stop);
    EXPECT_FALSE(set->playbooks.at(0).offers.at("pool").has_codes_file);
}

TEST(loader, days_ranges_may_wrap) {
    const auto set = loaded("playbook: p\nrules:\n  - {id: r, when: {hours: {days: fri-mon}}}\n");
    ASSERT_NE(set, nullptr);
    // fri sat sun mon
    EXPECT_EQ(set->rules.at(0).when.hours->days, (1 << 5) | (1 << 6) | (1 << 0) | (1 << 1));
}

// ---------------------------------------------------------------------------------------------
// YAML-level problems (yaml_reader).

TEST(loader, error_empty_file) {
    const strings expected{"pb.yaml:1:1: error: the file is empty"};
    EXPECT_EQ(errors(""), expected);
    EXPECT_EQ(errors("\n\n   \n"), expected);
    EXPECT_EQ(errors("# only a comment\n"), expected);
    EXPECT_EQ(errors("~\n"), expected);
}

TEST(loader, error_second_document) {
    EXPECT_EQ(errors("playbook: a\n---\nplaybook: b\n"),
              strings{"pb.yaml:2:1: error: only one YAML document is allowed per file"});
}

TEST(loader, a_stray_comma_after_a_document_is_an_error_not_a_hang) {
    // yaml-cpp 0.7's LoadAll never returns on these (fuzzing found it).
    for (const char* text : {"{},", ",", "[],", "{a: b},", "playbook: x\nrules: []\n,\n"}) {
        EXPECT_FALSE(errors(text).empty()) << text;
    }
}

TEST(loader, error_yaml_syntax) {
    EXPECT_EQ(errors("playbook: [a\n"),
              strings{"pb.yaml:2:1: error: YAML syntax: end of sequence flow not found"});
    EXPECT_EQ(errors("playbook: x: y\n"),
              strings{"pb.yaml:1:12: error: YAML syntax: illegal map value"});
    EXPECT_EQ(errors("playbook: x\n rules: 1\n"),
              strings{"pb.yaml:2:7: error: YAML syntax: illegal map value"});
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n\twhen: {}\n"),
              strings{"pb.yaml:4:1: error: YAML syntax: illegal tab when looking for indentation"});
    EXPECT_EQ(errors("playbook: x\nbrand: *nope\n"),
              strings{"pb.yaml:2:8: error: YAML syntax: the referenced anchor is not defined"});
}

TEST(loader, error_file_not_a_mapping) {
    EXPECT_EQ(errors("- playbook: x\n"),
              strings{"pb.yaml:1:1: error: 'playbook file' must be a mapping (key: value)"});
    EXPECT_EQ(errors("just some text\n"),
              strings{"pb.yaml:1:1: error: 'playbook file' must be a mapping (key: value)"});
}

TEST(loader, error_key_not_a_name) {
    EXPECT_EQ(errors("playbook: x\n? [a, b]\n: c\n"),
              strings{"pb.yaml:2:3: error: keys in 'playbook file' must be plain names"});
    EXPECT_EQ(errors("playbook: x\nbrand: {{a: 1}: b}\n"),
              strings{"pb.yaml:2:9: error: keys in 'brand' must be plain names"});
}

TEST(loader, error_unknown_key_with_did_you_mean) {
    EXPECT_EQ(errors("playbook: x\nplaybok: y\n"),
              strings{"pb.yaml:2:1: error: unknown key 'playbok' in 'playbook file' (did you mean "
                      "'playbook'?)"});
    EXPECT_EQ(errors("playbook: x\nrulez: []\n"),
              strings{"pb.yaml:2:1: error: unknown key 'rulez' in 'playbook file' (did you mean "
                      "'rules'?)"});
}

TEST(loader, error_unknown_key_without_suggestion) {
    EXPECT_EQ(errors("playbook: x\nhmm: 1\n"),
              strings{"pb.yaml:2:1: error: unknown key 'hmm' in 'playbook file'"});
}

TEST(loader, error_duplicate_key) {
    EXPECT_EQ(errors("playbook: x\nplaybook: y\n"),
              strings{"pb.yaml:2:1: error: duplicate key 'playbook' (first given on line 1)"});
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: r
    then:
      tag: a
      tag: b
)yaml"),
              strings{"pb.yaml:6:7: error: duplicate key 'tag' (first given on line 5)"});
    EXPECT_EQ(errors("playbook: x\nrules: [{id: r, when: {query: \"a\", query: \"b\"}}]\n"),
              strings{"pb.yaml:2:36: error: duplicate key 'query' (first given on line 2)"});
}

TEST(loader, error_duplicate_key_in_free_form_maps) {
    EXPECT_EQ(errors("playbook: x\nlexicons:\n  a: [x]\n  a: [y]\n"),
              strings{"pb.yaml:4:3: error: duplicate key 'a' (first given on line 3)"});
    EXPECT_EQ(errors("playbook: x\noffers: {p: {per_day: 1, per_day: 2}}\n"),
              strings{"pb.yaml:2:26: error: duplicate key 'per_day' (first given on line 2)"});
}

// ---------------------------------------------------------------------------------------------
// The playbook, brand and accounts.

TEST(loader, error_missing_playbook_name) {
    EXPECT_EQ(errors("brand: {name: Acme}\n"),
              strings{"pb.yaml:1:1: error: missing 'playbook: NAME' (every playbook needs a "
                      "unique name)"});
    EXPECT_EQ(errors("\n\nrules: []\n"),
              strings{"pb.yaml:3:1: error: missing 'playbook: NAME' (every playbook needs a "
                      "unique name)"});
}

TEST(loader, error_bad_playbook_name) {
    EXPECT_EQ(errors("playbook: acme core\n"),
              strings{"pb.yaml:1:11: error: playbook name 'acme core' may only have letters, "
                      "digits, '-', '_' and '.'"});
    EXPECT_EQ(errors("playbook: \"\"\n"),
              strings{"pb.yaml:1:11: error: playbook name '' may only have letters, digits, "
                      "'-', '_' and '.'"});
}

TEST(loader, error_playbook_name_not_text) {
    EXPECT_EQ(errors("playbook: [x]\n"),
              strings{"pb.yaml:1:11: error: 'playbook' must be a text value"});
}

TEST(loader, error_playbook_already_defined) {
    const load_result r =
        load_playbook_sources({{"a.yaml", "playbook: x\n"}, {"dir/b.yaml", "playbook: x\n"}});
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics),
              strings{"dir/b.yaml:1:11: error: playbook 'x' is already defined in a.yaml"});
}

TEST(loader, error_brand) {
    EXPECT_EQ(errors("playbook: x\nbrand: Acme\n"),
              strings{"pb.yaml:2:8: error: 'brand' must be a mapping (key: value)"});
    EXPECT_EQ(errors("playbook: x\nbrand: {name: Acme, vioce: warm}\n"),
              strings{"pb.yaml:2:21: error: unknown key 'vioce' in 'brand' (did you mean "
                      "'voice'?)"});
    EXPECT_EQ(errors("playbook: x\nbrand: {name: [A]}\n"),
              strings{"pb.yaml:2:15: error: 'brand.name' must be a text value"});
    EXPECT_EQ(errors("playbook: x\nbrand: {voice: {a: b}}\n"),
              strings{"pb.yaml:2:16: error: 'brand.voice' must be a text value"});
}

TEST(loader, error_accounts_wrong_type) {
    EXPECT_EQ(errors("playbook: x\naccounts: {a: b}\n"),
              strings{"pb.yaml:2:11: error: 'accounts' must be a text value or a list of them"});
    EXPECT_EQ(errors("playbook: x\naccounts: [a, [b]]\n"),
              strings{"pb.yaml:2:15: error: each item of 'accounts' must be a text value"});
}

TEST(loader, error_unknown_account) {
    EXPECT_EQ(errors("playbook: x\naccounts: [acme-site, acme-mastodn, other]\n", with_config()),
              (strings{"pb.yaml:2:23: error: unknown account 'acme-mastodn' (not in the config's "
                       "accounts) (did you mean 'acme-mastodon'?)",
                       "pb.yaml:2:37: error: unknown account 'other' (not in the config's "
                       "accounts)"}));
    EXPECT_EQ(errors("playbook: x\naccounts: acme-sit\n", with_config()),
              strings{"pb.yaml:2:11: error: unknown account 'acme-sit' (not in the config's "
                      "accounts) (did you mean 'acme-site'?)"});
}

TEST(loader, error_unknown_account_in_insight_and_rule) {
    EXPECT_EQ(errors(R"yaml(playbook: x
insights:
  - id: q
    question: "?"
    schedule: {at: "2026-12-01T15:00:00Z"}
    accounts: [acme-site, nope]
rules:
  - id: r
    when: {account: [acme-sit]}
)yaml",
                     with_config()),
              (strings{"pb.yaml:6:27: error: unknown account 'nope' (not in the config's "
                       "accounts)",
                       "pb.yaml:9:22: error: unknown account 'acme-sit' (not in the config's "
                       "accounts) (did you mean 'acme-site'?)"}));
}

TEST(loader, any_account_and_team_without_a_config) {
    EXPECT_NE(loaded("playbook: x\naccounts: [whatever]\nrules:\n  - {id: r, when: {account: "
                     "z}, then: {team: anyone}}\n"),
              nullptr);
}

// ---------------------------------------------------------------------------------------------
// Lexicons.

TEST(loader, error_lexicons_not_a_mapping) {
    EXPECT_EQ(errors("playbook: x\nlexicons: [a]\n"),
              strings{"pb.yaml:2:11: error: 'lexicons' must be a mapping (key: value)"});
}

TEST(loader, error_lexicon_problems) {
    EXPECT_EQ(errors(R"yaml(playbook: x
lexicons:
  bad name!: [a]
  notlist: a
  nested: [[a], b]
  punct: [ok, "!!!", "-"]
  empty: []
  pre: ["refund*", "*"]
)yaml"),
              (strings{
                  "pb.yaml:3:3: error: lexicon name 'bad name!' may only have letters, digits, "
                  "'-' and '_'",
                  "pb.yaml:4:12: error: lexicon 'notlist' must be a list of terms",
                  "pb.yaml:5:12: error: each term of lexicon 'nested' must be a text value",
                  "pb.yaml:6:15: error: term '!!!' of lexicon 'punct' has no letters or digits to "
                  "match",
                  "pb.yaml:6:22: error: term '-' of lexicon 'punct' has no letters or digits to "
                  "match",
                  "pb.yaml:7:10: error: lexicon 'empty' is empty",
                  "pb.yaml:8:20: error: term '*' of lexicon 'pre' has no letters or digits to "
                  "match",
              }));
}

TEST(loader, lexicon_terms_are_folded_and_may_be_prefixes) {
    const auto set = loaded(R"yaml(playbook: x
lexicons:
  l: [Refund*, "Never  Again", "#Acme", "can't"]
rules:
  - {id: r, when: {query: $l}}
)yaml");
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(literals(*set, set->rules.at(0).when.query->nodes.at(0).term_set),
              (strings{"#acme", "can t", "never again", "refund*"}));
}

// ---------------------------------------------------------------------------------------------
// Offers and codes files.

TEST(loader, error_offers_not_a_mapping) {
    EXPECT_EQ(errors("playbook: x\noffers: [a]\n"),
              strings{"pb.yaml:2:9: error: 'offers' must be a mapping (key: value)"});
}

TEST(loader, error_offer_pool_problems) {
    EXPECT_EQ(errors(R"yaml(playbook: x
offers:
  bad pool: {}
  p1: x
  p2: {per_dya: 1}
  p3: {per_day: -1}
  p4: {per_day: [1]}
  p5: {per_day: abc}
  p6: {per_day: 1000001}
  p7: {cooldown: 3 days}
  p8: {cooldown: [1d]}
  p9: {codes_file: [a]}
)yaml"),
              (strings{
                  "pb.yaml:3:3: error: offer pool name 'bad pool' may only have letters, digits, "
                  "'-', '_' and '.'",
                  "pb.yaml:4:7: error: 'offers.p1' must be a mapping (key: value)",
                  "pb.yaml:5:8: error: unknown key 'per_dya' in 'offers.p2' (did you mean "
                  "'per_day'?)",
                  "pb.yaml:6:17: error: 'per_day' must be a whole number from 0 to 1000000, got "
                  "'-1'",
                  "pb.yaml:7:17: error: 'per_day' must be a whole number from 0 to 1000000",
                  "pb.yaml:8:17: error: 'per_day' must be a whole number from 0 to 1000000, got "
                  "'abc'",
                  "pb.yaml:9:17: error: 'per_day' must be a whole number from 0 to 1000000, got "
                  "'1000001'",
                  "pb.yaml:10:18: error: bad duration '3 days' for 'cooldown': write a whole "
                  "number and a unit (s, m, h, d), e.g. 90m or 30d",
                  "pb.yaml:11:18: error: 'cooldown' must be a duration such as 90m or 30d",
                  "pb.yaml:12:20: error: 'codes_file' must be a text value",
              }));
}

TEST(loader, error_codes_file_missing) {
    EXPECT_EQ(errors("playbook: x\noffers:\n  p: {codes_file: no-such-codes-file.txt}\n"),
              strings{"pb.yaml:3:19: error: codes_file 'no-such-codes-file.txt' not found "
                      "(looked for no-such-codes-file.txt)"});
}

TEST(loader, error_codes_file_missing_next_to_the_playbook) {
    const temp_dir dir;
    const std::string file = (dir.path() / "pb.yaml").string();
    const load_result r = load_playbook_sources(
        {{file, "playbook: x\noffers:\n  p:\n    codes_file: codes/missing.txt\n"}});
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics),
              strings{file + ":4:17: error: codes_file 'codes/missing.txt' not found (looked for " +
                      (dir.path() / "codes/missing.txt").string() + ")"});
}

TEST(loader, error_codes_file_duplicate_code) {
    const temp_dir dir;
    dir.write("codes.txt", "A1\n  B2  \n\nA1\nC3\nB2\r\nA1\n");
    const std::string file = (dir.path() / "pb.yaml").string();
    const load_result r =
        load_playbook_sources({{file, "playbook: x\noffers:\n  p: {codes_file: \"codes.txt\"}\n"}});
    EXPECT_EQ(r.set, nullptr);
    const std::string prefix = file + ":3:19: error: codes_file 'codes.txt' has code ";
    EXPECT_EQ(printed(r.diagnostics),
              (strings{prefix + "'A1' twice (lines 1 and 4); each code may be handed out only once",
                       prefix + "'B2' twice (lines 2 and 6); each code may be handed out only once",
                       prefix + "'A1' twice (lines 1 and 7); each code may be handed out only "
                                "once"}));
}

TEST(loader, codes_file_is_read_relative_to_the_playbook) {
    const temp_dir dir;
    dir.write("sub/codes/c.txt", "  one\n\ntwo\t\r\n\n three \n");
    const std::string file = (dir.path() / "sub" / "pb.yaml").string();
    const load_result r = load_playbook_sources(
        {{file, "playbook: x\noffers:\n  p: {codes_file: codes/c.txt, per_day: 2}\n"}});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    const offer_pool& pool = r.set->playbooks.at(0).offers.at("p");
    EXPECT_EQ(pool.name, "x/p");
    EXPECT_TRUE(pool.has_codes_file);
    EXPECT_EQ(pool.codes, (strings{"one", "two", "three"}));
}

TEST(loader, empty_codes_file_loads_with_no_codes) {
    const temp_dir dir;
    dir.write("none.txt", "\n \n");
    const std::string file = (dir.path() / "pb.yaml").string();
    const load_result r =
        load_playbook_sources({{file, "playbook: x\noffers:\n  p: {codes_file: none.txt}\n"}});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    EXPECT_TRUE(r.set->playbooks.at(0).offers.at("p").codes.empty());
}

// ---------------------------------------------------------------------------------------------
// Sentiment word scores.

TEST(loader, error_sentiment_problems) {
    EXPECT_EQ(errors(R"yaml(playbook: x
sentiment:
  love: 9
  two words: 1
  meh: [1]
  okay: -2
  "!!": 1
)yaml"),
              (strings{
                  "pb.yaml:3:9: error: 'sentiment.love' must be a whole number from -5 "
                  "to 5, got '9'",
                  "pb.yaml:4:3: error: sentiment word 'two words' must be a single word",
                  "pb.yaml:5:8: error: 'sentiment.meh' must be a whole number from -5 "
                  "to 5",
                  "pb.yaml:7:3: error: sentiment word '!!' must be a single word",
              }));
    EXPECT_EQ(errors("playbook: x\nsentiment: [a]\n"),
              strings{"pb.yaml:2:12: error: 'sentiment' must be a mapping (key: value)"});
}

TEST(loader, error_sentiment_word_scored_twice) {
    EXPECT_EQ(errors("playbook: x\nsentiment:\n  meh: 1\n  MEH: 2\n  Meh: 1\n"),
              strings{"pb.yaml:4:8: error: sentiment word 'MEH' is already scored 1 at pb.yaml:3"});
    const load_result r =
        load_playbook_sources({{"a.yaml", "playbook: a\nsentiment: {meh: 1}\n"},
                               {"b.yaml", "playbook: b\nsentiment:\n  meh: 2\n"}});
    EXPECT_EQ(printed(r.diagnostics),
              strings{"b.yaml:3:8: error: sentiment word 'meh' is already scored 1 at a.yaml:2"});
}

// ---------------------------------------------------------------------------------------------
// Insights and schedules.

TEST(loader, error_insights_not_a_list) {
    EXPECT_EQ(errors("playbook: x\ninsights: {a: b}\n"),
              strings{"pb.yaml:2:11: error: 'insights' must be a list"});
}

TEST(loader, error_insight_problems) {
    EXPECT_EQ(
        errors(R"yaml(playbook: x
insights:
  - x
  - {id: "bad id", question: q, schedule: {at: "2026-12-01T15:00:00Z"}, answer: 1}
  - {id: [a], question: [q], schedule: {at: "2026-12-01T15:00:00Z"}}
  - {question: q}
  - {id: ok}
  - {id: ok, question: q, schedule: {at: "2026-12-01T15:00:00Z"}}
)yaml"),
        (strings{
            "pb.yaml:3:5: error: 'insight' must be a mapping (key: value)",
            "pb.yaml:4:73: error: unknown key 'answer' in 'insight'",
            "pb.yaml:4:10: error: insight id 'bad id' may only have letters, digits, '-', '_' and "
            "'.'",
            "pb.yaml:5:10: error: 'id' must be a text value",
            "pb.yaml:5:25: error: 'question' must be a text value",
            "pb.yaml:6:5: error: an insight needs an 'id'",
            "pb.yaml:6:5: error: an insight needs a 'schedule' ({at: ...} or {cron: ..., tz: "
            "...})",
            "pb.yaml:7:5: error: insight 'ok' needs a 'question'",
            "pb.yaml:7:5: error: insight 'ok' needs a 'schedule' ({at: ...} or {cron: ..., tz: "
            "...})",
            "pb.yaml:8:10: error: insight 'ok' is already defined in pb.yaml",
        }));
}

TEST(loader, error_insight_defined_in_another_file) {
    const std::string insight =
        "insights:\n  - {id: q, question: q, schedule: {at: \"2026-12-01T15:00:00Z\"}}\n";
    const load_result r = load_playbook_sources(
        {{"a.yaml", "playbook: a\n" + insight}, {"b.yaml", "playbook: b\n" + insight}});
    EXPECT_EQ(printed(r.diagnostics),
              strings{"b.yaml:3:10: error: insight 'q' is already defined in a.yaml"});
}

TEST(loader, error_schedule_problems) {
    EXPECT_EQ(
        errors(R"yaml(playbook: x
insights:
  - {id: s1, question: q, schedule: {at: "yesterday"}}
  - {id: s2, question: q, schedule: {}}
  - {id: s3, question: q, schedule: {at: "2026-12-01T15:00:00Z", cron: "* * * * *"}}
  - {id: s4, question: q, schedule: {at: "2026-12-01T15:00:00Z", tz: UTC}}
  - {id: s5, question: q, schedule: x}
  - {id: s6, question: q, schedule: {cron: "0 15 * * 1", tz: "Europe/Berlin", every: 1}}
  - {id: s7, question: q, schedule: {at: [1]}}
)yaml"),
        (strings{
            "pb.yaml:3:42: error: 'at' must be an RFC 3339 time such as 2026-12-01T15:00:00Z, got "
            "'yesterday'",
            "pb.yaml:4:37: error: a schedule needs exactly one of 'at' or 'cron'",
            "pb.yaml:5:37: error: a schedule needs exactly one of 'at' or 'cron'",
            "pb.yaml:6:70: error: 'tz' goes with 'cron'; an 'at' time carries its own offset",
            "pb.yaml:7:37: error: 'schedule' must be a mapping (key: value)",
            "pb.yaml:8:79: error: unknown key 'every' in 'schedule'",
            "pb.yaml:9:42: error: 'at' must be a text value",
        }));
}

TEST(loader, error_invalid_cron) {
    EXPECT_EQ(errors(R"yaml(playbook: x
insights:
  - {id: s, question: q, schedule: {cron: "0 25 * * *"}}
  - id: t
    question: q
    schedule:
      cron: 0 15 * *
  - id: u
    question: q
    schedule: {cron: '0 9 * * mnday'}
)yaml"),
              (strings{
                  "pb.yaml:3:46: error: bad cron expression: hour 25 is out of range 0-23",
                  "pb.yaml:7:21: error: bad cron expression: cron expression needs 5 fields "
                  "(minute hour day-of-month month day-of-week), got 4",
                  "pb.yaml:10:31: error: bad cron expression: unknown weekday name 'mnday'",
              }));
}

TEST(loader, error_unknown_time_zone) {
    EXPECT_EQ(errors(R"yaml(playbook: x
insights:
  - {id: s, question: q, schedule: {cron: "0 15 * * 1", tz: "Europe/Berln"}}
rules:
  - id: r
    when: {hours: {tz: Mars/Olympus}}
  - id: t
    when: {hours: {tz: [UTC]}}
)yaml"),
              (strings{
                  "pb.yaml:3:61: error: unknown time zone 'Europe/Berln' (did you mean "
                  "'Europe/Berlin'?)",
                  "pb.yaml:6:24: error: unknown time zone 'Mars/Olympus'",
                  "pb.yaml:8:24: error: 'tz' must be a text value",
              }));
}

// ---------------------------------------------------------------------------------------------
// Templates.

TEST(loader, error_template_problems_point_inside_the_text) {
    EXPECT_EQ(errors(R"yaml(playbook: x
insights:
  - id: s
    question: q
    schedule: {at: "2026-12-01T15:00:00Z"}
    thank: "Hi {{author.nam}} {{}} {{ brand.name }} {{x"
rules:
  - id: r
    then:
      reply: Hi {{ autor.name }}!
)yaml"),
              (strings{
                  "pb.yaml:6:18: error: unknown template variable 'author.nam' (did you mean "
                  "'author.name'?)",
                  "pb.yaml:6:31: error: empty template variable",
                  "pb.yaml:6:53: error: unclosed '{{' (expected '}}')",
                  "pb.yaml:10:20: error: unknown template variable 'autor.name' (did you mean "
                  "'author.name'?)",
              }));
}

TEST(loader, error_template_on_several_lines_points_at_the_value) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: r
    then:
      reply: |
        Hi {{author.nam}},
        thanks!
)yaml"),
              strings{"pb.yaml:6:14: error: unknown template variable 'author.nam' (did you mean "
                      "'author.name'?)"});
}

TEST(loader, error_offer_code_outside_an_offer) {
    EXPECT_EQ(errors(R"yaml(playbook: x
insights:
  - {id: s, question: q, schedule: {at: "2026-12-01T15:00:00Z"}, thank: "{{offer.code}}"}
rules:
  - id: r
    then: {reply: {text: "Code: {{offer.code}}"}}
)yaml"),
              (strings{
                  "pb.yaml:3:73: error: {{offer.code}} can only be used in an offer's text",
                  "pb.yaml:6:26: error: {{offer.code}} can only be used in an offer's text",
              }));
}

TEST(loader, error_template_not_text) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: r
    then: {reply: {text: [a]}}
)yaml"),
              (strings{"pb.yaml:4:26: error: 'reply.text' must be a text value"}));
}

// ---------------------------------------------------------------------------------------------
// Rules.

TEST(loader, error_rules_not_a_list) {
    EXPECT_EQ(errors("playbook: x\nrules: {a: 1}\n"),
              strings{"pb.yaml:2:8: error: 'rules' must be a list"});
}

TEST(loader, error_rule_problems) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - x
  - {id: "a b", whn: {}}
  - {id: r1}
  - {id: r1}
  - {when: {}}
  - {id: [r]}
  - {id: r2, when: x, then: y}
)yaml"),
              (strings{
                  "pb.yaml:3:5: error: 'rule' must be a mapping (key: value)",
                  "pb.yaml:4:17: error: unknown key 'whn' in 'rule' (did you mean 'when'?)",
                  "pb.yaml:4:10: error: rule id 'a b' may only have letters, digits, '-', '_' "
                  "and '.'",
                  "pb.yaml:6:10: error: duplicate rule id 'r1' (first used on line 5)",
                  "pb.yaml:7:5: error: a rule needs an 'id'",
                  "pb.yaml:8:10: error: 'id' must be a text value",
                  "pb.yaml:9:20: error: 'when' must be a mapping (key: value)",
                  "pb.yaml:9:29: error: 'then' must be a mapping (key: value)",
              }));
}

TEST(loader, error_duplicate_rule_ids) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: same
    then: {tag: a}
  - id: other
  - id: same
)yaml"),
              strings{"pb.yaml:6:9: error: duplicate rule id 'same' (first used on line 3)"});
}

TEST(loader, same_rule_id_in_two_playbooks_is_fine) {
    const load_result r = load_playbook_sources({{"a.yaml", "playbook: a\nrules: [{id: r}]\n"},
                                                 {"b.yaml", "playbook: b\nrules: [{id: r}]\n"}});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    EXPECT_EQ(r.set->rules.at(0).id, "a/r");
    EXPECT_EQ(r.set->rules.at(1).id, "b/r");
}

TEST(loader, error_when_problems) {
    EXPECT_EQ(
        errors(R"yaml(playbook: x
rules:
  - {id: r3, when: {qury: a, kind: [mention, dm], platform: {a: 1}, lang: [[en]]}}
  - {id: r4, when: {kind: directt, sentiment: {}, author: {followers: {}}}}
  - {id: r5, when: {sentiment: {below: x, abov: 1}, author: {followers: {at_least: -5, at_mst: 1}, handle: {a: b}}}}
  - {id: r6, when: {sentiment: x, author: x, person: x, hours: x}}
  - {id: r7, when: {author: {followers: x, hadle: y}, sentiment: {above: [1]}}}
)yaml"),
        (strings{
            "pb.yaml:3:21: error: unknown key 'qury' in 'when' (did you mean 'query'?)",
            "pb.yaml:3:46: error: unknown kind 'dm' (one of mention, direct, reply, comment, post)",
            "pb.yaml:3:61: error: 'platform' must be a text value or a list of them",
            "pb.yaml:3:76: error: each item of 'lang' must be a text value",
            "pb.yaml:4:27: error: unknown kind 'directt' (one of mention, direct, reply, comment, "
            "post) (did you mean 'direct'?)",
            "pb.yaml:4:47: error: 'sentiment' needs 'below' or 'above'",
            "pb.yaml:4:71: error: 'followers' needs 'at_least' or 'at_most'",
            "pb.yaml:5:43: error: unknown key 'abov' in 'sentiment' (did you mean 'above'?)",
            "pb.yaml:5:40: error: 'sentiment.below' must be a whole number from -1000000 to "
            "1000000, got 'x'",
            "pb.yaml:5:88: error: unknown key 'at_mst' in 'author.followers' (did you mean "
            "'at_most'?)",
            "pb.yaml:5:84: error: 'followers.at_least' must be a whole number from 0 to "
            "9223372036854775807, got '-5'",
            "pb.yaml:5:108: error: 'handle' must be a text value or a list of them",
            "pb.yaml:6:32: error: 'sentiment' must be a mapping (key: value)",
            "pb.yaml:6:43: error: 'author' must be a mapping (key: value)",
            "pb.yaml:6:54: error: 'person' must be a mapping (key: value)",
            "pb.yaml:6:64: error: 'hours' must be a mapping (key: value)",
            "pb.yaml:7:44: error: unknown key 'hadle' in 'author' (did you mean 'handle'?)",
            "pb.yaml:7:41: error: 'author.followers' must be a mapping (key: value)",
            "pb.yaml:7:74: error: 'sentiment.above' must be a whole number from -1000000 to "
            "1000000",
        }));
}

TEST(loader, error_unknown_kind_scalar) {
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when:\n      kind: mentoin\n"),
              strings{"pb.yaml:5:13: error: unknown kind 'mentoin' (one of mention, direct, reply, "
                      "comment, post) (did you mean 'mention'?)"});
}

TEST(loader, error_person_problems) {
    EXPECT_EQ(errors(R"yaml(playbook: x
offers:
  pool: {per_day: 1}
rules:
  - id: p1
    when:
      person:
        messages: {within: 3 days, at_least: x, tag: t}
        tagged: {within: [1], at_most: 1}
        offers: {pool: pol, at_least: 1}
        visits: {at_least: 1}
  - id: p2
    when: {person: {messages: {within: 30d}, tagged: {tag: [a], at_least: 1}, offers: x}}
  - id: p3
    when: {person: {offers: {at_most: [1], pool: zzz}}}
)yaml"),
              (strings{
                  "pb.yaml:11:9: error: unknown key 'visits' in 'person'",
                  "pb.yaml:8:49: error: unknown key 'tag' in 'person.messages'",
                  "pb.yaml:8:28: error: bad duration '3 days' for 'within': write a whole number "
                  "and a unit (s, m, h, d), e.g. 90m or 30d",
                  "pb.yaml:8:46: error: 'at_least' must be a whole number from 0 to 1000000000, "
                  "got 'x'",
                  "pb.yaml:8:19: error: 'person.messages' needs 'at_least' or 'at_most'",
                  "pb.yaml:9:26: error: 'within' must be a duration such as 90m or 30d",
                  "pb.yaml:9:17: error: 'person.tagged' needs the 'tag' to count",
                  "pb.yaml:10:24: error: unknown offer pool 'pol' (not in this playbook's offers) "
                  "(did you mean 'pool'?)",
                  "pb.yaml:13:31: error: 'person.messages' needs 'at_least' or 'at_most'",
                  "pb.yaml:13:60: error: 'tag' must be a text value",
                  "pb.yaml:13:54: error: 'person.tagged' needs the 'tag' to count",
                  "pb.yaml:13:87: error: 'person.offers' must be a mapping (key: value)",
                  "pb.yaml:15:39: error: 'at_most' must be a whole number from 0 to 1000000000",
                  "pb.yaml:15:50: error: unknown offer pool 'zzz' (not in this playbook's offers)",
                  "pb.yaml:15:29: error: 'person.offers' needs 'at_least' or 'at_most'",
              }));
}

TEST(loader, error_hours_problems) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: h1
    when: {hours: {days: "mon-fry", between: "9-17", weeks: 1}}
  - id: h2
    when: {hours: {days: mon, between: "17:00-17:00"}}
  - id: h3
    when: {hours: {days: "sat,sun", between: "24:01-25:00"}}
  - id: h4
    when: {hours: {days: {a: 1}, between: [1]}}
  - id: h5
    when: {hours: {days: "", between: "09:00"}}
)yaml"),
              (strings{
                  "pb.yaml:4:54: error: unknown key 'weeks' in 'hours'",
                  "pb.yaml:4:26: error: bad days 'mon-fry': use day names like mon, a range like "
                  "mon-fri, or a list like sat,sun",
                  "pb.yaml:4:46: error: bad 'between' '9-17': write HH:MM-HH:MM in 24-hour time, "
                  "e.g. 09:00-17:00",
                  "pb.yaml:6:40: error: bad 'between' '17:00-17:00': write HH:MM-HH:MM in 24-hour "
                  "time, e.g. 09:00-17:00",
                  "pb.yaml:8:46: error: bad 'between' '24:01-25:00': write HH:MM-HH:MM in 24-hour "
                  "time, e.g. 09:00-17:00",
                  "pb.yaml:10:26: error: 'days' must be a text value or a list of them",
                  "pb.yaml:10:43: error: 'between' must be a text value",
                  "pb.yaml:12:26: error: 'days' names no day, so the rule could never hold",
                  "pb.yaml:12:39: error: bad 'between' '09:00': write HH:MM-HH:MM in 24-hour time, "
                  "e.g. 09:00-17:00",
              }));
}

// ---------------------------------------------------------------------------------------------
// Queries inside playbooks: columns point inside the query text.

TEST(loader, error_query_plain_scalar) {
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when:\n      query: a AND\n"),
              strings{"pb.yaml:5:16: error: query: expected a term after 'AND'"});
}

TEST(loader, error_query_double_quoted_in_flow_map) {
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when: {query: \"acme NEAR/0 x\"}\n"),
              strings{"pb.yaml:4:30: error: query: NEAR/ needs a whole number of words from 1 "
                      "to 1000"});
}

TEST(loader, error_query_single_quoted) {
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when:\n      query: '(a OR b'\n"),
              strings{"pb.yaml:5:15: error: query: '(' is never closed"});
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when:\n      query: 'acme )'\n"),
              strings{"pb.yaml:5:20: error: query: unexpected ')' (no '(' to close)"});
}

TEST(loader, error_query_empty) {
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when: {query: \"\"}\n"),
              strings{"pb.yaml:4:20: error: query: the query is empty"});
}

TEST(loader, error_query_every_parse_error_reaches_the_diagnostic) {
    const auto at = [](std::string_view query) {
        const strings e = errors("playbook: x\nrules:\n  - id: r\n    when:\n      query: '" +
                                 std::string(query) + "'\n");
        return e.size() == 1 ? e[0] : ::testing::PrintToString(e);
    };
    // The quoted text starts on column 15.
    EXPECT_EQ(at("\"abc"),
              "pb.yaml:5:15: error: query: unterminated phrase (missing closing '\"')");
    EXPECT_EQ(at("\"a b\"* c"),
              "pb.yaml:5:20: error: query: a prefix '*' goes on a single word, not a phrase");
    EXPECT_EQ(at("ref*und"),
              "pb.yaml:5:18: error: query: '*' may only end a word (a prefix, like refund*)");
    EXPECT_EQ(at("a *"), "pb.yaml:5:17: error: query: '*' needs a prefix before it, like refund*");
    EXPECT_EQ(at("a NEAR b"),
              "pb.yaml:5:17: error: query: NEAR needs a distance in words, e.g. NEAR/3");
    EXPECT_EQ(at("a NEAR/abc b"),
              "pb.yaml:5:22: error: query: NEAR/ needs a whole number of words from 1 to 1000");
    EXPECT_EQ(at("(a OR b) NEAR/2 c"),
              "pb.yaml:5:16: error: query: NEAR takes a term, phrase, prefix or $lexicon on each "
              "side");
    EXPECT_EQ(at("a $"), "pb.yaml:5:17: error: query: '$' must be followed by a lexicon name");
    EXPECT_EQ(at("$ne!g"),
              "pb.yaml:5:18: error: query: a lexicon name has only letters, digits, '_' and '-'");
    EXPECT_EQ(at("a AND )"), "pb.yaml:5:17: error: query: expected a term after 'AND'");
    EXPECT_EQ(at("x ()"), "pb.yaml:5:17: error: query: empty parentheses");
    EXPECT_EQ(at("OR a"), "pb.yaml:5:15: error: query: expected a term before 'OR'");
    EXPECT_EQ(at("a !!!"), "pb.yaml:5:17: error: query: '!!!' has no letters or digits to match");
}

TEST(loader, error_query_on_several_lines_points_at_the_value) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: r
    when:
      query: |
        a AND
        b AND
)yaml"),
              strings{"pb.yaml:7:11: error: query: expected a term after 'AND'"});
}

TEST(loader, error_query_not_text) {
    EXPECT_EQ(errors("playbook: x\nrules:\n  - id: r\n    when: {query: [a]}\n"),
              strings{"pb.yaml:4:19: error: 'query' must be a text value"});
}

TEST(loader, lexicon_names_have_no_dots_since_queries_could_not_name_them) {
    EXPECT_EQ(errors("playbook: x\nlexicons:\n  a.b: [x]\n"),
              strings{"pb.yaml:3:3: error: lexicon name 'a.b' may only have letters, digits, '-' "
                      "and '_'"});
}

TEST(loader, error_unknown_lexicon) {
    EXPECT_EQ(errors(R"yaml(playbook: x
lexicons:
  negative: [bad]
  positive: [good]
rules:
  - id: r
    when: {query: "acme AND $negativ"}
  - id: s
    when:
      query: $zzz OR $positive OR $nope
)yaml"),
              (strings{
                  "pb.yaml:7:29: error: query: unknown lexicon '$negativ' (did you mean "
                  "'negative'?)",
                  "pb.yaml:10:14: error: query: unknown lexicon '$zzz'",
                  "pb.yaml:10:35: error: query: unknown lexicon '$nope'",
              }));
}

TEST(loader, error_lexicon_from_another_playbook_is_unknown) {
    const load_result r = load_playbook_sources(
        {{"a.yaml", "playbook: a\nlexicons: {shared: [x]}\n"},
         {"b.yaml", "playbook: b\nrules:\n  - {id: r, when: {query: $shared}}\n"}});
    EXPECT_EQ(printed(r.diagnostics),
              strings{"b.yaml:3:27: error: query: unknown lexicon '$shared'"});
}

// ---------------------------------------------------------------------------------------------
// Actions.

TEST(loader, error_then_problems) {
    EXPECT_EQ(
        errors(R"yaml(playbook: x
offers:
  nocodes: {per_day: 1}
rules:
  - id: t1
    then: {tag: {a: 1}, team: [a], priority: hihg, sla: 1 hour, stop: maybe, colect: x}
  - id: t2
    then: {reply: {txt: a}, offer: {pool: nocodes, text: "code {{offer.code}}"}}
  - id: t3
    then: {reply: [a], offer: {}}
  - id: t4
    then: {reply: {text: "Hi {{author.nam}}", private: 2}, offer: {pool: nocode, text: "x", private: x}}
  - id: t5
    then: {reply: "{{offer.code}}", offer: x, collect: [a]}
  - id: t6
    then: {priority: extreme, sla: [1h], tag: [[a]], offer: {pool: [nocodes], text: "{{bad}}", extra: 1}}
)yaml"),
        (strings{
            "pb.yaml:6:78: error: unknown key 'colect' in 'then' (did you mean 'collect'?)",
            "pb.yaml:6:17: error: 'tag' must be a text value or a list of them",
            "pb.yaml:6:31: error: 'team' must be a text value",
            "pb.yaml:6:46: error: priority must be one of low, normal, high, urgent, got 'hihg' "
            "(did you mean 'high'?)",
            "pb.yaml:6:57: error: bad duration '1 hour' for 'sla': write a whole number and a unit "
            "(s, m, h, d), e.g. 90m or 30d",
            "pb.yaml:6:71: error: 'stop' must be true or false",
            "pb.yaml:8:20: error: unknown key 'txt' in 'reply' (did you mean 'text'?)",
            "pb.yaml:8:19: error: 'reply' needs a 'text'",
            "pb.yaml:8:58: error: the text uses {{offer.code}} but pool 'nocodes' has no "
            "codes_file",
            "pb.yaml:10:19: error: 'reply' must be a mapping (key: value)",
            "pb.yaml:10:31: error: 'offer' needs a 'pool' (one of this playbook's offers)",
            "pb.yaml:10:31: error: 'offer' needs a 'text'",
            "pb.yaml:12:32: error: unknown template variable 'author.nam' (did you mean "
            "'author.name'?)",
            "pb.yaml:12:56: error: 'private' must be true or false",
            "pb.yaml:12:74: error: unknown offer pool 'nocode' (not in this playbook's offers) "
            "(did you mean 'nocodes'?)",
            "pb.yaml:12:102: error: 'private' must be true or false",
            "pb.yaml:14:19: error: {{offer.code}} can only be used in an offer's text",
            "pb.yaml:14:44: error: 'offer' must be a mapping (key: value)",
            "pb.yaml:14:56: error: 'collect' must be a text value",
            "pb.yaml:16:22: error: priority must be one of low, normal, high, urgent, got "
            "'extreme'",
            "pb.yaml:16:36: error: 'sla' must be a duration such as 90m or 30d",
            "pb.yaml:16:48: error: each item of 'tag' must be a text value",
            "pb.yaml:16:96: error: unknown key 'extra' in 'offer'",
            "pb.yaml:16:68: error: 'pool' must be a text value",
            "pb.yaml:16:88: error: unknown template variable 'bad'",
        }));
}

TEST(loader, offer_code_with_a_codes_file_is_fine) {
    const temp_dir dir;
    dir.write("c.txt", "CODE1\n");
    const std::string file = (dir.path() / "pb.yaml").string();
    const load_result r = load_playbook_sources(
        {{file,
          "playbook: x\noffers: {p: {codes_file: c.txt}}\nrules:\n  - {id: r, then: {offer: "
          "{pool: p, text: \"{{offer.code}}\"}}}\n"}});
    EXPECT_EQ(printed(r.diagnostics), strings{});
}

TEST(loader, error_unknown_team) {
    EXPECT_EQ(errors(R"yaml(playbook: x
rules:
  - id: r
    then: {team: suport}
  - id: s
    then:
      team: marketing
  - id: t
    then: {team: sales}
)yaml",
                     with_config()),
              (strings{
                  "pb.yaml:4:18: error: unknown team 'suport' (no approver in the config is in "
                  "it) (did you mean 'support'?)",
                  "pb.yaml:7:13: error: unknown team 'marketing' (no approver in the config is in "
                  "it)",
              }));
}

TEST(loader, error_unknown_insight_references) {
    EXPECT_EQ(errors(R"yaml(playbook: x
insights:
  - {id: known-q, question: q, schedule: {at: "2026-12-01T15:00:00Z"}}
rules:
  - id: r
    when: {answers: nope}
    then: {collect: known-qq}
  - id: s
    when: {answers: [a]}
)yaml"),
              (strings{
                  "pb.yaml:9:21: error: 'answers' must be a text value",
                  "pb.yaml:6:21: error: unknown insight 'nope'",
                  "pb.yaml:7:21: error: unknown insight 'known-qq' (did you mean 'known-q'?)",
              }));
}

// ---------------------------------------------------------------------------------------------
// All problems of a file, and of several files, are reported.

TEST(loader, every_error_in_a_file_is_reported) {
    const load_result r = load(R"yaml(playbook: multi
brand: {name: [A]}
lexicons:
  neg: []
offers:
  p: {per_day: -1}
rules:
  - id: r1
    when: {query: "$ng AND"}
    then: {priority: hihg, sla: 1 hour}
  - id: r1
    then: {reply: "Hi {{author.nam}}"}
)yaml");
    EXPECT_EQ(r.set, nullptr);
    ASSERT_EQ(r.diagnostics.size(), 8U);
    EXPECT_EQ(printed(r.diagnostics),
              (strings{
                  "pb.yaml:2:15: error: 'brand.name' must be a text value",
                  "pb.yaml:4:8: error: lexicon 'neg' is empty",
                  "pb.yaml:6:16: error: 'per_day' must be a whole number from 0 to 1000000, got "
                  "'-1'",
                  "pb.yaml:9:24: error: query: expected a term after 'AND'",
                  "pb.yaml:10:22: error: priority must be one of low, normal, high, urgent, got "
                  "'hihg' (did you mean 'high'?)",
                  "pb.yaml:10:33: error: bad duration '1 hour' for 'sla': write a whole number "
                  "and a unit (s, m, h, d), e.g. 90m or 30d",
                  "pb.yaml:11:9: error: duplicate rule id 'r1' (first used on line 8)",
                  "pb.yaml:12:25: error: unknown template variable 'author.nam' (did you mean "
                  "'author.name'?)",
              }));
}

TEST(loader, every_file_is_reported) {
    const load_result r = load_playbook_sources({
        {"a.yaml", "playbook: a\nrules: x\n"},
        {"b.yaml", "playbook: [b]\n"},
        {"c.yaml", ""},
        {"d.yaml", "playbook: fine\n"},
        {"e.yaml", "playbook: e\nrules: [{id: r, when: {answers: nowhere}}]\n"},
    });
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics), (strings{
                                          "a.yaml:2:8: error: 'rules' must be a list",
                                          "b.yaml:1:11: error: 'playbook' must be a text value",
                                          "c.yaml:1:1: error: the file is empty",
                                          "e.yaml:2:33: error: unknown insight 'nowhere'",
                                      }));
}

TEST(loader, no_sources_is_an_empty_set) {
    const load_result r = load_playbook_sources({});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    EXPECT_TRUE(r.set->playbooks.empty());
}

// ---------------------------------------------------------------------------------------------
// Files and directories.

TEST(loader, directory_takes_yaml_files_in_name_order) {
    const temp_dir dir;
    dir.write("b.yaml", "playbook: bee\n");
    dir.write("a.yml", "playbook: ay\n");
    dir.write("c.test.yaml", "not: a playbook\n");
    dir.write("d.test.yml", "not: a playbook\n");
    dir.write("notes.txt", "not: a playbook\n");
    dir.write("e.yaml.bak", "not: a playbook\n");
    dir.write(".hidden.yaml", "not: a playbook\n");
    dir.write("sub/f.yaml", "not: a playbook\n");
    fs::create_directories(dir.path() / "g.yaml"); // a directory named like a playbook

    std::vector<diagnostic> diagnostics;
    const auto files = playbook_files({dir.path()}, diagnostics);
    EXPECT_EQ(printed(diagnostics), strings{});
    EXPECT_EQ(files, (std::vector<fs::path>{dir.path() / "a.yml", dir.path() / "b.yaml"}));

    const load_result r = load_playbooks({dir.path()});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    ASSERT_EQ(r.set->playbooks.size(), 2U);
    EXPECT_EQ(r.set->playbooks[0].name, "ay");
    EXPECT_EQ(r.set->playbooks[0].file, (dir.path() / "a.yml").string());
    EXPECT_EQ(r.set->playbooks[1].name, "bee");
}

TEST(loader, files_are_taken_as_given_in_argument_order) {
    const temp_dir dir;
    const fs::path z = dir.write("z.yaml", "playbook: zed\n");
    const fs::path t = dir.write("odd.test.yaml", "playbook: tested\n");
    dir.write("d/a.yaml", "playbook: in-dir\n");
    std::vector<diagnostic> diagnostics;
    const auto files = playbook_files({z, dir.path() / "d", t}, diagnostics);
    EXPECT_EQ(printed(diagnostics), strings{});
    EXPECT_EQ(files, (std::vector<fs::path>{z, dir.path() / "d" / "a.yaml", t}));
    const load_result r = load_playbooks({z, dir.path() / "d", t});
    ASSERT_NE(r.set, nullptr);
    ASSERT_EQ(r.set->playbooks.size(), 3U);
    EXPECT_EQ(r.set->playbooks[0].name, "zed");
    EXPECT_EQ(r.set->playbooks[1].name, "in-dir");
    EXPECT_EQ(r.set->playbooks[2].name, "tested");
}

TEST(loader, error_missing_path) {
    const temp_dir dir;
    dir.write("ok.yaml", "playbook: ok\n");
    const fs::path missing = dir.path() / "missing";
    std::vector<diagnostic> diagnostics;
    const auto files = playbook_files({missing, dir.path()}, diagnostics);
    EXPECT_EQ(files, std::vector<fs::path>{dir.path() / "ok.yaml"});
    EXPECT_EQ(printed(diagnostics),
              strings{missing.string() + ":1:1: error: no such file or directory"});

    const load_result r = load_playbooks({missing, dir.path()});
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics),
              strings{missing.string() + ":1:1: error: no such file or directory"});
}

TEST(loader, error_no_playbooks_found) {
    const temp_dir dir;
    dir.write("only.test.yaml", "playbooks: []\n");
    const load_result r = load_playbooks({dir.path()});
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics),
              strings{dir.path().string() +
                      ":1:1: error: no playbooks found (*.yaml files that are not *.test.yaml)"});
    const load_result none = load_playbooks({});
    EXPECT_EQ(none.set, nullptr);
    EXPECT_EQ(printed(none.diagnostics),
              strings{".:1:1: error: no playbooks found (*.yaml files that are not *.test.yaml)"});
}

TEST(loader, error_unreadable_file) {
    const temp_dir dir;
    const fs::path p = dir.write("locked.yaml", "playbook: locked\n");
    fs::permissions(p, fs::perms::none);
    if (std::ifstream(p).good()) {
        GTEST_SKIP() << "running with privileges that read any file";
    }
    const load_result r = load_playbooks({p});
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics), strings{p.string() + ":1:1: error: cannot read the file"});
}

TEST(loader, errors_in_files_carry_their_paths) {
    const temp_dir dir;
    const fs::path bad = dir.write("bad.yaml",
                                   "playbook: x\nrules:\n  - id: r\n    when: "
                                   "{query: \"a AND\"}\n");
    dir.write("good.yaml", "playbook: y\n");
    const load_result r = load_playbooks({dir.path()});
    EXPECT_EQ(r.set, nullptr);
    EXPECT_EQ(printed(r.diagnostics),
              strings{bad.string() + ":4:22: error: query: expected a term after 'AND'"});
}

TEST(loader, codes_file_next_to_a_playbook_in_a_directory) {
    const temp_dir dir;
    dir.write("books/codes/c.txt", "X1\nX2\n");
    dir.write("books/acme.yaml", "playbook: acme\noffers:\n  p: {codes_file: codes/c.txt}\n");
    const load_result r = load_playbooks({dir.path() / "books"});
    EXPECT_EQ(printed(r.diagnostics), strings{});
    ASSERT_NE(r.set, nullptr);
    EXPECT_EQ(r.set->find_pool("acme/p")->codes, (strings{"X1", "X2"}));
}

TEST(loader, options_reach_load_playbooks) {
    const temp_dir dir;
    dir.write("a.yaml", "playbook: a\nrules:\n  - {id: r, then: {team: nobody}}\n");
    const load_result r = load_playbooks({dir.path()}, with_config());
    EXPECT_EQ(printed(r.diagnostics),
              strings{(dir.path() / "a.yaml").string() +
                      ":3:26: error: unknown team 'nobody' (no approver in the config is in it)"});
}

// ---------------------------------------------------------------------------------------------
// Library bugs found while writing these tests (skipped until fixed; see the messages).

TEST(loader, days_are_whole_day_names) {
    const strings got =
        errors("playbook: x\nrules:\n  - id: h\n    when: {hours: {days: \"monkey-frisbee\"}}\n");
    const strings expected{
        "pb.yaml:4:26: error: bad days 'monkey-frisbee': use day names like mon, a range like "
        "mon-fri, or a list like sat,sun"};
    EXPECT_EQ(got, expected);
}

TEST(loader, days_list_item_error_points_at_the_item) {
    const strings got =
        errors("playbook: x\nrules:\n  - id: h\n    when: {hours: {days: [mon, xyz]}}\n");
    const strings expected{
        "pb.yaml:4:32: error: bad days 'xyz': use day names like mon, a range like mon-fri, or a "
        "list like sat,sun"};
    EXPECT_EQ(got, expected);
}

TEST(loader, empty_days_are_an_error) {
    const strings got = errors(R"yaml(playbook: x
rules:
  - id: h
    when: {hours: {days: ""}}
  - id: i
    when: {hours: {days: []}}
)yaml");
    const strings expected{
        "pb.yaml:4:26: error: 'days' names no day, so the rule could never hold",
        "pb.yaml:6:26: error: 'days' names no day, so the rule could never hold"};
    EXPECT_EQ(got, expected);
}

TEST(loader, query_column_follows_escapes_in_a_double_quoted_scalar) {
    // The '*' is on column 22 of the source; the query text has it at offset 5.
    const strings got =
        errors("playbook: x\nrules:\n  - id: r\n    when:\n      query: \"\\\"a b\\\"* x\"\n");
    const strings expected{
        "pb.yaml:5:22: error: query: a prefix '*' goes on a single word, not a phrase"};
    EXPECT_EQ(got, expected);
}

TEST(loader, query_column_follows_a_doubled_quote_in_a_single_quoted_scalar) {
    // `'it''s AND'`: the AND is on column 21, after the doubled quote.
    const strings got =
        errors("playbook: x\nrules:\n  - id: r\n    when:\n      query: 'it''s AND'\n");
    const strings expected{"pb.yaml:5:21: error: query: expected a term after 'AND'"};
    EXPECT_EQ(got, expected);
}

TEST(loader, query_position_in_a_folded_block_scalar) {
    const strings got = errors(R"yaml(playbook: x
rules:
  - id: r
    when:
      query: >-
        foo AND
)yaml");
    // The text `foo AND` is on line 6 from column 9; the AND is on column 13.
    const strings expected{"pb.yaml:6:13: error: query: expected a term after 'AND'"};
    EXPECT_EQ(got, expected);
}

TEST(loader, query_position_in_a_plain_scalar_over_two_lines) {
    const strings got = errors(R"yaml(playbook: x
rules:
  - id: r
    when:
      query: foo AND
        bar AND
)yaml");
    // YAML folds this to `foo AND bar AND`; the second AND is on line 6, column 13.
    const strings expected{"pb.yaml:6:13: error: query: expected a term after 'AND'"};
    EXPECT_EQ(got, expected);
}

} // namespace
} // namespace rapport::rules
