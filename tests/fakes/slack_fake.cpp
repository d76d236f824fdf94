// rapport-slack-fake: a stand-in for Slack (PLATFORMS.md §1) on both sides of a slack account,
// for the integration tests and the demo. As the Web API (api_base_url points at
// http://127.0.0.1:PORT/api) it checks the bot token, the JSON content type and each method's
// required fields as Slack does, answers in Slack's shapes (HTTP 200 with ok true or false and
// an error code), keeps every call and rate limits on demand. As Slack's sender it signs Events
// API bodies and interactivity payloads with the v0 scheme and POSTs them to rapportd.
//
//   rapport-slack-fake [--port N] [--token-env VAR] [--signing-secret-env VAR]
//                      [--bot-user-id U...] [--fixtures DIR] [--quiet]
//
// It logs `listening port=N` on stderr once it accepts and stops on SIGTERM/SIGINT. Routes:
//   POST /api/chat.postMessage     channel + text or blocks → {"ok":true,"channel","ts","message"}
//   POST /api/chat.update          channel + ts + text or blocks → {"ok":true,"channel","ts",...}
//   POST /api/conversations.open   users ("U1" or "U1,U2") → {"ok":true,"channel":{"id":"D..."}}
//   POST /api/views.open           trigger_id (single use) + view → {"ok":true,"view":{...}}
//   POST /api/auth.test            the bot's identity
//   POST /actions/{team}/{id}/{token}  an interaction's response_url (hooks.slack.com/actions/...
//                                  in Slack): JSON with text or blocks → 200 "ok", recorded in
//                                  /_fake/calls as method "response_url"; a test points a
//                                  payload's response_url here with deliver's "replace"
//     Every method: no bearer token → not_authed, another token → invalid_auth, a body that is
//     not JSON by its Content-Type → invalid_post_type, unparsable JSON → invalid_json, missing
//     fields → the code Slack gives (channel_not_found, no_text, invalid_arguments, ...). All
//     of these are HTTP 200 with {"ok":false,"error":...}, as Slack answers.
//   GET  /_fake/calls              every call, oldest first: [{"method", "body", "content_type",
//                                  "token_ok", "answered" (HTTP status), "error" (Slack's code or
//                                  ""), "received_ms" (Unix ms)}]
//   POST /_fake/ratelimit          {"method": "chat.postMessage" (or "*"), "count": N,
//                                  "retry_after": S}: the next N calls get 429 + Retry-After: S
//                                  and {"ok":false,"error":"ratelimited"}
//   POST /_fake/error              {"method": ..., "count": N, "error": "channel_not_found"}: the
//                                  next N calls get HTTP 200 {"ok":false,"error":...}
//   POST /_fake/deliver            sends one signed request to rapportd, as Slack would:
//       {"url": "http://127.0.0.1:P/hooks/acct",      where to POST
//        "fixture": "app_mention"                     <fixtures>/<name>.json, or
//        "body": "<raw text>" | {...},                the body itself (an object is serialised)
//        "replace": {"from": "to", ...},              text replacements in the body first (to
//                                                     make distinct events from one fixture)
//        "form": true|false,                          payload=<url-encoded JSON>, as Slack sends
//                                                     interactivity; default: true when the
//                                                     JSON's type is an interaction payload's
//        "timestamp": 1700000000,                     X-Slack-Request-Timestamp (default: now)
//        "retry_num": 1, "retry_reason": "...",       X-Slack-Retry-Num / -Reason
//        "tamper": true,                              change the body after signing
//        "secret": "...",                             sign with this instead of the configured
//        "omit": ["timestamp", "signature"]}          leave these headers out
//     → {"status": rapportd's status, "body": its body, "content_type": ..., "sent_body": ...};
//       502 {"error": ...} when rapportd could not be reached.
#include "adapters/common/https_client.hpp"
#include "adapters/common/signature.hpp"
#include "daemon/http/server.hpp"
#include "tests/fakes/fake_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef RAPPORT_SLACK_FIXTURES_DIR
#define RAPPORT_SLACK_FIXTURES_DIR ""
#endif

