#include "daemon/config/config.hpp"

#include "daemon/config/config_schema.hpp"
#include "rules/ascii.hpp"
#include "rules/yaml_reader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>
#include <utility>

namespace rapport::daemon {

std::string to_string(const listen_address& address) {
    const bool v6 = address.host.find(':') != std::string::npos;
    return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::string_view to_string(log_level level) {
    switch (level) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warning:
            return "warning";
        case log_level::error:
            return "error";
    }
    return "info";
}

bool approver::sees_all_teams() const {
    return std::find(teams.begin(), teams.end(), "*") != teams.end();
}

bool approver::decides_for(const std::optional<std::string>& team) const {
    return !team || sees_all_teams() || std::find(teams.begin(), teams.end(), *team) != teams.end();
}

std::vector<std::pair<std::string_view, const secret_ref*>> account::secrets() const {
    std::vector<std::pair<std::string_view, const secret_ref*>> out;
    const auto add = [&out](std::string_view key, const std::optional<secret_ref>& ref) {
        if (ref) {
            out.emplace_back(key, &*ref);
        }
    };
    add("secret", secret);
    add("bot_token", bot_token);
    add("access_token", access_token);
    add("webhook_secret", webhook_secret);
    add("signing_secret", signing_secret);
    add("app_secret", app_secret);
    add("verify_token", verify_token);
    add("whatsapp_token", whatsapp_token);
    add("consumer_key", consumer_key);
    add("consumer_secret", consumer_secret);
    add("access_token_secret", access_token_secret);
    return out;
}

std::string_view default_api_base_url(std::string_view platform) {
    if (platform == "telegram") {
        return "https://api.telegram.org";
    }
    if (platform == "slack") {
        return "https://slack.com/api";
    }
    if (platform == "meta") {
        return "https://graph.facebook.com/v21.0";
    }
    if (platform == "x") {
        return "https://api.x.com";
    }
    return {};
}

const account* find_account(const config& c, std::string_view id) {
    const auto it = std::find_if(c.accounts.begin(), c.accounts.end(),
                                 [id](const account& a) { return a.id == id; });
    return it == c.accounts.end() ? nullptr : &*it;
}

const approver* find_approver(const config& c, std::string_view name) {
    const auto it = std::find_if(c.approvers.begin(), c.approvers.end(),
                                 [name](const approver& a) { return a.name == name; });
    return it == c.approvers.end() ? nullptr : &*it;
}

env_lookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (const char* value = std::getenv(name.c_str())) {
            return std::string(value);
        }
        return std::nullopt;
    };
}

config_environment process_config_environment() {
    return {process_environment(), std::thread::hardware_concurrency()};
}

namespace {

using rules::yaml_reader;
using entries = std::vector<yaml_reader::entry>;

// STYLE's settled default: the cores, capped at 4. Every message passes the store's single
// writer (ARCHITECTURE), so threads beyond a few add little.
constexpr unsigned max_default_threads = 4;

bool has_key(const entries& es, std::string_view key) {
    return std::any_of(es.begin(), es.end(), [key](const auto& e) { return e.key == key; });
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_identifier(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// Secret names become file names under secrets_dir, so nothing that could leave it ('/', a
// leading '.') gets through.
bool is_secret_name(std::string_view s) {
    return !s.empty() && is_alnum(s.front()) && std::all_of(s.begin(), s.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == '-';
    });
}

bool is_host_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '-' || c == '_';
    });
}

bool is_ipv6(const std::string& s) {
    in6_addr address{};
    return inet_pton(AF_INET6, s.c_str(), &address) == 1;
}

// Plain http carries tokens and signed bodies in the clear, which is only harmless when the
// traffic never leaves the machine.
bool is_loopback(const std::string& host, bool bracketed) {
    if (bracketed) {
        in6_addr address{};
        return inet_pton(AF_INET6, host.c_str(), &address) == 1 &&
               std::memcmp(&address, &in6addr_loopback, sizeof address) == 0;
    }
    if (rules::iequals(host, "localhost")) {
        return true;
    }
    unsigned char bytes[sizeof(in_addr)] = {};
    return inet_pton(AF_INET, host.c_str(), bytes) == 1 && bytes[0] == 127;
}

