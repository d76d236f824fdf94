#include "rules/loader.hpp"

#include "rules/text.hpp"
#include "rules/yaml_reader.hpp"

#include <date/tz.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace rapport::rules {

std::map<std::string, length_limit, std::less<>> default_length_limits() {
    return {
        {"x", {280, length_limit::unit::x_weighted, x_max_direct_text_length}},
        {"bluesky", {300, length_limit::unit::graphemes}},
        {"mastodon", {500, length_limit::unit::mastodon_characters}},
        {"telegram", {telegram_max_text_length, length_limit::unit::utf16_code_units}},
    };
}

std::size_t length_limit::length_of(std::string_view text) const {
    switch (counted_in) {
        case unit::graphemes:
            return count_graphemes(text);
        case unit::utf16_code_units:
            return count_utf16_units(text);
        case unit::x_weighted:
            return count_x_weighted(text);
        case unit::mastodon_characters:
            return count_mastodon_characters(text);
        case unit::code_points:
            break;
    }
    return count_code_points(text);
}

std::string_view length_limit::unit_name() const {
    switch (counted_in) {
        case unit::graphemes:
            return "graphemes";
        case unit::utf16_code_units:
            return "UTF-16 code units";
        case unit::x_weighted:
            return "weighted characters";
        case unit::mastodon_characters:
        case unit::code_points:
            break;
    }
    return "characters";
}

const offer_pool* playbook_set::find_pool(std::string_view qualified) const {
    const auto slash = qualified.rfind('/');
    if (slash == std::string_view::npos) {
        return nullptr;
    }
    const std::string_view book = qualified.substr(0, slash);
    for (const auto& p : playbooks) {
        if (p.name == book) {
            const auto it = p.offers.find(qualified.substr(slash + 1));
            return it == p.offers.end() ? nullptr : &it->second;
        }
    }
    return nullptr;
}

namespace {

using keys = std::vector<std::string_view>;

bool is_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

// What the whole set is being built from, across files.
struct set_builder {
    explicit set_builder(const load_options& o) : options(o) {
        set.length_limits = o.length_limits;
        set.sentiment = sentiment_lexicon::builtin_english();
    }

    std::uint32_t pattern_id(std::string literal, bool prefix) {
        auto key = std::make_pair(literal, prefix);
        const auto [it, inserted] = pattern_ids.try_emplace(
            std::move(key), static_cast<std::uint32_t>(set.patterns.size()));
        if (inserted) {
            set.patterns.push_back({std::move(literal), prefix});
        }
        return it->second;
    }

    std::uint32_t add_term_set(std::vector<std::uint32_t> patterns) {
        std::sort(patterns.begin(), patterns.end());
        patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
        set.term_sets.push_back(std::move(patterns));
        return static_cast<std::uint32_t>(set.term_sets.size() - 1);
    }

    // A reference to an insight, checked once every file is read.
    struct insight_ref {
        std::string file;
        int line = 0;
        int column = 0;
        std::string id;
    };

    const load_options& options;
    playbook_set set;
    std::map<std::pair<std::string, bool>, std::uint32_t> pattern_ids;
    std::vector<insight_ref> insight_refs;
    std::map<std::string, std::pair<int, std::string>, std::less<>> sentiment_words; // score, where
    std::map<std::string, std::string, std::less<>> insight_files;
};

// Reads one playbook file into the builder.
class playbook_reader {
public:
    playbook_reader(set_builder& b, std::string file, std::vector<diagnostic>& out)
        : b_(b), y_(std::move(file), out) {}

    // Reads the file; false when it is not a playbook at all (nothing was added to the set).
    bool read(std::string_view text) {
        const auto root = y_.parse(text);
        if (!root) {
            return false;
        }
        const auto entries = y_.map(*root, "playbook file",
                                    {"playbook", "brand", "accounts", "lexicons", "offers",
                                     "insights", "rules", "sentiment"});
        if (!entries) {
            return false;
        }
        book_.file = y_.file();
        const YAML::Node* rules_node = nullptr;
        bool named = false;
        // Lexicons and offers first: rules refer to them wherever they are written.
        for (const auto& e : *entries) {
            if (e.key == "playbook") {
                named = read_name(e.value);
            } else if (e.key == "brand") {
                read_brand(e.value);
            } else if (e.key == "accounts") {
                read_accounts(e.value, book_.accounts, "accounts");
            } else if (e.key == "lexicons") {
                read_lexicons(e.value);
            } else if (e.key == "offers") {
                read_offers(e.value);
            } else if (e.key == "sentiment") {
                read_sentiment(e.value);
            } else if (e.key == "rules") {
                rules_node = &e.value;
            }
        }
        if (!named && !root->operator[]("playbook")) {
            y_.error(*root, "missing 'playbook: NAME' (every playbook needs a unique name)");
        }
        book_index_ = static_cast<std::uint32_t>(b_.set.playbooks.size());
        for (const auto& e : *entries) {
            if (e.key == "insights") {
                read_insights(e.value);
            }
        }
        if (rules_node != nullptr) {
            read_rules(*rules_node);
        }
        b_.set.playbooks.push_back(std::move(book_));
        return true;
    }

private:
    bool read_name(const YAML::Node& n) {
        auto name = y_.string(n, "playbook");
        if (!name) {
            return false;
        }
        if (!is_name(*name)) {
            y_.error(
                n, "playbook name '" + *name + "' may only have letters, digits, '-', '_' and '.'");
            return false;
        }
        for (const auto& other : b_.set.playbooks) {
            if (other.name == *name) {
                y_.error(n, "playbook '" + *name + "' is already defined in " + other.file);
                return false;
            }
        }
        book_.name = std::move(*name);
        return true;
    }