namespace {

using namespace rapport;
using http::http_request;
using http::http_response;
using http::route_params;
namespace json = boost::json;

constexpr std::string_view bot_id = "B0LAN0Z89";
constexpr std::string_view team_id = "T123ABC456";
// Slack's limit on a message's text (chat.postMessage truncates at 40,000 characters and
// refuses longer text with msg_too_long).
constexpr std::size_t max_text_bytes = 40000;

struct told_answer {
    std::string method;
    int count = 0;
    std::int64_t retry_after = 0;
    std::string error;
};

struct call {
    std::string method;
    std::string body;
    std::string content_type;
    bool token_ok = false;
    unsigned answered = 0;
    std::string error;
    std::int64_t received_ms = 0;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t now_seconds() {
    return now_ms() / 1000;
}

http_response slack_error(std::string_view error) {
    return http::json_response(200, json::serialize(json::object{{"ok", false}, {"error", error}}));
}

// Slack ids: a type letter then upper-case letters and digits (C123ABC456, D024BE91L, U061F7AUR).
bool looks_like_id(std::string_view id, std::string_view first_letters) {
    if (id.size() < 3 || first_letters.find(id.front()) == std::string_view::npos) {
        return false;
    }
    for (const char c : id) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

// A message timestamp: digits, a dot, digits ("1515449522.000016").
bool looks_like_ts(std::string_view ts) {
    const auto dot = ts.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == ts.size()) {
        return false;
    }
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (i != dot && (ts[i] < '0' || ts[i] > '9')) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) {
        return std::string(v->get_string());
    }
    return std::nullopt;
}

// application/x-www-form-urlencoded, as Slack encodes the interactivity `payload` field.
std::string form_encode(std::string_view in) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(in.size() * 3);
    for (const char ch : in) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += ch;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

bool is_interaction_type(std::string_view type) {
    return type == "block_actions" || type == "view_submission" || type == "view_closed" ||
           type == "shortcut" || type == "message_action" || type == "block_suggestion";
}

std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

class fake {
public:
    struct settings {
        std::string token;
        std::string signing_secret;
        std::string bot_user_id = "U0LAN0Z89";
        std::string fixtures_dir = RAPPORT_SLACK_FIXTURES_DIR;
        bool quiet = false;
    };

    fake(settings s, net::any_io_executor executor) : settings_(std::move(s)), client_(executor) {}

    http::router routes() {
        const auto bind = fakes::member_routes(this);
        http::router r;
        r.add("POST", "/api/{method}", bind(&fake::api));
        r.add("POST", "/actions/{team}/{id}/{token}", bind(&fake::respond));
        r.add("GET", "/_fake/calls", bind(&fake::calls));
        r.add("POST", "/_fake/ratelimit", bind(&fake::set_ratelimit));
        r.add("POST", "/_fake/error", bind(&fake::set_error));
        r.add("POST", "/_fake/deliver", bind(&fake::deliver));
        return r;
    }

private:
    // ---- the Web API ----

    net::awaitable<http_response> api(http_request request, route_params params) {
        call c;
        c.method = std::string(params["method"]);
        c.body = request.body;
        c.content_type = std::string(request.headers.get("Content-Type").value_or(""));
        c.received_ms = now_ms();
        const auto authorization = request.headers.get("Authorization");
        c.token_ok = !settings_.token.empty() && authorization &&
                     *authorization == "Bearer " + settings_.token;
        http_response response = answer(c, authorization.has_value());
        c.answered = response.status;
        boost::system::error_code ec;
        if (const auto a = json::parse(response.body, ec); !ec && a.is_object()) {
            c.error = string_field(a.get_object(), "error").value_or("");
        }
        if (!settings_.quiet) {
            std::cout << c.method << " -> " << c.answered << (c.error.empty() ? "" : " ") << c.error
                      << "\n  " << c.body << "\n"
                      << std::flush;
        }
        std::lock_guard lock{mutex_};
        calls_.push_back(std::move(c));
        co_return response;
    }

