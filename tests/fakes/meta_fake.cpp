// rapport-meta-fake: a stand-in for Meta (PLATFORMS.md §5) on both sides of a meta account, for
// the integration tests and the demo. As the Graph API (the account's api_base_url) it checks the
// bearer token and the JSON of every Send API, WhatsApp and comment call as Meta documents them,
// keeps every call, and answers as it is told (429, throttling codes, a closed window, ...). As
// Meta's webhook side it makes the verification GET and POSTs notifications from fixture files,
// signed with X-Hub-Signature-256 over the exact bytes sent, as Meta signs them.
//
//   rapport-meta-fake [--port N] [--token-env VAR] [--whatsapp-token-env VAR]
//                     [--app-secret-env VAR] [--verify-token-env VAR] [--fixtures DIR] [--quiet]
//
// It logs `listening port=N` on stderr once it accepts. Routes:
//   POST /{version}/{id}/messages   the Send API ({"recipient":{"id"|"comment_id"},"message":
//                                   {"text"}}, messaging_type needed with an id) or, when the body
//                                   says messaging_product "whatsapp", WhatsApp's text message
//                                   (to, type "text", text.body, optional context.message_id,
//                                   with the WhatsApp token)
//   POST /{version}/{id}/comments   a comment reply ({"message"}); /replies likewise (Instagram)
//                                   A wrong or missing bearer token gets 401 with code 190; a
//                                   bad body 400 with code 100, worded as Graph words them.
//   GET  /_fake/sent                every call, oldest first: [{"path", "edge", "token_ok",
//                                   "body", "content_type", "token_in_query", "answered",
//                                   "received_ms" (Unix ms)}]
//   POST /_fake/answer              how to answer the next calls: {"status": 400, "code": 10,
//                                   "subcode": 2018278, "message": "...", "retry_after": 5,
//                                   "regain_minutes": 3, "count": 1}
//   POST /_fake/webhook             POSTs a notification to rapportd: {"target": URL, "fixture":
//                                   NAME (in --fixtures) | "body": TEXT, "signature": "good" |
//                                   "bad" | "none", "age": S (puts the Unix time S seconds ago in
//                                   place of the fixtures' 1795341660)}; answers {"status",
//                                   "body"} of rapportd's answer and "written", the time put in
//   POST /_fake/verify              makes Meta's verification GET: {"target": URL,
//                                   "verify_token": TEXT (default: the configured one),
//                                   "mode": "subscribe"}; answers {"status", "body",
//                                   "verified": the challenge came back with 200}
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
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace rapport;
using http::http_request;
using http::http_response;
using http::route_params;
namespace json = boost::json;

struct answer_rule {
    unsigned status = 0;
    std::optional<std::int64_t> code;
    std::optional<std::int64_t> subcode;
    std::string message;
    std::optional<std::int64_t> retry_after;
    std::optional<std::int64_t> regain_minutes;
    int count = 0;
};

struct call {
    std::string path;
    std::string edge;
    bool token_ok = false;
    bool token_in_query = false;
    std::string body;
    std::string content_type;
    unsigned answered = 0;
    std::int64_t received_ms = 0;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A Graph API error answer: {"error":{"message","type","code","error_subcode"?,"fbtrace_id"}}.
http_response graph_error(unsigned status,
                          std::int64_t code,
                          const std::string& message,
                          std::optional<std::int64_t> subcode = std::nullopt) {
    json::object e{{"message", message},
                   {"type", code == 190 ? "OAuthException" : "GraphMethodException"},
                   {"code", code},
                   {"fbtrace_id", "AFakeTraceId0123"}};
    if (subcode) {
        e["error_subcode"] = *subcode;
    }
    return http::json_response(status, json::serialize(json::object{{"error", e}}));
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::string> string_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string() || v->get_string().empty()) {
        return std::nullopt;
    }
    return std::string(v->get_string());
}

// The number of Unicode code points, which is how Meta counts its text limits.
std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) {
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    return n;
}

std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

