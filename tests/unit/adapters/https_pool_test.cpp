// https_client's keep-alive pool and its CONNECT proxy support, against in-process servers on
// 127.0.0.1 port 0 in the test's own io_context. The servers keep connections open (they serve
// requests until told otherwise) and count what they see: accepted connections, requests per
// connection, CONNECT lines. Tests drive the io_context one handler at a time until the result
// they wait for arrives; every wait is bounded, so a bug fails a test rather than hanging it.
// No assertion depends on how fast anything runs: where time matters, the test waits longer
// than the client's window and checks that the connection was not reused.
#include <openssl/ssl.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "adapters/common/https_client.hpp"

namespace rapport::adapters {
namespace {

using namespace std::chrono_literals;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady_clock = std::chrono::steady_clock;

std::string data_file(std::string_view name) {
    return std::string(RAPPORT_TEST_DATA_DIR) + "/" + std::string(name);
}

void rethrow(std::exception_ptr e) {
    if (e) {
        std::rethrow_exception(e);
    }
}

/// Stops the io_context loops below from waiting forever on a bug.
constexpr auto hang_guard = 20s;

/// Runs handlers until `done()` holds (or the hang guard passes).
void run_until(net::io_context& ioc, const std::function<bool()>& done) {
    ioc.restart();
    const auto give_up = steady_clock::now() + hang_guard;
    while (!done() && steady_clock::now() < give_up) {
        ioc.run_one_for(100ms);
    }
    EXPECT_TRUE(done()) << "gave up waiting";
}

/// Runs handlers for `d`: the servers keep serving while the client waits.
void pause_for(net::io_context& ioc, steady_clock::duration d) {
    ioc.restart();
    ioc.run_for(d);
}

// ---- a keep-alive server --------------------------------------------------------------------

/// How the server answers one request.
struct reply_plan {
    std::string headers;      ///< extra header lines, each ending in CRLF
    bool close_after = false; ///< close the connection right after answering
    bool drop = false;        ///< read the request, then close without answering
    std::string trailing;     ///< bytes written in the same write, after the response
};

struct seen_request {
    int connection = 0; ///< 1 for the first accepted connection
    std::string method;
    std::string target;
    std::string body;
    https_headers headers;
};

/// Answers 200 with the request's body, as `plan(connection, request number on it)` says,
/// and serves each connection until the client closes it or stop().
class pool_server {
public:
    using plan_fn = std::function<reply_plan(int connection, int request_on_connection)>;

    /// `cert`: "server" (localhost) or "other-name" (other.example) from data/; empty: plain.
    pool_server(net::io_context& ioc, std::string cert, plan_fn plan = {})
        : ioc_(ioc),
          acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
          port_(acceptor_.local_endpoint().port()),
          plan_(std::move(plan)) {
        if (!cert.empty()) {
            tls_.emplace(ssl::context::tls_server);
            tls_->use_certificate_chain_file(data_file(cert + ".pem"));
            tls_->use_private_key_file(data_file(cert + ".key"), ssl::context::pem);
        }
        net::co_spawn(ioc_, accept_loop(this), rethrow);
    }

    std::uint16_t port() const { return port_; }

    /// Stops accepting and closes every connection.
    void stop() {
        error_code ec;
        acceptor_.close(ec);
        for (auto& close : closers_) {
            close();
        }
        closers_.clear();
    }

    int accepts = 0;
    int open_now = 0;
    int max_open = 0;
    int closed_by_client = 0; ///< connections whose client closed them (EOF while idle)
    int closed_by_server = 0; ///< connections this server closed (close_after, drop)
    std::vector<seen_request> requests;
    std::string sni;

private:
    static net::awaitable<void> accept_loop(pool_server* self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor_.async_accept(use_tuple);
            if (ec) {
                co_return;
            }
            const int number = ++self->accepts;
            ++self->open_now;
            self->max_open = std::max(self->max_open, self->open_now);
            if (self->tls_) {
                auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(
                    std::move(socket), *self->tls_);
                self->closers_.push_back(closer(stream));
                net::co_spawn(self->ioc_, serve_tls(self, stream, number), rethrow);
            } else {
                auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
                self->closers_.push_back(closer(stream));
                net::co_spawn(self->ioc_, serve(self, stream, number), rethrow);
            }
        }
    }

