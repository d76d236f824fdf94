#include "tools/commands.hpp"

#include "rules/evaluator.hpp"
#include "rules/json_text.hpp"
#include "rules/loader.hpp"

#include <cstdio>
#include <cstring>
#include <ostream>
#include <unordered_map>

namespace rapport::tools {
namespace {

// Reads lines from a FILE* through a large buffer: iostreams cost more than the rule engine
// on a 70 MB replay.
class line_reader {
public:
    explicit line_reader(std::FILE* in) : in_(in) { buffer_.resize(1 << 20); }

    bool next(std::string& line) {
        line.clear();
        for (;;) {
            if (pos_ == end_) {
                end_ = std::fread(buffer_.data(), 1, buffer_.size(), in_);
                pos_ = 0;
                if (end_ == 0) {
                    return !line.empty();
                }
            }
            const char* start = buffer_.data() + pos_;
            const void* nl = std::memchr(start, '\n', end_ - pos_);
            if (nl != nullptr) {
                const std::size_t len = static_cast<const char*>(nl) - start;
                line.append(start, len);
                pos_ += len + 1;
                return true;
            }
            line.append(start, end_ - pos_);
            pos_ = end_;
        }
    }

private:
    std::FILE* in_;
    std::vector<char> buffer_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

bool blank(std::string_view s) {
    return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

} // namespace

int run_simulate(const std::vector<std::filesystem::path>& playbooks,
                 std::FILE* in,
                 std::FILE* out,
                 std::ostream& err,
                 rules::time_point now) {
    const auto loaded = rules::load_playbooks(playbooks);
    if (!loaded.set) {
        for (const auto& d : loaded.diagnostics) {
            err << to_string(d) << '\n';
        }
        return exit_problems;
    }
    rules::evaluator evaluator(loaded.set);
    rules::replay_ledger ledger(*loaded.set);
    // A person is (platform, author.id); earlier lines are their history.
    std::unordered_map<std::string, rules::person_history> people;
    line_reader reader(in);
    std::string line;
    std::string output;
    std::string key;
    output.reserve(1 << 20);
    std::size_t number = 0;
    while (reader.next(line)) {
        ++number;
        if (blank(line)) {
            continue;
        }
        auto parsed = rules::parse_message_json(line);
        if (!parsed.message) {
            output.append("{\"line\":");
            output.append(std::to_string(number));
            output.append(",\"error\":");
            rules::append_json_string(output, parsed.error);
            output.append("}\n");
        } else {
            const rules::message& m = *parsed.message;
            const rules::time_point at = m.created_at.value_or(now);
            key.assign(m.platform);
            key.push_back('\x1f');
            key.append(m.author.id);
            auto& history = people[key];
            const rules::decision d = evaluator.evaluate(m, history, at, &ledger);
            rules::append_json(output, d);
            output.push_back('\n');
            history.events.push_back({rules::history_event::kind::message, at, d.tags, {}});
            for (const auto& draft : d.drafts) {
                if (draft.offer) { // a drafted offer counts as sent in a replay
                    history.events.push_back(
                        {rules::history_event::kind::offer, at, {}, *draft.offer});
                }
            }
            ledger.record(d, at);
        }
        if (output.size() >= (1 << 20) - 4096) {
            std::fwrite(output.data(), 1, output.size(), out);
            output.clear();
        }
    }
    std::fwrite(output.data(), 1, output.size(), out);
    std::fflush(out);
    return exit_ok;
}

} // namespace rapport::tools