    void read_brand(const YAML::Node& n) {
        const auto entries = y_.map(n, "brand", {"name", "voice"});
        if (!entries) {
            return;
        }
        for (const auto& e : *entries) {
            auto v = y_.string(e.value, "brand." + e.key);
            if (v) {
                (e.key == "name" ? book_.brand_name : book_.brand_voice) = std::move(*v);
            }
        }
    }

    void read_accounts(const YAML::Node& n, std::vector<std::string>& out, std::string_view what) {
        auto list = y_.strings(n, what);
        if (!list) {
            return;
        }
        out = std::move(*list);
        check_accounts(n, out);
    }

    void check_accounts(const YAML::Node& n, const std::vector<std::string>& accounts) {
        if (!b_.options.known_accounts) {
            return;
        }
        std::vector<std::string_view> known(b_.options.known_accounts->begin(),
                                            b_.options.known_accounts->end());
        for (std::size_t i = 0; i < accounts.size(); ++i) {
            if (!b_.options.known_accounts->contains(accounts[i])) {
                const YAML::Node at = n.IsSequence() ? n[i] : n;
                y_.error(at, with_suggestion("unknown account '" + accounts[i] +
                                                 "' (not in the config's accounts)",
                                             accounts[i], known));
            }
        }
    }

    void read_lexicons(const YAML::Node& n) {
        const auto entries = y_.map(n, "lexicons", {});
        if (!entries) {
            return;
        }
        for (const auto& e : *entries) {
            // Queries name lexicons as $name, where a '.' would end the name.
            if (!is_name(e.key) || e.key.find('.') != std::string::npos) {
                y_.error(e.key_node,
                         "lexicon name '" + e.key + "' may only have letters, digits, '-' and '_'");
                continue;
            }
            if (!e.value.IsSequence()) {
                y_.error(e.value, "lexicon '" + e.key + "' must be a list of terms");
                continue;
            }
            std::vector<std::uint32_t> patterns;
            for (const auto& item : e.value) {
                if (!item.IsScalar()) {
                    y_.error(item, "each term of lexicon '" + e.key + "' must be a text value");
                    continue;
                }
                std::string_view term = item.Scalar();
                bool prefix = false;
                if (term.size() > 1 && term.back() == '*') {
                    prefix = true;
                    term.remove_suffix(1);
                }
                normalized_text folded = normalize(term);
                if (folded.word_count() == 0) {
                    y_.error(item, "term '" + item.Scalar() + "' of lexicon '" + e.key +
                                       "' has no letters or digits to match");
                    continue;
                }
                patterns.push_back(b_.pattern_id(std::move(folded.text), prefix));
            }
            if (patterns.empty() && e.value.size() == 0) {
                y_.error(e.value, "lexicon '" + e.key + "' is empty");
            }
            lexicons_[e.key] = b_.add_term_set(std::move(patterns));
        }
    }

    void read_offers(const YAML::Node& n) {
        const auto entries = y_.map(n, "offers", {});
        if (!entries) {
            return;
        }
        for (const auto& e : *entries) {
            if (!is_name(e.key)) {
                y_.error(e.key_node, "offer pool name '" + e.key +
                                         "' may only have letters, digits, '-', '_' and '.'");
                continue;
            }
            offer_pool pool;
            pool.name = e.key; // qualified once the playbook's name is known
            const auto fields =
                y_.map(e.value, "offers." + e.key, {"codes_file", "per_day", "cooldown"});
            if (fields) {
                for (const auto& f : *fields) {
                    if (f.key == "codes_file") {
                        if (auto path = y_.string(f.value, "codes_file")) {
                            read_codes(f.value, *path, pool);
                        }
                    } else if (f.key == "per_day") {
                        if (auto v = y_.integer(f.value, "per_day", 0, 1'000'000)) {
                            pool.per_day = static_cast<int>(*v);
                        }
                    } else if (f.key == "cooldown") {
                        pool.cooldown = y_.span(f.value, "cooldown");
                    }
                }
            }
            book_.offers.emplace(e.key, std::move(pool));
        }
    }

    void read_codes(const YAML::Node& at, const std::string& relative, offer_pool& pool) {
        pool.has_codes_file = true;
        const std::filesystem::path base = std::filesystem::path(y_.file()).parent_path();
        const std::filesystem::path path = base / relative;
        std::ifstream in(path);
        if (!in) {
            y_.error(at,
                     "codes_file '" + relative + "' not found (looked for " + path.string() + ")");
            return;
        }
        std::string line;
        int number = 0;
        std::map<std::string, int, std::less<>> seen;
        while (std::getline(in, line)) {
            ++number;
            const auto first = line.find_first_not_of(" \t\r");
            if (first == std::string::npos) {
                continue;
            }
            const auto last = line.find_last_not_of(" \t\r");
            std::string code = line.substr(first, last - first + 1);
            if (const auto it = seen.find(code); it != seen.end()) {
                y_.error(at, "codes_file '" + relative + "' has code '" + code + "' twice (lines " +
                                 std::to_string(it->second) + " and " + std::to_string(number) +
                                 "); each code may be handed out only once");
                continue;
            }
            seen.emplace(code, number);
            pool.codes.push_back(std::move(code));
        }
    }

