// rapport-telegram-fake: a stand-in for the Telegram Bot API (PLATFORMS.md §6) that a
// telegram account's api_base_url can point at, for the integration tests and the demo. It
// checks the bot token in the path and the shape of each sendMessage as Telegram does, keeps
// every call, and answers as it is told (429 with retry_after, 400 with a description, ...).
// For webhook mode it pushes nothing: tests POST Updates to rapportd themselves, with or without
// the X-Telegram-Bot-Api-Secret-Token header. For polling mode it keeps a queue of Updates that
// tests add, served by getUpdates with Telegram's offset semantics and long-poll wait.
//
//   rapport-telegram-fake [--port N] [--token-env VAR] [--batch-limit N] [--quiet]
//
// It logs `listening port=N` on stderr once it accepts. Routes:
//   POST|GET /bot<token>/sendMessage  a JSON sendMessage: {"ok":true,"result":<Message>} with
//                                     message_ids from 1001 up; a wrong token gets 401
//                                     {"ok":false,"error_code":401,"description":"Unauthorized"};
//                                     a bad body 400 "Bad Request: ..." as Telegram words it
//   POST|GET /bot<token>/getUpdates   queued Updates from `offset` (those below it are
//                                     confirmed and forgotten; a negative offset keeps the last
//                                     -offset), at most `limit` (and --batch-limit), only the
//                                     kinds in `allowed_updates`; with none queued it waits up
//                                     to `timeout` seconds for one. 409 while a webhook is set,
//                                     and for a poll that a newer one replaced
//   POST|GET /bot<token>/setWebhook   sets `url` (getUpdates then answers 409)
//   POST|GET /bot<token>/deleteWebhook  removes it (`drop_pending_updates` empties the queue)
//   POST|GET /bot<token>/getWebhookInfo {"url", "pending_update_count"}
//   POST|GET /bot<token>/getMe        the bot's User
//   POST|GET /bot<token>/<other>      404 {"ok":false,"error_code":404,"description":"Not Found"}
//   POST /_fake/updates               queues an Update, or an array of them; each gets the next
//                                     update_id (whatever it had): {"update_ids":[...]}
//   GET  /_fake/calls                 every call, oldest first: [{"method", "token_ok", "body",
//                                     "content_type", "answered", "received_ms" (Unix ms)}]
//   POST /_fake/answer                how to answer the next calls of a method (sendMessage
//                                     unless "method" says otherwise):
//                                     {"method": "getUpdates", "error_code": 429,
//                                      "retry_after": 1, "description": "...",
//                                      "migrate_to_chat_id": -100..., "count": 1}
#include "daemon/http/server.hpp"
#include "tests/fakes/fake_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace rapport;
using http::http_request;
using http::http_response;
using http::route_params;
namespace json = boost::json;

constexpr std::int64_t bot_id = 7000000001;

struct answer_rule {
    std::int64_t error_code = 0;
    std::optional<std::int64_t> retry_after;
    std::optional<std::int64_t> migrate_to_chat_id;
    std::string description;
    int count = 0;
};

struct call {
    std::string method;
    bool token_ok = false;
    std::string body;
    std::string content_type;
    unsigned answered = 0;
    std::int64_t received_ms = 0;
};

http_response api_error(std::int64_t code,
                        const std::string& description,
                        const json::object& parameters = {}) {
    json::object o{{"ok", false}, {"error_code", code}, {"description", description}};
    if (!parameters.empty()) {
        o["parameters"] = parameters;
    }
    return http::json_response(static_cast<unsigned>(code), json::serialize(o));
}

// The UTF-16 length Telegram counts a text's limit in.
std::size_t utf16_length(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c & 0xC0) != 0x80) {
            n += c >= 0xF0 ? 2 : 1;
        }
    }
    return n;
}

class fake {
public:
    fake(std::string token, bool quiet, std::size_t batch_limit)
        : token_(std::move(token)), quiet_(quiet), batch_limit_(batch_limit) {}