    // An interaction's response_url: no token (the URL is the credential), a JSON message.
    net::awaitable<http_response> respond(http_request request, route_params) {
        call c;
        c.method = "response_url";
        c.body = request.body;
        c.content_type = std::string(request.headers.get("Content-Type").value_or(""));
        c.received_ms = now_ms();
        c.token_ok = true;
        http_response response;
        response.status = 200;
        response.content_type = "text/plain";
        response.body = "ok";
        boost::system::error_code ec;
        const json::value v = json::parse(c.body, ec);
        if (!c.content_type.starts_with("application/json") || ec || !v.is_object() ||
            content_problem(v.get_object())) {
            response.status = 400;
            response.body = "invalid_payload";
            c.error = "invalid_payload";
        }
        c.answered = response.status;
        if (!settings_.quiet) {
            std::cout << "response_url -> " << c.answered << "\n  " << c.body << "\n" << std::flush;
        }
        std::lock_guard lock{mutex_};
        calls_.push_back(std::move(c));
        co_return response;
    }

    // Takes one told answer for `method`, if any is pending.
    std::optional<told_answer> take_told(std::vector<told_answer>& told, std::string_view method) {
        std::lock_guard lock{mutex_};
        for (auto& t : told) {
            if (t.count > 0 && (t.method == method || t.method == "*")) {
                --t.count;
                return t;
            }
        }
        return std::nullopt;
    }

    http_response answer(const call& c, bool authorization_present) {
        if (!authorization_present) {
            return slack_error("not_authed");
        }
        if (!c.token_ok) {
            return slack_error("invalid_auth");
        }
        if (const auto limit = take_told(ratelimits_, c.method)) {
            http_response r = http::json_response(
                429, json::serialize(json::object{{"ok", false}, {"error", "ratelimited"}}));
            r.headers.add("Retry-After", std::to_string(limit->retry_after));
            return r;
        }
        if (const auto error = take_told(errors_, c.method)) {
            return slack_error(error->error);
        }
        if (c.method == "auth.test") {
            // Slack reads auth.test's (empty) arguments from a body of any type.
            return http::json_response(
                200, json::serialize(json::object{{"ok", true},
                                                  {"url", "https://acme.slack.com/"},
                                                  {"team", "Acme"},
                                                  {"user", "acme_help"},
                                                  {"team_id", team_id},
                                                  {"user_id", settings_.bot_user_id},
                                                  {"bot_id", bot_id},
                                                  {"is_enterprise_install", false}}));
        }
        // Slack takes form bodies too; Rapport sends JSON, so that is what this fake checks.
        if (c.content_type.empty()) {
            return slack_error("missing_post_type");
        }
        if (!c.content_type.starts_with("application/json")) {
            return slack_error("invalid_post_type");
        }
        boost::system::error_code ec;
        const json::value v = json::parse(c.body, ec);
        if (ec || !v.is_object()) {
            return slack_error("invalid_json");
        }
        const json::object& args = v.get_object();
        if (c.method == "chat.postMessage") {
            return post_message(args);
        }
        if (c.method == "chat.update") {
            return update_message(args);
        }
        if (c.method == "conversations.open") {
            return open_conversation(args);
        }
        if (c.method == "views.open") {
            return open_view(args);
        }
        return slack_error("unknown_method");
    }

    // The text/blocks checks chat.postMessage and chat.update share; nothing when they pass.
    static std::optional<std::string_view> content_problem(const json::object& args) {
        const auto* text = args.if_contains("text");
        const auto* blocks = args.if_contains("blocks");
        if (text != nullptr && !text->is_string()) {
            return "invalid_arguments";
        }
        if (blocks != nullptr && !blocks->is_array()) {
            return "invalid_blocks";
        }
        const bool has_text = text != nullptr && !text->get_string().empty();
        const bool has_blocks = blocks != nullptr && !blocks->get_array().empty();
        if (!has_text && !has_blocks) {
            return "no_text";
        }
        if (has_text && text->get_string().size() > max_text_bytes) {
            return "msg_too_long";
        }
        return std::nullopt;
    }

    std::string next_ts() {
        std::lock_guard lock{mutex_};
        const std::string counter = std::to_string(++last_ts_counter_);
        return std::to_string(now_seconds()) + "." + std::string(6 - counter.size(), '0') + counter;
    }

