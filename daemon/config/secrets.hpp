// Resolving the config's named secrets (CONTRACT §2): the file <secrets_dir>/<name>, else the
// environment variable RAPPORT_SECRET_<NAME>. Errors name the secret and where it was looked
// for, never a value; values are wrapped so they cannot be printed by accident.
#pragma once

#include "daemon/config/config.hpp"
#include "rules/diagnostic.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::daemon {

/// A secret's bytes. Deliberately not printable (no operator<<, no formatter) so a value cannot
/// reach a log line or an error by accident; reveal() where the bytes are needed.
class secret_value {
public:
    explicit secret_value(std::string bytes) : bytes_(std::move(bytes)) {}

    /// The bytes. Never log, print or return them in an API response.
    [[nodiscard]] const std::string& reveal() const { return bytes_; }

private:
    std::string bytes_;
};

/// The outcome of resolving one secret: a value, or an error that names the secret and where
/// it looked (never any value).
struct secret_lookup {
    std::optional<secret_value> value;
    std::string error;
};

/// `RAPPORT_SECRET_<NAME>`: the name upper-cased, '-' replaced by '_'.
[[nodiscard]] std::string secret_environment_variable(std::string_view name);

/// Resolves secret `name`: the file `<secrets_dir>/<name>` (one trailing "\n" or "\r\n"
/// stripped), else the environment variable. A file that exists but cannot be read is an error,
/// not a reason to fall back to the environment; an empty value is an error too (an empty HMAC
/// key or token would accept anything). Thread safety: as `env` (process_environment(): safe
/// while nobody calls setenv).
[[nodiscard]] secret_lookup resolve_secret(std::string_view name,
                                           const std::optional<std::filesystem::path>& secrets_dir,
                                           const env_lookup& env = process_environment());

/// Resolves a secret the config names, from the config's secrets_dir.
[[nodiscard]] secret_lookup resolve_secret(const config& c,
                                           const secret_ref& ref,
                                           const env_lookup& env = process_environment());

/// Every secret reference in the config, in file order by section.
[[nodiscard]] std::vector<const secret_ref*> secret_refs(const config& c);

/// Resolves every secret the config names and reports each one that is missing, unreadable or
/// empty at the key that names it (`FILE:LINE:COL`), plus approvers whose tokens are equal.
/// Empty when all secrets resolve. Messages never contain a secret's value.
[[nodiscard]] std::vector<rules::diagnostic> check_secrets(
    const config& c, const env_lookup& env = process_environment());

} // namespace rapport::daemon