    http::router routes() {
        const auto bind = fakes::member_routes(this);
        http::router r;
        r.add("POST", "/{bot}/{method}", bind(&fake::api));
        r.add("GET", "/{bot}/{method}", bind(&fake::api));
        r.add("GET", "/_fake/calls", bind(&fake::calls));
        r.add("POST", "/_fake/updates", bind(&fake::queue_updates));
        r.add("POST", "/_fake/answer", bind(&fake::set_answer));
        return r;
    }

private:
    net::awaitable<http_response> api(http_request request, route_params params) {
        call c;
        c.method = std::string(params["method"]);
        c.token_ok = !token_.empty() && params["bot"] == "bot" + token_;
        c.body = request.body;
        c.content_type = std::string(request.headers.get("Content-Type").value_or(""));
        c.received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        http_response response;
        if (c.token_ok && c.method == "getUpdates") {
            response = co_await get_updates(c);
        } else {
            response = answer(c);
        }
        c.answered = response.status;
        if (!quiet_) {
            std::cout << c.method << " -> " << c.answered << "\n  " << c.body << "\n" << std::flush;
        }
        std::lock_guard lock{mutex_};
        calls_.push_back(std::move(c));
        co_return response;
    }

    http_response answer(const call& c) {
        if (!c.token_ok) {
            return api_error(401, "Unauthorized");
        }
        if (c.method == "getMe") {
            return http::json_response(
                200, json::serialize(
                         json::object{{"ok", true},
                                      {"result", json::object{{"id", bot_id},
                                                              {"is_bot", true},
                                                              {"first_name", "Acme Help"},
                                                              {"username", "AcmeHelpBot"}}}}));
        }
        if (c.method == "setWebhook" || c.method == "deleteWebhook" ||
            c.method == "getWebhookInfo") {
            return webhook_method(c);
        }
        if (c.method != "sendMessage") {
            return api_error(404, "Not Found");
        }
        // The Bot API takes JSON, form or query parameters; Rapport sends JSON, so that is
        // what this fake checks.
        if (!c.content_type.starts_with("application/json")) {
            return api_error(400,
                             "Bad Request: expected a JSON body (Content-Type: "
                             "application/json)");
        }
        boost::system::error_code ec;
        const json::value v = json::parse(c.body, ec);
        if (ec || !v.is_object()) {
            return api_error(400, "Bad Request: can't parse JSON body");
        }
        const json::object& o = v.get_object();
        const json::value* chat = o.if_contains("chat_id");
        if (chat == nullptr || !(chat->is_int64() || chat->is_string())) {
            return api_error(400, "Bad Request: chat_id is empty");
        }
        const json::value* text = o.if_contains("text");
        if (text == nullptr || !text->is_string() || text->get_string().empty()) {
            return api_error(400, "Bad Request: message text is empty");
        }
        if (utf16_length(text->get_string()) > 4096) {
            return api_error(400, "Bad Request: message is too long");
        }
        std::optional<std::int64_t> reply_to;
        if (const json::value* rp = o.if_contains("reply_parameters")) {
            const json::value* id =
                rp->is_object() ? rp->get_object().if_contains("message_id") : nullptr;
            if (id == nullptr || !id->is_int64()) {
                return api_error(400, "Bad Request: invalid reply parameters specified");
            }
            reply_to = id->get_int64();
        }
        if (auto refusal = told_refusal("sendMessage")) {
            return std::move(*refusal);
        }
        std::int64_t message_id = 0;
        {
            std::lock_guard lock{mutex_};
            message_id = ++last_message_id_;
        }
        const bool private_chat = chat->is_int64() && chat->get_int64() > 0;
        json::object sent{{"message_id", message_id},
                          {"from", json::object{{"id", bot_id},
                                                {"is_bot", true},
                                                {"first_name", "Acme Help"},
                                                {"username", "AcmeHelpBot"}}},
                          {"chat", json::object{{"id", *chat},
                                                {"type", private_chat ? "private" : "supergroup"}}},
                          {"date", std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()},
                          {"text", *text}};
        if (reply_to) {
            sent["reply_to_message"] =
                json::object{{"message_id", *reply_to}, {"chat", sent["chat"]}, {"date", 0}};
        }
        return http::json_response(200,
                                   json::serialize(json::object{{"ok", true}, {"result", sent}}));
    }

    // The refusal a test asked for, if one is due for `method`.
    std::optional<http_response> told_refusal(const std::string& method) {
        answer_rule rule;
        {
            std::lock_guard lock{mutex_};
            auto it = told_.find(method);
            if (it == told_.end() || it->second.count <= 0) {
                return std::nullopt;
            }
            rule = it->second;
            --it->second.count;
        }
        json::object parameters;
        if (rule.retry_after) {
            parameters["retry_after"] = *rule.retry_after;
        }
        if (rule.migrate_to_chat_id) {
            parameters["migrate_to_chat_id"] = *rule.migrate_to_chat_id;
        }
        std::string description = rule.description;
        if (description.empty()) {
            description = rule.error_code == 429 ? "Too Many Requests: retry after " +
                                                       std::to_string(rule.retry_after.value_or(1))
                                                 : "Bad Request: told to refuse";
        }
        return api_error(rule.error_code, description, parameters);
    }