    void read_sentiment(const YAML::Node& n) {
        const auto entries = y_.map(n, "sentiment", {});
        if (!entries) {
            return;
        }
        for (const auto& e : *entries) {
            const auto score = y_.integer(e.value, "sentiment." + e.key, -5, 5);
            if (!score) {
                continue;
            }
            const normalized_text folded = normalize(e.key);
            if (folded.word_count() != 1) {
                y_.error(e.key_node, "sentiment word '" + e.key + "' must be a single word");
                continue;
            }
            const auto [line, column] = yaml_reader::position(e.key_node);
            const std::string where = y_.file() + ":" + std::to_string(line);
            const auto [it, inserted] =
                b_.sentiment_words.try_emplace(folded.text, static_cast<int>(*score), where);
            if (!inserted && it->second.first != *score) {
                y_.error(e.value, "sentiment word '" + e.key + "' is already scored " +
                                      std::to_string(it->second.first) + " at " +
                                      it->second.second);
                continue;
            }
            b_.set.sentiment.set_score(folded.text, static_cast<int>(*score));
        }
    }

    void read_insights(const YAML::Node& n) {
        if (!n.IsSequence()) {
            y_.error(n, "'insights' must be a list");
            return;
        }
        for (const auto& item : n) {
            const auto fields =
                y_.map(item, "insight", {"id", "question", "accounts", "schedule", "thank"});
            if (!fields) {
                continue;
            }
            insight in;
            in.playbook = book_index_;
            YAML::Node thank_node;
            for (const auto& f : *fields) {
                if (f.key == "id") {
                    if (auto id = y_.string(f.value, "id")) {
                        if (!is_name(*id)) {
                            y_.error(f.value, "insight id '" + *id +
                                                  "' may only have letters, digits, '-', '_' "
                                                  "and '.'");
                        } else if (const auto it = b_.insight_files.find(*id);
                                   it != b_.insight_files.end()) {
                            y_.error(f.value,
                                     "insight '" + *id + "' is already defined in " + it->second);
                        } else {
                            in.id = std::move(*id);
                        }
                    }
                } else if (f.key == "question") {
                    if (auto q = y_.string(f.value, "question")) {
                        in.question = std::move(*q);
                    }
                } else if (f.key == "accounts") {
                    read_accounts(f.value, in.accounts, "accounts");
                } else if (f.key == "schedule") {
                    read_schedule(f.value, in.schedule);
                } else if (f.key == "thank") {
                    thank_node = f.value;
                    in.thank = read_template(f.value, "thank", false);
                }
            }
            if (!item["id"]) {
                y_.error(item, "an insight needs an 'id'");
            }
            const std::string which = in.id.empty() ? "an insight" : "insight '" + in.id + "'";
            if (!item["question"]) {
                y_.error(item, which + " needs a 'question'");
            }
            if (!item["schedule"]) {
                y_.error(item, which + " needs a 'schedule' ({at: ...} or {cron: ..., tz: ...})");
            }
            if (!in.id.empty()) {
                b_.insight_files.emplace(in.id, y_.file());
                pending_insights_.push_back(std::move(in));
            }
        }
    }

    void read_schedule(const YAML::Node& n, insight_schedule& s) {
        const auto fields = y_.map(n, "schedule", {"at", "cron", "tz"});
        if (!fields) {
            return;
        }
        bool has_at = false;
        bool has_cron = false;
        for (const auto& f : *fields) {
            if (f.key == "at") {
                has_at = true;
                if (auto text = y_.string(f.value, "at")) {
                    s.at = parse_timestamp(*text);
                    if (!s.at) {
                        y_.error(f.value,
                                 "'at' must be an RFC 3339 time such as "
                                 "2026-12-01T15:00:00Z, got '" +
                                     *text + "'");
                    }
                }
            } else if (f.key == "cron") {
                has_cron = true;
                if (auto text = y_.string(f.value, "cron")) {
                    const auto parsed = parse_cron(*text);
                    if (!parsed.expression) {
                        const auto [line, column] = y_.position_in(f.value, parsed.error_offset);
                        y_.error(line, column, "bad cron expression: " + parsed.error);
                    } else {
                        s.cron = parsed.expression;
                        s.cron_text = *text;
                    }
                }
            } else if (f.key == "tz") {
                s.zone = read_zone(f.value);
            }
        }
        if (has_at == has_cron) {
            y_.error(n, "a schedule needs exactly one of 'at' or 'cron'");
        } else if (has_at && n["tz"]) {
            y_.error(n["tz"], "'tz' goes with 'cron'; an 'at' time carries its own offset");
        }
    }

