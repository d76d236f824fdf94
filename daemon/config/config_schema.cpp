#include "daemon/config/config_schema.hpp"

#include "daemon/config/config.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace rapport::daemon {

namespace {

using namespace std::string_literals;

std::string json_string(std::string_view text) {
    return boost::json::serialize(boost::json::string(text));
}

// The largest unit that divides the span exactly, so the default reads as it would be written;
// spans under a week stay in hours, as people (and CONTRACT §8's "72h") write them.
std::string duration_text(rules::duration d) {
    const std::int64_t s = d.count();
    if (s >= 7 * 86400 && s % 86400 == 0) {
        return std::to_string(s / 86400) + "d";
    }
    if (s != 0 && s % 3600 == 0) {
        return std::to_string(s / 3600) + "h";
    }
    if (s != 0 && s % 60 == 0) {
        return std::to_string(s / 60) + "m";
    }
    return std::to_string(s) + "s";
}

std::string bool_text(bool b) {
    return b ? "true" : "false";
}

} // namespace

std::string join_platforms(const std::vector<std::string>& platforms) {
    std::string out;
    for (std::size_t i = 0; i < platforms.size(); ++i) {
        out += i == 0 ? "" : i + 1 == platforms.size() ? " and " : ", ";
        out += platforms[i];
    }
    return out;
}

