// Walking yaml-cpp nodes with every problem reported as FILE:LINE:COL. Playbooks, playbook
// tests and the daemon config all read YAML through this, so they report alike: unknown keys
// with a did-you-mean, duplicate keys (yaml-cpp accepts them silently), wrong types.
#pragma once

#include "rules/diagnostic.hpp"
#include "rules/time.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// Reads one YAML file, appending problems to a diagnostics list. Never throws.
class yaml_reader {
public:
    yaml_reader(std::string file, std::vector<diagnostic>& out);

    /// Parses `text` (one document). A syntax error becomes a diagnostic and nullopt; so does
    /// an empty document or a second document in the same file.
    std::optional<YAML::Node> parse(std::string_view text);

    struct entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
    };

    /// The entries of mapping `node` in order. Reports (and skips) keys not in `allowed`, with
    /// a did-you-mean, and repeated keys. nullopt (reported) when `node` is not a mapping.
    std::optional<std::vector<entry>> map(const YAML::Node& node,
                                          std::string_view what,
                                          const std::vector<std::string_view>& allowed);

    std::optional<std::string> string(const YAML::Node& node, std::string_view what);
    /// A string or a list of strings.
    std::optional<std::vector<std::string>> strings(const YAML::Node& node, std::string_view what);
    std::optional<std::int64_t> integer(const YAML::Node& node,
                                        std::string_view what,
                                        std::int64_t min,
                                        std::int64_t max);
    std::optional<bool> boolean(const YAML::Node& node, std::string_view what);
    /// A duration such as 90m (rules/time.hpp).
    std::optional<duration> span(const YAML::Node& node, std::string_view what);

    void error(const YAML::Node& at, std::string message);
    void error(int line, int column, std::string message);

    /// 1-based line and column of a node (0, 0 when yaml-cpp has no mark for it).
    [[nodiscard]] static std::pair<int, int> position(const YAML::Node& node);
    /// 1-based line and column, in the parsed source, of byte `offset` of scalar `node`'s
    /// value: follows quotes, escapes, folded line breaks and block scalars, so an error
    /// inside a query or template points at the character itself.
    [[nodiscard]] std::pair<int, int> position_in(const YAML::Node& node, std::size_t offset) const;

    [[nodiscard]] const std::string& file() const { return file_; }
    [[nodiscard]] std::size_t error_count() const { return errors_; }

private:
    std::string file_;
    std::string source_;
    std::vector<diagnostic>& out_;
    std::size_t errors_ = 0;
};

} // namespace rapport::rules