    // Parameters as JSON (what Rapport sends); an empty body is no parameters.
    static json::object parameters_of(const call& c) {
        boost::system::error_code ec;
        const json::value v = json::parse(c.body, ec);
        return !ec && v.is_object() ? v.get_object() : json::object{};
    }

    static std::optional<std::int64_t> integer(const json::object& o, std::string_view key) {
        const auto* f = o.if_contains(key);
        return f != nullptr && f->is_int64() ? std::optional(f->get_int64()) : std::nullopt;
    }

    http_response webhook_method(const call& c) {
        const json::object p = parameters_of(c);
        std::lock_guard lock{mutex_};
        if (c.method == "getWebhookInfo") {
            return http::json_response(
                200, json::serialize(json::object{
                         {"ok", true},
                         {"result", json::object{{"url", webhook_url_},
                                                 {"pending_update_count", queued_.size()}}}}));
        }
        if (c.method == "setWebhook") {
            const auto* url = p.if_contains("url");
            webhook_url_ = url != nullptr && url->is_string() ? std::string(url->get_string()) : "";
            return http::json_response(
                200, R"({"ok":true,"result":true,"description":"Webhook was set"})");
        }
        const auto* drop = p.if_contains("drop_pending_updates");
        if (drop != nullptr && drop->is_bool() && drop->get_bool()) {
            queued_.clear();
        }
        const bool had = !webhook_url_.empty();
        webhook_url_.clear();
        return http::json_response(200, had ? R"({"ok":true,"result":true,)"
                                              R"("description":"Webhook was deleted"})"
                                            : R"({"ok":true,"result":true,)"
                                              R"("description":"Webhook is already deleted"})");
    }

    // Whether an Update is of a kind `allowed` lists (an empty list allows every kind).
    static bool allowed_kind(const json::object& update, const json::value* allowed) {
        if (allowed == nullptr || !allowed->is_array() || allowed->get_array().empty()) {
            return true;
        }
        for (const auto& kind : allowed->get_array()) {
            if (kind.is_string() && update.contains(kind.get_string())) {
                return true;
            }
        }
        return false;
    }

    // Confirms what is below `offset`, drops kinds not asked for, and takes what is left (at
    // most `limit`). Call with mutex_ held.
    json::array take_updates(std::optional<std::int64_t> offset,
                             std::size_t limit,
                             const json::value* allowed) {
        if (offset && *offset > 0) {
            while (!queued_.empty() && queued_.front().at("update_id").as_int64() < *offset) {
                queued_.pop_front();
            }
        } else if (offset && *offset < 0) {
            while (queued_.size() > static_cast<std::size_t>(-*offset)) {
                queued_.pop_front();
            }
        }
        json::array out;
        for (auto it = queued_.begin(); it != queued_.end() && out.size() < limit;) {
            if (!allowed_kind(*it, allowed)) {
                it = queued_.erase(it); // Telegram never delivers what a bot did not ask for
                continue;
            }
            out.push_back(*it);
            ++it;
        }
        return out;
    }

    net::awaitable<http_response> get_updates(call c) {
        if (auto refusal = told_refusal("getUpdates")) {
            co_return std::move(*refusal);
        }
        const json::object p = parameters_of(c);
        const std::optional<std::int64_t> offset = integer(p, "offset");
        const std::size_t limit = static_cast<std::size_t>(
            std::clamp<std::int64_t>(integer(p, "limit").value_or(100), 1, 100));
        const auto wait = std::chrono::seconds(
            std::clamp<std::int64_t>(integer(p, "timeout").value_or(0), 0, 50));
        const json::value* allowed = p.if_contains("allowed_updates");
        std::uint64_t generation = 0;
        json::array out;
        {
            std::lock_guard lock{mutex_};
            if (!webhook_url_.empty()) {
                co_return api_error(409,
                                    "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first");
            }
            // A newer poll ends the one waiting, as Telegram does.
            generation = ++poll_generation_;
            for (auto* w : waiters_) {
                w->cancel();
            }
            out = take_updates(offset, std::min(limit, batch_limit_), allowed);
        }
        if (out.empty() && wait.count() > 0) {
            net::steady_timer timer(co_await net::this_coro::executor);
            timer.expires_after(wait);
            {
                std::lock_guard lock{mutex_};
                waiters_.push_back(&timer);
            }
            auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            (void)ec; // new Updates, a newer poll, or the time is up
            std::lock_guard lock{mutex_};
            std::erase(waiters_, &timer);
            if (generation != poll_generation_) {
                co_return api_error(409,
                                    "Conflict: terminated by other getUpdates request; make sure "
                                    "that only one bot instance is running");
            }
            out = take_updates(std::nullopt, std::min(limit, batch_limit_), allowed);
        }
        co_return http::json_response(
            200, json::serialize(json::object{{"ok", true}, {"result", std::move(out)}}));
    }

