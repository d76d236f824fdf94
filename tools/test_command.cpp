#include "tools/commands.hpp"

#include "rules/evaluator.hpp"
#include "rules/loader.hpp"
#include "rules/yaml_reader.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace rapport::tools {
namespace {

namespace fs = std::filesystem;
using rules::yaml_reader;

struct draft_expectation {
    int line = 0;
    std::optional<std::string> rule;
    std::optional<rules::draft_kind> kind;
    std::optional<std::string> text;
    std::optional<std::string> text_contains;
    std::optional<std::string> team;
    std::optional<rules::priority> priority;
    std::optional<bool> is_private;
    std::optional<bool> too_long;
    std::optional<std::string> offer;
};

struct expectation {
    std::optional<std::vector<std::string>> tags;
    std::optional<std::vector<draft_expectation>> drafts;
    std::optional<std::vector<std::string>> matched;
    std::optional<std::vector<std::string>> collect;
    std::optional<std::vector<std::pair<std::string, std::string>>> skipped;
    std::optional<int> sentiment;
    std::optional<int> sentiment_below;
    std::optional<int> sentiment_above;
    std::optional<rules::duration> sla;
};

struct history_entry {
    rules::duration ago{0};
    std::vector<std::string> tags;
    std::string offer; // as written; qualified when the set is known
    int count = 1;
    int line = 0;
    int column = 0;
};

struct test_case {
    std::string name;
    int line = 0;
    rules::message message;
    std::optional<rules::time_point> now;
    std::vector<history_entry> history;
    expectation expect;
};

struct test_file {
    std::string path;
    std::vector<fs::path> playbooks;
    std::vector<test_case> cases;
};

std::optional<std::string> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Reads the YAML form of a message (CONTRACT §6 fields).
void read_message(yaml_reader& y, const YAML::Node& n, rules::message& m) {
    const auto fields = y.map(n, "message",
                              {"id", "kind", "text", "author", "thread_id", "in_reply_to",
                               "created_at", "lang", "platform", "account", "insight"});
    if (!fields) {
        return;
    }
    for (const auto& f : *fields) {
        if (f.key == "author") {
            const auto af = y.map(f.value, "author", {"id", "handle", "name", "followers"});
            if (!af) {
                continue;
            }
            for (const auto& a : *af) {
                if (a.key == "followers") {
                    m.author.followers = y.integer(a.value, "followers", 0, INT64_MAX);
                } else if (auto v = y.string(a.value, "author." + a.key)) {
                    (a.key == "id"       ? m.author.id
                     : a.key == "handle" ? m.author.handle
                                         : m.author.name) = *v;
                }
            }
            continue;
        }
        auto v = y.string(f.value, f.key);
        if (!v) {
            continue;
        }
        if (f.key == "kind") {
            if (const auto k = rules::parse_message_kind(*v)) {
                m.kind = *k;
            } else {
                y.error(f.value, rules::with_suggestion(
                                     "unknown kind '" + *v +
                                         "' (one of mention, direct, reply, comment, post)",
                                     *v, {"mention", "direct", "reply", "comment", "post"}));
            }
        } else if (f.key == "created_at") {
            m.created_at = rules::parse_timestamp(*v);
            if (!m.created_at) {
                y.error(f.value,
                        "'created_at' must be an RFC 3339 time such as "
                        "2026-11-22T10:00:00Z");
            }
        } else if (f.key == "id") {
            m.id = *v;
        } else if (f.key == "text") {
            m.text = *v;
        } else if (f.key == "thread_id") {
            m.thread_id = *v;
        } else if (f.key == "in_reply_to") {
            m.in_reply_to = *v;
        } else if (f.key == "lang") {
            m.lang = *v;
        } else if (f.key == "platform") {
            m.platform = *v;
        } else if (f.key == "account") {
            m.account = *v;
        } else if (f.key == "insight") {
            m.insight = *v;
        }
    }
    if (!n["text"]) {
        y.error(n, "the message needs a 'text'");
    }
    if (m.author.id.empty()) {
        m.author.id = "test-author"; // tests about one message need not invent a person
    }
}

void read_draft_expectation(yaml_reader& y, const YAML::Node& n, draft_expectation& d) {
    d.line = yaml_reader::position(n).first;
    const auto fields = y.map(n, "draft",
                              {"rule", "kind", "text", "text_contains", "team", "priority",
                               "private", "too_long", "offer"});
    if (!fields) {
        return;
    }
    for (const auto& f : *fields) {
        if (f.key == "private" || f.key == "too_long") {
            (f.key == "private" ? d.is_private : d.too_long) = y.boolean(f.value, f.key);
            continue;
        }
        auto v = y.string(f.value, f.key);
        if (!v) {
            continue;
        }
        if (f.key == "kind") {
            for (const auto k : {rules::draft_kind::reply, rules::draft_kind::offer,
                                 rules::draft_kind::thanks, rules::draft_kind::insight_question}) {
                if (rules::to_string(k) == *v) {
                    d.kind = k;
                }
            }
            if (!d.kind) {
                y.error(f.value,
                        "draft kind must be one of reply, offer, thanks, "
                        "insight_question");
            }
        } else if (f.key == "priority") {
            d.priority = rules::parse_priority(*v);
            if (!d.priority) {
                y.error(f.value, "priority must be one of low, normal, high, urgent");
            }
        } else if (f.key == "rule") {
            d.rule = *v;
        } else if (f.key == "text") {
            d.text = *v;
        } else if (f.key == "text_contains") {
            d.text_contains = *v;
        } else if (f.key == "team") {
            d.team = *v;
        } else if (f.key == "offer") {
            d.offer = *v;
        }
    }
}

void read_expect(yaml_reader& y, const YAML::Node& n, expectation& e) {
    const auto fields =
        y.map(n, "expect", {"tags", "drafts", "matched", "collect", "skipped", "sentiment", "sla"});
    if (!fields) {
        return;
    }
    for (const auto& f : *fields) {
        if (f.key == "tags") {
            e.tags = f.value.IsSequence() && f.value.size() == 0 ? std::vector<std::string>{}
                                                                 : y.strings(f.value, "tags");
        } else if (f.key == "matched") {
            e.matched = f.value.IsSequence() && f.value.size() == 0 ? std::vector<std::string>{}
                                                                    : y.strings(f.value, "matched");
        } else if (f.key == "collect") {
            e.collect = f.value.IsSequence() && f.value.size() == 0 ? std::vector<std::string>{}
                                                                    : y.strings(f.value, "collect");
        } else if (f.key == "drafts") {
            if (!f.value.IsSequence()) {
                y.error(f.value, "'drafts' must be a list (use [] for no drafts)");
                continue;
            }
            e.drafts.emplace();
            for (const auto& item : f.value) {
                read_draft_expectation(y, item, e.drafts->emplace_back());
            }
        } else if (f.key == "skipped") {
            if (!f.value.IsSequence()) {
                y.error(f.value, "'skipped' must be a list of {rule, reason}");
                continue;
            }
            e.skipped.emplace();
            for (const auto& item : f.value) {
                const auto sf = y.map(item, "skipped", {"rule", "reason"});
                std::pair<std::string, std::string> s;
                if (sf) {
                    for (const auto& x : *sf) {
                        (x.key == "rule" ? s.first : s.second) =
                            y.string(x.value, x.key).value_or("");
                    }
                }
                e.skipped->push_back(std::move(s));
            }
        } else if (f.key == "sentiment") {
            if (f.value.IsScalar()) {
                if (const auto v = y.integer(f.value, "sentiment", -1'000'000, 1'000'000)) {
                    e.sentiment = static_cast<int>(*v);
                }
                continue;
            }
            const auto sf = y.map(f.value, "sentiment", {"below", "above"});
            if (sf) {
                for (const auto& x : *sf) {
                    const auto v = y.integer(x.value, x.key, -1'000'000, 1'000'000);
                    if (v) {
                        (x.key == "below" ? e.sentiment_below : e.sentiment_above) =
                            static_cast<int>(*v);
                    }
                }
            }
        } else if (f.key == "sla") {
            e.sla = y.span(f.value, "sla");
        }
    }
}

void read_history(yaml_reader& y, const YAML::Node& n, std::vector<history_entry>& out) {
    if (!n.IsSequence()) {
        y.error(n, "'history' must be a list of {ago, tags} or {ago, offer}");
        return;
    }
    for (const auto& item : n) {
        const auto fields = y.map(item, "history entry", {"ago", "tags", "offer", "count"});
        if (!fields) {
            continue;
        }
        history_entry h;
        std::tie(h.line, h.column) = yaml_reader::position(item);
        for (const auto& f : *fields) {
            if (f.key == "ago") {
                h.ago = y.span(f.value, "ago").value_or(rules::duration{0});
            } else if (f.key == "tags") {
                h.tags = y.strings(f.value, "tags").value_or(std::vector<std::string>{});
            } else if (f.key == "offer") {
                h.offer = y.string(f.value, "offer").value_or("");
            } else if (f.key == "count") {
                h.count = static_cast<int>(y.integer(f.value, "count", 1, 10'000).value_or(1));
            }
        }
        if (!item["ago"]) {
            y.error(item, "a history entry needs 'ago' (how long before now, e.g. 3d)");
        }
        if (item["offer"] && item["tags"]) {
            y.error(item, "a history entry is a message ('tags') or an offer ('offer'), not both");
        }
        out.push_back(std::move(h));
    }
}

std::optional<test_file> read_test_file(const fs::path& path,
                                        std::vector<rules::diagnostic>& diagnostics) {
    yaml_reader y(path.string(), diagnostics);
    const auto text = read_file(path);
    if (!text) {
        y.error(1, 1, "cannot read the file");
        return std::nullopt;
    }
    const auto root = y.parse(*text);
    if (!root) {
        return std::nullopt;
    }
    const auto fields = y.map(*root, "test file", {"playbooks", "tests"});
    if (!fields) {
        return std::nullopt;
    }
    test_file file;
    file.path = path.string();
    for (const auto& f : *fields) {
        if (f.key == "playbooks") {
            if (auto list = y.strings(f.value, "playbooks")) {
                for (const auto& p : *list) {
                    file.playbooks.push_back(path.parent_path() / p);
                }
            }
        } else if (f.key == "tests") {
            if (!f.value.IsSequence()) {
                y.error(f.value, "'tests' must be a list");
                continue;
            }
            for (const auto& item : f.value) {
                test_case c;
                c.line = yaml_reader::position(item).first;
                const auto tf =
                    y.map(item, "test", {"name", "message", "now", "history", "expect"});
                if (!tf) {
                    continue;
                }
                for (const auto& t : *tf) {
                    if (t.key == "name") {
                        c.name = y.string(t.value, "name").value_or("");
                    } else if (t.key == "message") {
                        read_message(y, t.value, c.message);
                    } else if (t.key == "now") {
                        if (auto v = y.string(t.value, "now")) {
                            c.now = rules::parse_timestamp(*v);
                            if (!c.now) {
                                y.error(t.value,
                                        "'now' must be an RFC 3339 time such as "
                                        "2026-11-22T10:00:00Z");
                            }
                        }
                    } else if (t.key == "history") {
                        read_history(y, t.value, c.history);
                    } else if (t.key == "expect") {
                        read_expect(y, t.value, c.expect);
                    }
                }
                for (const char* required : {"name", "message", "expect"}) {
                    if (!item[required]) {
                        y.error(item, std::string("a test needs '") + required + "'");
                    }
                }
                if (c.message.id.empty()) {
                    c.message.id = "test-" + std::to_string(file.cases.size() + 1);
                }
                file.cases.push_back(std::move(c));
            }
        }
    }
    if (!(*root)["playbooks"]) {
        y.error(*root, "missing 'playbooks' (the playbook files these tests run against)");
    }
    if (y.error_count() > 0) {
        return std::nullopt;
    }
    return file;
}

// A rule or pool written in a test may be bare ("complaint") or qualified with its playbook
// ("acme-core/complaint").
bool same_name(std::string_view expected, std::string_view actual) {
    return expected == actual ||
           (expected.find('/') == std::string_view::npos && rules::unqualified(actual) == expected);
}

std::string quote_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i > 0 ? ", " : "") + items[i];
    }
    return out + "]";
}