namespace {

std::vector<config_property> build_properties() {
    // Defaults are rendered from a default-constructed config, so the struct's member
    // initializers are the one place each default is written.
    const config d;
    const account a;
    const approver p;
    return {
        {.name = "server",
         .kind = value_kind::section,
         .description = "The HTTP listener: webhooks, the approval API, health and metrics.",
         .needs_restart = true},
        {.name = "server.listen",
         .kind = value_kind::listen_address,
         .description = "Address to listen on, as host:port. Port 0 picks a free port and logs "
                        "it. An IPv6 host goes in brackets, quoted in YAML: \"[::1]:8080\".",
         .default_json = json_string(to_string(d.server.listen)),
         .needs_restart = true},
        {.name = "server.max_body_bytes",
         .kind = value_kind::integer,
         .description = "Largest request body accepted; larger requests get 413.",
         .default_json = std::to_string(d.server.max_body_bytes),
         .minimum = 1024,
         .maximum = std::int64_t{1} << 30,
         .needs_restart = true},
        {.name = "server.threads",
         .kind = value_kind::integer,
         .description = "Threads serving HTTP: each runs an event loop of its own and takes its "
                        "share of the connections; the first also runs sending, notifications "
                        "and polling.",
         .default_text = "the number of CPU cores, at most 4",
         .minimum = 1,
         .maximum = 64,
         .needs_restart = true},
        {.name = "state",
         .kind = value_kind::path,
         .description = "Directory holding the SQLite database and stream cursors. A relative "
                        "path is resolved against the config file's directory.",
         .default_text = "$STATE_DIRECTORY (its first entry), else ./state",
         .needs_restart = true},
        {.name = "playbooks",
         .kind = value_kind::paths,
         .description = "Playbook files or directories (a directory contributes every *.yaml "
                        "not ending .test.yaml). Relative paths are resolved against the config "
                        "file's directory.",
         .minimum = 1,
         .required = true,
         .needs_restart = false},
        {.name = "secrets_dir",
         .kind = value_kind::path,
         .description = "Directory of secret files, one file per secret named like the secret. "
                        "Secrets not found there come from RAPPORT_SECRET_<NAME>. A relative "
                        "path is resolved against the config file's directory.",
         .default_text = "$CREDENTIALS_DIRECTORY; unset means environment variables only",
         .needs_restart = true},
        {.name = "log", .kind = value_kind::section, .description = "Logging."},
        {.name = "log.level",
         .kind = value_kind::choice,
         .description = "Least severe level written.",
         .default_json = json_string(to_string(d.log.level)),
         .choices = {"debug", "info", "warning", "error"}},
        {.name = "approvers",
         .kind = value_kind::section_list,
         .description = "People who decide on drafts through the API.",
         .default_json = "[]"},
        {.name = "approvers[].name",
         .kind = value_kind::text,
         .description = "Unique name, shown in the audit log and given by HMAC-signed decisions.",
         .required = true},
        {.name = "approvers[].token_secret",
         .kind = value_kind::secret,
         .description = "Secret holding this approver's bearer token; a token identifies one "
                        "approver.",
         .required = true,
         .is_secret = true},
        {.name = "approvers[].teams",
         .kind = value_kind::texts,
         .description = "Teams whose drafts this approver sees; \"*\" stands for all teams.",
         .minimum = 1,
         .required = true},
        {.name = "approvers[].admin",
         .kind = value_kind::boolean,
         .description = "May pause and resume sending.",
         .default_json = bool_text(p.admin)},
        {.name = "approvers[].slack_user",
         .kind = value_kind::text,
         .description = "This approver's Slack user id (U0123ABCD): their clicks on a draft "
                        "posted to a Slack approvals channel decide as them, with their teams."},
        {.name = "approval",
         .kind = value_kind::section,
         .description = "How drafts are decided on and announced."},
        {.name = "approval.webhook_secret",
         .kind = value_kind::secret,
         .description = "Secret for HMAC-signed decisions; without it signed decisions are "
                        "refused.",
         .is_secret = true},
        {.name = "approval.public_url",
         .kind = value_kind::text,
         .description = "Where people and tools reach this rapportd (http:// or https://); the "
                        "base of the approve and reject URLs in notifications. Default: the "
                        "listen address."},
        {.name = "approval.expire_after",
         .kind = value_kind::duration,
         .description = "An undecided reply expires after this long.",
         .default_json = json_string(duration_text(d.approval.expire_after)),
         .minimum = 1},
        {.name = "approval.notify",
         .kind = value_kind::section_list,
         .description = "Receivers told about draft events, each request HMAC-signed.",
         .default_json = "[]"},
        {.name = "approval.notify[].url",
         .kind = value_kind::http_url,
         .description = "Where events are POSTed: https, or http to a loopback host.",
         .required = true},
        {.name = "approval.notify[].secret",
         .kind = value_kind::secret,
         .description = "Secret that signs the requests to this receiver.",
         .required = true,
         .is_secret = true},
        {.name = "guardrails",
         .kind = value_kind::section,
         .description = "Limits on what is sent."},
        {.name = "guardrails.blocked_phrases",
         .kind = value_kind::texts,
         .description = "A draft containing one of these cannot be approved unedited.",
         .default_json = "[]"},
        {.name = "guardrails.max_sends_per_hour",
         .kind = value_kind::integer,
         .description = "Sends per hour across all accounts; the excess waits.",
         .default_json = std::to_string(d.guardrails.max_sends_per_hour),
         .minimum = 1,
         .maximum = 1000000},
        {.name = "accounts",
         .kind = value_kind::section_list,
         .description = "The platform accounts Rapport listens on and replies from. Keys "
                        "marked with a platform apply to that platform's accounts only.",
         .default_json = "[]",
         .needs_restart = true},
        {.name = "accounts[].id",
         .kind = value_kind::identifier,
         .description = "Unique id, used in URLs (/hooks/{id}) and playbooks.",
         .required = true,
         .needs_restart = true},
        {.name = "accounts[].platform",
         .kind = value_kind::choice,
         .description = "Which adapter serves the account.",
         .choices = {"generic", "slack", "discord", "mastodon", "bluesky", "meta", "telegram", "x"},
         .required = true,
         .needs_restart = true},
        {.name = "accounts[].secret",
         .kind = value_kind::secret,
         .description = "Secret holding the account's credentials (for generic: the HMAC key "
                        "of its webhooks and replies).",
         .required_for = {"generic"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].reply_url",
         .kind = value_kind::http_url,
         .description = "Where approved replies are POSTed: https, or http to a loopback host.",
         .required_for = {"generic"},
         .needs_restart = true},
        {.name = "accounts[].idempotent",
         .kind = value_kind::boolean,
         .description = "The receiver honours Idempotency-Key, so a send interrupted by a crash "
                        "is retried instead of left for review.",
         .default_json = bool_text(a.idempotent),
         .needs_restart = true},
        {.name = "accounts[].sends_per_minute",
         .kind = value_kind::integer,
         .description = "Replies sent from this account per minute at most (bursts of a tenth "
                        "of it go out at once); the excess waits. Platforms' own rate limits "
                        "are honoured on top.",
         .default_json = std::to_string(a.sends_per_minute),
         .minimum = 1,
         .maximum = 100000,
         .needs_restart = true},
        {.name = "accounts[].max_length",
         .kind = value_kind::integer,
         .description = "Draft length limit for this account's platform, replacing the built-in "
                        "one; accounts of one platform must agree.",
         .default_text =
             "the platform's own (x 280 weighted, bluesky 300, mastodon 500, telegram 4096 "
             "UTF-16 code units, others none; counted as each platform counts, see playbooks "
             "§11)",
         .minimum = 1,
         .maximum = 100000,
         .needs_restart = true},
        {.name = "accounts[].api_base_url",
         .kind = value_kind::http_url,
         .description = "The platform API's address, for a local API server, a proxy or tests: "
                        "https, or http to a loopback host.",
         .default_text = "telegram https://api.telegram.org, slack https://slack.com/api, meta "
                         "https://graph.facebook.com/v21.0, x https://api.x.com",
         .platforms = {"telegram", "slack", "meta", "x"},
         .needs_restart = true},
        {.name = "accounts[].bot_token",
         .kind = value_kind::secret,
         .description = "Telegram: secret holding the bot's token from @BotFather (it is part "
                        "of every Bot API URL, so it never appears in logs or errors). Slack: "
                        "secret holding the app's bot token (xoxb-...).",
         .platforms = {"telegram", "slack"},
         .required_for = {"telegram", "slack"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].updates",
         .kind = value_kind::choice,
         .description = "Telegram: how updates arrive. webhook: Telegram POSTs them to "
                        "/hooks/{id} (setWebhook with a secret_token); polling: Rapport asks "
                        "with getUpdates, for hosts without a public URL, and keeps the offset "
                        "in its store (it calls deleteWebhook at start: Telegram refuses "
                        "getUpdates while a webhook is set).",
         .default_json = json_string(a.updates),
         .choices = {"webhook", "polling"},
         .platforms = {"telegram"},
         .needs_restart = true},
        {.name = "accounts[].webhook_secret",
         .kind = value_kind::secret,
         .description = "Telegram: secret holding the secret_token given to setWebhook (1-256 "
                        "of A-Z, a-z, 0-9, _ and -); webhooks without it in "
                        "X-Telegram-Bot-Api-Secret-Token get 401. Required in webhook mode.",
         .platforms = {"telegram"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].bot_username",
         .kind = value_kind::text,
         .description = "Telegram: the bot's username, with or without '@'; group messages "
                        "that mention it (or reply to the bot) are for Rapport, the rest of "
                        "a group's talk is not.",
         .platforms = {"telegram"},
         .required_for = {"telegram"},
         .needs_restart = true},
        {.name = "accounts[].signing_secret",
         .kind = value_kind::secret,
         .description = "Slack: secret holding the app's signing secret; every Events API and "
                        "interactivity request must carry a valid X-Slack-Signature made with "
                        "it within five minutes.",
         .platforms = {"slack"},
         .required_for = {"slack"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].bot_user_id",
         .kind = value_kind::text,
         .description = "Slack: the bot's user id (U...); its own messages are never answered. "
                        "Messages carrying a bot_id are ignored in any case.",
         .platforms = {"slack"},
         .needs_restart = true},
        {.name = "accounts[].approvals_channel",
         .kind = value_kind::text,
         .description = "Slack: a channel id (C...) where each new draft is posted with "
                        "Approve, Edit and Reject buttons for approvers (approvers[].slack_user); "
                        "unset: this account is not an approval surface.",
         .platforms = {"slack"},
         .needs_restart = true},
        {.name = "accounts[].app_secret",
         .kind = value_kind::secret,
         .description = "Meta: secret holding the app secret; every webhook must carry a valid "
                        "X-Hub-Signature-256 made with it.",
         .platforms = {"meta"},
         .required_for = {"meta"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].verify_token",
         .kind = value_kind::secret,
         .description = "Meta: secret holding the verify token entered in the app's webhook "
                        "settings; the GET verification handshake must present it.",
         .platforms = {"meta"},
         .required_for = {"meta"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].access_token",
         .kind = value_kind::secret,
         .description = "Meta: secret holding the Page access token (Messenger, Page comments, "
                        "Instagram). X: secret holding the brand account's OAuth 1.0a access "
                        "token.",
         .platforms = {"meta", "x"},
         .required_for = {"meta", "x"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].whatsapp_token",
         .kind = value_kind::secret,
         .description = "Meta: secret holding the WhatsApp Cloud API token (a system user's); "
                        "unset: access_token is used for WhatsApp too.",
         .platforms = {"meta"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].page_id",
         .kind = value_kind::text,
         .description = "Meta: the Facebook Page's id; messages and comments by the Page itself "
                        "(echoes) are never answered.",
         .platforms = {"meta"},
         .needs_restart = true},
        {.name = "accounts[].instagram_id",
         .kind = value_kind::text,
         .description = "Meta: the Instagram professional account's id; its own comments and "
                        "messages are never answered.",
         .platforms = {"meta"},
         .needs_restart = true},
        {.name = "accounts[].consumer_key",
         .kind = value_kind::secret,
         .description = "X: secret holding the app's API key (OAuth 1.0a consumer key).",
         .platforms = {"x"},
         .required_for = {"x"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].consumer_secret",
         .kind = value_kind::secret,
         .description = "X: secret holding the app's API key secret; it signs OAuth 1.0a "
                        "requests, answers CRC challenges and checks x-twitter-webhooks-signature.",
         .platforms = {"x"},
         .required_for = {"x"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].access_token_secret",
         .kind = value_kind::secret,
         .description = "X: secret holding the brand account's OAuth 1.0a access token secret.",
         .platforms = {"x"},
         .required_for = {"x"},
         .needs_restart = true,
         .is_secret = true},
        {.name = "accounts[].user_id",
         .kind = value_kind::text,
         .description = "X: the brand account's numeric user id (for_user_id in webhooks); its "
                        "own posts and messages are never answered.",
         .platforms = {"x"},
         .required_for = {"x"},
         .needs_restart = true},
    };
}

// ---- JSON Schema -------------------------------------------------------------------------

constexpr std::string_view secret_name_pattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

boost::json::object text_schema() {
    return {{"type", "string"}, {"minLength", 1}};
}

boost::json::object one_or_list(boost::json::object item, const config_property& p) {
    boost::json::object list{{"type", "array"}, {"items", item}};
    if (p.minimum) {
        list["minItems"] = *p.minimum;
    }
    return {{"oneOf", boost::json::array{std::move(item), std::move(list)}}};
}

std::string full_description(const config_property& p) {
    std::string text = p.description;
    if (p.kind == value_kind::secret) {
        text +=
            " Names a secret: the file <secrets_dir>/<name>, else the environment variable "
            "RAPPORT_SECRET_<NAME> (upper-cased, '-' as '_'); never the value itself.";
    }
    if (!p.platforms.empty()) {
        text += " Only for " + join_platforms(p.platforms) + " accounts.";
    }
    if (!p.required_for.empty()) {
        text += " Required for " + join_platforms(p.required_for) + " accounts.";
    }
    if (!p.default_text.empty()) {
        text += " Default: " + p.default_text + ".";
    }
    text += p.needs_restart ? " Changing it needs a restart."
                            : " A reload (SIGHUP) re-reads the playbooks it names.";
    return text;
}

boost::json::object value_schema(const config_property& p);

boost::json::object section_schema(std::string_view name) {
    boost::json::object properties;
    boost::json::array required;
    for (const auto& child : config_properties()) {
        if (config_parent_of(child.name) == name) {
            properties[config_key_of(child.name)] = value_schema(child);
            if (child.required) {
                required.emplace_back(config_key_of(child.name));
            }
        }
    }
    boost::json::object out{{"type", "object"}};
    out["additionalProperties"] = false;
    if (!required.empty()) {
        out["required"] = std::move(required);
    }
    // Keys whose presence depends on the platform (accounts): an if/then per platform.
    boost::json::array conditions;
    std::vector<std::string> platforms;
    for (const auto& child : config_properties()) {
        if (config_parent_of(child.name) != name) {
            continue;
        }
        for (const auto& platform : child.required_for) {
            if (std::find(platforms.begin(), platforms.end(), platform) == platforms.end()) {
                platforms.push_back(platform);
            }
        }
    }
    for (const auto& platform : platforms) {
        boost::json::array keys;
        for (const auto& child : config_properties()) {
            if (config_parent_of(child.name) == name &&
                std::find(child.required_for.begin(), child.required_for.end(), platform) !=
                    child.required_for.end()) {
                keys.emplace_back(config_key_of(child.name));
            }
        }
        conditions.push_back(boost::json::object{
            {"if",
             boost::json::object{
                 {"properties",
                  boost::json::object{{"platform", boost::json::object{{"const", platform}}}}},
                 {"required", boost::json::array{"platform"}}}},
            {"then", boost::json::object{{"required", std::move(keys)}}}});
    }
    if (!conditions.empty()) {
        out["allOf"] = std::move(conditions);
    }
    out["properties"] = std::move(properties);
    return out;
}

boost::json::object value_schema(const config_property& p) {
    boost::json::object out{{"description", full_description(p)}};
    auto merge = [&out](boost::json::object more) {
        for (auto& [k, v] : more) {
            out[k] = std::move(v);
        }
    };
    switch (p.kind) {
        // A key with nothing under it (every child commented out) loads as an empty section, so
        // the schema allows null there too.
        case value_kind::section:
            merge(section_schema(p.name));
            out["type"] = boost::json::array{"object", "null"};
            break;
        case value_kind::section_list:
            out["type"] = boost::json::array{"array", "null"};
            out["items"] = section_schema(p.name + "[]");
            break;
        case value_kind::text:
        case value_kind::path:
            merge(text_schema());
            break;
        case value_kind::texts:
        case value_kind::paths:
            merge(one_or_list(text_schema(), p));
            break;
        case value_kind::integer:
            out["type"] = "integer";
            if (p.minimum) {
                out["minimum"] = *p.minimum;
            }
            if (p.maximum) {
                out["maximum"] = *p.maximum;
            }
            break;
        case value_kind::boolean:
            out["type"] = "boolean";
            break;
        case value_kind::duration:
            out["type"] = "string";
            // A positive minimum rules out an all-zero number.
            out["pattern"] =
                p.minimum && *p.minimum > 0 ? "^0*[1-9][0-9]*[smhd]$" : "^[0-9]+[smhd]$";
            break;
        case value_kind::choice: {
            boost::json::array values;
            for (const auto& c : p.choices) {
                values.emplace_back(c);
            }
            out["enum"] = std::move(values);
            break;
        }
        case value_kind::listen_address:
            out["type"] = "string";
            out["pattern"] = "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$";
            break;
        case value_kind::http_url:
            out["type"] = "string";
            out["pattern"] = "^https?://[^/?#@\\s]+([/?#]\\S*)?$";
            break;
        case value_kind::secret:
            out["type"] = "string";
            out["pattern"] = secret_name_pattern;
            break;
        case value_kind::identifier:
            out["type"] = "string";
            out["pattern"] = "^[a-z0-9-]+$";
            break;
    }
    if (!p.default_json.empty()) {
        out["default"] = boost::json::parse(p.default_json);
    }
    return out;
}

// Two-space indentation, keys in insertion order; arrays of scalars stay on one line so enum
// and required lists read as they would be written by hand.
void pretty(std::string& out, const boost::json::value& v, int indent) {
    const auto pad = [&out](int n) { out.append(static_cast<std::size_t>(n) * 2, ' '); };
    if (v.is_object()) {
        const auto& o = v.get_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        bool first = true;
        for (const auto& [k, member] : o) {
            if (!first) {
                out += ",\n";
            }
            first = false;
            pad(indent + 1);
            out += json_string(k);
            out += ": ";
            pretty(out, member, indent + 1);
        }
        out += '\n';
        pad(indent);
        out += '}';
        return;
    }
    if (v.is_array()) {
        const auto& a = v.get_array();
        const bool flat = std::none_of(a.begin(), a.end(), [](const boost::json::value& e) {
            return e.is_object() || e.is_array();
        });
        if (a.empty() || flat) {
            out += '[';
            for (std::size_t i = 0; i < a.size(); ++i) {
                out += i == 0 ? "" : ", ";
                out += boost::json::serialize(a[i]);
            }
            out += ']';
            return;
        }
        out += "[\n";
        for (std::size_t i = 0; i < a.size(); ++i) {
            pad(indent + 1);
            pretty(out, a[i], indent + 1);
            out += i + 1 < a.size() ? ",\n" : "\n";
        }
        pad(indent);
        out += ']';
        return;
    }
    out += boost::json::serialize(v);
}

std::string kind_text(const config_property& p) {
    switch (p.kind) {
        case value_kind::section:
            return "section";
        case value_kind::section_list:
            return "list of sections";
        case value_kind::text:
            return "text";
        case value_kind::texts:
            return "text or list of texts";
        case value_kind::path:
            return "path";
        case value_kind::paths:
            return "path or list of paths";
        case value_kind::integer:
            return "integer " + std::to_string(*p.minimum) + ".." + std::to_string(*p.maximum);
        case value_kind::boolean:
            return "boolean";
        case value_kind::duration:
            return "duration";
        case value_kind::choice: {
            std::string out;
            for (const auto& c : p.choices) {
                out += (out.empty() ? "" : ", ") + c;
            }
            return out;
        }
        case value_kind::listen_address:
            return "host:port";
        case value_kind::http_url:
            return "URL";
        case value_kind::secret:
            return "secret name";
        case value_kind::identifier:
            return "id [a-z0-9-]+";
    }
    return {};
}

} // namespace