    net::awaitable<http_response> queue_updates(http_request request, route_params) {
        boost::system::error_code ec;
        json::value v = json::parse(request.body, ec);
        if (ec || !(v.is_object() || v.is_array())) {
            co_return http::json_error(400, "bad_request", "an Update or an array of them");
        }
        json::array updates = v.is_array() ? std::move(v.get_array()) : json::array{v};
        json::array ids;
        std::lock_guard lock{mutex_};
        for (auto& u : updates) {
            if (!u.is_object()) {
                co_return http::json_error(400, "bad_request", "an Update is a JSON object");
            }
            json::object update = std::move(u.get_object());
            update["update_id"] = ++last_update_id_;
            ids.push_back(last_update_id_);
            queued_.push_back(std::move(update));
        }
        for (auto* w : waiters_) {
            w->cancel();
        }
        co_return http::json_response(
            200, json::serialize(json::object{{"update_ids", std::move(ids)}}));
    }

    net::awaitable<http_response> calls(http_request, route_params) {
        json::array out;
        std::lock_guard lock{mutex_};
        for (const auto& c : calls_) {
            out.push_back(json::object{{"method", c.method},
                                       {"token_ok", c.token_ok},
                                       {"body", c.body},
                                       {"content_type", c.content_type},
                                       {"answered", c.answered},
                                       {"received_ms", c.received_ms}});
        }
        co_return http::json_response(200, json::serialize(out));
    }

    net::awaitable<http_response> set_answer(http_request request, route_params) {
        boost::system::error_code ec;
        const auto v = json::parse(request.body, ec);
        if (ec || !v.is_object()) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        const auto& o = v.get_object();
        const auto integer = [&](std::string_view key) -> std::optional<std::int64_t> {
            const auto* f = o.if_contains(key);
            return f != nullptr && f->is_int64() ? std::optional(f->get_int64()) : std::nullopt;
        };
        answer_rule rule;
        std::string method = "sendMessage";
        if (const auto* m = o.if_contains("method"); m != nullptr && m->is_string()) {
            method = std::string(m->get_string());
        }
        rule.error_code = integer("error_code").value_or(0);
        rule.retry_after = integer("retry_after");
        rule.migrate_to_chat_id = integer("migrate_to_chat_id");
        if (const auto* d = o.if_contains("description"); d != nullptr && d->is_string()) {
            rule.description = std::string(d->get_string());
        }
        rule.count = static_cast<int>(integer("count").value_or(1));
        std::lock_guard lock{mutex_};
        told_[method] = rule;
        co_return http::json_response(200, "{\"status\":\"ok\"}");
    }

    std::string token_;
    bool quiet_;
    std::size_t batch_limit_;
    // The server runs on one thread, but its connections are strands of their own: the lock
    // keeps each piece of state change whole, and is never held across a co_await.
    std::mutex mutex_;
    std::map<std::string, answer_rule> told_;
    std::deque<json::object> queued_;
    std::int64_t last_update_id_ = 861234600;
    std::uint64_t poll_generation_ = 0;
    std::vector<net::steady_timer*> waiters_;
    std::string webhook_url_;
    std::int64_t last_message_id_ = 1000;
    std::vector<call> calls_;
};

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    std::string token;
    bool quiet = false;
    std::size_t batch_limit = 100;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        } else if (arg == "--token-env" && i + 1 < argc) {
            token = fakes::env_value(argv[++i]);
        } else if (arg == "--batch-limit" && i + 1 < argc) {
            batch_limit = static_cast<std::size_t>(std::max(1, std::atoi(argv[++i])));
        } else if (arg == "--quiet") {
            quiet = true;
        } else {
            std::cerr
                << "usage: rapport-telegram-fake [--port N] [--token-env VAR] [--batch-limit N] "
                   "[--quiet]\n";
            return 2;
        }
    }
    net::io_context ioc;
    fake state(token, quiet, batch_limit);
    return fakes::serve(ioc, state.routes(), port);
}
