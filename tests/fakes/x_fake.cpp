// rapport-x-fake: a stand-in for X (PLATFORMS.md §7) on both sides of an x account, for the
// integration tests and the demo.
// - As the X API (an account's api_base_url points here): `POST /2/tweets` and
//   `POST /2/dm_conversations/with/{id}/messages` check the OAuth 1.0a header for real: the
//   consumer key and token must be the configured ones, the signature is recomputed from the
//   method, this server's URL and the oauth_* parameters with the known secrets (a JSON body is
//   not signed), a nonce may not come twice and the timestamp must be within 5 minutes. Then the
//   JSON body is checked as X does, and the call answered 201 like X, or as told (429 with
//   x-rate-limit-* headers, 4xx/5xx with a problem body).
// - As X's webhook sender: it performs the CRC against a webhook URL (GET ?crc_token=..., then
//   checks response_token with the consumer secret) and POSTs deliveries from tests/data/x,
//   signed with x-twitter-webhooks-signature (or signed badly, or not at all, on request).
//
//   rapport-x-fake [--port N] [--consumer-key-env V] [--consumer-secret-env V]
//                  [--token-env V] [--token-secret-env V] [--fixtures DIR] [--quiet]
//
// It logs `listening port=N` on stderr once it accepts, and stops on SIGTERM/SIGINT. Routes:
//   POST /2/tweets, POST /2/dm_conversations/with/{participant_id}/messages   (the API)
//   GET  /_fake/calls    every API call, oldest first: [{"path", "auth_ok", "auth_problem",
//                        "body", "content_type", "answered", "received_ms" (Unix ms)}]
//   POST /_fake/answer   how to answer the next API calls: {"status": 429, "reset_in": 5,
//                        "retry_after": 5, "detail": "...", "count": 1}
//   POST /_fake/crc      {"url": "http://127.0.0.1:P/hooks/x"} → {"valid", "status",
//                        "crc_token", "response_token", "expected"}; an answer that is not
//                        200 with the right token within 3 s marks the URL invalid, and
//                        deliveries to it get 409 until a CRC passes, as X stops delivering
//   POST /_fake/deliver  {"url": ..., "fixture": "aaa_mention.json" | "body": "...",
//                        "signature": "good" | "bad" | "none"} → {"status", "body"}
#include "adapters/common/https_client.hpp"
#include "adapters/x/oauth1.hpp"
#include "adapters/x/wire.hpp"
#include "daemon/http/server.hpp"
#include "tests/fakes/fake_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace rapport;
using http::http_request;
using http::http_response;
using http::route_params;
namespace json = boost::json;
namespace xa = adapters::x;

struct answer_rule {
    unsigned status = 0;
    std::optional<std::int64_t> reset_in;
    std::optional<std::int64_t> retry_after;
    std::string detail;
    int count = 0;
};

struct call {
    std::string path;
    bool auth_ok = false;
    std::string auth_problem;
    std::string body;
    std::string content_type;
    unsigned answered = 0;
    std::int64_t received_ms = 0;
};

std::int64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// X API v2's problem body.
http_response problem(unsigned status, const std::string& title, const std::string& detail) {
    return http::json_response(
        status,
        json::serialize(json::object{
            {"title", title}, {"detail", detail}, {"type", "about:blank"}, {"status", status}}));
}

bool is_digits(std::string_view s) {
    return xa::is_numeric_id(s);
}

class fake {
public:
    fake(xa::oauth1_credentials credentials,
         std::string fixtures,
         bool quiet,
         adapters::https_client client,
         adapters::https_client crc_client)
        : credentials_(std::move(credentials)),
          fixtures_(std::move(fixtures)),
          quiet_(quiet),
          client_(std::move(client)),
          crc_client_(std::move(crc_client)) {}

