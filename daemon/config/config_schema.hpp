// The daemon config's schema as code (Redpanda's pattern): one table of settings with their
// type, description, default, bounds, restart and secret flags. The loader takes its allowed
// keys, bounds, choices and required keys from it; the JSON Schema and the reference docs are
// generated from it, so none of them can drift from what the loader accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::daemon {

/// How a setting is written; decides how the loader reads it and its JSON Schema.
enum class value_kind {
    section,        ///< a mapping of further settings, named `parent.key`
    section_list,   ///< a list of mappings; their settings are named `parent[].key`
    text,           ///< non-empty text
    texts,          ///< one text or a list of texts, each non-empty
    path,           ///< a file system path
    paths,          ///< one path or a list of paths
    integer,        ///< a whole number within [minimum, maximum]
    boolean,        ///< true or false
    duration,       ///< a whole number and a unit: 45s, 90m, 12h, 30d; at least `minimum` s
    choice,         ///< one of `choices`
    listen_address, ///< host:port, IPv6 host in brackets
    http_url,       ///< https URL, or http to a loopback host
    secret,         ///< the name of a secret, never its value
    identifier,     ///< `[a-z0-9-]+`
};

/// One setting of the config file.
struct config_property {
    /// Dotted path: `server.listen`; items of a list are `accounts[].id`.
    std::string name{};
    value_kind kind = value_kind::text;
    std::string description{};
    /// The default as a JSON literal (`1048576`, `"72h"`, `false`); empty when there is none
    /// or it is computed at load time (then `default_text` says how).
    std::string default_json{};
    /// The default in words when it is computed (`$STATE_DIRECTORY, else ./state`).
    std::string default_text{};
    /// integer: inclusive bounds. duration: minimum in seconds. texts/paths: minimum item count.
    std::optional<std::int64_t> minimum{};
    std::optional<std::int64_t> maximum{};
    /// choice: the allowed values, in the order messages list them.
    std::vector<std::string> choices{};
    /// The key must be present in its section (or list item).
    bool required = false;
    /// Under `accounts[]`: the platforms the key belongs to; empty means every platform. On
    /// an account of another platform the key is an error (it would be silently ignored).
    std::vector<std::string> platforms{};
    /// Under `accounts[]`: required when the account's platform is one of these.
    std::vector<std::string> required_for{};
    /// A change takes effect only after a restart. SIGHUP reloads the playbooks (the files
    /// `playbooks` names), not the rest of the config file.
    bool needs_restart = true;
    /// Names a secret (kind `secret`); its value is never in the config, logs or errors.
    bool is_secret = false;
};

/// "a", "a and b", "a, b and c": platform lists in messages and docs.
[[nodiscard]] std::string join_platforms(const std::vector<std::string>& platforms);

/// Every setting, parents before their children, in the order the docs present them.
/// Thread safety: built once on first use (a function-local static), then read-only.
[[nodiscard]] const std::vector<config_property>& config_properties();

/// The setting named `name` (`accounts[].platform`), or nullptr.
[[nodiscard]] const config_property* find_config_property(std::string_view name);

/// The setting named `name`; a name the table lacks is a bug, so this aborts on one.
[[nodiscard]] const config_property& config_property_named(std::string_view name);

/// The keys allowed directly under `parent` (`""` for the top level, `approvers[]` for an
/// approver), in table order. The views point into config_properties().
[[nodiscard]] std::vector<std::string_view> config_child_keys(std::string_view parent);

/// The dotted parent of a property name ("approval.notify[].url" → "approval.notify[]"), empty
/// at the top level.
[[nodiscard]] std::string_view config_parent_of(std::string_view name);

/// The last key of a property name ("approval.notify[].url" → "url").
[[nodiscard]] std::string_view config_key_of(std::string_view name);

/// A JSON Schema (draft 2020-12) of the config file, pretty-printed with a final newline.
/// Committed as config/schema/rapport.config.schema.json; a unit test keeps the two equal.
[[nodiscard]] std::string config_json_schema();

/// A Markdown reference of every setting (name, type, default, restart, description).
[[nodiscard]] std::string config_reference_markdown();

} // namespace rapport::daemon