    template <class Stream>
    static std::function<void()> closer(const std::shared_ptr<Stream>& stream) {
        return [weak = std::weak_ptr<Stream>(stream)] {
            if (auto s = weak.lock()) {
                beast::get_lowest_layer(*s).close();
            }
        };
    }

    static net::awaitable<void> serve_tls(pool_server* self,
                                          std::shared_ptr<beast::ssl_stream<beast::tcp_stream>> s,
                                          int number) {
        auto [ec] = co_await s->async_handshake(ssl::stream_base::server, use_tuple);
        if (ec) {
            --self->open_now;
            co_return;
        }
        if (const char* name = SSL_get_servername(s->native_handle(), TLSEXT_NAMETYPE_host_name)) {
            self->sni = name;
        }
        co_await serve(self, s, number);
    }

    template <class Stream>
    static net::awaitable<void> serve(pool_server* self, std::shared_ptr<Stream> s, int number) {
        beast::flat_buffer buffer;
        for (int n = 1;; ++n) {
            bhttp::request<bhttp::string_body> req;
            auto [ec, read] = co_await bhttp::async_read(*s, buffer, req, use_tuple);
            if (ec) {
                if (ec != net::error::operation_aborted && ec != net::error::bad_descriptor) {
                    ++self->closed_by_client;
                }
                break;
            }
            seen_request seen;
            seen.connection = number;
            seen.method = std::string(req.method_string());
            seen.target = std::string(req.target());
            seen.body = req.body();
            for (const auto& f : req) {
                seen.headers.add(std::string(f.name_string()), std::string(f.value()));
            }
            self->requests.push_back(std::move(seen));

            const reply_plan plan = self->plan_ ? self->plan_(number, n) : reply_plan{};
            if (plan.drop) {
                beast::get_lowest_layer(*s).close();
                ++self->closed_by_server;
                break;
            }
            const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" +
                                       plan.headers +
                                       "Content-Length: " + std::to_string(req.body().size()) +
                                       "\r\n\r\n" + req.body() + plan.trailing;
            auto [wec, written] = co_await net::async_write(*s, net::buffer(answer), use_tuple);
            if (wec) {
                break;
            }
            if (plan.close_after) {
                beast::get_lowest_layer(*s).close();
                ++self->closed_by_server;
                break;
            }
        }
        --self->open_now;
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    std::uint16_t port_;
    std::optional<ssl::context> tls_;
    plan_fn plan_;
    std::vector<std::function<void()>> closers_;
};

// ---- a CONNECT proxy ------------------------------------------------------------------------

/// An HTTP forward proxy that only tunnels: it reads `CONNECT host:port`, connects to
/// 127.0.0.1:port whatever the host (it is every target's DNS), answers 200 and copies bytes
/// both ways. With `refuse_with`, it answers that status instead and closes.
class connect_proxy {
public:
    explicit connect_proxy(net::io_context& ioc, unsigned refuse_with = 0)
        : ioc_(ioc),
          acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
          refuse_with_(refuse_with) {
        net::co_spawn(ioc_, accept_loop(this), rethrow);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string url(std::string userinfo = {}) const {
        return "http://" + (userinfo.empty() ? std::string() : userinfo + "@") +
               "127.0.0.1:" + std::to_string(port());
    }

    void stop() {
        error_code ec;
        acceptor_.close(ec);
        for (const auto& weak : sockets_) {
            if (auto s = weak.lock()) {
                s->close(ec);
            }
        }
        sockets_.clear();
    }

    int accepts = 0;
    std::vector<std::string> request_lines;  ///< "CONNECT other.example:443 HTTP/1.1"
    std::vector<std::string> hosts;          ///< Host header values
    std::vector<std::string> authorizations; ///< Proxy-Authorization values, "" when absent

private:
    static net::awaitable<void> accept_loop(connect_proxy* self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor_.async_accept(use_tuple);
            if (ec) {
                co_return;
            }
            ++self->accepts;
            auto client = std::make_shared<tcp::socket>(std::move(socket));
            self->sockets_.push_back(client);
            net::co_spawn(self->ioc_, serve(self, client), rethrow);
        }
    }