std::string describe(const rules::draft_spec& d) {
    std::string out = "{rule: " + d.rule + ", kind: " + std::string(rules::to_string(d.kind)) +
                      ", team: " + d.team.value_or("-") +
                      ", priority: " + std::string(rules::to_string(d.priority)) +
                      ", private: " + (d.is_private ? "true" : "false") + ", text: \"" + d.text +
                      "\"";
    if (d.too_long) {
        out += ", too_long: true";
    }
    if (d.offer) {
        out += ", offer: " + std::string(rules::unqualified(*d.offer));
    }
    return out + "}";
}

// Every difference between what a case expects and what the playbooks decided.
std::vector<std::string> compare(const expectation& e, const rules::decision& d) {
    std::vector<std::string> problems;
    const auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    if (e.tags && sorted(*e.tags) != sorted(d.tags)) {
        problems.push_back("tags: expected " + quote_list(*e.tags) + ", got " + quote_list(d.tags));
    }
    if (e.matched) {
        bool same = e.matched->size() == d.matched.size();
        for (std::size_t i = 0; same && i < d.matched.size(); ++i) {
            same = same_name((*e.matched)[i], d.matched[i]);
        }
        if (!same) {
            problems.push_back("matched: expected " + quote_list(*e.matched) + ", got " +
                               quote_list(d.matched));
        }
    }
    if (e.collect && sorted(*e.collect) != sorted(d.collect)) {
        problems.push_back("collect: expected " + quote_list(*e.collect) + ", got " +
                           quote_list(d.collect));
    }
    if (e.sentiment && *e.sentiment != d.sentiment) {
        problems.push_back("sentiment: expected " + std::to_string(*e.sentiment) + ", got " +
                           std::to_string(d.sentiment));
    }
    if (e.sentiment_below && !(d.sentiment < *e.sentiment_below)) {
        problems.push_back("sentiment: expected below " + std::to_string(*e.sentiment_below) +
                           ", got " + std::to_string(d.sentiment));
    }
    if (e.sentiment_above && !(d.sentiment > *e.sentiment_above)) {
        problems.push_back("sentiment: expected above " + std::to_string(*e.sentiment_above) +
                           ", got " + std::to_string(d.sentiment));
    }
    if (e.sla && d.sla != e.sla) {
        problems.push_back("sla: expected " + std::to_string(e.sla->count()) + "s, got " +
                           (d.sla ? std::to_string(d.sla->count()) + "s" : "none"));
    }
    if (e.skipped) {
        bool same = e.skipped->size() == d.skipped.size();
        for (std::size_t i = 0; same && i < d.skipped.size(); ++i) {
            same = same_name((*e.skipped)[i].first, d.skipped[i].rule) &&
                   (*e.skipped)[i].second == d.skipped[i].reason;
        }
        if (!same) {
            std::string want;
            for (const auto& [rule, reason] : *e.skipped) {
                want += (want.empty() ? "" : ", ") + rule + " (" + reason + ")";
            }
            std::string got;
            for (const auto& s : d.skipped) {
                got += (got.empty() ? "" : ", ") + s.rule + " (" + s.reason + ")";
            }
            problems.push_back("skipped: expected [" + want + "], got [" + got + "]");
        }
    }
    if (e.drafts) {
        if (e.drafts->size() != d.drafts.size()) {
            std::string got;
            for (const auto& draft : d.drafts) {
                got += "\n      " + describe(draft);
            }
            problems.push_back("drafts: expected " + std::to_string(e.drafts->size()) + ", got " +
                               std::to_string(d.drafts.size()) + got);
        } else {
            for (std::size_t i = 0; i < d.drafts.size(); ++i) {
                const auto& want = (*e.drafts)[i];
                const auto& got = d.drafts[i];
                const std::string at = "drafts[" + std::to_string(i) + "]";
                std::vector<std::string> diffs;
                if (want.rule && !same_name(*want.rule, got.rule)) {
                    diffs.push_back("rule " + *want.rule);
                }
                if (want.kind && *want.kind != got.kind) {
                    diffs.push_back("kind " + std::string(rules::to_string(*want.kind)));
                }
                if (want.text && *want.text != got.text) {
                    diffs.push_back("text \"" + *want.text + "\"");
                }
                if (want.text_contains && got.text.find(*want.text_contains) == std::string::npos) {
                    diffs.push_back("text containing \"" + *want.text_contains + "\"");
                }
                if (want.team && got.team != want.team) {
                    diffs.push_back("team " + *want.team);
                }
                if (want.priority && *want.priority != got.priority) {
                    diffs.push_back("priority " + std::string(rules::to_string(*want.priority)));
                }
                if (want.is_private && *want.is_private != got.is_private) {
                    diffs.push_back(std::string("private ") +
                                    (*want.is_private ? "true" : "false"));
                }
                if (want.too_long && *want.too_long != got.too_long) {
                    diffs.push_back(std::string("too_long ") + (*want.too_long ? "true" : "false"));
                }
                if (want.offer && (!got.offer || !same_name(*want.offer, *got.offer))) {
                    diffs.push_back("offer " + *want.offer);
                }
                for (const auto& diff : diffs) {
                    problems.push_back(at + ": expected " + diff + ", got " + describe(got));
                }
            }
        }
    }
    return problems;
}