const std::vector<config_property>& config_properties() {
    static const std::vector<config_property> properties = build_properties();
    return properties;
}

const config_property* find_config_property(std::string_view name) {
    for (const auto& p : config_properties()) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

const config_property& config_property_named(std::string_view name) {
    if (const config_property* p = find_config_property(name)) {
        return *p;
    }
    std::fprintf(stderr, "rapport: bug: config setting '%.*s' is not in the schema table\n",
                 static_cast<int>(name.size()), name.data());
    std::abort();
}

std::string_view config_parent_of(std::string_view name) {
    const auto dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
}

std::string_view config_key_of(std::string_view name) {
    const auto dot = name.rfind('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

std::vector<std::string_view> config_child_keys(std::string_view parent) {
    std::vector<std::string_view> keys;
    for (const auto& p : config_properties()) {
        if (config_parent_of(p.name) == parent) {
            keys.push_back(config_key_of(p.name));
        }
    }
    return keys;
}

std::string config_json_schema() {
    boost::json::object root{
        {"$schema", "https://json-schema.org/draft/2020-12/schema"},
        {"title", "Rapport daemon config"},
        {"description",
         "The rapportd config file (rapportd --config FILE). Generated by "
         "config_json_schema() from daemon/config/config_schema.cpp; do not edit "
         "by hand."}};
    for (auto& [k, v] : section_schema("")) {
        root[k] = std::move(v);
    }
    std::string out;
    pretty(out, root, 0);
    out += '\n';
    return out;
}

std::string config_reference_markdown() {
    std::string out =
        "| setting | type | default | restart | description |\n|---|---|---|---|---|\n";
    for (const auto& p : config_properties()) {
        std::string fallback = p.required ? "required" : "none";
        if (!p.required_for.empty()) {
            fallback = "required for " + join_platforms(p.required_for);
        }
        const std::string& shown = !p.default_json.empty()   ? p.default_json
                                   : !p.default_text.empty() ? p.default_text
                                                             : fallback;
        std::string description = p.description;
        if (p.is_secret) {
            description += " (a secret's name, never its value)";
        }
        out += "| `" + p.name + "` | " + kind_text(p) + " | " + shown + " | " +
               (p.needs_restart ? "yes" : "no") + " | " + description + " |\n";
    }
    return out;
}

} // namespace rapport::daemon
