#include "rules/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <sstream>

namespace rapport::rules {

yaml_reader::yaml_reader(std::string file, std::vector<diagnostic>& out)
    : file_(std::move(file)), out_(out) {}

std::pair<int, int> yaml_reader::position(const YAML::Node& node) {
    if (!node.IsDefined()) {
        return {0, 0};
    }
    const YAML::Mark m = node.Mark();
    if (m.is_null()) {
        return {0, 0};
    }
    return {m.line + 1, m.column + 1};
}

namespace {

// Bytes the UTF-8 form of code point `cp` takes (what a \u escape becomes).
std::size_t utf8_length(unsigned long cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

std::size_t skip_blanks(std::string_view s, std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
        ++i;
    }
    return i;
}

// Where in `src` byte `offset` of the value of the scalar starting at `start` is.
std::size_t source_offset(std::string_view src, std::size_t start, std::size_t offset) {
    std::size_t i = start;
    const char style = src[i];
    std::size_t indent = 0;
    const bool block = style == '|' || style == '>';
    if (style == '\'' || style == '"') {
        ++i;
    } else if (block) {
        // Content starts on the next line; its first non-blank line sets the indentation.
        i = src.find('\n', i);
        if (i == std::string_view::npos) {
            return src.size();
        }
        ++i;
        std::size_t probe = i;
        while (probe < src.size() && src[probe] == '\n') {
            ++probe;
        }
        indent = skip_blanks(src, probe) - probe;
        i = std::min(src.size(), i + indent);
    }
    std::size_t value = 0;
    while (i < src.size() && value < offset) {
        const char c = src[i];
        if (c == '\n') { // a line break is one character of the value (space or newline)
            ++i;
            i = block ? std::min(src.size(), i + indent) : skip_blanks(src, i);
            ++value;
        } else if (style == '\'' && c == '\'' && i + 1 < src.size() && src[i + 1] == '\'') {
            i += 2;
            ++value;
        } else if (style == '"' && c == '\\' && i + 1 < src.size()) {
            const char e = src[i + 1];
            if (e == '\n') { // an escaped line break joins the lines
                i = skip_blanks(src, i + 2);
            } else if (e == 'x' || e == 'u' || e == 'U') {
                const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                const std::string hex(src.substr(i + 2, digits));
                value += e == 'x' ? 1 : utf8_length(std::strtoul(hex.c_str(), nullptr, 16));
                i += 2 + digits;
            } else {
                i += 2;
                ++value;
            }
        } else {
            ++i;
            ++value;
        }
    }
    return std::min(i, src.size());
}

} // namespace

std::pair<int, int> yaml_reader::position_in(const YAML::Node& node, std::size_t offset) const {
    const auto start = position(node);
    if (!node.IsDefined() || node.Mark().is_null() || source_.empty()) {
        return start;
    }
    const auto begin = static_cast<std::size_t>(node.Mark().pos);
    if (begin >= source_.size()) {
        return start;
    }
    const std::size_t at = source_offset(source_, begin, offset);
    int line = start.first;
    std::size_t line_start = begin - static_cast<std::size_t>(start.second - 1);
    for (std::size_t i = begin; i < at; ++i) {
        if (source_[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, static_cast<int>(at - line_start) + 1};
}

void yaml_reader::error(int line, int column, std::string message) {
    ++errors_;
    out_.push_back({file_, line, column, std::move(message)});
}

void yaml_reader::error(const YAML::Node& at, std::string message) {
    const auto [line, column] = position(at);
    error(line, column, std::move(message));
}

namespace {

// Counts documents without building them.
class document_counter final : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark& mark) override {
        if (documents_++ == 1) {
            second_ = mark;
        }
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&,
                  const std::string&,
                  YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&,
                         const std::string&,
                         YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&,
                    const std::string&,
                    YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}

    [[nodiscard]] int documents() const { return documents_; }
    [[nodiscard]] const YAML::Mark& second() const { return second_; }

private:
    int documents_ = 0;
    YAML::Mark second_ = YAML::Mark::null_mark();
};

} // namespace

std::optional<YAML::Node> yaml_reader::parse(std::string_view text) {
    source_.assign(text);
    try {
        // Not YAML::LoadAll: yaml-cpp 0.7 loops forever on input such as "{}," (it keeps
        // reporting one more empty document). One document is loaded, and at most two counted.
        YAML::Node document = YAML::Load(source_);
        std::istringstream in(source_);
        YAML::Parser parser(in);
        document_counter counter;
        for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
        }
        if (counter.documents() > 1) {
            const YAML::Mark& m = counter.second();
            error(m.is_null() ? 1 : m.line + 1, m.is_null() ? 1 : m.column + 1,
                  "only one YAML document is allowed per file");
            return std::nullopt;
        }
        if (document.IsNull()) {
            error(1, 1, "the file is empty");
            return std::nullopt;
        }
        return document;
    } catch (const YAML::Exception& e) {
        error(e.mark.is_null() ? 1 : e.mark.line + 1, e.mark.is_null() ? 1 : e.mark.column + 1,
              "YAML syntax: " + e.msg);
    } catch (const std::exception& e) {
        error(1, 1, std::string("YAML: ") + e.what());
    }
    return std::nullopt;
}