// Resolves a pool named in a test's history to its qualified name in the loaded set.
std::optional<std::string> qualify_pool(const rules::playbook_set& set, const std::string& pool) {
    if (set.find_pool(pool) != nullptr) {
        return pool;
    }
    for (const auto& book : set.playbooks) {
        if (book.offers.contains(pool)) {
            return book.name + "/" + pool;
        }
    }
    return std::nullopt;
}

} // namespace

int run_tests(const std::vector<fs::path>& paths, std::ostream& out, std::ostream& err) {
    std::vector<fs::path> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> found;
            for (const auto& entry : fs::recursive_directory_iterator(p, ec)) {
                const std::string name = entry.path().filename().string();
                if (entry.is_regular_file() &&
                    (name.ends_with(".test.yaml") || name.ends_with(".test.yml"))) {
                    found.push_back(entry.path());
                }
            }
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else {
            files.push_back(p);
        }
    }
    if (files.empty()) {
        err << "rapportctl test: no *.test.yaml files found\n";
        return exit_usage;
    }

    int passed = 0;
    int failed = 0;
    const rules::time_point wall_now =
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    for (const auto& path : files) {
        std::vector<rules::diagnostic> diagnostics;
        const auto file = read_test_file(path, diagnostics);
        if (!file) {
            for (const auto& d : diagnostics) {
                out << to_string(d) << '\n';
            }
            ++failed;
            continue;
        }
        const auto loaded = rules::load_playbooks(file->playbooks);
        if (!loaded.set) {
            for (const auto& d : loaded.diagnostics) {
                out << to_string(d) << '\n';
            }
            out << "FAIL " << file->path << ": the playbooks did not load; " << file->cases.size()
                << " tests not run\n";
            failed += std::max<int>(1, static_cast<int>(file->cases.size()));
            continue;
        }
        rules::evaluator evaluator(loaded.set);
        for (const auto& c : file->cases) {
            const rules::time_point now = c.now.value_or(c.message.created_at.value_or(wall_now));
            rules::person_history history;
            std::vector<std::string> problems;
            for (const auto& h : c.history) {
                rules::history_event e;
                e.at = now - h.ago;
                if (!h.offer.empty()) {
                    const auto pool = qualify_pool(*loaded.set, h.offer);
                    if (!pool) {
                        problems.push_back("history (line " + std::to_string(h.line) +
                                           "): unknown offer pool '" + h.offer + "'");
                        continue;
                    }
                    e.what = rules::history_event::kind::offer;
                    e.pool = *pool;
                } else {
                    e.tags = h.tags;
                }
                for (int i = 0; i < h.count; ++i) {
                    history.events.push_back(e);
                }
            }
            rules::replay_ledger ledger(*loaded.set);
            const auto decision = evaluator.evaluate(c.message, history, now, &ledger);
            auto diffs = compare(c.expect, decision);
            problems.insert(problems.end(), diffs.begin(), diffs.end());
            if (problems.empty()) {
                ++passed;
                continue;
            }
            ++failed;
            out << "FAIL " << file->path << ":" << c.line << ": " << c.name << '\n';
            for (const auto& p : problems) {
                out << "    " << p << '\n';
            }
        }
    }
    out << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? exit_ok : exit_problems;
}

} // namespace rapport::tools