    json::object bot_message(const json::object& args, const std::string& ts) const {
        json::object message{
            {"type", "message"}, {"subtype", "bot_message"}, {"user", settings_.bot_user_id},
            {"bot_id", bot_id},  {"team", team_id},          {"ts", ts}};
        for (const std::string_view key : {"text", "blocks", "thread_ts"}) {
            if (const auto* f = args.if_contains(key)) {
                message[key] = *f;
            }
        }
        return message;
    }

    http_response post_message(const json::object& args) {
        const auto channel = string_field(args, "channel");
        if (!channel || !looks_like_id(*channel, "CDG")) {
            return slack_error("channel_not_found");
        }
        if (const auto problem = content_problem(args)) {
            return slack_error(*problem);
        }
        if (const auto* thread = args.if_contains("thread_ts");
            thread != nullptr && (!thread->is_string() || !looks_like_ts(thread->get_string()))) {
            return slack_error("invalid_thread_ts");
        }
        const std::string ts = next_ts();
        return http::json_response(
            200, json::serialize(json::object{{"ok", true},
                                              {"channel", *channel},
                                              {"ts", ts},
                                              {"message", bot_message(args, ts)}}));
    }

    http_response update_message(const json::object& args) {
        const auto channel = string_field(args, "channel");
        if (!channel || !looks_like_id(*channel, "CDG")) {
            return slack_error("channel_not_found");
        }
        const auto ts = string_field(args, "ts");
        if (!ts) {
            return slack_error("invalid_arguments");
        }
        if (!looks_like_ts(*ts)) {
            return slack_error("message_not_found");
        }
        if (const auto problem = content_problem(args)) {
            return slack_error(*problem);
        }
        json::object out{{"ok", true},
                         {"channel", *channel},
                         {"ts", *ts},
                         {"text", args.contains("text") ? args.at("text") : json::value("")},
                         {"message", bot_message(args, *ts)}};
        return http::json_response(200, json::serialize(out));
    }

    http_response open_conversation(const json::object& args) {
        if (const auto channel = string_field(args, "channel")) {
            return http::json_response(
                200, json::serialize(
                         json::object{{"ok", true}, {"channel", json::object{{"id", *channel}}}}));
        }
        const auto users = string_field(args, "users");
        if (!users || users->empty()) {
            return slack_error("users_list_not_supplied");
        }
        // One user: the DM is "D" + the user id's letters after its type letter, so a test can
        // predict it (U2147483697 → D2147483697). Several: a multi-party DM ("G...").
        std::vector<std::string> ids;
        std::stringstream s(*users);
        for (std::string id; std::getline(s, id, ',');) {
            if (!looks_like_id(id, "UW")) {
                return slack_error("user_not_found");
            }
            ids.push_back(id);
        }
        if (ids.size() > 8) {
            return slack_error("too_many_users");
        }
        std::string dm = ids.size() == 1 ? "D" + ids.front().substr(1) : "G";
        if (ids.size() > 1) {
            for (const auto& id : ids) {
                dm += id.substr(1, 3);
            }
        }
        return http::json_response(200, json::serialize(json::object{
                                            {"ok", true}, {"channel", json::object{{"id", dm}}}}));
    }

    http_response open_view(const json::object& args) {
        const auto trigger = string_field(args, "trigger_id");
        const auto* view = args.if_contains("view");
        if (!trigger || trigger->empty() || view == nullptr) {
            return slack_error("invalid_arguments");
        }
        // Slack takes the view as an object or as a JSON string.
        json::value parsed = *view;
        if (view->is_string()) {
            boost::system::error_code ec;
            parsed = json::parse(view->get_string(), ec);
            if (ec) {
                return slack_error("invalid_arguments");
            }
        }
        if (!parsed.is_object()) {
            return slack_error("invalid_arguments");
        }
        json::object out_view = parsed.get_object();
        const auto type = string_field(out_view, "type");
        if (type != "modal" || !out_view.contains("title") || !out_view.contains("blocks")) {
            return slack_error("invalid_arguments");
        }
        {
            // A trigger_id opens one view, once.
            std::lock_guard lock{mutex_};
            if (!used_triggers_.insert(*trigger).second) {
                return slack_error("exchanged_trigger_id");
            }
        }
        std::string view_id;
        {
            std::lock_guard lock{mutex_};
            view_id = "V" + std::to_string(1000000 + ++last_view_);
        }
        out_view["id"] = view_id;
        out_view["team_id"] = team_id;
        out_view["root_view_id"] = view_id;
        out_view["bot_id"] = bot_id;
        out_view["state"] = json::object{{"values", json::object{}}};
        return http::json_response(200,
                                   json::serialize(json::object{{"ok", true}, {"view", out_view}}));
    }

