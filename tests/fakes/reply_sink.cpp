// rapport-reply-sink: a receiver for a generic account's replies (CONTRACT §9), for the demo
// and the integration tests. It checks each reply's signature, prints it, keeps it, and
// answers as it is told.
//
//   rapport-reply-sink [--port N] [--secret-env VAR] [--quiet]
//
// It logs `listening port=N` on stderr once it accepts. Routes:
//   POST /replies            a reply: 200 {"id": "sink-N"} unless told otherwise
//   GET  /_sink/replies      what arrived, as JSON: [{"idempotency_key", "signature_ok",
//                            "timestamp", "body", "answered"}...]
//   POST /_sink/answer       how to answer the next replies:
//                            {"status": 503, "retry_after": "1", "count": 2, "hang": false}
//                            (count: how many replies get it; then back to 200)
#include "adapters/common/signature.hpp"
#include "daemon/http/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
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

class sink {
public:
    sink(std::string secret, bool quiet) : secret_(std::move(secret)), quiet_(quiet) {}

    http::router routes() {
        using member = net::awaitable<http_response> (sink::*)(http_request, route_params);
        const auto bind = [this](member m) {
            return [this, m](http_request request, route_params params) {
                return (this->*m)(std::move(request), std::move(params));
            };
        };
        http::router r;
        r.add("POST", "/replies", bind(&sink::reply));
        r.add("GET", "/_sink/replies", bind(&sink::list));
        r.add("POST", "/_sink/answer", bind(&sink::set_answer));
        return r;
    }

private:
    net::awaitable<http_response> reply(http_request request, route_params) {
        received r;
        r.idempotency_key = std::string(request.headers.get("Idempotency-Key").value_or(""));
        r.timestamp = std::string(request.headers.get("X-Rapport-Timestamp").value_or(""));
        r.body = request.body;
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        r.signature_ok =
            !secret_.empty() &&
            adapters::verify_rapport_signature(
                secret_, r.timestamp, request.headers.get("X-Rapport-Signature").value_or(""),
                request.body, now) == adapters::signature_problem::none;
        answer_rule rule;
        std::size_t number = 0;
        {
            std::lock_guard lock{mutex_};
            if (answer_.count > 0) {
                rule = answer_;
                --answer_.count;
            }
            r.answered = rule.hang ? 0 : rule.status;
            replies_.push_back(r);
            number = replies_.size();
        }
        if (!quiet_) {
            print(r, rule);
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

    net::awaitable<http_response> list(http_request, route_params) {
        boost::json::array out;
        std::lock_guard lock{mutex_};
        for (const auto& r : replies_) {
            out.push_back(boost::json::object{{"idempotency_key", r.idempotency_key},
                                              {"signature_ok", r.signature_ok},
                                              {"timestamp", r.timestamp},
                                              {"body", r.body},
                                              {"answered", r.answered}});
        }
        co_return http::json_response(200, boost::json::serialize(out));
    }

    net::awaitable<http_response> set_answer(http_request request, route_params) {
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
        answer_ = rule;
        co_return http::json_response(200, "{\"status\":\"ok\"}");
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
                  << (rule.hang ? " [hanging]" : rule.status >= 300 ? " [refused]" : "")
                  << "\n  " << text << "\n"
                  << std::flush;
    }

    std::string secret_;
    bool quiet_;
    std::mutex mutex_;
    answer_rule answer_;
    std::vector<received> replies_;
};

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    std::string secret;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        } else if (arg == "--secret-env" && i + 1 < argc) {
            const char* value = std::getenv(argv[++i]);
            secret = value != nullptr ? value : "";
        } else if (arg == "--quiet") {
            quiet = true;
        } else {
            std::cerr << "usage: rapport-reply-sink [--port N] [--secret-env VAR] [--quiet]\n";
            return 2;
        }
    }
    net::io_context ioc;
    sink state(secret, quiet);
    http::server_options options;
    options.port = port;
    options.stop_timeout = std::chrono::seconds(1);
    http::http_server server(ioc, state.routes(), options);
    const std::uint16_t bound = server.start();
    std::cerr << "listening port=" << bound << std::endl;
    net::signal_set signals(ioc, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int) {
        server.on_stopped([&] { ioc.stop(); });
        server.stop();
    });
    ioc.run();
    return 0;
}