    const date::time_zone* read_zone(const YAML::Node& n) {
        const auto name = y_.string(n, "tz");
        if (!name) {
            return nullptr;
        }
        try {
            return date::locate_zone(*name);
        } catch (const std::exception&) {
            std::vector<std::string_view> zones;
            try {
                for (const auto& z : date::get_tzdb().zones) {
                    zones.push_back(z.name());
                }
            } catch (const std::exception&) {
                // No tz database at all: the message below says enough.
            }
            y_.error(n, with_suggestion("unknown time zone '" + *name + "'", *name, zones));
            return nullptr;
        }
    }

    std::optional<message_template> read_template(const YAML::Node& n,
                                                  std::string_view what,
                                                  bool offer_text) {
        const auto text = y_.string(n, what);
        if (!text) {
            return std::nullopt;
        }
        std::vector<template_error> errors;
        auto t = message_template::parse(*text, errors);
        for (const auto& e : errors) {
            const auto [line, column] = y_.position_in(n, e.offset);
            y_.error(line, column, e.message);
        }
        if (!offer_text && t.uses(template_variable::offer_code)) {
            y_.error(n, "{{offer.code}} can only be used in an offer's text");
        }
        if (!errors.empty()) {
            return std::nullopt;
        }
        return t;
    }

    void read_rules(const YAML::Node& n) {
        if (!n.IsSequence()) {
            y_.error(n, "'rules' must be a list");
            return;
        }
        std::map<std::string, int, std::less<>> ids;
        for (const auto& item : n) {
            const auto fields = y_.map(item, "rule", {"id", "when", "then"});
            if (!fields) {
                continue;
            }
            rule r;
            r.playbook = book_index_;
            const auto [line, column] = yaml_reader::position(item);
            r.where = {y_.file(), line, column};
            std::string id;
            for (const auto& f : *fields) {
                if (f.key == "id") {
                    if (auto v = y_.string(f.value, "id")) {
                        if (!is_name(*v)) {
                            y_.error(f.value, "rule id '" + *v +
                                                  "' may only have letters, digits, '-', '_' and "
                                                  "'.'");
                        } else if (const auto it = ids.find(*v); it != ids.end()) {
                            y_.error(f.value, "duplicate rule id '" + *v +
                                                  "' (first used on line " +
                                                  std::to_string(it->second) + ")");
                        } else {
                            ids.emplace(*v, yaml_reader::position(f.value).first);
                            id = std::move(*v);
                        }
                    }
                } else if (f.key == "when") {
                    read_when(f.value, r.when);
                } else if (f.key == "then") {
                    read_then(f.value, r.then);
                }
            }
            if (!item["id"]) {
                y_.error(item, "a rule needs an 'id'");
            }
            r.id = std::move(id); // qualified when the playbook is finished
            rules_.push_back(std::move(r));
        }
    }

    void read_when(const YAML::Node& n, conditions& c) {
        const auto fields = y_.map(n, "when",
                                   {"query", "kind", "platform", "account", "lang", "sentiment",
                                    "author", "person", "hours", "answers"});
        if (!fields) {
            return;
        }
        for (const auto& f : *fields) {
            if (f.key == "query") {
                read_query(f.value, c);
            } else if (f.key == "kind") {
                if (const auto kinds = y_.strings(f.value, "kind")) {
                    c.kinds = 0;
                    for (std::size_t i = 0; i < kinds->size(); ++i) {
                        const auto k = parse_message_kind((*kinds)[i]);
                        if (!k) {
                            y_.error(
                                f.value.IsSequence() ? f.value[i] : f.value,
                                with_suggestion("unknown kind '" + (*kinds)[i] +
                                                    "' (one of mention, direct, reply, "
                                                    "comment, post)",
                                                (*kinds)[i],
                                                {"mention", "direct", "reply", "comment", "post"}));
                            continue;
                        }
                        c.kinds |= static_cast<std::uint8_t>(1U << static_cast<unsigned>(*k));
                    }
                    if (kinds->empty()) {
                        y_.error(f.value, "'kind' names no kind, so the rule could never hold");
                    }
                }
            } else if (f.key == "platform") {
                if (auto v = y_.strings(f.value, "platform")) {
                    c.platforms = std::move(*v);
                }
            } else if (f.key == "account") {
                read_accounts(f.value, c.accounts, "account");
            } else if (f.key == "lang") {
                if (auto v = y_.strings(f.value, "lang")) {
                    c.langs = std::move(*v);
                }
            } else if (f.key == "sentiment") {
                read_sentiment_condition(f.value, c);
            } else if (f.key == "author") {
                read_author_condition(f.value, c);
            } else if (f.key == "person") {
                read_person_condition(f.value, c);
            } else if (f.key == "hours") {
                read_hours(f.value, c);
            } else if (f.key == "answers") {
                if (auto id = y_.string(f.value, "answers")) {
                    refer_to_insight(f.value, *id);
                    c.answers = std::move(*id);
                }
            }
        }
    }