std::optional<unsigned> parse_port(std::string_view text) {
    unsigned port = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || text.size() > 5 || ec != std::errc{} || ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return port;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

// The first directory of a colon-separated list: systemd joins several StateDirectory= entries
// that way.
std::string first_entry(const std::string& list) {
    return list.substr(0, list.find(':'));
}

class config_reader {
public:
    config_reader(std::string file,
                  std::vector<rules::diagnostic>& out,
                  const config_environment& environment)
        : y_(file, out),
          environment_(environment),
          base_(std::filesystem::path(file).parent_path()) {
        c_.file = std::move(file);
    }

    std::optional<config> read(std::string_view text) {
        apply_environment_defaults();
        const auto root = y_.parse(text);
        if (!root) {
            return std::nullopt;
        }
        if (const auto es = section(*root, "", "config")) {
            for (const auto& e : *es) {
                read_top_level(e);
            }
        }
        if (y_.error_count() > 0) {
            return std::nullopt;
        }
        return std::move(c_);
    }

private:
    std::optional<std::string> env(const std::string& name) const {
        if (!environment_.env) {
            return std::nullopt;
        }
        auto value = environment_.env(name);
        if (value && value->empty()) {
            return std::nullopt;
        }
        return value;
    }

    void apply_environment_defaults() {
        const unsigned cores = environment_.hardware_threads;
        c_.server.threads = cores == 0 ? 1 : std::min(cores, max_default_threads);
        if (const auto state = env("STATE_DIRECTORY")) {
            c_.state = first_entry(*state);
        }
        if (const auto credentials = env("CREDENTIALS_DIRECTORY")) {
            c_.secrets_dir = *credentials;
        }
    }

    void read_top_level(const yaml_reader::entry& e) {
        const YAML::Node& v = e.value;
        if (e.key == "server") {
            read_server(v);
        } else if (e.key == "state") {
            if (auto p = path(v, "state")) {
                c_.state = std::move(*p);
            }
        } else if (e.key == "playbooks") {
            read_playbooks(v);
        } else if (e.key == "secrets_dir") {
            if (auto p = path(v, "secrets_dir")) {
                c_.secrets_dir = std::move(*p);
            }
        } else if (e.key == "log") {
            read_log(v);
        } else if (e.key == "approvers") {
            each_item(v, "approvers", [this](const YAML::Node& n, const std::string& what) {
                read_approver(n, what);
            });
        } else if (e.key == "approval") {
            read_approval(v);
        } else if (e.key == "guardrails") {
            read_guardrails(v);
        } else if (e.key == "accounts") {
            each_item(v, "accounts", [this](const YAML::Node& n, const std::string& what) {
                read_account(n, what);
            });
            check_length_limits();
        } else {
            unhandled(e, "");
        }
    }

    // ---- sections --------------------------------------------------------------------------

    void read_server(const YAML::Node& n) {
        const auto es = section(n, "server", "server");
        if (!es) {
            return;
        }
        for (const auto& e : *es) {
            if (e.key == "listen") {
                if (auto a = listen(e.value, "server.listen")) {
                    c_.server.listen = std::move(*a);
                }
            } else if (e.key == "max_body_bytes") {
                if (auto i = integer(e.value, "server.max_body_bytes", "server.max_body_bytes")) {
                    c_.server.max_body_bytes = static_cast<std::size_t>(*i);
                }
            } else if (e.key == "threads") {
                if (auto i = integer(e.value, "server.threads", "server.threads")) {
                    c_.server.threads = static_cast<unsigned>(*i);
                }
            } else {
                unhandled(e, "server");
            }
        }
    }

    void read_playbooks(const YAML::Node& n) {
        const auto list = texts(n, "playbooks", "playbooks");
        if (!list) {
            return;
        }
        c_.playbooks.clear();
        for (const auto& p : *list) {
            c_.playbooks.push_back(resolve(p));
        }
    }

    void read_log(const YAML::Node& n) {
        const auto es = section(n, "log", "log");
        if (!es) {
            return;
        }
        for (const auto& e : *es) {
            if (e.key == "level") {
                if (const auto level = choice(e.value, "log.level", "log.level")) {
                    c_.log.level = *level == "debug"     ? log_level::debug
                                   : *level == "warning" ? log_level::warning
                                   : *level == "error"   ? log_level::error
                                                         : log_level::info;
                }
            } else {
                unhandled(e, "log");
            }
        }
    }

    void read_approver(const YAML::Node& n, const std::string& what) {
        const auto es = section(n, "approvers[]", what);
        if (!es) {
            return;
        }
        approver a;
        for (const auto& e : *es) {
            const std::string setting = what + "." + e.key;
            if (e.key == "name") {
                if (auto name = text(e.value, setting)) {
                    a.name = std::move(*name);
                    first_seen(approver_names_, a.name, e.value, "approver name");
                }
            } else if (e.key == "token_secret") {
                if (auto s = secret(e, setting)) {
                    a.token_secret = std::move(*s);
                }
            } else if (e.key == "teams") {
                if (auto t = texts(e.value, "approvers[].teams", setting)) {
                    a.teams = std::move(*t);
                }
            } else if (e.key == "admin") {
                if (const auto b = y_.boolean(e.value, setting)) {
                    a.admin = *b;
                }
            } else if (e.key == "slack_user") {
                if (auto user = slack_id(e.value, setting, "U or W")) {
                    first_seen(slack_users_, *user, e.value, "Slack user");
                    a.slack_user = std::move(*user);
                }
            } else {
                unhandled(e, "approvers[]");
            }
        }
        // A bearer token says who is deciding; two approvers sharing one would be the same
        // person to the API.
        if (!a.token_secret.name.empty()) {
            const auto [it, inserted] = token_owners_.try_emplace(a.token_secret.name, a.name);
            if (!inserted) {
                y_.error(a.token_secret.line, a.token_secret.column,
                         "approvers '" + it->second + "' and '" + a.name +
                             "' name the same token_secret '" + a.token_secret.name +
                             "'; a token must identify one approver");
            }
        }
        c_.approvers.push_back(std::move(a));
    }

    void read_approval(const YAML::Node& n) {
        const auto es = section(n, "approval", "approval");
        if (!es) {
            return;
        }
        for (const auto& e : *es) {
            if (e.key == "webhook_secret") {
                c_.approval.webhook_secret = secret(e, "approval.webhook_secret");
            } else if (e.key == "public_url") {
                if (auto u = text(e.value, "approval.public_url")) {
                    if (u->starts_with("https://") || u->starts_with("http://")) {
                        c_.approval.public_url = std::move(*u);
                    } else {
                        y_.error(e.value,
                                 "'approval.public_url' must start with http:// or https://");
                    }
                }
            } else if (e.key == "expire_after") {
                if (const auto d =
                        duration(e.value, "approval.expire_after", "approval.expire_after")) {
                    c_.approval.expire_after = *d;
                }
            } else if (e.key == "notify") {
                each_item(e.value, "approval.notify",
                          [this](const YAML::Node& item, const std::string& what) {
                              read_notify(item, what);
                          });
            } else {
                unhandled(e, "approval");
            }
        }
    }

    void read_notify(const YAML::Node& n, const std::string& what) {
        const auto es = section(n, "approval.notify[]", what);
        if (!es) {
            return;
        }
        notify_target t;
        for (const auto& e : *es) {
            const std::string setting = what + "." + e.key;
            if (e.key == "url") {
                if (auto u = url(e.value, setting)) {
                    t.url = std::move(*u);
                }
            } else if (e.key == "secret") {
                if (auto s = secret(e, setting)) {
                    t.secret = std::move(*s);
                }
            } else {
                unhandled(e, "approval.notify[]");
            }
        }
        c_.approval.notify.push_back(std::move(t));
    }

    void read_guardrails(const YAML::Node& n) {
        const auto es = section(n, "guardrails", "guardrails");
        if (!es) {
            return;
        }
        for (const auto& e : *es) {
            if (e.key == "blocked_phrases") {
                if (auto t = texts(e.value, "guardrails.blocked_phrases",
                                   "guardrails.blocked_phrases")) {
                    c_.guardrails.blocked_phrases = std::move(*t);
                }
            } else if (e.key == "max_sends_per_hour") {
                if (const auto i = integer(e.value, "guardrails.max_sends_per_hour",
                                           "guardrails.max_sends_per_hour")) {
                    c_.guardrails.max_sends_per_hour = *i;
                }
            } else {
                unhandled(e, "guardrails");
            }
        }
    }

    void read_account(const YAML::Node& n, const std::string& what) {
        // Every platform shares these keys for now; an adapter that adds its own keys makes the
        // allowed list depend on the platform, which is why the platform is read first.
        auto es = y_.map(n, what, config_child_keys("accounts[]"));
        if (!es) {
            return;
        }
        account a;
        for (const auto& e : *es) {
            if (e.key == "platform") {
                if (auto p = choice(e.value, "accounts[].platform", what + ".platform")) {
                    a.platform = std::move(*p);
                }
            }
        }
        require_keys(n, "accounts[]", what, *es, a.platform);
        for (const auto& e : *es) {
            const std::string setting = what + "." + e.key;
            if (e.key == "platform") {
                continue;
            }
            if (e.key == "id") {
                if (auto id = text(e.value, setting)) {
                    if (!is_identifier(*id)) {
                        y_.error(e.value, "account id '" + *id +
                                              "' may use only a-z, 0-9 and '-' (it is used in "
                                              "URLs and playbooks)");
                    } else {
                        first_seen(account_ids_, *id, e.value, "account id");
                    }
                    a.id = std::move(*id);
                }
            } else if (e.key == "secret") {
                a.secret = secret(e, setting);
            } else if (e.key == "reply_url") {
                a.reply_url = url(e.value, setting);
            } else if (e.key == "idempotent") {
                if (const auto b = y_.boolean(e.value, setting)) {
                    a.idempotent = *b;
                }
            } else if (e.key == "sends_per_minute") {
                if (const auto i = integer(e.value, "accounts[].sends_per_minute", setting)) {
                    a.sends_per_minute = *i;
                }
            } else if (e.key == "max_length") {
                if (const auto i = integer(e.value, "accounts[].max_length", setting)) {
                    a.max_length = static_cast<std::size_t>(*i);
                    length_limits_.push_back(
                        {a.platform, a.id, *a.max_length, setting, yaml_reader::position(e.value)});
                }
            } else if (belongs_to_platform(e, setting, a.platform)) {
                read_platform_key(e, setting, a);
            }
        }
        if (a.platform == "telegram" && a.updates == "webhook" && !has_key(*es, "webhook_secret")) {
            y_.error(n, "'" + what +
                            "' is missing required key 'webhook_secret' (required for "
                            "telegram accounts in webhook mode; set 'updates: polling' for a host "
                            "without a public URL)");
        }
        c_.accounts.push_back(std::move(a));
    }

    // A key some platforms have and others not: on an account of another platform it would be
    // silently ignored, so it is an error there.
    bool belongs_to_platform(const yaml_reader::entry& e,
                             const std::string& setting,
                             const std::string& platform) {
        const config_property* p = find_config_property("accounts[]." + e.key);
        if (p == nullptr) {
            unhandled(e, "accounts[]");
            return false;
        }
        if (platform.empty() || p->platforms.empty() ||
            std::find(p->platforms.begin(), p->platforms.end(), platform) != p->platforms.end()) {
            return true;
        }
        y_.error(e.value, "'" + setting + "' applies to " + join_platforms(p->platforms) +
                              " accounts only, and this account's platform is " + platform);
        return false;
    }

    void read_platform_key(const yaml_reader::entry& e, const std::string& setting, account& a) {
        const std::string& k = e.key;
        std::optional<secret_ref>* secret_key = k == "bot_token"         ? &a.bot_token
                                                : k == "access_token"    ? &a.access_token
                                                : k == "webhook_secret"  ? &a.webhook_secret
                                                : k == "signing_secret"  ? &a.signing_secret
                                                : k == "app_secret"      ? &a.app_secret
                                                : k == "verify_token"    ? &a.verify_token
                                                : k == "whatsapp_token"  ? &a.whatsapp_token
                                                : k == "consumer_key"    ? &a.consumer_key
                                                : k == "consumer_secret" ? &a.consumer_secret
                                                : k == "access_token_secret"
                                                    ? &a.access_token_secret
                                                    : nullptr;
        if (secret_key != nullptr) {
            *secret_key = secret(e, setting);
        } else if (k == "updates") {
            // A bad mode was reported; unknown, it asks for nothing more.
            a.updates = choice(e.value, "accounts[].updates", setting).value_or("");
        } else if (k == "bot_username") {
            if (auto name = text(e.value, setting)) {
                // Written as people write it, with or without the '@'.
                std::string_view n = *name;
                if (n.starts_with('@')) {
                    n.remove_prefix(1);
                }
                const bool valid =
                    n.size() >= 5 && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '_';
                    });
                if (!valid) {
                    y_.error(e.value, "'" + setting +
                                          "' must be a Telegram username (5-32 of "
                                          "a-z, A-Z, 0-9 and _), got '" +
                                          *name + "'");
                } else {
                    a.bot_username = std::string(n);
                }
            }
        } else if (k == "bot_user_id") {
            a.bot_user_id = slack_id(e.value, setting, "U, W or B");
        } else if (k == "approvals_channel") {
            a.approvals_channel = slack_id(e.value, setting, "C or G");
        } else if (k == "page_id" || k == "instagram_id" || k == "user_id") {
            if (auto id = numeric_id(e.value, setting)) {
                (k == "page_id"        ? a.page_id
                 : k == "instagram_id" ? a.instagram_id
                                       : a.user_id) = std::move(id);
            }
        } else if (k == "api_base_url") {
            if (auto base = url(e.value, setting)) {
                // Paths (and for Telegram the token) are appended to it.
                if (base->find_first_of("?#") != std::string::npos) {
                    y_.error(e.value, "'" + setting +
                                          "' must not have a query or fragment "
                                          "(Rapport appends API paths to it)");
                } else {
                    while (base->ends_with('/')) {
                        base->pop_back();
                    }
                    a.api_base_url = std::move(*base);
                }
            }
        } else {
            unhandled(e, "accounts[]");
        }
    }

    // Slack ids are upper-case letters and digits after a one-letter type prefix.
    std::optional<std::string> slack_id(const YAML::Node& n,
                                        const std::string& setting,
                                        std::string_view prefixes) {
        auto id = text(n, setting);
        if (!id) {
            return std::nullopt;
        }
        const bool valid = id->size() >= 3 && prefixes.find(id->front()) != std::string::npos &&
                           std::all_of(id->begin(), id->end(), [](char c) {
                               return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                           });
        if (!valid) {
            y_.error(n, "'" + setting + "' must be a Slack id starting with " +
                            std::string(prefixes) + " (upper-case letters and digits), got '" +
                            *id + "'");
            return std::nullopt;
        }
        return id;
    }

    // Page, Instagram and X user ids are decimal numbers; YAML may read them as integers, so
    // they are taken as written.
    std::optional<std::string> numeric_id(const YAML::Node& n, const std::string& setting) {
        auto id = text(n, setting);
        if (!id) {
            return std::nullopt;
        }
        if (id->empty() || id->size() > 30 ||
            !std::all_of(id->begin(), id->end(), [](char c) { return c >= '0' && c <= '9'; })) {
            y_.error(n, "'" + setting + "' must be a numeric id (digits only), got '" + *id + "'");
            return std::nullopt;
        }
        return id;
    }

    // The evaluator keeps one limit per platform, so two accounts of a platform cannot have
    // different ones.
    void check_length_limits() {
        for (std::size_t i = 0; i < length_limits_.size(); ++i) {
            const auto& later = length_limits_[i];
            for (std::size_t j = 0; j < i; ++j) {
                const auto& earlier = length_limits_[j];
                if (earlier.platform.empty() || earlier.platform != later.platform ||
                    earlier.value == later.value) {
                    continue;
                }
                y_.error(later.position.first, later.position.second,
                         "'" + later.setting + "' is " + std::to_string(later.value) +
                             ", but account '" + earlier.account + "' (line " +
                             std::to_string(earlier.position.first) + ") gives " +
                             std::to_string(earlier.value) + " for platform '" + later.platform +
                             "'; the limit is per platform, so they must agree");
                break;
            }
        }
    }

    // ---- values ----------------------------------------------------------------------------

    // The entries of a section, with its required keys checked. A YAML null (a key with
    // nothing under it) counts as an empty section.
    std::optional<entries> section(const YAML::Node& n,
                                   std::string_view schema,
                                   const std::string& what) {
        if (n.IsNull()) {
            require_keys(n, schema, what, {}, {});
            return entries{};
        }
        auto es = y_.map(n, what, config_child_keys(schema));
        if (es) {
            require_keys(n, schema, what, *es, {});
        }
        return es;
    }

    void require_keys(const YAML::Node& n,
                      std::string_view schema,
                      const std::string& what,
                      const entries& es,
                      std::string_view platform) {
        for (const auto& p : config_properties()) {
            if (config_parent_of(p.name) != schema) {
                continue;
            }
            const std::string_view key = config_key_of(p.name);
            const bool for_platform =
                !platform.empty() && std::find(p.required_for.begin(), p.required_for.end(),
                                               platform) != p.required_for.end();
            if ((!p.required && !for_platform) || has_key(es, key)) {
                continue;
            }
            std::string message = schema.empty() ? "missing required key '" + std::string(key) + "'"
                                                 : "'" + what + "' is missing required key '" +
                                                       std::string(key) + "'";
            if (!p.required) {
                message += " (required for " + std::string(platform) + " accounts)";
            }
            y_.error(n, std::move(message));
        }
    }

    template <class Read>
    void each_item(const YAML::Node& n, const std::string& what, Read read) {
        if (n.IsNull()) {
            return;
        }
        if (!n.IsSequence()) {
            y_.error(n, "'" + what + "' must be a list");
            return;
        }
        std::size_t i = 0;
        for (const auto& item : n) {
            read(item, what + "[" + std::to_string(i++) + "]");
        }
    }

    std::optional<std::string> text(const YAML::Node& n, const std::string& what) {
        auto s = y_.string(n, what);
        if (s && s->empty()) {
            y_.error(n, "'" + what + "' must not be empty");
            return std::nullopt;
        }
        return s;
    }

    std::optional<std::vector<std::string>> texts(const YAML::Node& n,
                                                  std::string_view property,
                                                  const std::string& what) {
        auto list = y_.strings(n, what);
        if (!list) {
            return std::nullopt;
        }
        bool ok = true;
        for (std::size_t i = 0; i < list->size(); ++i) {
            if ((*list)[i].empty()) {
                y_.error(n.IsSequence() ? n[i] : n,
                         "each item of '" + what + "' must be non-empty text");
                ok = false;
            }
        }
        const auto& p = config_property_named(property);
        if (p.minimum && std::cmp_less(list->size(), *p.minimum)) {
            y_.error(n, "'" + what + "' must not be empty");
            ok = false;
        }
        return ok ? std::move(list) : std::nullopt;
    }

    std::optional<std::int64_t> integer(const YAML::Node& n,
                                        std::string_view property,
                                        const std::string& what) {
        const auto& p = config_property_named(property);
        return y_.integer(n, what, p.minimum.value_or(0),
                          p.maximum.value_or(std::numeric_limits<std::int64_t>::max()));
    }

    std::optional<std::string> choice(const YAML::Node& n,
                                      std::string_view property,
                                      const std::string& what) {
        auto value = y_.string(n, what);
        if (!value) {
            return std::nullopt;
        }
        const auto& p = config_property_named(property);
        if (std::find(p.choices.begin(), p.choices.end(), *value) != p.choices.end()) {
            return value;
        }
        const std::vector<std::string_view> candidates(p.choices.begin(), p.choices.end());
        y_.error(n, rules::with_suggestion("'" + what + "' must be one of " + join(p.choices) +
                                               ", got '" + *value + "'",
                                           *value, candidates));
        return std::nullopt;
    }

    std::optional<rules::duration> duration(const YAML::Node& n,
                                            std::string_view property,
                                            const std::string& what) {
        const auto d = y_.span(n, what);
        const auto& p = config_property_named(property);
        if (d && p.minimum && d->count() < *p.minimum) {
            y_.error(
                n, "'" + what + "' must be more than " +
                       (*p.minimum == 1 ? std::string("0") : std::to_string(*p.minimum - 1) + "s") +
                       ", got '" + n.Scalar() + "'");
            return std::nullopt;
        }
        return d;
    }

    std::optional<std::filesystem::path> path(const YAML::Node& n, const std::string& what) {
        const auto p = text(n, what);
        if (!p) {
            return std::nullopt;
        }
        return resolve(*p);
    }

    std::filesystem::path resolve(const std::string& p) const {
        const std::filesystem::path given(p);
        if (given.is_absolute() || base_.empty()) {
            return given;
        }
        return (base_ / given).lexically_normal();
    }

    std::optional<secret_ref> secret(const yaml_reader::entry& e, const std::string& what) {
        auto name = text(e.value, what);
        if (!name) {
            return std::nullopt;
        }
        if (!is_secret_name(*name)) {
            y_.error(e.value, "secret name '" + *name + "' in '" + what +
                                  "' may use only letters, digits, '.', '_' and '-', starting "
                                  "with a letter or digit (it names a file in secrets_dir)");
            return std::nullopt;
        }
        const auto [line, column] = yaml_reader::position(e.key_node);
        return secret_ref{std::move(*name), what, line, column};
    }

    std::optional<listen_address> listen(const YAML::Node& n, const std::string& what) {
        const auto value = text(n, what);
        if (!value) {
            return std::nullopt;
        }
        const std::string& s = *value;
        const std::string shape = "'" + what +
                                  "' must be host:port such as 127.0.0.1:8080 or [::1]:8080, "
                                  "got '" +
                                  s + "'";
        std::string host;
        std::string_view port_text;
        if (s.front() == '[') {
            const auto close = s.find(']');
            if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':' ||
                !is_ipv6(s.substr(1, close - 1))) {
                y_.error(n, shape);
                return std::nullopt;
            }
            host = s.substr(1, close - 1);
            port_text = std::string_view(s).substr(close + 2);
        } else {
            const auto colon = s.rfind(':');
            if (colon == std::string::npos) {
                y_.error(n, shape);
                return std::nullopt;
            }
            host = s.substr(0, colon);
            port_text = std::string_view(s).substr(colon + 1);
            if (host.find(':') != std::string::npos) {
                y_.error(n, "'" + what +
                                "': put an IPv6 address in brackets, e.g. [::1]:8080, "
                                "got '" +
                                s + "'");
                return std::nullopt;
            }
            if (!is_host_name(host)) {
                y_.error(n, shape);
                return std::nullopt;
            }
        }
        const auto port = parse_port(port_text);
        if (!port || *port > 65535) {
            y_.error(n, "'" + what + "' port must be from 0 to 65535, got '" +
                            std::string(port_text) + "'");
            return std::nullopt;
        }
        return listen_address{std::move(host), static_cast<std::uint16_t>(*port)};
    }

    std::optional<std::string> url(const YAML::Node& n, const std::string& what) {
        auto value = text(n, what);
        if (!value) {
            return std::nullopt;
        }
        if (auto problem = url_problem(*value, what)) {
            y_.error(n, std::move(*problem));
            return std::nullopt;
        }
        return value;
    }

    static std::optional<std::string> url_problem(const std::string& u, const std::string& what) {
        const std::string q = "'" + what + "'";
        const bool https = u.starts_with("https://");
        if (!https && !u.starts_with("http://")) {
            return q + " must be an http(s) URL such as https://example.com/hook, got '" + u + "'";
        }
        if (std::any_of(u.begin(), u.end(), [](char c) {
                return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
            })) {
            return q + " must not contain spaces or control characters";
        }
        const std::string_view rest = std::string_view(u).substr(https ? 8 : 7);
        const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
        if (authority.find('@') != std::string_view::npos) {
            return q +
                   " must not contain credentials (user@ or user:password@); name a secret "
                   "instead";
        }
        std::string host;
        std::string_view port_text;
        bool bracketed = false;
        if (authority.starts_with('[')) {
            const auto close = authority.find(']');
            if (close == std::string_view::npos ||
                !is_ipv6(std::string(authority.substr(1, close - 1)))) {
                return q + " has a bad IPv6 host in '" + u + "'";
            }
            host = authority.substr(1, close - 1);
            bracketed = true;
            const std::string_view after = authority.substr(close + 1);
            if (!after.empty()) {
                if (after.front() != ':') {
                    return q + " has a bad host in '" + u + "'";
                }
                port_text = after.substr(1);
            }
        } else {
            const auto colon = authority.find(':');
            host = authority.substr(0, colon);
            if (colon != std::string_view::npos) {
                port_text = authority.substr(colon + 1);
            }
            if (!is_host_name(host) || port_text.find(':') != std::string_view::npos) {
                return q + " has no valid host in '" + u + "' (an IPv6 host goes in brackets)";
            }
        }
        if (!port_text.empty() || authority.ends_with(':')) {
            const auto port = parse_port(port_text);
            if (!port || *port == 0 || *port > 65535) {
                return q + " port must be from 1 to 65535, got '" + std::string(port_text) + "'";
            }
        }
        if (!https && !is_loopback(host, bracketed)) {
            return q +
                   " must use https: plain http is allowed only for loopback hosts "
                   "(127.0.0.0/8, localhost, [::1]), not '" +
                   host + "'";
        }
        return std::nullopt;
    }

    // ---- bookkeeping -----------------------------------------------------------------------

    // Records `value` under `kind`; a repeat is reported with the line of the first.
    void first_seen(std::map<std::string, int, std::less<>>& seen,
                    const std::string& value,
                    const YAML::Node& at,
                    std::string_view kind) {
        const auto [it, inserted] = seen.try_emplace(value, yaml_reader::position(at).first);
        if (!inserted) {
            y_.error(at, "duplicate " + std::string(kind) + " '" + value +
                             "' (first given on line " + std::to_string(it->second) + ")");
        }
    }

    // A key the schema table allows but no reader handles: a bug in this file, surfaced as a
    // diagnostic so the full-config test catches it.
    void unhandled(const yaml_reader::entry& e, std::string_view schema) {
        y_.error(e.key_node, "internal error: setting '" +
                                 (schema.empty() ? e.key : std::string(schema) + "." + e.key) +
                                 "' is in the schema but not read by the loader");
    }

    struct length_limit_entry {
        std::string platform;
        std::string account;
        std::size_t value = 0;
        std::string setting;
        std::pair<int, int> position;
    };

    yaml_reader y_;
    const config_environment& environment_;
    std::filesystem::path base_;
    config c_;
    std::map<std::string, int, std::less<>> approver_names_;
    std::map<std::string, int, std::less<>> slack_users_;
    std::map<std::string, int, std::less<>> account_ids_;
    std::map<std::string, std::string, std::less<>> token_owners_;
    std::vector<length_limit_entry> length_limits_;
};

} // namespace