class fake {
public:
    struct settings {
        std::string page_token;
        std::string whatsapp_token;
        std::string app_secret;
        std::string verify_token;
        std::string fixtures;
        bool quiet = false;
    };

    fake(net::any_io_executor executor, settings s)
        : client_(std::move(executor)), settings_(std::move(s)) {}

    http::router routes() {
        const auto bind = fakes::member_routes(this);
        http::router r;
        r.add("POST", "/{version}/{id}/{edge}", bind(&fake::graph));
        r.add("GET", "/_fake/sent", bind(&fake::sent));
        r.add("POST", "/_fake/answer", bind(&fake::set_answer));
        r.add("POST", "/_fake/webhook", bind(&fake::webhook));
        r.add("POST", "/_fake/verify", bind(&fake::verify));
        return r;
    }

private:
    net::awaitable<http_response> graph(http_request request, route_params params) {
        call c;
        c.path = request.path;
        c.edge = std::string(params["edge"]);
        c.body = request.body;
        c.content_type = std::string(request.headers.get("Content-Type").value_or(""));
        c.token_in_query = request.query_value("access_token").has_value();
        c.received_ms = now_ms();
        http_response response = answer(c, request.headers.get("Authorization").value_or(""));
        c.answered = response.status;
        if (!settings_.quiet) {
            std::cout << c.path << " -> " << c.answered << "\n  " << c.body << "\n" << std::flush;
        }
        std::lock_guard lock{mutex_};
        calls_.push_back(std::move(c));
        co_return response;
    }

    http_response answer(call& c, std::string_view authorization) {
        if (c.edge != "messages" && c.edge != "comments" && c.edge != "replies") {
            return graph_error(400, 100, "Unsupported post request.");
        }
        if (!c.content_type.starts_with("application/json")) {
            return graph_error(400, 100, "(#100) The request body must be JSON");
        }
        boost::system::error_code ec;
        const json::value v = json::parse(c.body, ec);
        if (ec || !v.is_object()) {
            return graph_error(400, 100, "(#100) Unable to parse the JSON body");
        }
        const json::object& o = v.get_object();
        const bool whatsapp =
            c.edge == "messages" && string_at(o, "messaging_product") == "whatsapp";
        const std::string& token = whatsapp ? settings_.whatsapp_token : settings_.page_token;
        c.token_ok = !token.empty() && authorization == "Bearer " + token;
        if (!c.token_ok) {
            return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token");
        }
        json::object created;
        if (whatsapp) {
            const auto to = string_at(o, "to");
            const json::object* text = object_at(o, "text");
            const auto body = text != nullptr ? string_at(*text, "body") : std::nullopt;
            if (!to || string_at(o, "type") != "text" || !body) {
                return graph_error(400, 100, "(#100) Invalid parameter");
            }
            if (code_points(*body) > 4096) {
                return graph_error(400, 100,
                                   "(#100) Param text['body'] must be at most 4096 "
                                   "characters long.");
            }
            if (const json::value* context = o.if_contains("context")) {
                if (!context->is_object() || !string_at(context->get_object(), "message_id")) {
                    return graph_error(400, 100, "(#100) Invalid parameter context");
                }
            }
            created = json::object{
                {"messaging_product", "whatsapp"},
                {"contacts", json::array{json::object{{"input", *to}, {"wa_id", *to}}}}};
        } else if (c.edge == "messages") {
            const json::object* recipient = object_at(o, "recipient");
            const json::object* message = object_at(o, "message");
            const auto text = message != nullptr ? string_at(*message, "text") : std::nullopt;
            const auto id = recipient != nullptr ? string_at(*recipient, "id") : std::nullopt;
            const auto comment =
                recipient != nullptr ? string_at(*recipient, "comment_id") : std::nullopt;
            if ((!id && !comment) || !text) {
                return graph_error(400, 100,
                                   "(#100) param recipient and message must be non-empty");
            }
            const auto type = string_at(o, "messaging_type");
            if (id && type != "RESPONSE" && type != "UPDATE" && type != "MESSAGE_TAG") {
                return graph_error(400, 100,
                                   "(#100) param messaging_type must be one of "
                                   "RESPONSE, UPDATE, MESSAGE_TAG");
            }
            if (code_points(*text) > 2000) {
                return graph_error(400, 100,
                                   "(#100) Length of param message[text] must be less "
                                   "than or equal to 2000");
            }
            created = json::object{{"recipient_id", id.value_or("6834521987654321")}};
        } else if (!string_at(o, "message")) {
            return graph_error(400, 100, "(#100) param message must be non-empty");
        }
        answer_rule rule;
        std::int64_t n = 0;
        {
            std::lock_guard lock{mutex_};
            if (told_.count > 0) {
                rule = told_;
                --told_.count;
            }
            if (rule.status == 0) {
                n = ++created_;
            }
        }
        if (rule.status != 0) {
            http_response r = graph_error(
                rule.status, rule.code.value_or(rule.status == 429 ? 4 : 100),
                rule.message.empty() ? "(#4) Application request limit reached" : rule.message,
                rule.subcode);
            if (rule.retry_after) {
                r.headers.add("Retry-After", std::to_string(*rule.retry_after));
            }
            if (rule.regain_minutes) {
                r.headers.add("X-Business-Use-Case-Usage",
                              R"({"104510662458730":[{"type":"pages","call_count":100,)"
                              R"("total_cputime":20,"total_time":20,)"
                              R"("estimated_time_to_regain_access":)" +
                                  std::to_string(*rule.regain_minutes) + "}]}");
            }
            return r;
        }
        if (whatsapp) {
            created["messages"] =
                json::array{json::object{{"id", "wamid.FAKE" + std::to_string(n)}}};
        } else if (c.edge == "messages") {
            created["message_id"] = "m_fake" + std::to_string(n);
        } else {
            created["id"] = std::to_string(17900000000000000 + n);
        }
        return http::json_response(200, json::serialize(created));
    }