    // ---- test controls ----

    net::awaitable<http_response> calls(http_request, route_params) {
        json::array out;
        std::lock_guard lock{mutex_};
        for (const auto& c : calls_) {
            out.push_back(json::object{{"method", c.method},
                                       {"body", c.body},
                                       {"content_type", c.content_type},
                                       {"token_ok", c.token_ok},
                                       {"answered", c.answered},
                                       {"error", c.error},
                                       {"received_ms", c.received_ms}});
        }
        co_return http::json_response(200, json::serialize(out));
    }

    static std::optional<json::object> json_object_body(const http_request& request) {
        boost::system::error_code ec;
        auto v = json::parse(request.body, ec);
        if (ec || !v.is_object()) {
            return std::nullopt;
        }
        return std::move(v.get_object());
    }

    static std::int64_t integer(const json::object& o, std::string_view key, std::int64_t or_) {
        const auto* f = o.if_contains(key);
        return f != nullptr && f->is_int64() ? f->get_int64() : or_;
    }

    net::awaitable<http_response> set_ratelimit(http_request request, route_params) {
        const auto o = json_object_body(request);
        if (!o) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        told_answer t;
        t.method = string_field(*o, "method").value_or("*");
        t.count = static_cast<int>(integer(*o, "count", 1));
        t.retry_after = integer(*o, "retry_after", 1);
        std::lock_guard lock{mutex_};
        ratelimits_.push_back(std::move(t));
        co_return http::json_response(200, "{\"status\":\"ok\"}");
    }

    net::awaitable<http_response> set_error(http_request request, route_params) {
        const auto o = json_object_body(request);
        if (!o) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        told_answer t;
        t.method = string_field(*o, "method").value_or("*");
        t.count = static_cast<int>(integer(*o, "count", 1));
        t.error = string_field(*o, "error").value_or("internal_error");
        std::lock_guard lock{mutex_};
        errors_.push_back(std::move(t));
        co_return http::json_response(200, "{\"status\":\"ok\"}");
    }

    // ---- Slack as the sender ----

    // The body to deliver, from `fixture` or `body`, with `replace` applied; an error text
    // when neither is usable.
    std::optional<std::string> body_to_deliver(const json::object& o, std::string& error) const {
        std::string body;
        if (const auto fixture = string_field(o, "fixture")) {
            if (fixture->find('/') != std::string::npos || fixture->starts_with(".")) {
                error = "a fixture is a file name in the fixtures directory";
                return std::nullopt;
            }
            const auto text = read_whole_file(settings_.fixtures_dir + "/" + *fixture + ".json");
            if (!text) {
                error = "no fixture " + *fixture + " in " + settings_.fixtures_dir;
                return std::nullopt;
            }
            body = *text;
        } else if (const auto* b = o.if_contains("body")) {
            body = b->is_string() ? std::string(b->get_string()) : json::serialize(*b);
        } else {
            error = "give a fixture or a body";
            return std::nullopt;
        }
        if (const auto* replace = o.if_contains("replace"); replace && replace->is_object()) {
            for (const auto& [from, to] : replace->get_object()) {
                if (!to.is_string() || from.empty()) {
                    continue;
                }
                for (auto at = body.find(from); at != std::string::npos;
                     at = body.find(from, at + to.get_string().size())) {
                    body.replace(at, from.size(), to.get_string());
                }
            }
        }
        return body;
    }