config_load_result load_config_text(std::string_view text,
                                    std::string file_name,
                                    const config_environment& environment) {
    config_load_result result;
    config_reader reader(std::move(file_name), result.diagnostics, environment);
    result.value = reader.read(text);
    if (!result.diagnostics.empty()) {
        result.value.reset();
    }
    // Sections are read in a convenient order (an account's platform before its id); a reader
    // wants the problems in the order of the file.
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                     [](const rules::diagnostic& x, const rules::diagnostic& y) {
                         return std::pair(x.line, x.column) < std::pair(y.line, y.column);
                     });
    return result;
}

config_load_result load_config(const std::filesystem::path& path,
                               const config_environment& environment) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        config_load_result result;
        result.diagnostics.push_back(
            {path.string(), 1, 1, "cannot read the config file (missing or not readable)"});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_config_text(text.str(), path.string(), environment);
}

std::set<std::string, std::less<>> teams(const config& c) {
    std::set<std::string, std::less<>> out;
    for (const auto& a : c.approvers) {
        for (const auto& t : a.teams) {
            if (t != "*") {
                out.insert(t);
            }
        }
    }
    return out;
}

bool any_approver_sees_all_teams(const config& c) {
    return std::any_of(c.approvers.begin(), c.approvers.end(),
                       [](const approver& a) { return a.sees_all_teams(); });
}

std::set<std::string, std::less<>> account_ids(const config& c) {
    std::set<std::string, std::less<>> out;
    for (const auto& a : c.accounts) {
        out.insert(a.id);
    }
    return out;
}

std::map<std::string, std::size_t, std::less<>> platform_length_limits(const config& c) {
    std::map<std::string, std::size_t, std::less<>> out;
    for (const auto& a : c.accounts) {
        if (a.max_length) {
            out.emplace(a.platform, *a.max_length);
        }
    }
    return out;
}

} // namespace rapport::daemon
