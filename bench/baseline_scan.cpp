// baseline_scan: the ceiling `rapportctl simulate` is measured against (PERFORMANCE.md). It does
// only what no playbook engine can skip: parse each JSON line (Boost.JSON, as the product does),
// fold the text, and scan it once with the playbook set's own matcher over every term, writing
// one line per message. simulate end to end should stay within 3x of this.
//
//   baseline_scan --playbooks PATH [--playbooks PATH...] < posts.jsonl > out
//
// Output: {"message_id":"...","hits":N} per message, {"line":N,"error":"..."} for a bad line.

#include "rules/json_text.hpp"
#include "rules/loader.hpp"
#include "rules/matcher.hpp"
#include "rules/text.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace rr = rapport::rules;
namespace json = boost::json;

int usage(const char* problem) {
    std::fprintf(stderr,
                 "baseline_scan: %s\n"
                 "usage: baseline_scan --playbooks PATH [--playbooks PATH...] < posts.jsonl\n",
                 problem);
    return 2;
}

/// Reads stdin in large blocks and hands out lines, so reading is never what is measured.
class line_reader {
public:
    /// The next line without its newline (and without a trailing '\r'); false at the end.
    bool next(std::string_view& line) {
        for (;;) {
            const char* nl = static_cast<const char*>(
                std::memchr(buffer_.data() + pos_, '\n', buffer_.size() - pos_));
            if (nl != nullptr) {
                const std::size_t end = static_cast<std::size_t>(nl - buffer_.data());
                line = std::string_view(buffer_).substr(pos_, end - pos_);
                pos_ = end + 1;
                break;
            }
            if (eof_) {
                if (pos_ == buffer_.size()) {
                    return false;
                }
                line = std::string_view(buffer_).substr(pos_);
                pos_ = buffer_.size();
                break;
            }
            fill();
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        return true;
    }

private:
    void fill() {
        buffer_.erase(0, pos_);
        pos_ = 0;
        const std::size_t kept = buffer_.size();
        buffer_.resize(kept + block);
        const std::size_t got = std::fread(buffer_.data() + kept, 1, block, stdin);
        buffer_.resize(kept + got);
        eof_ = got == 0;
    }

    static constexpr std::size_t block = 1 << 20;
    std::string buffer_;
    std::size_t pos_ = 0;
    bool eof_ = false;
};

} // namespace

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> paths;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--playbooks" && i + 1 < argc) {
            paths.emplace_back(argv[++i]);
        } else {
            return usage(("unexpected argument: " + std::string(arg)).c_str());
        }
    }
    if (paths.empty()) {
        return usage("--playbooks is required");
    }
    const rr::load_result loaded = rr::load_playbooks(paths);
    if (!loaded.set) {
        for (const auto& d : loaded.diagnostics) {
            std::fprintf(stderr, "%s\n", rr::to_string(d).c_str());
        }
        return 1;
    }
    const rr::matcher& matcher = loaded.set->matcher;

    rr::matcher::scratch scratch;
    rr::normalized_text folded;
    std::vector<rr::pattern_hit> hits;
    // A reused parser whose values live in a per-line arena: the fastest way Boost.JSON offers
    // (~830 MB/s here), so the baseline is a true ceiling.
    json::parser parser;
    unsigned char arena[16384];
    std::string out;
    out.reserve(1 << 20);

    line_reader reader;
    std::string_view line;
    std::size_t line_number = 0;
    while (reader.next(line)) {
        ++line_number;
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
            continue;
        }
        json::monotonic_resource memory(arena, sizeof arena);
        parser.reset(&memory);
        json::error_code ec;
        parser.write(line.data(), line.size(), ec);
        const char* error = nullptr;
        if (ec) {
            error = "invalid JSON";
        } else {
            const json::value v = parser.release();
            const json::object* object = v.if_object();
            const json::value* id_value = object != nullptr ? object->if_contains("id") : nullptr;
            const json::value* text_value =
                object != nullptr ? object->if_contains("text") : nullptr;
            if (id_value == nullptr || !id_value->is_string()) {
                error = "field 'id' is required";
            } else if (text_value == nullptr || !text_value->is_string()) {
                error = "field 'text' is required";
            } else {
                const std::string_view id = id_value->get_string();
                rr::normalize_into(text_value->get_string(), folded);
                hits.clear();
                matcher.scan(folded, scratch, hits);
                out += "{\"message_id\":";
                rr::append_json_string(out, id);
                out += ",\"hits\":";
                out += std::to_string(hits.size());
                out += "}\n";
            }
        }
        if (error != nullptr) {
            out += "{\"line\":";
            out += std::to_string(line_number);
            out += ",\"error\":\"";
            out += error;
            out += "\"}\n";
        }
        if (out.size() > (1U << 20) - 4096) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}