    static net::awaitable<void> serve(connect_proxy* self, std::shared_ptr<tcp::socket> client) {
        beast::flat_buffer buffer;
        bhttp::request_parser<bhttp::empty_body> parser;
        auto [ec, n] = co_await bhttp::async_read(*client, buffer, parser, use_tuple);
        if (ec) {
            co_return;
        }
        const auto& req = parser.get();
        const std::string target(req.target());
        self->request_lines.push_back(std::string(req.method_string()) + " " + target +
                                      " HTTP/1.1");
        self->hosts.push_back(std::string(req[bhttp::field::host]));
        self->authorizations.push_back(std::string(req[bhttp::field::proxy_authorization]));
        error_code ignored;
        if (self->refuse_with_ != 0) {
            const std::string answer = "HTTP/1.1 " + std::to_string(self->refuse_with_) +
                                       " Refused\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                                       "Content-Length: 7\r\n\r\nrefused";
            co_await net::async_write(*client, net::buffer(answer), use_tuple);
            client->close(ignored);
            co_return;
        }
        auto upstream = std::make_shared<tcp::socket>(self->ioc_);
        self->sockets_.push_back(upstream);
        const auto port =
            static_cast<std::uint16_t>(std::stoul(target.substr(target.rfind(':') + 1)));
        auto [cec] = co_await upstream->async_connect(
            tcp::endpoint(net::ip::make_address("127.0.0.1"), port), use_tuple);
        if (cec) {
            const std::string answer = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
            co_await net::async_write(*client, net::buffer(answer), use_tuple);
            client->close(ignored);
            co_return;
        }
        const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
        auto [wec, w] = co_await net::async_write(*client, net::buffer(ok), use_tuple);
        if (wec) {
            co_return;
        }
        net::co_spawn(self->ioc_, pump(client, upstream), rethrow);
        net::co_spawn(self->ioc_, pump(upstream, client), rethrow);
    }