    net::awaitable<http_response> sent(http_request, route_params) {
        json::array out;
        std::lock_guard lock{mutex_};
        for (const auto& c : calls_) {
            out.push_back(json::object{{"path", c.path},
                                       {"edge", c.edge},
                                       {"token_ok", c.token_ok},
                                       {"token_in_query", c.token_in_query},
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
        rule.status = static_cast<unsigned>(integer("status").value_or(400));
        rule.code = integer("code");
        rule.subcode = integer("subcode");
        rule.message = string_at(o, "message").value_or("");
        rule.retry_after = integer("retry_after");
        rule.regain_minutes = integer("regain_minutes");
        rule.count = static_cast<int>(integer("count").value_or(1));
        std::lock_guard lock{mutex_};
        told_ = rule;
        co_return http::json_response(200, "{\"status\":\"ok\"}");
    }

    std::optional<std::string> fixture(const std::string& name) const {
        if (name.find('/') != std::string::npos || settings_.fixtures.empty()) {
            return std::nullopt;
        }
        std::ifstream in(settings_.fixtures + "/" + name, std::ios::binary);
        if (!in) {
            return std::nullopt;
        }
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    net::awaitable<http_response> webhook(http_request request, route_params) {
        boost::system::error_code ec;
        const auto v = json::parse(request.body, ec);
        if (ec || !v.is_object()) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        const auto& o = v.get_object();
        const auto target = string_at(o, "target");
        std::optional<std::string> body;
        if (const auto name = string_at(o, "fixture")) {
            body = fixture(*name);
        } else if (const json::value* b = o.if_contains("body"); b != nullptr && b->is_string()) {
            body = std::string(b->get_string());
        }
        if (!target || !body) {
            co_return http::json_error(400, "bad_request",
                                       "need a target and a readable fixture or a body");
        }
        // The fixtures' times all start with 1795341660 (2026-11-22 10:01 UTC): "age" puts
        // a time that many seconds before now in their place (0: now).
        std::optional<std::int64_t> written;
        if (const json::value* age = o.if_contains("age"); age != nullptr && age->is_int64()) {
            written = now_ms() / 1000 - age->get_int64();
            const std::string digits = std::to_string(*written);
            for (auto at = body->find("1795341660"); at != std::string::npos;
                 at = body->find("1795341660", at + digits.size())) {
                body->replace(at, 10, digits);
            }
        }
        const std::string signature = string_at(o, "signature").value_or("good");
        adapters::https_request post;
        post.method = "POST";
        post.url = *target;
        post.body = *body;
        post.headers.add("Content-Type", "application/json");
        if (signature == "good") {
            post.headers.add("X-Hub-Signature-256",
                             "sha256=" + adapters::hmac_sha256_hex(settings_.app_secret, *body));
        } else if (signature == "bad") {
            post.headers.add("X-Hub-Signature-256",
                             "sha256=" + adapters::hmac_sha256_hex("not the app secret", *body));
        }
        const adapters::https_result result = co_await client_.send(std::move(post));
        if (!result) {
            co_return http::json_error(502, "bad_gateway", result.error().message);
        }
        json::object answer{{"status", result->status}, {"body", result->body}};
        if (written) {
            answer["written"] = *written;
        }
        co_return http::json_response(200, json::serialize(answer));
    }

    net::awaitable<http_response> verify(http_request request, route_params) {
        boost::system::error_code ec;
        const auto v = json::parse(request.body, ec);
        if (ec || !v.is_object()) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        const auto& o = v.get_object();
        const auto target = string_at(o, "target");
        if (!target) {
            co_return http::json_error(400, "bad_request", "need a target");
        }
        std::string token = settings_.verify_token;
        if (const json::value* t = o.if_contains("verify_token"); t != nullptr && t->is_string()) {
            token = std::string(t->get_string());
        }
        const std::string mode = string_at(o, "mode").value_or("subscribe");
        std::string challenge;
        {
            std::lock_guard lock{mutex_};
            challenge = std::to_string(
                std::uniform_int_distribution<std::int64_t>(1'000'000'000, 9'999'999'999)(random_));
        }
        adapters::https_request get;
        get.method = "GET";
        get.url = *target + "?hub.mode=" + percent_encode(mode) + "&hub.challenge=" + challenge +
                  "&hub.verify_token=" + percent_encode(token);
        const adapters::https_result result = co_await client_.send(std::move(get));
        if (!result) {
            co_return http::json_error(502, "bad_gateway", result.error().message);
        }
        const bool verified = result->status == 200 && result->body == challenge;
        co_return http::json_response(200, json::serialize(json::object{{"status", result->status},
                                                                        {"body", result->body},
                                                                        {"challenge", challenge},
                                                                        {"verified", verified}}));
    }

    adapters::https_client client_;
    settings settings_;
    std::mutex mutex_;
    std::mt19937_64 random_{std::random_device{}()};
    answer_rule told_;
    std::int64_t created_ = 0;
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
            settings.page_token = fakes::env_value(argv[++i]);
        } else if (arg == "--whatsapp-token-env" && has_value) {
            settings.whatsapp_token = fakes::env_value(argv[++i]);
        } else if (arg == "--app-secret-env" && has_value) {
            settings.app_secret = fakes::env_value(argv[++i]);
        } else if (arg == "--verify-token-env" && has_value) {
            settings.verify_token = fakes::env_value(argv[++i]);
        } else if (arg == "--fixtures" && has_value) {
            settings.fixtures = argv[++i];
        } else if (arg == "--quiet") {
            settings.quiet = true;
        } else {
            std::cerr << "usage: rapport-meta-fake [--port N] [--token-env VAR] "
                         "[--whatsapp-token-env VAR] [--app-secret-env VAR] "
                         "[--verify-token-env VAR] [--fixtures DIR] [--quiet]\n";
            return 2;
        }
    }
    if (settings.whatsapp_token.empty()) {
        settings.whatsapp_token = settings.page_token;
    }
    net::io_context ioc;
    fake state(ioc.get_executor(), std::move(settings));
    return fakes::serve(ioc, state.routes(), port);
}