std::optional<std::vector<yaml_reader::entry>> yaml_reader::map(
    const YAML::Node& node, std::string_view what, const std::vector<std::string_view>& allowed) {
    if (!node.IsMap()) {
        error(node, "'" + std::string(what) + "' must be a mapping (key: value)");
        return std::nullopt;
    }
    std::vector<entry> entries;
    std::map<std::string, int, std::less<>> seen; // key -> line
    for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
            error(kv.first, "keys in '" + std::string(what) + "' must be plain names");
            continue;
        }
        std::string key = kv.first.Scalar();
        if (const auto it = seen.find(key); it != seen.end()) {
            error(kv.first, "duplicate key '" + key + "' (first given on line " +
                                std::to_string(it->second) + ")");
            continue;
        }
        seen.emplace(key, position(kv.first).first);
        if (!allowed.empty() &&
            std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
            error(kv.first,
                  with_suggestion("unknown key '" + key + "' in '" + std::string(what) + "'", key,
                                  allowed));
            continue;
        }
        entries.push_back({std::move(key), kv.first, kv.second});
    }
    return entries;
}

std::optional<std::string> yaml_reader::string(const YAML::Node& node, std::string_view what) {
    if (!node.IsScalar()) {
        error(node, "'" + std::string(what) + "' must be a text value");
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<std::vector<std::string>> yaml_reader::strings(const YAML::Node& node,
                                                             std::string_view what) {
    if (node.IsScalar()) {
        return std::vector<std::string>{node.Scalar()};
    }
    if (!node.IsSequence()) {
        error(node, "'" + std::string(what) + "' must be a text value or a list of them");
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& item : node) {
        if (!item.IsScalar()) {
            error(item, "each item of '" + std::string(what) + "' must be a text value");
            ok = false;
            continue;
        }
        out.push_back(item.Scalar());
    }
    if (!ok) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::int64_t> yaml_reader::integer(const YAML::Node& node,
                                                 std::string_view what,
                                                 std::int64_t min,
                                                 std::int64_t max) {
    const std::string range = std::to_string(min) + " to " + std::to_string(max);
    if (!node.IsScalar()) {
        error(node, "'" + std::string(what) + "' must be a whole number from " + range);
        return std::nullopt;
    }
    const std::string& s = node.Scalar();
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || ptr != s.data() + s.size() || value < min || value > max) {
        error(node, "'" + std::string(what) + "' must be a whole number from " + range + ", got '" +
                        s + "'");
        return std::nullopt;
    }
    return value;
}

std::optional<bool> yaml_reader::boolean(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar()) {
        const std::string& s = node.Scalar();
        if (s == "true" || s == "yes" || s == "on") {
            return true;
        }
        if (s == "false" || s == "no" || s == "off") {
            return false;
        }
    }
    error(node, "'" + std::string(what) + "' must be true or false");
    return std::nullopt;
}

std::optional<duration> yaml_reader::span(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar()) {
        if (const auto d = parse_duration(node.Scalar())) {
            return d;
        }
        error(node, "bad duration '" + node.Scalar() + "' for '" + std::string(what) +
                        "': write a whole number and a unit (s, m, h, d), e.g. 90m or 30d");
        return std::nullopt;
    }
    error(node, "'" + std::string(what) + "' must be a duration such as 90m or 30d");
    return std::nullopt;
}

} // namespace rapport::rules