    static net::awaitable<void> pump(std::shared_ptr<tcp::socket> from,
                                     std::shared_ptr<tcp::socket> to) {
        std::array<char, 16384> data{};
        for (;;) {
            auto [rec, n] = co_await from->async_read_some(net::buffer(data), use_tuple);
            if (rec) {
                break;
            }
            auto [wec, w] = co_await net::async_write(*to, net::buffer(data.data(), n), use_tuple);
            if (wec) {
                break;
            }
        }
        error_code ignored;
        from->close(ignored);
        to->close(ignored);
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    unsigned refuse_with_;
    std::vector<std::weak_ptr<tcp::socket>> sockets_;
};

// ---- the client side ------------------------------------------------------------------------

https_client_options pool_options() {
    https_client_options o;
    o.connect_timeout = 5s;
    o.request_timeout = 10s;
    // Long enough that no reuse in these tests depends on how fast the machine is.
    o.idle_timeout = 60s;
    o.extra_ca_file = data_file("ca.pem");
    o.proxy = ""; // whatever the environment says
    o.no_proxy = "";
    return o;
}

/// Sends `request` and runs the io_context until its result arrives.
https_result send_now(net::io_context& ioc, const https_client& client, https_request request) {
    auto out = std::make_shared<std::optional<https_result>>();
    net::co_spawn(ioc, client.send(std::move(request)),
                  [out](std::exception_ptr e, https_result r) {
                      rethrow(e);
                      *out = std::move(r);
                  });
    run_until(ioc, [&out] { return out->has_value(); });
    if (!out->has_value()) {
        return https_result(
            https_failure{https_error::cancelled, send_stage::after_sending, "test gave up"});
    }
    return std::move(**out);
}

https_request post(std::string url, std::string body) {
    https_request r;
    r.method = "POST";
    r.url = std::move(url);
    r.headers.add("Content-Type", "text/plain");
    r.body = std::move(body);
    return r;
}

https_request get(std::string url) {
    https_request r;
    r.method = "GET";
    r.url = std::move(url);
    return r;
}

std::string https_url(std::string host, std::uint16_t port, std::string path = "/hook") {
    return "https://" + host + ":" + std::to_string(port) + path;
}

std::string describe(const https_result& r) {
    if (r) {
        return "response " + std::to_string(r->status);
    }
    return std::string(to_string(r.error().kind)) + ": " + r.error().message;
}

/// Stops the servers and lets their coroutines end, before anything is destroyed.
void finish(net::io_context& ioc, pool_server* server, connect_proxy* proxy = nullptr) {
    if (server != nullptr) {
        server->stop();
    }
    if (proxy != nullptr) {
        proxy->stop();
    }
    ioc.restart();
    ioc.run_for(hang_guard);
}

// ---- the pool -------------------------------------------------------------------------------

TEST(https_pool, sequential_requests_reuse_one_connection) {
    net::io_context ioc;
    pool_server server(ioc, "server");
    https_client client(ioc.get_executor(), pool_options());
    for (const std::string body : {"one", "two", "three"}) {
        const auto r = send_now(ioc, client, post(https_url("localhost", server.port()), body));
        ASSERT_TRUE(r) << describe(r);
        EXPECT_EQ(r->status, 200u);
        EXPECT_EQ(r->body, body);
    }
    EXPECT_EQ(server.accepts, 1);
    ASSERT_EQ(server.requests.size(), 3u);
    for (const auto& seen : server.requests) {
        EXPECT_EQ(seen.connection, 1);
        EXPECT_FALSE(seen.headers.contains("Connection")) << "the request asks for a close";
    }
    finish(ioc, &server);
}

TEST(https_pool, an_idle_connection_the_server_closed_is_replaced_without_a_duplicate_post) {
    net::io_context ioc;
    // Answers as if the connection could stay, then closes it (a server's idle timeout).
    pool_server server(ioc, "server", [](int, int) {
        reply_plan p;
        p.close_after = true;
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    auto r = send_now(ioc, client, post(https_url("localhost", server.port()), "one"));
    ASSERT_TRUE(r) << describe(r);
    run_until(ioc, [&server] { return server.closed_by_server == 1; });

    r = send_now(ioc, client, post(https_url("localhost", server.port()), "two"));
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(r->body, "two");
    EXPECT_EQ(server.accepts, 2);
    ASSERT_EQ(server.requests.size(), 2u); // each POST arrived once
    EXPECT_EQ(server.requests[0].body, "one");
    EXPECT_EQ(server.requests[1].body, "two");
    EXPECT_EQ(server.requests[1].connection, 2);
    finish(ioc, &server);
}

TEST(https_pool, connection_close_in_the_response_is_respected) {
    net::io_context ioc;
    // Says close but leaves the connection open: only the header can stop the reuse.
    pool_server server(ioc, "server", [](int, int) {
        reply_plan p;
        p.headers = "Connection: close\r\n";
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    for (const std::string body : {"one", "two"}) {
        const auto r = send_now(ioc, client, post(https_url("localhost", server.port()), body));
        ASSERT_TRUE(r) << describe(r);
    }
    EXPECT_EQ(server.accepts, 2);
    finish(ioc, &server);
}

TEST(https_pool, a_keep_alive_timeout_from_the_server_is_respected) {
    net::io_context ioc;
    // timeout=2: the client reuses the connection for less than 2 s (1 s, with its margin).
    pool_server server(ioc, "server", [](int, int) {
        reply_plan p;
        p.headers = "Keep-Alive: timeout=2, max=100\r\n";
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    auto r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_TRUE(r) << describe(r);
    pause_for(ioc, 1200ms);
    r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(server.accepts, 2);
    finish(ioc, &server);
}

TEST(https_pool, a_long_keep_alive_timeout_still_allows_reuse) {
    net::io_context ioc;
    pool_server server(ioc, "server", [](int, int) {
        reply_plan p;
        p.headers = "Keep-Alive: timeout=60\r\n";
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    for (int i = 0; i < 2; ++i) {
        const auto r = send_now(ioc, client, get(https_url("localhost", server.port())));
        ASSERT_TRUE(r) << describe(r);
    }
    EXPECT_EQ(server.accepts, 1);
    finish(ioc, &server);
}

TEST(https_pool, a_keep_alive_timeout_of_one_second_means_no_reuse) {
    net::io_context ioc;
    pool_server server(ioc, "server", [](int, int) {
        reply_plan p;
        p.headers = "Keep-Alive: timeout=1\r\n";
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    for (int i = 0; i < 2; ++i) {
        const auto r = send_now(ioc, client, get(https_url("localhost", server.port())));
        ASSERT_TRUE(r) << describe(r);
    }
    EXPECT_EQ(server.accepts, 2);
    finish(ioc, &server);
}

TEST(https_pool, an_idle_connection_is_not_reused_after_the_idle_timeout) {
    net::io_context ioc;
    pool_server server(ioc, "server");
    auto options = pool_options();
    options.idle_timeout = 200ms;
    https_client client(ioc.get_executor(), options);
    auto r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_TRUE(r) << describe(r);
    pause_for(ioc, 400ms);
    r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(server.accepts, 2);
    // The expired connection was closed by the client, not left open.
    run_until(ioc, [&server] { return server.closed_by_client == 1; });
    finish(ioc, &server);
}

TEST(https_pool, an_idle_timeout_of_zero_means_a_connection_per_request) {
    net::io_context ioc;
    pool_server server(ioc, "");
    auto options = pool_options();
    options.idle_timeout = 0s;
    https_client client(ioc.get_executor(), options);
    for (int i = 0; i < 3; ++i) {
        const auto r =
            send_now(ioc, client, get("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
        ASSERT_TRUE(r) << describe(r);
    }
    EXPECT_EQ(server.accepts, 3);
    finish(ioc, &server);
}

TEST(https_pool, bytes_after_a_response_prevent_reuse) {
    net::io_context ioc;
    pool_server server(ioc, "server", [](int, int) {
        reply_plan p;
        p.trailing = "HTTP/1.1 200 OK\r\n"; // the start of an answer nobody asked for
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    for (const std::string body : {"one", "two"}) {
        const auto r = send_now(ioc, client, post(https_url("localhost", server.port()), body));
        ASSERT_TRUE(r) << describe(r);
        EXPECT_EQ(r->body, body);
    }
    EXPECT_EQ(server.accepts, 2);
    finish(ioc, &server);
}

TEST(https_pool, concurrent_requests_open_at_most_the_cap_and_all_complete) {
    net::io_context ioc;
    pool_server server(ioc, "server");
    auto options = pool_options();
    options.max_connections_per_host = 2;
    https_client client(ioc.get_executor(), options);
    constexpr int count = 7;
    auto results = std::make_shared<std::vector<https_result>>();
    for (int i = 0; i < count; ++i) {
        net::co_spawn(ioc,
                      client.send(post(https_url("localhost", server.port()), std::to_string(i))),
                      [results](std::exception_ptr e, https_result r) {
                          rethrow(e);
                          results->push_back(std::move(r));
                      });
    }
    run_until(ioc, [&results] { return results->size() == count; });
    for (const auto& r : *results) {
        EXPECT_TRUE(r) << describe(r);
    }
    EXPECT_EQ(server.requests.size(), static_cast<std::size_t>(count));
    EXPECT_EQ(server.accepts, 2); // every request started before any connection was ready
    EXPECT_LE(server.max_open, 2);
    finish(ioc, &server);
}

TEST(https_pool, a_post_on_a_reused_connection_that_dies_after_sending_is_not_sent_again) {
    net::io_context ioc;
    // The second request on a connection is read, then the connection is closed unanswered:
    // the race between a server's idle close and our reuse, lost after the request went out.
    pool_server server(ioc, "server", [](int, int on_connection) {
        reply_plan p;
        p.drop = on_connection == 2;
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    auto r = send_now(ioc, client, post(https_url("localhost", server.port()), "one"));
    ASSERT_TRUE(r) << describe(r);

    r = send_now(ioc, client, post(https_url("localhost", server.port()), "two"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::read) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
    EXPECT_FALSE(r.error().retry_is_safe());
    EXPECT_EQ(server.accepts, 1) << "the POST was sent again on a new connection";
    ASSERT_EQ(server.requests.size(), 2u);
    EXPECT_EQ(server.requests[1].body, "two");

    // The pool is not stuck: the next request takes a new connection.
    r = send_now(ioc, client, post(https_url("localhost", server.port()), "three"));
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(server.accepts, 2);
    finish(ioc, &server);
}

TEST(https_pool, a_get_on_a_reused_connection_that_dies_unanswered_is_tried_once_more) {
    net::io_context ioc;
    pool_server server(ioc, "server", [](int, int on_connection) {
        reply_plan p;
        p.drop = on_connection == 2;
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    auto r = send_now(ioc, client, get(https_url("localhost", server.port(), "/a")));
    ASSERT_TRUE(r) << describe(r);
    r = send_now(ioc, client, get(https_url("localhost", server.port(), "/b")));
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(server.accepts, 2);
    ASSERT_EQ(server.requests.size(), 3u);
    EXPECT_EQ(server.requests[1].target, "/b");
    EXPECT_EQ(server.requests[1].connection, 1);
    EXPECT_EQ(server.requests[2].target, "/b");
    EXPECT_EQ(server.requests[2].connection, 2);
    finish(ioc, &server);
}

TEST(https_pool, a_get_is_tried_again_only_once) {
    net::io_context ioc;
    // Every connection dies on its second request, and on its first after the first connection.
    pool_server server(ioc, "server", [](int connection, int on_connection) {
        reply_plan p;
        p.drop = on_connection == 2 || connection > 1;
        return p;
    });
    https_client client(ioc.get_executor(), pool_options());
    auto r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_TRUE(r) << describe(r);
    r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::read) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
    EXPECT_EQ(server.accepts, 2);
    EXPECT_EQ(server.requests.size(), 3u);
    finish(ioc, &server);
}

TEST(https_pool, copies_share_the_pool_and_the_last_one_closes_idle_connections) {
    net::io_context ioc;
    pool_server server(ioc, "");
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    {
        https_client client(ioc.get_executor(), pool_options());
        const https_client copy = client;
        auto r = send_now(ioc, client, get(url));
        ASSERT_TRUE(r) << describe(r);
        r = send_now(ioc, copy, get(url));
        ASSERT_TRUE(r) << describe(r);
        EXPECT_EQ(server.accepts, 1);
        EXPECT_EQ(server.closed_by_client, 0);
    }
    run_until(ioc, [&server] { return server.closed_by_client == 1; });
    finish(ioc, &server);
}

TEST(https_pool, hosts_have_pools_of_their_own) {
    net::io_context ioc;
    pool_server a(ioc, "server");
    pool_server b(ioc, "server");
    https_client client(ioc.get_executor(), pool_options());
    for (int i = 0; i < 2; ++i) {
        for (auto* server : {&a, &b}) {
            const auto r = send_now(ioc, client, get(https_url("localhost", server->port())));
            ASSERT_TRUE(r) << describe(r);
        }
    }
    EXPECT_EQ(a.accepts, 1);
    EXPECT_EQ(b.accepts, 1);
    a.stop();
    finish(ioc, &b);
}

TEST(https_pool, sends_from_many_threads_share_the_pool) {
    // The server has an io_context and a thread of its own; the client's io_context runs on
    // three threads, and requests start from this one. Counters are read after the joins.
    net::io_context server_ioc;
    pool_server server(server_ioc, "server");
    auto server_work = net::make_work_guard(server_ioc);
    std::thread server_thread([&server_ioc] { server_ioc.run(); });

    net::io_context ioc;
    auto options = pool_options();
    options.max_connections_per_host = 3;
    std::optional<https_client> client;
    client.emplace(ioc.get_executor(), options);
    constexpr int count = 24;
    std::mutex mutex;
    std::condition_variable all_done;
    int failures = 0;
    int done = 0;
    auto work = net::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&ioc] { ioc.run(); });
    }
    for (int i = 0; i < count; ++i) {
        net::co_spawn(ioc, client->send(post(https_url("localhost", server.port()), "x")),
                      [&](std::exception_ptr e, https_result r) {
                          const std::lock_guard lock(mutex);
                          failures += (e || !r) ? 1 : 0;
                          ++done;
                          all_done.notify_all();
                      });
    }
    {
        std::unique_lock lock(mutex);
        all_done.wait_for(lock, hang_guard, [&done] { return done == count; });
        EXPECT_EQ(done, count);
        EXPECT_EQ(failures, 0);
    }
    client.reset(); // closes the idle connections, on whichever thread
    work.reset();
    for (auto& t : threads) {
        t.join();
    }
    net::post(server_ioc, [&server] { server.stop(); });
    server_work.reset();
    server_thread.join();
    EXPECT_EQ(server.requests.size(), static_cast<std::size_t>(count));
    EXPECT_LE(server.accepts, 3);
    EXPECT_LE(server.max_open, 3);
}

// ---- the proxy ------------------------------------------------------------------------------

TEST(https_via_proxy, https_goes_through_connect_and_tls_is_verified_against_the_target) {
    net::io_context ioc;
    pool_server server(ioc, "other-name"); // a certificate for other.example
    connect_proxy proxy(ioc);
    auto options = pool_options();
    options.proxy = proxy.url("alice:s3cret");
    https_client client(ioc.get_executor(), options);
    const auto target = https_url("other.example", server.port());
    for (const std::string body : {"one", "two"}) {
        const auto r = send_now(ioc, client, post(target, body));
        ASSERT_TRUE(r) << describe(r);
        EXPECT_EQ(r->body, body);
    }
    const std::string authority = "other.example:" + std::to_string(server.port());
    ASSERT_EQ(proxy.request_lines.size(), 1u) << "the tunnel is pooled like a connection";
    EXPECT_EQ(proxy.request_lines[0], "CONNECT " + authority + " HTTP/1.1");
    EXPECT_EQ(proxy.hosts[0], authority);
    EXPECT_EQ(proxy.authorizations[0], "Basic YWxpY2U6czNjcmV0"); // alice:s3cret
    EXPECT_EQ(server.accepts, 1);
    EXPECT_EQ(server.sni, "other.example");
    ASSERT_EQ(server.requests.size(), 2u);
    EXPECT_EQ(server.requests[0].headers.get("Host"), authority);
    EXPECT_FALSE(server.requests[0].headers.contains("Proxy-Authorization"));
    finish(ioc, &server, &proxy);
}

TEST(https_via_proxy, the_certificate_must_match_the_target_not_the_proxy) {
    net::io_context ioc;
    pool_server server(ioc, "server"); // a certificate for localhost only
    connect_proxy proxy(ioc);
    auto options = pool_options();
    options.proxy = proxy.url();
    https_client client(ioc.get_executor(), options);
    const auto r = send_now(ioc, client, post(https_url("other.example", server.port()), "x"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_verification) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_EQ(proxy.request_lines.size(), 1u);
    EXPECT_TRUE(server.requests.empty());
    finish(ioc, &server, &proxy);
}

TEST(https_via_proxy, a_refused_connect_is_a_proxy_error_that_keeps_the_credentials_secret) {
    net::io_context ioc;
    pool_server server(ioc, "other-name");
    connect_proxy proxy(ioc, 407);
    auto options = pool_options();
    options.proxy = proxy.url("alice:s3cret");
    https_client client(ioc.get_executor(), options);
    auto request =
        post(https_url("other.example", server.port(), "/path-secret?q=query-secret"), "x");
    request.headers.add("Authorization", "Bearer header-secret");
    const auto r = send_now(ioc, client, request);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::proxy) << describe(r);
    EXPECT_EQ(to_string(r.error().kind), "proxy");
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_TRUE(r.error().retry_is_safe());
    const auto& message = r.error().message;
    EXPECT_NE(
        message.find("proxy 127.0.0.1:" + std::to_string(proxy.port()) + " refused CONNECT: 407"),
        std::string::npos)
        << message;
    for (const char* secret :
         {"alice", "s3cret", "YWxpY2U6czNjcmV0", "path-secret", "query-secret", "header-secret"}) {
        EXPECT_EQ(message.find(secret), std::string::npos) << message;
    }
    EXPECT_EQ(server.accepts, 0);
    finish(ioc, &server, &proxy);
}

TEST(https_via_proxy, a_proxy_that_cannot_be_reached_is_a_connect_error_naming_it) {
    net::io_context ioc;
    std::uint16_t closed = 0;
    {
        tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        closed = a.local_endpoint().port();
    }
    auto options = pool_options();
    options.proxy = "http://bob:hunter2@127.0.0.1:" + std::to_string(closed);
    https_client client(ioc.get_executor(), options);
    const auto r = send_now(ioc, client, get(https_url("other.example", 443)));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::connect) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_NE(r.error().message.find("proxy 127.0.0.1:" + std::to_string(closed)),
              std::string::npos)
        << r.error().message;
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("bob"), std::string::npos) << r.error().message;
}

TEST(https_via_proxy, loopback_targets_never_use_the_proxy) {
    net::io_context ioc;
    pool_server server(ioc, "server");
    connect_proxy proxy(ioc);
    auto options = pool_options();
    options.proxy = proxy.url();
    https_client client(ioc.get_executor(), options);
    auto r = send_now(ioc, client, get(https_url("localhost", server.port())));
    ASSERT_TRUE(r) << describe(r);
    r = send_now(ioc, client, get("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
    EXPECT_FALSE(r); // plain HTTP to a TLS server: only the proxy's silence matters here
    EXPECT_EQ(proxy.accepts, 0);
    finish(ioc, &server, &proxy);
}

TEST(https_via_proxy, no_proxy_sends_matching_hosts_directly) {
    // 0.0.0.0 is not loopback to the client, but connecting to it reaches 127.0.0.1 on Linux:
    // a non-loopback target that never leaves the machine. The certificate is for localhost,
    // so the handshake fails either way; what counts is which way the connection went.
    net::io_context ioc;
    pool_server server(ioc, "server");
    connect_proxy proxy(ioc);
    const auto target = https_url("0.0.0.0", server.port());
    for (const std::string no_proxy : {"0.0.0.0", "example.com, 0.0.0.0/8", "*"}) {
        auto options = pool_options();
        options.proxy = proxy.url();
        options.no_proxy = no_proxy;
        https_client client(ioc.get_executor(), options);
        const auto r = send_now(ioc, client, get(target));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, https_error::tls_verification) << no_proxy << ": " << describe(r);
    }
    EXPECT_EQ(proxy.accepts, 0);
    EXPECT_EQ(server.accepts, 3);

    auto options = pool_options();
    options.proxy = proxy.url();
    options.no_proxy = "other.example,10.0.0.0/8";
    https_client client(ioc.get_executor(), options);
    const auto r = send_now(ioc, client, get(target));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_verification) << describe(r);
    ASSERT_EQ(proxy.request_lines.size(), 1u);
    EXPECT_EQ(proxy.request_lines[0],
              "CONNECT 0.0.0.0:" + std::to_string(server.port()) + " HTTP/1.1");
    EXPECT_EQ(server.accepts, 4);
    finish(ioc, &server, &proxy);
}

/// Sets an environment variable for one test and puts back what was there.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~scoped_env() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(https_via_proxy, the_environment_names_the_proxy_when_the_options_do_not) {
    net::io_context ioc;
    pool_server server(ioc, "other-name");
    connect_proxy proxy(ioc);
    const scoped_env lower("https_proxy", nullptr);
    const scoped_env upper("HTTPS_PROXY", proxy.url("carol:pw").c_str());
    const scoped_env no_lower("no_proxy", nullptr);
    const scoped_env no_upper("NO_PROXY", "example.com");
    auto options = pool_options();
    options.proxy.reset();
    options.no_proxy.reset();
    https_client client(ioc.get_executor(), options);
    const auto r = send_now(ioc, client, get(https_url("other.example", server.port())));
    ASSERT_TRUE(r) << describe(r);
    ASSERT_EQ(proxy.authorizations.size(), 1u);
    EXPECT_EQ(proxy.authorizations[0], "Basic Y2Fyb2w6cHc="); // carol:pw
    finish(ioc, &server, &proxy);
}

TEST(https_via_proxy, an_unusable_proxy_url_fails_construction_without_echoing_it) {
    net::io_context ioc;
    for (const std::string url :
         {"socks5://bob:hunter2@proxy.example:1080", "https://bob:hunter2@proxy.example:3128",
          "http://bob:hunter2@proxy.example:99999", "http://bob:hunter2@:3128",
          "http://bob:%zzhunter2@proxy:1"}) {
        auto options = pool_options();
        options.proxy = url;
        try {
            https_client client(ioc.get_executor(), options);
            ADD_FAILURE() << url << " was accepted";
        } catch (const std::runtime_error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("proxy"), std::string::npos) << message;
            EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
            EXPECT_EQ(message.find("bob"), std::string::npos) << message;
        }
    }
}

} // namespace
} // namespace rapport::adapters
