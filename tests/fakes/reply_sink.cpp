// rapport-reply-sink: a receiver for a generic account's replies (CONTRACT §9) and for draft
// notifications (§5.4), for the demo and the integration tests. It checks each request's
// signature, prints it, keeps it, and answers as it is told.
//
//   rapport-reply-sink [--port N] [--secret-env VAR] [--notify-secret-env VAR] [--quiet]
//
// It logs `listening port=N` on stderr once it accepts. Routes:
//   POST /replies            a reply: 200 {"id": "sink-N"} unless told otherwise
//   POST /notify             a notification: 200 unless told otherwise
//   GET  /_sink/replies      what arrived, as JSON: [{"idempotency_key", "signature_ok",
//   GET  /_sink/notifications  "timestamp", "body", "answered"}...]
//   POST /_sink/answer       how to answer the next replies (notify_answer: notifications):
//   POST /_sink/notify_answer  {"status": 503, "retry_after": "1", "count": 2, "hang": false}
//                            (count: how many requests get it; then back to 200)
//   GET  /_sink/count        how many replies arrived, cheaply (for load tests): {"count": N,
//                            "first_ns": T, "last_ns": T}, the Unix time in ns at which the
//                            first and the last arrived (0 before the first)
#include "adapters/common/signature.hpp"
#include "daemon/http/server.hpp"
#include "tests/fakes/fake_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace rapport;
using http::http_request;
using http::http_response;
using http::route_params;

struct answer_rule {
    unsigned status = 200;
    std::string retry_after;
    int count = 0;
    bool hang = false;
};

struct received {
    std::string idempotency_key;
    bool signature_ok = false;
    std::string timestamp;
    std::string body;
    unsigned answered = 0;
};

// Replies and notifications arrive, are kept and are answered separately.
struct channel {
    std::string secret;
    answer_rule answer;
    std::vector<received> got;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
};