    void read_query(const YAML::Node& n, conditions& c) {
        const auto text = y_.string(n, "query");
        if (!text) {
            return;
        }
        const auto error_at = [&](std::size_t offset, std::string message) {
            const auto [line, column] = y_.position_in(n, offset);
            y_.error(line, column, "query: " + std::move(message));
        };
        const auto parsed = parse_query(*text);
        if (!parsed.ast) {
            error_at(parsed.error.offset, parsed.error.message);
            return;
        }
        compiled_query q;
        q.source = *text;
        q.root = parsed.ast->root;
        bool ok = true;
        for (const auto& node : parsed.ast->nodes) {
            compiled_query::node out;
            out.op = node.op;
            out.distance = node.distance;
            out.children = node.children;
            if (node.op == query_ast::op::term) {
                out.term_set = b_.add_term_set({b_.pattern_id(node.text, node.prefix)});
            } else if (node.op == query_ast::op::lexicon) {
                const auto it = lexicons_.find(node.text);
                if (it == lexicons_.end()) {
                    std::vector<std::string_view> names;
                    for (const auto& [name, set] : lexicons_) {
                        names.push_back(name);
                    }
                    error_at(node.offset, with_suggestion("unknown lexicon '$" + node.text + "'",
                                                          node.text, names));
                    ok = false;
                    continue;
                }
                out.term_set = it->second;
            }
            q.nodes.push_back(std::move(out));
        }
        if (ok) {
            c.query = std::move(q);
        }
    }

    void read_sentiment_condition(const YAML::Node& n, conditions& c) {
        const auto fields = y_.map(n, "sentiment", {"below", "above"});
        if (!fields) {
            return;
        }
        for (const auto& f : *fields) {
            const auto v = y_.integer(f.value, "sentiment." + f.key, -1'000'000, 1'000'000);
            if (v) {
                (f.key == "below" ? c.sentiment_below : c.sentiment_above) = static_cast<int>(*v);
            }
        }
        if (fields->empty()) {
            y_.error(n, "'sentiment' needs 'below' or 'above'");
        }
    }

    void read_author_condition(const YAML::Node& n, conditions& c) {
        const auto fields = y_.map(n, "author", {"followers", "handle"});
        if (!fields) {
            return;
        }
        for (const auto& f : *fields) {
            if (f.key == "followers") {
                const auto bounds = y_.map(f.value, "author.followers", {"at_least", "at_most"});
                if (!bounds) {
                    continue;
                }
                for (const auto& b : *bounds) {
                    const auto v = y_.integer(b.value, "followers." + b.key, 0, INT64_MAX);
                    (b.key == "at_least" ? c.followers_at_least : c.followers_at_most) = v;
                }
                if (bounds->empty()) {
                    y_.error(f.value, "'followers' needs 'at_least' or 'at_most'");
                }
            } else if (f.key == "handle") {
                if (auto handles = y_.strings(f.value, "handle")) {
                    for (auto& h : *handles) {
                        c.handles.push_back(folded_handle(h));
                    }
                }
            }
        }
    }

