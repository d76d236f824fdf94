// The daemon config (CONTRACT §2): the validated value rapportd runs from, and its loader, which
// turns YAML text into that value or reports every problem as FILE:LINE:COL: error: MESSAGE.
// Pure: no sockets or threads; it reads the config file and the environment, nothing else.
#pragma once

#include "rules/diagnostic.hpp"
#include "rules/time.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rapport::daemon {

/// The name of a secret (never its value; see secrets.hpp) and where the config named it, so a
/// missing secret is reported at the key that names it.
struct secret_ref {
    std::string name;
    /// The setting that names it, e.g. `approvers[0].token_secret`.
    std::string setting;
    /// 1-based position of that key in the config file.
    int line = 0;
    int column = 0;

    friend bool operator==(const secret_ref&, const secret_ref&) = default;
};

/// `server.listen`: a host (name, IPv4, or IPv6 without its brackets) and a port; port 0 asks
/// the OS for a free one.
struct listen_address {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;

    friend bool operator==(const listen_address&, const listen_address&) = default;
};

/// `host:port`, with brackets around an IPv6 host (`[::1]:8080`).
[[nodiscard]] std::string to_string(const listen_address& address);

struct server_config {
    listen_address listen;
    /// Requests with a larger body get 413.
    std::size_t max_body_bytes = 1048576;
    /// Threads running the io_context. The loader's default is the number of cores, at most 4;
    /// this initializer only stands for a config built by hand.
    unsigned threads = 1;

    friend bool operator==(const server_config&, const server_config&) = default;
};

enum class log_level { debug, info, warning, error };

/// The name used in the config file: `debug`, `info`, `warning`, `error`.
[[nodiscard]] std::string_view to_string(log_level level);

struct log_config {
    log_level level = log_level::info;

    friend bool operator==(const log_config&, const log_config&) = default;
};

/// One person who may decide on drafts (CONTRACT §5.2): the bearer token in `token_secret`
/// identifies them.
struct approver {
    std::string name;
    secret_ref token_secret;
    /// Teams whose drafts this approver sees; `"*"` stands for every team. Never empty.
    std::vector<std::string> teams;
    /// May pause and resume sending.
    bool admin = false;
    /// Their Slack user id, for decisions made with Slack buttons.
    std::optional<std::string> slack_user;

    /// True when `teams` contains `"*"`.
    [[nodiscard]] bool sees_all_teams() const;
    /// May decide a draft routed to `team` (a draft with no team is anyone's).
    [[nodiscard]] bool decides_for(const std::optional<std::string>& team) const;

    friend bool operator==(const approver&, const approver&) = default;
};

/// A receiver of draft events (CONTRACT §5.4).
struct notify_target {
    std::string url;
    secret_ref secret;

    friend bool operator==(const notify_target&, const notify_target&) = default;
};

struct approval_config {
    /// HMAC key for signed decisions (CONTRACT §5.3); without it signed decisions are refused.
    std::optional<secret_ref> webhook_secret;
    /// The base of the approve/reject URLs in notifications; unset: the listen address.
    std::optional<std::string> public_url;
    /// Undecided replies expire after this long. Always positive.
    rules::duration expire_after = std::chrono::hours{72};
    std::vector<notify_target> notify;

    friend bool operator==(const approval_config&, const approval_config&) = default;
};

struct guardrails_config {
    /// A draft containing one of these cannot be approved unedited.
    std::vector<std::string> blocked_phrases;
    /// Sends per hour across all accounts; the excess waits.
    std::int64_t max_sends_per_hour = 200;

    friend bool operator==(const guardrails_config&, const guardrails_config&) = default;
};

/// One configured account. Only the keys every platform shares are read here; each adapter adds
/// its platform-specific keys (to the schema table and this struct) when it lands.
struct account {
    /// `[a-z0-9-]+`, unique across the config.
    std::string id;
    /// generic, slack, discord, mastodon, bluesky, meta, telegram or x.
    std::string platform;
    /// The account's credentials; required for `generic` (HMAC for webhooks and replies).
    std::optional<secret_ref> secret;
    /// Where approved replies are POSTed; required for `generic`. https, or http to loopback.
    std::optional<std::string> reply_url;
    /// The receiver honours Idempotency-Key, so a send interrupted by a crash may be retried.
    bool idempotent = false;
    /// Replies sent from this account per minute at most (a token bucket, so short bursts of
    /// up to a tenth of it go out at once); the excess waits.
    std::int64_t sends_per_minute = 30;
    /// Draft length limit for this account's platform, overriding the built-in one. Limits
    /// are per platform, so accounts of one platform that give it must agree.
    std::optional<std::size_t> max_length;

    // ---- keys of several platforms ----
    /// The platform API's base URL; unset means the platform's own (see default_api_base_url).
    std::optional<std::string> api_base_url;
    /// telegram: the bot's token from @BotFather (it is in every API URL). slack: the app's
    /// bot token (xoxb-...). Required for both.
    std::optional<secret_ref> bot_token;
    /// meta: the Page access token; x: the brand account's OAuth 1.0a access token.
    std::optional<secret_ref> access_token;