std::int64_t unix_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class sink {
public:
    sink(std::string reply_secret, std::string notify_secret, bool quiet) : quiet_(quiet) {
        replies_.secret = std::move(reply_secret);
        notifications_.secret = std::move(notify_secret);
    }

    http::router routes() {
        const auto bind = fakes::member_routes(this);
        http::router r;
        r.add("POST", "/replies", bind(&sink::reply));
        r.add("POST", "/notify", bind(&sink::notification));
        r.add("GET", "/_sink/replies", bind(&sink::list_replies));
        r.add("GET", "/_sink/notifications", bind(&sink::list_notifications));
        r.add("GET", "/_sink/count", bind(&sink::count_replies));
        r.add("POST", "/_sink/answer", bind(&sink::answer_replies));
        r.add("POST", "/_sink/notify_answer", bind(&sink::answer_notifications));
        return r;
    }

private:
    net::awaitable<http_response> reply(http_request request, route_params) {
        return receive(std::move(request), replies_);
    }
    net::awaitable<http_response> notification(http_request request, route_params) {
        return receive(std::move(request), notifications_);
    }
    net::awaitable<http_response> list_replies(http_request, route_params) {
        return list(replies_);
    }
    net::awaitable<http_response> list_notifications(http_request, route_params) {
        return list(notifications_);
    }
    net::awaitable<http_response> count_replies(http_request, route_params) {
        std::lock_guard lock{mutex_};
        co_return http::json_response(200,
                                      "{\"count\":" + std::to_string(replies_.got.size()) +
                                          ",\"first_ns\":" + std::to_string(replies_.first_ns) +
                                          ",\"last_ns\":" + std::to_string(replies_.last_ns) + "}");
    }
    net::awaitable<http_response> answer_replies(http_request request, route_params) {
        return set_answer(std::move(request), replies_);
    }
    net::awaitable<http_response> answer_notifications(http_request request, route_params) {
        return set_answer(std::move(request), notifications_);
    }

    net::awaitable<http_response> receive(http_request request, channel& to) {
        received r;
        r.idempotency_key = std::string(request.headers.get("Idempotency-Key").value_or(""));
        r.timestamp = std::string(request.headers.get("X-Rapport-Timestamp").value_or(""));
        r.body = request.body;
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        r.signature_ok =
            !to.secret.empty() &&
            adapters::verify_rapport_signature(
                to.secret, r.timestamp, request.headers.get("X-Rapport-Signature").value_or(""),
                request.body, now) == adapters::signature_problem::none;
        answer_rule rule;
        std::size_t number = 0;
        {
            std::lock_guard lock{mutex_};
            if (to.answer.count > 0) {
                rule = to.answer;
                --to.answer.count;
            }
            r.answered = rule.hang ? 0 : rule.status;
            to.last_ns = unix_ns();
            if (to.got.empty()) {
                to.first_ns = to.last_ns;
            }
            to.got.push_back(r);
            number = to.got.size();
        }
        if (!quiet_) {
            if (&to == &replies_) {
                print(r, rule);
            } else {
                print_notification(r);
            }
        }
        if (rule.hang) {
            // Never answers: the connection stays open until the sender gives up or we stop.
            net::steady_timer forever(co_await net::this_coro::executor, std::chrono::hours(24));
            co_await forever.async_wait(use_tuple);
        }
        if (rule.status >= 300) {
            http_response response = http::json_error(rule.status, "sink", "told to refuse");
            if (!rule.retry_after.empty()) {
                response.headers.set("Retry-After", rule.retry_after);
            }
            co_return response;
        }
        co_return http::json_response(200, "{\"id\":\"sink-" + std::to_string(number) + "\"}");
    }

    net::awaitable<http_response> list(const channel& of) {
        boost::json::array out;
        std::lock_guard lock{mutex_};
        for (const auto& r : of.got) {
            out.push_back(boost::json::object{{"idempotency_key", r.idempotency_key},
                                              {"signature_ok", r.signature_ok},
                                              {"timestamp", r.timestamp},
                                              {"body", r.body},
                                              {"answered", r.answered}});
        }
        co_return http::json_response(200, boost::json::serialize(out));
    }

    net::awaitable<http_response> set_answer(http_request request, channel& of) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(request.body, ec);
        if (ec || !v.is_object()) {
            co_return http::json_error(400, "bad_request", "a JSON object, please");
        }
        const auto& o = v.get_object();
        answer_rule rule;
        if (const auto* s = o.if_contains("status"); s != nullptr && s->is_int64()) {
            rule.status = static_cast<unsigned>(s->get_int64());
        }
        if (const auto* s = o.if_contains("retry_after"); s != nullptr && s->is_string()) {
            rule.retry_after = std::string(s->get_string());
        }
        rule.count = 1;
        if (const auto* s = o.if_contains("count"); s != nullptr && s->is_int64()) {
            rule.count = static_cast<int>(s->get_int64());
        }
        if (const auto* s = o.if_contains("hang"); s != nullptr && s->is_bool()) {
            rule.hang = s->get_bool();
        }
        std::lock_guard lock{mutex_};
        of.answer = rule;
        co_return http::json_response(200, "{\"status\":\"ok\"}");
    }

    static void print_notification(const received& r) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(r.body, ec);
        std::string event = "?";
        std::string draft = "-";
        if (!ec && v.is_object()) {
            if (const auto* e = v.as_object().if_contains("event");
                e != nullptr && e->is_string()) {
                event = std::string(e->get_string());
            }
            if (const auto* d = v.as_object().if_contains("draft");
                d != nullptr && d->is_object()) {
                if (const auto* id = d->as_object().if_contains("id");
                    id != nullptr && id->is_string()) {
                    draft = std::string(id->get_string());
                }
            }
        }
        std::cout << "notification " << event << " " << draft
                  << (r.signature_ok ? " (signature ok)" : " (SIGNATURE NOT VALID)") << "\n"
                  << std::flush;
    }

    static void print(const received& r, const answer_rule& rule) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(r.body, ec);
        std::string text = r.body;
        std::string replying_to = "-";
        if (!ec && v.is_object()) {
            const auto& o = v.get_object();
            if (const auto* t = o.if_contains("text"); t != nullptr && t->is_string()) {
                text = std::string(t->get_string());
            }
            if (const auto* t = o.if_contains("in_reply_to"); t != nullptr && t->is_string()) {
                replying_to = std::string(t->get_string());
            }
        }
        std::cout << "reply " << r.idempotency_key << " to message " << replying_to
                  << (r.signature_ok ? " (signature ok)" : " (SIGNATURE NOT VALID)")
                  << (rule.hang            ? " [hanging]"
                      : rule.status >= 300 ? " [refused]"
                                           : "")
                  << "\n  " << text << "\n"
                  << std::flush;
    }

    bool quiet_;
    std::mutex mutex_;
    channel replies_;
    channel notifications_;
};

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    std::string secret;
    std::string notify_secret;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        } else if (arg == "--secret-env" && i + 1 < argc) {
            secret = fakes::env_value(argv[++i]);
        } else if (arg == "--notify-secret-env" && i + 1 < argc) {
            notify_secret = fakes::env_value(argv[++i]);
        } else if (arg == "--quiet") {
            quiet = true;
        } else {
            std::cerr << "usage: rapport-reply-sink [--port N] [--secret-env VAR] "
                         "[--notify-secret-env VAR] [--quiet]\n";
            return 2;
        }
    }
    net::io_context ioc;
    sink state(secret, notify_secret, quiet);
    return fakes::serve(ioc, state.routes(), port);
}