    void read_person_condition(const YAML::Node& n, conditions& c) {
        const auto fields = y_.map(n, "person", {"messages", "tagged", "offers"});
        if (!fields) {
            return;
        }
        for (const auto& f : *fields) {
            count_condition cc;
            cc.within = duration::max();
            keys allowed{"within", "at_least", "at_most"};
            if (f.key == "messages") {
                cc.what = count_condition::subject::messages;
            } else if (f.key == "tagged") {
                cc.what = count_condition::subject::tagged;
                allowed.push_back("tag");
            } else {
                cc.what = count_condition::subject::offers;
                allowed.push_back("pool");
            }
            const auto bounds = y_.map(f.value, "person." + f.key, allowed);
            if (!bounds) {
                continue;
            }
            for (const auto& b : *bounds) {
                if (b.key == "within") {
                    if (auto d = y_.span(b.value, "within")) {
                        cc.within = *d;
                    }
                } else if (b.key == "at_least" || b.key == "at_most") {
                    const auto v = y_.integer(b.value, b.key, 0, 1'000'000'000);
                    if (v) {
                        (b.key == "at_least" ? cc.at_least : cc.at_most) = static_cast<int>(*v);
                    }
                } else if (b.key == "tag") {
                    if (auto t = y_.string(b.value, "tag")) {
                        cc.filter = std::move(*t);
                    }
                } else if (b.key == "pool") {
                    if (auto p = y_.string(b.value, "pool")) {
                        if (!book_.offers.contains(*p)) {
                            y_.error(b.value, unknown_pool_message(*p));
                        }
                        cc.filter = std::move(*p); // qualified later
                    }
                }
            }
            if (!cc.at_least && !cc.at_most) {
                y_.error(f.value, "'person." + f.key + "' needs 'at_least' or 'at_most'");
            }
            if (cc.what == count_condition::subject::tagged && cc.filter.empty()) {
                y_.error(f.value, "'person.tagged' needs the 'tag' to count");
            }
            c.person.push_back(std::move(cc));
        }
    }

    void read_hours(const YAML::Node& n, conditions& c) {
        const auto fields = y_.map(n, "hours", {"days", "between", "tz"});
        if (!fields) {
            return;
        }
        hours_condition h;
        for (const auto& f : *fields) {
            if (f.key == "days") {
                read_days(f.value, h);
            } else if (f.key == "between") {
                read_between(f.value, h);
            } else if (f.key == "tz") {
                h.zone = read_zone(f.value);
            }
        }
        c.hours = h;
    }

    void read_days(const YAML::Node& n, hours_condition& h) {
        static constexpr std::array<std::string_view, 7> short_names = {"sun", "mon", "tue", "wed",
                                                                        "thu", "fri", "sat"};
        static constexpr std::array<std::string_view, 7> long_names = {
            "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
        const auto day = [](std::string_view s) -> int {
            std::string lower;
            for (const char ch : s) {
                lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
            }
            for (std::size_t i = 0; i < short_names.size(); ++i) {
                if (lower == short_names[i] || lower == long_names[i]) {
                    return static_cast<int>(i);
                }
            }
            return -1;
        };
        if (!n.IsScalar() && !n.IsSequence()) {
            y_.error(n, "'days' must be a text value or a list of them");
            return;
        }
        const std::size_t errors_before = y_.error_count();
        std::vector<YAML::Node> items;
        if (n.IsSequence()) {
            for (const auto& item : n) {
                items.push_back(item);
            }
        } else {
            items.push_back(n);
        }
        h.days = 0;
        for (const auto& item : items) {
            const auto text = y_.string(item, "days");
            if (!text) {
                continue;
            }
            std::stringstream parts(*text);
            std::string part;
            while (std::getline(parts, part, ',')) {
                part.erase(0, part.find_first_not_of(' '));
                part.erase(part.find_last_not_of(' ') + 1);
                const auto dash = part.find('-');
                const int from = day(part.substr(0, dash));
                const int to = dash == std::string::npos ? from : day(part.substr(dash + 1));
                if (from < 0 || to < 0) {
                    y_.error(item, "bad days '" + part +
                                       "': use day names like mon, a range like mon-fri, or a "
                                       "list like sat,sun");
                    continue;
                }
                for (int d = from;; d = (d + 1) % 7) { // ranges may wrap: fri-mon
                    h.days |= static_cast<std::uint8_t>(1U << static_cast<unsigned>(d));
                    if (d == to) {
                        break;
                    }
                }
            }
        }
        if (h.days == 0 && y_.error_count() == errors_before) {
            y_.error(n, "'days' names no day, so the rule could never hold");
        }
    }

    void read_between(const YAML::Node& n, hours_condition& h) {
        const auto text = y_.string(n, "between");
        if (!text) {
            return;
        }
        const auto minutes = [](std::string_view s) -> int {
            if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
                !std::isdigit(static_cast<unsigned char>(s[1])) ||
                !std::isdigit(static_cast<unsigned char>(s[3])) ||
                !std::isdigit(static_cast<unsigned char>(s[4]))) {
                return -1;
            }
            const int hh = (s[0] - '0') * 10 + (s[1] - '0');
            const int mm = (s[3] - '0') * 10 + (s[4] - '0');
            if (hh > 24 || mm > 59 || (hh == 24 && mm != 0)) {
                return -1;
            }
            return hh * 60 + mm;
        };
        std::string_view t = *text;
        const auto dash = t.find('-');
        const int start = dash == std::string_view::npos ? -1 : minutes(t.substr(0, dash));
        const int end = dash == std::string_view::npos ? -1 : minutes(t.substr(dash + 1));
        if (start < 0 || end < 0 || start == end) {
            y_.error(n, "bad 'between' '" + *text +
                            "': write HH:MM-HH:MM in 24-hour time, e.g. 09:00-17:00");
            return;
        }
        h.start_minute = start;
        h.end_minute = end;
    }

    void read_then(const YAML::Node& n, actions& a) {
        const auto fields = y_.map(
            n, "then", {"tag", "team", "priority", "sla", "reply", "offer", "collect", "stop"});
        if (!fields) {
            return;
        }
        for (const auto& f : *fields) {
            if (f.key == "tag") {
                if (auto tags = y_.strings(f.value, "tag")) {
                    a.tags = std::move(*tags);
                }
            } else if (f.key == "team") {
                read_team(f.value, a);
            } else if (f.key == "priority") {
                if (auto p = y_.string(f.value, "priority")) {
                    a.priority = parse_priority(*p);
                    if (!a.priority) {
                        y_.error(f.value, with_suggestion("priority must be one of low, normal, "
                                                          "high, urgent, got '" +
                                                              *p + "'",
                                                          *p, {"low", "normal", "high", "urgent"}));
                    }
                }
            } else if (f.key == "sla") {
                a.sla = y_.span(f.value, "sla");
            } else if (f.key == "reply") {
                read_reply(f.value, a);
            } else if (f.key == "offer") {
                read_offer(f.value, a);
            } else if (f.key == "collect") {
                if (auto id = y_.string(f.value, "collect")) {
                    refer_to_insight(f.value, *id);
                    a.collect = std::move(*id);
                }
            } else if (f.key == "stop") {
                a.stop = y_.boolean(f.value, "stop").value_or(false);
            }
        }
    }

    void read_team(const YAML::Node& n, actions& a) {
        auto team = y_.string(n, "team");
        if (!team) {
            return;
        }
        if (b_.options.known_teams && !b_.options.known_teams->contains(*team)) {
            std::vector<std::string_view> known(b_.options.known_teams->begin(),
                                                b_.options.known_teams->end());
            y_.error(n, with_suggestion(
                            "unknown team '" + *team + "' (no approver in the config is in it)",
                            *team, known));
        }
        a.team = std::move(*team);
    }

    void read_reply(const YAML::Node& n, actions& a) {
        reply_action reply;
        if (n.IsScalar()) {
            if (auto t = read_template(n, "reply", false)) {
                reply.text = std::move(*t);
                a.reply = std::move(reply);
            }
            return;
        }
        const auto fields = y_.map(n, "reply", {"text", "private"});
        if (!fields) {
            return;
        }
        bool has_text = false;
        for (const auto& f : *fields) {
            if (f.key == "text") {
                if (auto t = read_template(f.value, "reply.text", false)) {
                    reply.text = std::move(*t);
                    has_text = true;
                }
            } else {
                reply.is_private = y_.boolean(f.value, "private").value_or(false);
            }
        }
        if (!n["text"]) {
            y_.error(n, "'reply' needs a 'text'");
        }
        if (has_text) {
            a.reply = std::move(reply);
        }
    }

    void read_offer(const YAML::Node& n, actions& a) {
        const auto fields = y_.map(n, "offer", {"pool", "private", "text"});
        if (!fields) {
            return;
        }
        offer_action offer;
        bool complete = true;
        for (const auto& f : *fields) {
            if (f.key == "pool") {
                if (auto p = y_.string(f.value, "pool")) {
                    if (!book_.offers.contains(*p)) {
                        y_.error(f.value, unknown_pool_message(*p));
                        complete = false;
                    }
                    offer.pool = std::move(*p);
                }
            } else if (f.key == "private") {
                offer.is_private = y_.boolean(f.value, "private").value_or(true);
            } else if (f.key == "text") {
                if (auto t = read_template(f.value, "offer.text", true)) {
                    offer.text = std::move(*t);
                } else {
                    complete = false;
                }
            }
        }
        if (!n["pool"]) {
            y_.error(n, "'offer' needs a 'pool' (one of this playbook's offers)");
            complete = false;
        }
        if (!n["text"]) {
            y_.error(n, "'offer' needs a 'text'");
            complete = false;
        }
        if (complete) {
            const auto pool = book_.offers.find(offer.pool);
            if (pool != book_.offers.end() && !pool->second.has_codes_file &&
                offer.text.uses(template_variable::offer_code)) {
                y_.error(n["text"], "the text uses {{offer.code}} but pool '" + offer.pool +
                                        "' has no codes_file");
            }
            a.offer = std::move(offer);
        }
    }

    std::string unknown_pool_message(const std::string& pool) const {
        std::vector<std::string_view> names;
        for (const auto& [name, p] : book_.offers) {
            names.push_back(name);
        }
        return with_suggestion("unknown offer pool '" + pool + "' (not in this playbook's offers)",
                               pool, names);
    }

    void refer_to_insight(const YAML::Node& n, const std::string& id) {
        const auto [line, column] = yaml_reader::position(n);
        b_.insight_refs.push_back({y_.file(), line, column, id});
    }

public:
    // Qualifies names with the playbook's and moves rules and insights into the set.
    void finish() {
        auto& book = b_.set.playbooks.back();
        for (auto& [name, pool] : book.offers) {
            pool.name = book.name + "/" + name;
        }
        for (auto& r : rules_) {
            r.id = book.name + "/" + r.id;
            if (r.then.offer) {
                r.then.offer->pool = book.name + "/" + r.then.offer->pool;
            }
            for (auto& cc : r.when.person) {
                if (cc.what == count_condition::subject::offers && !cc.filter.empty()) {
                    cc.filter = book.name + "/" + cc.filter;
                }
            }
            b_.set.rules.push_back(std::move(r));
        }
        for (auto& in : pending_insights_) {
            const std::string id = in.id;
            b_.set.insights.emplace(id, std::move(in));
        }
    }

private:
    set_builder& b_;
    yaml_reader y_;
    playbook book_;
    std::uint32_t book_index_ = 0;
    std::map<std::string, std::uint32_t, std::less<>> lexicons_;
    std::vector<rule> rules_;
    std::vector<insight> pending_insights_;
};

using trigger = std::optional<std::vector<std::uint32_t>>;

// The patterns of which at least one must hit for the query to hold, or nullopt when the
// query can hold without any hit.
trigger required_patterns(const playbook_set& set, const compiled_query& q, std::uint32_t id) {
    const auto& node = q.nodes[id];
    switch (node.op) {
        case query_ast::op::term:
        case query_ast::op::lexicon:
            return set.term_sets[node.term_set];
        case query_ast::op::negate:
            return std::nullopt;
        case query_ast::op::all_of:
        case query_ast::op::near: {
            trigger best;
            for (const auto child : node.children) {
                trigger t = required_patterns(set, q, child);
                if (t && (!best || t->size() < best->size())) {
                    best = std::move(t);
                }
            }
            return best;
        }
        case query_ast::op::any_of: {
            std::vector<std::uint32_t> all;
            for (const auto child : node.children) {
                const trigger t = required_patterns(set, q, child);
                if (!t) {
                    return std::nullopt;
                }
                all.insert(all.end(), t->begin(), t->end());
            }
            return all;
        }
    }
    return std::nullopt;
}

// The parts of a query that must each have a hit: the children of a top-level AND (both sides
// of a top-level NEAR), else the query itself. Parts that can hold without a hit are left out.
std::vector<std::vector<std::uint32_t>> required_parts(const playbook_set& set,
                                                       const compiled_query& q) {
    std::vector<std::vector<std::uint32_t>> parts;
    const auto& root = q.nodes[q.root];
    if (root.op == query_ast::op::all_of || root.op == query_ast::op::near) {
        for (const auto child : root.children) {
            if (trigger t = required_patterns(set, q, child)) {
                parts.push_back(std::move(*t));
            }
        }
    } else if (trigger t = required_patterns(set, q, q.root)) {
        parts.push_back(std::move(*t));
    }
    constexpr std::size_t max_parts = 32; // bits of a conjunct mask
    if (parts.size() > max_parts) {
        parts.resize(max_parts); // the query itself still checks the rest
    }
    return parts;
}

void index_rules(playbook_set& set) {
    set.term_sets_by_pattern.assign(set.patterns.size(), {});
    for (std::uint32_t t = 0; t < set.term_sets.size(); ++t) {
        for (const auto p : set.term_sets[t]) {
            set.term_sets_by_pattern[p].push_back(t);
        }
    }
    set.triggers_by_pattern.assign(set.patterns.size(), {});
    set.conjunct_masks.assign(set.rules.size(), 0);
    for (std::uint32_t i = 0; i < set.rules.size(); ++i) {
        const auto& q = set.rules[i].when.query;
        auto parts = q ? required_parts(set, *q) : std::vector<std::vector<std::uint32_t>>{};
        if (parts.empty()) {
            set.unconditional_rules.push_back(i);
            continue;
        }
        for (std::size_t k = 0; k < parts.size(); ++k) {
            const std::uint32_t bit = 1U << k;
            set.conjunct_masks[i] |= bit;
            auto& patterns = parts[k];
            std::sort(patterns.begin(), patterns.end());
            patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
            for (const auto p : patterns) {
                set.triggers_by_pattern[p].push_back({i, bit});
            }
        }
    }
}

load_result finish_set(set_builder& b, std::vector<diagnostic> diagnostics) {
    for (const auto& ref : b.insight_refs) {
        if (!b.set.insights.contains(ref.id)) {
            std::vector<std::string_view> names;
            for (const auto& [id, in] : b.set.insights) {
                names.push_back(id);
            }
            diagnostics.push_back(
                {ref.file, ref.line, ref.column,
                 with_suggestion("unknown insight '" + ref.id + "'", ref.id, names)});
        }
    }
    load_result result;
    if (diagnostics.empty()) {
        std::string error;
        if (!b.set.matcher.compile(b.set.patterns, error)) {
            diagnostics.push_back(
                {"playbooks", 1, 1, "could not compile the query terms: " + error});
        }
    }
    if (diagnostics.empty()) {
        index_rules(b.set);
        result.set = std::make_shared<const playbook_set>(std::move(b.set));
    }
    result.diagnostics = std::move(diagnostics);
    return result;
}

} // namespace

std::vector<std::filesystem::path> playbook_files(const std::vector<std::filesystem::path>& paths,
                                                  std::vector<diagnostic>& diagnostics) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> found;
            for (const auto& entry : fs::directory_iterator(p, ec)) {
                const std::string name = entry.path().filename().string();
                const bool yaml = name.ends_with(".yaml") || name.ends_with(".yml");
                const bool test = name.ends_with(".test.yaml") || name.ends_with(".test.yml");
                if (entry.is_regular_file() && yaml && !test && !name.starts_with('.')) {
                    found.push_back(entry.path());
                }
            }
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(p, ec)) {
            files.push_back(p);
        } else {
            diagnostics.push_back({p.string(), 1, 1, "no such file or directory"});
        }
    }
    return files;
}