    // ---- telegram ----
    /// "webhook" (Telegram POSTs updates to /hooks/{id}) or "polling" (getUpdates).
    std::string updates = "webhook";
    /// The `secret_token` given to setWebhook, checked on every webhook; required in webhook
    /// mode.
    std::optional<secret_ref> webhook_secret;
    /// The bot's username without '@' (mentions of it address the bot); required.
    std::optional<std::string> bot_username;

    // ---- slack ----
    /// The app's signing secret (X-Slack-Signature); required.
    std::optional<secret_ref> signing_secret;
    /// The bot's own user id; its messages are never answered.
    std::optional<std::string> bot_user_id;
    /// Where new drafts are posted with Approve / Edit / Reject buttons; unset: not an
    /// approval surface.
    std::optional<std::string> approvals_channel;

    // ---- meta ----
    /// The app secret (X-Hub-Signature-256); required.
    std::optional<secret_ref> app_secret;
    /// The verify token of the GET handshake; required.
    std::optional<secret_ref> verify_token;
    /// The WhatsApp Cloud API token; unset means access_token.
    std::optional<secret_ref> whatsapp_token;
    /// The Page's and the Instagram account's own ids: their own messages are echoes.
    std::optional<std::string> page_id;
    std::optional<std::string> instagram_id;

    // ---- x ----
    /// OAuth 1.0a consumer key and secret (the secret also answers CRC challenges and checks
    /// webhook signatures), the access token secret; all required, with access_token.
    std::optional<secret_ref> consumer_key;
    std::optional<secret_ref> consumer_secret;
    std::optional<secret_ref> access_token_secret;
    /// The brand account's user id; required.
    std::optional<std::string> user_id;

    /// Every secret this account names, with its key: what start-up resolves.
    [[nodiscard]] std::vector<std::pair<std::string_view, const secret_ref*>> secrets() const;

    friend bool operator==(const account&, const account&) = default;
};

/// The whole config, validated: every field holds a legal value and references are consistent.
struct config {
    /// The file it was loaded from, as given to the loader (diagnostics name it).
    std::string file;
    server_config server;
    /// SQLite database and cursors live here.
    std::filesystem::path state = "./state";
    /// Playbook files or directories, relative ones resolved against the config file's
    /// directory. Never empty in a loaded config.
    std::vector<std::filesystem::path> playbooks;
    /// Directory of secret files; unset means secrets come from the environment only.
    std::optional<std::filesystem::path> secrets_dir;
    log_config log;
    std::vector<approver> approvers;
    approval_config approval;
    guardrails_config guardrails;
    std::vector<account> accounts;

    friend bool operator==(const config&, const config&) = default;
};

/// The API base URL a platform's adapter uses when `api_base_url` is unset; empty for
/// platforms without one.
[[nodiscard]] std::string_view default_api_base_url(std::string_view platform);

/// Looks up an environment variable; nullopt when it is not set.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;

/// std::getenv. Thread safety: as getenv (safe while nobody calls setenv).
[[nodiscard]] env_lookup process_environment();

/// What defaults depend on besides the file: the environment ($STATE_DIRECTORY,
/// $CREDENTIALS_DIRECTORY) and the number of cores. Tests pass their own.
struct config_environment {
    /// Empty: no variable is set.
    env_lookup env;
    /// 0 when unknown (then one thread is the default).
    unsigned hardware_threads = 0;
};

/// The running process's environment and std::thread::hardware_concurrency().
[[nodiscard]] config_environment process_config_environment();

struct config_load_result {
    /// Set only when there were no diagnostics.
    std::optional<config> value;
    /// Every problem found, in file order within each section; empty on success.
    std::vector<rules::diagnostic> diagnostics;
};

/// Reads and validates the config file at `path`. An unreadable file is one diagnostic at 1:1.
/// Never throws (allocation failure aside).
[[nodiscard]] config_load_result load_config(
    const std::filesystem::path& path,
    const config_environment& environment = process_config_environment());

/// Validates config YAML `text`; `file_name` is used in diagnostics and its directory resolves
/// relative paths. Collects all problems rather than stopping at the first: unknown keys (with
/// a did-you-mean), duplicate keys, wrong types and bounds, bad addresses and URLs, duplicate
/// account ids and approver names. Secrets are only named here; check them with
/// check_secrets() (secrets.hpp). Never throws (allocation failure aside).
[[nodiscard]] config_load_result load_config_text(
    std::string_view text,
    std::string file_name,
    const config_environment& environment = process_config_environment());

/// The teams approvers name, without `"*"` (not a team). `rapportctl check --config` passes
/// these to the playbook loader as the known teams, so a misspelt `team:` is caught.
[[nodiscard]] std::set<std::string, std::less<>> teams(const config& c);

/// True when some approver sees every team (`"*"`).
[[nodiscard]] bool any_approver_sees_all_teams(const config& c);

/// The account with this id, or null.
[[nodiscard]] const account* find_account(const config& c, std::string_view id);

/// The approver with this name, or null.
[[nodiscard]] const approver* find_approver(const config& c, std::string_view name);

/// The configured account ids (the playbook loader's known accounts).
[[nodiscard]] std::set<std::string, std::less<>> account_ids(const config& c);

/// Platform -> draft length limit, for platforms whose accounts set `max_length`. Callers
/// overlay it on rules::default_length_limits() (keeping the unit of a built-in entry).
[[nodiscard]] std::map<std::string, std::size_t, std::less<>> platform_length_limits(
    const config& c);

} // namespace rapport::daemon
