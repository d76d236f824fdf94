#include "rules/yaml_reader.hpp"

#include <charconv>
#include <map>

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

int yaml_reader::text_column(const YAML::Node& node) {
    // yaml-cpp tags quoted scalars "!" and plain ones "?".
    const int column = position(node).second;
    return node.Tag() == "!" ? column + 1 : column;
}

void yaml_reader::error(int line, int column, std::string message) {
    ++errors_;
    out_.push_back({file_, line, column, std::move(message)});
}

void yaml_reader::error(const YAML::Node& at, std::string message) {
    const auto [line, column] = position(at);
    error(line, column, std::move(message));
}

std::optional<YAML::Node> yaml_reader::parse(std::string_view text) {
    try {
        std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
        if (documents.empty() || documents.front().IsNull()) {
            error(1, 1, "the file is empty");
            return std::nullopt;
        }
        if (documents.size() > 1) {
            error(documents[1], "only one YAML document is allowed per file");
            return std::nullopt;
        }
        return documents.front();
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
    std::map<std::string, int, std::less<>> seen;  // key -> line
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
            error(kv.first, with_suggestion("unknown key '" + key + "' in '" + std::string(what) +
                                                "'",
                                            key, allowed));
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