load_result load_playbook_sources(const std::vector<playbook_source>& sources,
                                  const load_options& options) {
    set_builder b(options);
    std::vector<diagnostic> diagnostics;
    for (const auto& s : sources) {
        playbook_reader reader(b, s.file, diagnostics);
        if (reader.read(s.text)) {
            reader.finish();
        }
    }
    return finish_set(b, std::move(diagnostics));
}

load_result load_playbooks(const std::vector<std::filesystem::path>& paths,
                           const load_options& options) {
    std::vector<diagnostic> diagnostics;
    const auto files = playbook_files(paths, diagnostics);
    std::vector<playbook_source> sources;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            diagnostics.push_back({f.string(), 1, 1, "cannot read the file"});
            continue;
        }
        std::ostringstream text;
        text << in.rdbuf();
        sources.push_back({f.string(), text.str()});
    }
    if (files.empty() && diagnostics.empty()) {
        diagnostics.push_back({paths.empty() ? std::string(".") : paths.front().string(), 1, 1,
                               "no playbooks found (*.yaml files that are not *.test.yaml)"});
    }
    load_result result = load_playbook_sources(sources, options);
    diagnostics.insert(diagnostics.end(), result.diagnostics.begin(), result.diagnostics.end());
    if (!diagnostics.empty()) {
        result.set.reset();
    }
    result.diagnostics = std::move(diagnostics);
    return result;
}

} // namespace rapport::rules