    http::router routes() {
        const auto bind = fakes::member_routes(this);
        http::router r;
        r.add("POST", "/2/tweets", bind(&fake::api));
        r.add("POST", "/2/dm_conversations/with/{participant}/messages", bind(&fake::api));
        r.add("GET", "/_fake/calls", bind(&fake::calls));
        r.add("POST", "/_fake/answer", bind(&fake::set_answer));
        r.add("POST", "/_fake/crc", bind(&fake::crc));
        r.add("POST", "/_fake/deliver", bind(&fake::deliver));
        return r;
    }

private:
    // Why the request's OAuth 1.0a header is not a valid one of ours; empty when it is.
    std::string check_oauth(const http_request& request) {
        const auto header = request.headers.get("Authorization");
        if (!header) {
            return "no Authorization header";
        }
        const auto params = xa::parse_authorization_header(*header);
        if (!params) {
            return "not an OAuth Authorization header";
        }
        std::string signature;
        std::vector<xa::oauth1_parameter> signed_params;
        std::string nonce;
        std::optional<std::int64_t> timestamp;
        for (const auto& p : *params) {
            if (p.name == "oauth_signature") {
                signature = p.value;
                continue;
            }
            if (p.name == "realm") {
                continue;
            }
            if (p.name == "oauth_consumer_key" && p.value != credentials_.consumer_key) {
                return "unknown consumer key";
            }
            if (p.name == "oauth_token" && p.value != credentials_.token) {
                return "unknown token";
            }
            if (p.name == "oauth_signature_method" && p.value != "HMAC-SHA1") {
                return "signature method is not HMAC-SHA1";
            }
            if (p.name == "oauth_version" && p.value != "1.0") {
                return "version is not 1.0";
            }
            if (p.name == "oauth_nonce") {
                nonce = p.value;
            }
            if (p.name == "oauth_timestamp" && is_digits(p.value) && p.value.size() <= 12) {
                timestamp = std::stoll(p.value);
            }
            signed_params.push_back(p);
        }
        for (const std::string_view required : {"oauth_consumer_key", "oauth_token", "oauth_nonce",
                                                "oauth_timestamp", "oauth_signature_method"}) {
            bool found = false;
            for (const auto& p : signed_params) {
                found = found || p.name == required;
            }
            if (!found) {
                return "missing " + std::string(required);
            }
        }
        if (signature.empty()) {
            return "missing oauth_signature";
        }
        if (!timestamp || *timestamp < unix_seconds() - 300 || *timestamp > unix_seconds() + 300) {
            return "timestamp out of the 5 minute window";
        }
        // X signs the URL the client used; here that is this server, reached by its Host.
        const std::string url =
            "http://" + std::string(request.headers.get("Host").value_or("")) + request.target;
        const auto base_uri = xa::base_string_uri(url);
        if (!base_uri) {
            return "no Host";
        }
        const auto query = request.target.find('?');
        if (query != std::string::npos) {
            const auto q = xa::parse_form(std::string_view(request.target).substr(query + 1));
            signed_params.insert(signed_params.end(), q.begin(), q.end());
        }
        // JSON bodies are not signed; a form body would be.
        const auto type = request.headers.get("Content-Type").value_or("");
        if (type.starts_with("application/x-www-form-urlencoded")) {
            const auto f = xa::parse_form(request.body);
            signed_params.insert(signed_params.end(), f.begin(), f.end());
        }
        const std::string expected = xa::hmac_sha1_signature(
            xa::signature_base_string(request.method, *base_uri, signed_params),
            credentials_.consumer_secret, credentials_.token_secret);
        if (expected != signature) {
            return "signature mismatch";
        }
        std::lock_guard lock{mutex_};
        if (!nonces_.insert(nonce).second) {
            return "nonce used before";
        }
        return {};
    }

    net::awaitable<http_response> api(http_request request, route_params params) {
        call c;
        c.path = request.path;
        c.body = request.body;
        c.content_type = std::string(request.headers.get("Content-Type").value_or(""));
        c.received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        c.auth_problem = check_oauth(request);
        c.auth_ok = c.auth_problem.empty();
        http_response response = answer(c, params.get("participant"));
        c.answered = response.status;
        if (!quiet_) {
            std::cout << c.path << " -> " << c.answered << "\n  " << c.body << "\n" << std::flush;
        }
        std::lock_guard lock{mutex_};
        calls_.push_back(std::move(c));
        co_return response;
    }