    net::awaitable<http_response> deliver(http_request request, route_params) {
        const auto o = json_object_body(request);
        if (!o) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        const auto url = string_field(*o, "url");
        if (!url) {
            co_return http::json_error(400, "bad_request", "url is required");
        }
        std::string error;
        auto body = body_to_deliver(*o, error);
        if (!body) {
            co_return http::json_error(400, "bad_request", error);
        }
        bool form = false;
        boost::system::error_code ec;
        const json::value parsed = json::parse(*body, ec);
        if (!ec && parsed.is_object()) {
            form = is_interaction_type(string_field(parsed.get_object(), "type").value_or(""));
        }
        if (const auto* f = o->if_contains("form"); f != nullptr && f->is_bool()) {
            form = f->get_bool();
        }
        if (form) {
            // Slack sends the payload as compact JSON in one form field.
            *body = "payload=" + form_encode(ec ? *body : json::serialize(parsed));
        }
        const std::string timestamp = std::to_string(integer(*o, "timestamp", now_seconds()));
        const std::string secret = string_field(*o, "secret").value_or(settings_.signing_secret);
        const std::string signature = adapters::sign_timestamped(
            adapters::timestamped_hmac{"v0=", "v0:", ":"}, secret, timestamp, *body);
        std::set<std::string> omit;
        if (const auto* list = o->if_contains("omit"); list != nullptr && list->is_array()) {
            for (const auto& item : list->get_array()) {
                if (item.is_string()) {
                    omit.emplace(item.get_string());
                }
            }
        }
        if (const auto* t = o->if_contains("tamper");
            t != nullptr && t->is_bool() && t->get_bool()) {
            // The signature no longer matches: one byte changes, as a proxy re-serialising it
            // (or an attacker) would change it.
            body->back() = body->back() == ' ' ? '\n' : ' ';
        }

        adapters::https_request out;
        out.method = "POST";
        out.url = *url;
        out.headers.add("Content-Type",
                        form ? "application/x-www-form-urlencoded" : "application/json");
        out.headers.add("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)");
        if (!omit.contains("timestamp")) {
            out.headers.add("X-Slack-Request-Timestamp", timestamp);
        }
        if (!omit.contains("signature")) {
            out.headers.add("X-Slack-Signature", signature);
        }
        if (const auto retry = integer(*o, "retry_num", 0); retry > 0) {
            out.headers.add("X-Slack-Retry-Num", std::to_string(retry));
            out.headers.add("X-Slack-Retry-Reason",
                            string_field(*o, "retry_reason").value_or("http_timeout"));
        }
        out.body = *body;
        const adapters::https_result result = co_await client_.send(std::move(out));
        if (!result) {
            co_return http::json_error(502, "unreachable", result.error().message);
        }
        json::object answer{
            {"status", result->status},
            {"body", result->body},
            {"content_type", std::string(result->headers.get("Content-Type").value_or(""))},
            {"sent_body", *body}};
        if (!settings_.quiet) {
            std::cout << "delivered -> " << result->status << "\n  " << *body << "\n" << std::flush;
        }
        co_return http::json_response(200, json::serialize(answer));
    }

    settings settings_;
    adapters::https_client client_;
    std::mutex mutex_;
    std::vector<told_answer> ratelimits_;
    std::vector<told_answer> errors_;
    std::set<std::string> used_triggers_;
    std::uint64_t last_ts_counter_ = 0;
    std::uint64_t last_view_ = 0;
    std::vector<call> calls_;
};

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    fake::settings settings;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--port" && has_value) {
            port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        } else if (arg == "--token-env" && has_value) {
            settings.token = fakes::env_value(argv[++i]);
        } else if (arg == "--signing-secret-env" && has_value) {
            settings.signing_secret = fakes::env_value(argv[++i]);
        } else if (arg == "--bot-user-id" && has_value) {
            settings.bot_user_id = argv[++i];
        } else if (arg == "--fixtures" && has_value) {
            settings.fixtures_dir = argv[++i];
        } else if (arg == "--quiet") {
            settings.quiet = true;
        } else {
            std::cerr << "usage: rapport-slack-fake [--port N] [--token-env VAR] "
                         "[--signing-secret-env VAR] [--bot-user-id U...] [--fixtures DIR] "
                         "[--quiet]\n";
            return 2;
        }
    }
    net::io_context ioc;
    fake state(settings, ioc.get_executor());
    return fakes::serve(ioc, state.routes(), port);
}