    http_response answer(const call& c, std::optional<std::string_view> participant) {
        if (!c.auth_ok) {
            return problem(401, "Unauthorized", "Unauthorized");
        }
        if (!c.content_type.starts_with("application/json")) {
            return problem(400, "Invalid Request", "expected a JSON body");
        }
        boost::system::error_code ec;
        const json::value v = json::parse(c.body, ec);
        if (ec || !v.is_object()) {
            return problem(400, "Invalid Request", "the body is not a JSON object");
        }
        const json::object& o = v.get_object();
        const json::value* text = o.if_contains("text");
        if (text == nullptr || !text->is_string() || text->get_string().empty()) {
            return problem(400, "Invalid Request", "text is required");
        }
        if (participant && !is_digits(*participant)) {
            return problem(400, "Invalid Request", "participant_id is not a user id");
        }
        if (!participant) {
            if (const json::value* reply = o.if_contains("reply")) {
                const json::value* to =
                    reply->is_object() ? reply->get_object().if_contains("in_reply_to_tweet_id")
                                       : nullptr;
                if (to == nullptr || !to->is_string() || !is_digits(to->get_string())) {
                    return problem(400, "Invalid Request",
                                   "reply.in_reply_to_tweet_id must be a Post id");
                }
            }
        }
        answer_rule rule;
        std::int64_t id = 0;
        {
            std::lock_guard lock{mutex_};
            if (told_.count > 0) {
                rule = told_;
                --told_.count;
            }
            if (rule.status == 0) {
                id = ++last_id_;
            }
        }
        if (rule.status != 0) {
            http_response r = problem(
                rule.status, rule.status == 429 ? "Too Many Requests" : "Told to refuse",
                rule.detail.empty() ? (rule.status == 429 ? "Too Many Requests" : "Told to refuse")
                                    : rule.detail);
            if (rule.status == 429) {
                r.headers.add("x-rate-limit-limit", "100");
                r.headers.add("x-rate-limit-remaining", "0");
                r.headers.add("x-rate-limit-reset",
                              std::to_string(unix_seconds() + rule.reset_in.value_or(900)));
            }
            if (rule.retry_after) {
                r.headers.add("Retry-After", std::to_string(*rule.retry_after));
            }
            return r;
        }
        if (participant) {
            return http::json_response(
                201, json::serialize(json::object{
                         {"data", json::object{{"dm_conversation_id",
                                                std::string(*participant) + "-4337869213"},
                                               {"dm_event_id", std::to_string(id)}}}}));
        }
        return http::json_response(
            201, json::serialize(json::object{
                     {"data", json::object{{"id", std::to_string(id)},
                                           {"text", *text},
                                           {"edit_history_tweet_ids",
                                            json::array{json::string(std::to_string(id))}}}}}));
    }

    net::awaitable<http_response> calls(http_request, route_params) {
        json::array out;
        std::lock_guard lock{mutex_};
        for (const auto& c : calls_) {
            out.push_back(json::object{{"path", c.path},
                                       {"auth_ok", c.auth_ok},
                                       {"auth_problem", c.auth_problem},
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
        rule.status = static_cast<unsigned>(integer("status").value_or(0));
        rule.reset_in = integer("reset_in");
        rule.retry_after = integer("retry_after");
        if (const auto* d = o.if_contains("detail"); d != nullptr && d->is_string()) {
            rule.detail = std::string(d->get_string());
        }
        rule.count = static_cast<int>(integer("count").value_or(1));
        std::lock_guard lock{mutex_};
        told_ = rule;
        co_return http::json_response(200, "{\"status\":\"ok\"}");
    }

    static std::optional<std::string> string_field(const json::object& o, std::string_view key) {
        const auto* f = o.if_contains(key);
        return f != nullptr && f->is_string() ? std::optional(std::string(f->get_string()))
                                              : std::nullopt;
    }

    // X's CRC: a fresh token, the answer's response_token checked against the consumer secret.
    net::awaitable<http_response> crc(http_request request, route_params) {
        boost::system::error_code ec;
        const auto v = json::parse(request.body, ec);
        const auto url = !ec && v.is_object() ? string_field(v.get_object(), "url") : std::nullopt;
        if (!url) {
            co_return http::json_error(400, "bad_request", "{\"url\": ...}, please");
        }
        const std::string token = xa::make_nonce();
        adapters::https_request get;
        get.method = "GET";
        get.url = *url + (url->find('?') == std::string::npos ? "?" : "&") + "crc_token=" + token;
        get.body.clear();
        const adapters::https_result result = co_await crc_client_.send(std::move(get));
        const std::string expected = xa::webhook_signature(credentials_.consumer_secret, token);
        json::object out{{"crc_token", token}, {"expected", expected}, {"valid", false}};
        if (!result) {
            out["status"] = 0;
            out["error"] = result.error().message;
            std::lock_guard lock{mutex_};
            invalid_urls_.insert(*url);
            co_return http::json_response(200, json::serialize(out));
        }
        out["status"] = result->status;
        std::optional<std::string> response_token;
        const auto answer = json::parse(result->body, ec);
        if (!ec && answer.is_object()) {
            response_token = string_field(answer.get_object(), "response_token");
        }
        out["response_token"] = response_token.value_or("");
        const bool valid = result->status == 200 && response_token == expected;
        out["valid"] = valid;
        {
            std::lock_guard lock{mutex_};
            if (valid) {
                invalid_urls_.erase(*url);
            } else {
                invalid_urls_.insert(*url);
            }
        }
        co_return http::json_response(200, json::serialize(out));
    }

    // One delivery POSTed like X: the fixture's bytes, signed over exactly those bytes.
    net::awaitable<http_response> deliver(http_request request, route_params) {
        boost::system::error_code ec;
        const auto v = json::parse(request.body, ec);
        if (ec || !v.is_object()) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        const json::object& o = v.get_object();
        const auto url = string_field(o, "url");
        std::optional<std::string> body = string_field(o, "body");
        if (const auto name = string_field(o, "fixture")) {
            if (name->find('/') != std::string::npos) {
                co_return http::json_error(400, "bad_request", "a fixture is a file name");
            }
            std::ifstream in(fixtures_ + "/" + *name, std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            if (!in) {
                co_return http::json_error(404, "not_found", "no fixture " + *name);
            }
            body = text.str();
        }
        if (!url || !body) {
            co_return http::json_error(400, "bad_request", "{\"url\", \"fixture\" or \"body\"}");
        }
        {
            // X stops delivering to a webhook whose CRC failed, until one passes.
            std::lock_guard lock{mutex_};
            if (invalid_urls_.contains(*url)) {
                co_return http::json_error(409, "webhook_invalid",
                                           "the last CRC of this URL failed: no deliveries");
            }
        }
        const std::string how = string_field(o, "signature").value_or("good");
        adapters::https_request post;
        post.method = "POST";
        post.url = *url;
        post.headers.add("Content-Type", "application/json; charset=utf-8");
        if (how == "good") {
            post.headers.add(std::string(xa::signature_header),
                             xa::webhook_signature(credentials_.consumer_secret, *body));
        } else if (how == "bad") {
            post.headers.add(std::string(xa::signature_header),
                             xa::webhook_signature(credentials_.consumer_secret + "x", *body));
        }
        post.body = std::move(*body);
        const adapters::https_result result = co_await client_.send(std::move(post));
        if (!result) {
            co_return http::json_response(
                200,
                json::serialize(json::object{{"status", 0}, {"error", result.error().message}}));
        }
        co_return http::json_response(
            200, json::serialize(json::object{{"status", result->status}, {"body", result->body}}));
    }

    xa::oauth1_credentials credentials_;
    std::string fixtures_;
    bool quiet_;
    adapters::https_client client_;
    adapters::https_client crc_client_;
    std::mutex mutex_;
    std::set<std::string> invalid_urls_;
    answer_rule told_;
    std::int64_t last_id_ = 1990000000000000000;
    std::set<std::string> nonces_;
    std::vector<call> calls_;
};

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    xa::oauth1_credentials credentials;
    std::string fixtures = RAPPORT_X_FIXTURES;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--port" && has_value) {
            port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        } else if (arg == "--consumer-key-env" && has_value) {
            credentials.consumer_key = fakes::env_value(argv[++i]);
        } else if (arg == "--consumer-secret-env" && has_value) {
            credentials.consumer_secret = fakes::env_value(argv[++i]);
        } else if (arg == "--token-env" && has_value) {
            credentials.token = fakes::env_value(argv[++i]);
        } else if (arg == "--token-secret-env" && has_value) {
            credentials.token_secret = fakes::env_value(argv[++i]);
        } else if (arg == "--fixtures" && has_value) {
            fixtures = argv[++i];
        } else if (arg == "--quiet") {
            quiet = true;
        } else {
            std::cerr << "usage: rapport-x-fake [--port N] [--consumer-key-env V] "
                         "[--consumer-secret-env V] [--token-env V] [--token-secret-env V] "
                         "[--fixtures DIR] [--quiet]\n";
            return 2;
        }
    }
    net::io_context ioc;
    // X gives a CRC answer 3 s.
    adapters::https_client_options crc_options;
    crc_options.request_timeout = std::chrono::seconds(3);
    fake state(std::move(credentials), fixtures, quiet, adapters::https_client(ioc.get_executor()),
               adapters::https_client(ioc.get_executor(), crc_options));
    return fakes::serve(ioc, state.routes(), port);
}
