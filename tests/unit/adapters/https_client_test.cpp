// https_client against an in-process Beast server on 127.0.0.1 port 0, in the test's own
// io_context: TLS with the certificates from data/make-test-certs.sh, or plain TCP. The server
// answers one way per test (fixed bytes, echo, hang, close mid-way) and is stopped by the client
// coroutine once it has its result; run_for() bounds every test, so a bug fails it, never hangs.
#include "adapters/common/https_client.hpp"

#include <openssl/ssl.h>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "adapters/common/retry_after.hpp"

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

// ---- the server ---------------------------------------------------------------------------

enum class server_cert { none, ca_signed, other_name, self_signed };

enum class behaviour {
    fixed,        ///< reads the request, writes `reply` byte for byte, closes
    echo,         ///< reads the request, answers 200 with the request body
    hang,         ///< reads the request, never answers (until stop())
    close_midway, ///< reads the request, writes half a response, closes
    silent,       ///< accepts and never reads or writes (until stop()): a stuck TLS handshake
};

/// What the server read: one request at most per test.
struct seen_request {
    bool complete = false;
    std::string method;
    std::string target;
    https_headers headers;
    std::string body;
    std::string sni; ///< server name the client sent in its TLS hello, if any
};

class test_server {
public:
    test_server(net::io_context& ioc, server_cert cert, behaviour b, std::string reply = {})
        : ioc_(ioc),
          acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
          port_(acceptor_.local_endpoint().port()),
          hang_(ioc),
          behaviour_(b),
          reply_(std::move(reply)) {
        if (cert != server_cert::none) {
            const std::string name = cert == server_cert::ca_signed    ? "server"
                                     : cert == server_cert::other_name ? "other-name"
                                                                       : "self-signed";
            tls_.emplace(ssl::context::tls_server);
            tls_->use_certificate_chain_file(data_file(name + ".pem"));
            tls_->use_private_key_file(data_file(name + ".key"), ssl::context::pem);
        }
        net::co_spawn(ioc_, accept_loop(this), rethrow);
    }

    std::uint16_t port() const { return port_; }

    /// Stops accepting and ends a hanging answer; connections then close by themselves.
    void stop() {
        error_code ec;
        acceptor_.close(ec);
        stopped_ = true;
        hang_.cancel();
    }

    seen_request seen;
    int connections = 0;
    std::string handshake_error; ///< why the server's TLS handshake failed, if it did

private:
    static void rethrow(std::exception_ptr e) {
        if (e) {
            std::rethrow_exception(e);
        }
    }

    static net::awaitable<void> accept_loop(test_server* self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor_.async_accept(use_tuple);
            if (ec) {
                co_return;
            }
            ++self->connections;
            net::co_spawn(self->ioc_, serve(self, std::move(socket)), rethrow);
        }
    }

    static net::awaitable<void> serve(test_server* self, tcp::socket socket) {
        if (self->behaviour_ == behaviour::silent) {
            co_await self->wait_for_stop();
            co_return;
        }
        if (!self->tls_) {
            beast::tcp_stream stream(std::move(socket));
            co_await answer(self, stream);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *self->tls_);
        beast::get_lowest_layer(stream).expires_after(5s);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
        if (ec) {
            self->handshake_error = ec.message();
            co_return;
        }
        if (const char* name =
                SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
            self->seen.sni = name;
        }
        co_await answer(self, stream);
    }

    net::awaitable<void> wait_for_stop() {
        if (!stopped_) {
            hang_.expires_after(10s);
            [[maybe_unused]] auto [ec] = co_await hang_.async_wait(use_tuple);
        }
    }

    template <class Stream>
    static net::awaitable<void> answer(test_server* self, Stream& stream) {
        beast::get_lowest_layer(stream).expires_after(5s);
        beast::flat_buffer buffer;
        bhttp::request<bhttp::string_body> req;
        auto [rec, rn] = co_await bhttp::async_read(stream, buffer, req, use_tuple);
        if (rec) {
            co_return;
        }
        self->seen.complete = true;
        self->seen.method = std::string(req.method_string());
        self->seen.target = std::string(req.target());
        for (const auto& f : req) {
            self->seen.headers.add(std::string(f.name_string()), std::string(f.value()));
        }
        self->seen.body = req.body();

        switch (self->behaviour_) {
            case behaviour::fixed: {
                [[maybe_unused]] auto [wec, wn] =
                    co_await net::async_write(stream, net::buffer(self->reply_), use_tuple);
                break;
            }
            case behaviour::echo: {
                bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
                res.set(bhttp::field::content_type, "text/plain");
                res.body() = req.body();
                res.prepare_payload();
                [[maybe_unused]] auto [wec, wn] =
                    co_await bhttp::async_write(stream, res, use_tuple);
                break;
            }
            case behaviour::hang:
            case behaviour::silent: {
                beast::get_lowest_layer(stream).expires_never();
                co_await self->wait_for_stop();
                break;
            }
            case behaviour::close_midway: {
                const std::string half = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part";
                [[maybe_unused]] auto [wec, wn] =
                    co_await net::async_write(stream, net::buffer(half), use_tuple);
                break;
            }
        }
        // Returning closes the socket (no TLS close_notify: the client must not need one).
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    std::uint16_t port_;
    net::steady_timer hang_;
    std::optional<ssl::context> tls_;
    behaviour behaviour_;
    std::string reply_;
    bool stopped_ = false;
};

// ---- the client side ----------------------------------------------------------------------

struct outcome {
    std::optional<https_result> result;
    steady_clock::duration took{};
};

net::awaitable<void> client_task(https_client client,
                                 https_request request,
                                 outcome* out,
                                 test_server* server) {
    const auto start = steady_clock::now();
    auto result = co_await client.send(std::move(request));
    out->took = steady_clock::now() - start;
    out->result = std::move(result);
    if (server != nullptr) {
        server->stop();
    }
}

void rethrow(std::exception_ptr e) {
    if (e) {
        std::rethrow_exception(e);
    }
}

https_client_options test_options(bool with_ca = true) {
    https_client_options o;
    o.connect_timeout = 2s;
    o.request_timeout = 3s;
    if (with_ca) {
        o.extra_ca_file = data_file("ca.pem");
    }
    return o;
}

/// Sends `request` with `client` and runs `ioc` until everything has ended.
outcome run_with(net::io_context& ioc,
                 const https_client& client,
                 test_server* server,
                 https_request request) {
    outcome out;
    ioc.restart();
    net::co_spawn(ioc, client_task(client, std::move(request), &out, server), rethrow);
    ioc.run_for(10s);
    EXPECT_TRUE(out.result.has_value()) << "the request did not end";
    if (!out.result) {
        out.result = https_result(
            https_failure{https_error::cancelled, send_stage::after_sending, "test gave up"});
    }
    return out;
}

/// The same with a new client on `ioc`.
outcome run(net::io_context& ioc,
            test_server* server,
            https_request request,
            https_client_options options = test_options()) {
    const https_client client(ioc.get_executor(), std::move(options));
    return run_with(ioc, client, server, std::move(request));
}

https_request get_request(std::string url) {
    https_request r;
    r.method = "GET";
    r.url = std::move(url);
    return r;
}

std::string url(std::string scheme, std::string host, std::uint16_t port, std::string rest = "/") {
    return scheme + "://" + host + ":" + std::to_string(port) + rest;
}

/// Prints the failure, if any, when an expectation on a result fails.
std::string describe(const https_result& r) {
    if (r) {
        return "response " + std::to_string(r->status);
    }
    return std::string(to_string(r.error().kind)) + ": " + r.error().message;
}

// ---- cases --------------------------------------------------------------------------------

TEST(https_client, https_to_localhost_with_the_test_ca_sends_exactly_the_request) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::echo);
    https_request request;
    request.method = "POST";
    request.url = url("https", "localhost", server.port(), "/hooks/reply?draft=7#frag");
    request.headers.add("Content-Type", "application/json");
    request.headers.add("X-Rapport-Signature", "sha256=abc");
    request.headers.add("X-Repeated", "1");
    request.headers.add("X-Repeated", "2");
    request.body = R"({"text":"hello"})";

    const auto out = run(ioc, &server, request);
    const auto& r = *out.result;
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->reason, "OK");
    EXPECT_EQ(r->body, request.body);
    EXPECT_EQ(r->headers.get("content-type"), "text/plain");
    EXPECT_EQ(r->headers.get("CONTENT-TYPE"), "text/plain");

    const auto& seen = server.seen;
    ASSERT_TRUE(seen.complete);
    EXPECT_EQ(server.connections, 1);
    EXPECT_EQ(seen.sni, "localhost");
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/hooks/reply?draft=7"); // no fragment
    EXPECT_EQ(seen.body, request.body);
    const https_headers expected{
        {"Host", "localhost:" + std::to_string(server.port())},
        {"User-Agent", "rapport/" + std::string(RAPPORT_TEST_VERSION)},
        {"Content-Type", "application/json"},
        {"X-Rapport-Signature", "sha256=abc"},
        {"X-Repeated", "1"},
        {"X-Repeated", "2"},
        {"Content-Length", std::to_string(request.body.size())},
    };
    EXPECT_EQ(seen.headers, expected);
}

TEST(https_client, caller_user_agent_replaces_the_default) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::echo);
    auto request = get_request(url("https", "localhost", server.port()));
    request.headers.add("user-agent", "receiver-test/1");
    const auto out = run(ioc, &server, request);
    ASSERT_TRUE(*out.result) << describe(*out.result);
    EXPECT_EQ(server.seen.method, "GET");
    EXPECT_EQ(server.seen.headers.get("User-Agent"), "receiver-test/1");
    EXPECT_FALSE(server.seen.headers.contains("Content-Length")); // GET without a body
}

TEST(https_client, without_the_test_ca_verification_fails_before_sending) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::echo);
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())),
                         test_options(false));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_verification) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_TRUE(r.error().retry_is_safe());
    EXPECT_NE(r.error().message.find("local issuer"), std::string::npos) << r.error().message;
    EXPECT_FALSE(server.seen.complete);
}

TEST(https_client, an_ip_address_not_in_the_certificate_fails_host_name_verification) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::echo);
    const auto out = run(ioc, &server, get_request(url("https", "127.0.0.1", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_verification) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_NE(r.error().message.find("IP address mismatch"), std::string::npos)
        << r.error().message;
    EXPECT_FALSE(server.seen.complete);
    EXPECT_EQ(server.seen.sni, ""); // no SNI for an IP address
}

TEST(https_client, a_certificate_for_another_name_fails_host_name_verification) {
    net::io_context ioc;
    test_server server(ioc, server_cert::other_name, behaviour::echo);
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_verification) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_NE(r.error().message.find("hostname mismatch"), std::string::npos) << r.error().message;
    EXPECT_FALSE(server.seen.complete);
}

TEST(https_client, a_self_signed_certificate_is_refused) {
    net::io_context ioc;
    test_server server(ioc, server_cert::self_signed, behaviour::echo);
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_verification) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_NE(r.error().message.find("self-signed"), std::string::npos) << r.error().message;
    EXPECT_FALSE(server.seen.complete);
}

TEST(https_client, https_to_a_plain_http_server_fails_the_handshake) {
    net::io_context ioc;
    test_server server(ioc, server_cert::none, behaviour::echo);
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::tls_handshake) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
}

TEST(https_client, plain_http_to_loopback_works) {
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        net::io_context ioc;
        test_server server(ioc, server_cert::none, behaviour::echo);
        https_request request;
        request.url = url("http", host, server.port(), "/reply");
        request.body = "plain";
        const auto out = run(ioc, &server, request);
        const auto& r = *out.result;
        ASSERT_TRUE(r) << host << ": " << describe(r);
        EXPECT_EQ(r->status, 200u);
        EXPECT_EQ(r->body, "plain");
        EXPECT_EQ(server.seen.target, "/reply");
        EXPECT_EQ(server.seen.headers.get("host"), host + ":" + std::to_string(server.port()));
    }
}

TEST(https_client, plain_http_elsewhere_is_refused_before_any_io) {
    net::io_context ioc; // one client for every case: building a TLS context costs ~15 ms
    const https_client client(ioc.get_executor(), test_options());
    for (const std::string target :
         {"http://example.com/x", "http://10.1.2.3/", "http://[2001:db8::1]/",
          "http://localhost.example.com/", "http://127.0.0.1.example.com/",
          "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"}) {
        const auto out = run_with(ioc, client, nullptr, get_request(target));
        const auto& r = *out.result;
        ASSERT_FALSE(r) << target;
        EXPECT_EQ(r.error().kind, https_error::plain_http_refused) << target << ": " << describe(r);
        EXPECT_EQ(r.error().stage, send_stage::before_sending);
        EXPECT_NE(r.error().message.find("https://"), std::string::npos) << r.error().message;
    }
}

TEST(https_client, a_host_name_that_starts_with_an_ipv4_address_is_a_name) {
    // Boost.URL 1.81 alone would read host 127.0.0.1 here (see parse_target).
    net::io_context ioc;
    const auto out = run(ioc, nullptr, get_request("http://127.0.0.1.example.com:8080/x?q=1"));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::plain_http_refused) << describe(r);
    EXPECT_NE(r.error().message.find("http://127.0.0.1.example.com:8080"), std::string::npos)
        << r.error().message;
}

TEST(https_client, invalid_urls_are_refused) {
    net::io_context ioc; // one client for every case: building a TLS context costs ~15 ms
    const https_client client(ioc.get_executor(), test_options());
    for (const std::string target : {
             "",
             "garbage",
             "/relative/path",
             "//localhost/x",
             "ftp://localhost/file",
             "mailto:someone@example.com",
             "https://",
             "https:///path",
             "https://:443/",
             "https:localhost/",
             "https://exa mple.com/",
             "https://localhost:0/",
             "https://localhost:65536/",
             "https://localhost:99999999999999999999/",
             "https://localhost:12ab/",
             "https://localhost:443x/",
             "https://10.0.0.1:12ab/",
             "https://10.0.0.1.example.com:12ab/",
             "https://[::1]x/",
             "https://ex%00ample.com/",
             "https://[v1.fe]/",
         }) {
        const auto out = run_with(ioc, client, nullptr, get_request(target));
        const auto& r = *out.result;
        ASSERT_FALSE(r) << '"' << target << '"';
        EXPECT_EQ(r.error().kind, https_error::invalid_url)
            << '"' << target << "\": " << describe(r);
        EXPECT_EQ(r.error().stage, send_stage::before_sending);
    }
}

TEST(https_client, credentials_in_the_url_are_refused_and_not_echoed) {
    net::io_context ioc;
    const auto out = run(ioc, nullptr, get_request("https://alice:hunter2@localhost/x"));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::invalid_url);
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("alice"), std::string::npos) << r.error().message;
}

TEST(https_client, invalid_requests_are_refused_and_header_values_not_echoed) {
    net::io_context ioc; // one client for every case: building a TLS context costs ~15 ms
    const https_client client(ioc.get_executor(), test_options());
    const auto with_header = [](std::string name, std::string value) {
        auto r = get_request("https://localhost/");
        r.headers.add(std::move(name), std::move(value));
        return r;
    };
    auto bad_method = get_request("https://localhost/");
    bad_method.method = "PO ST";
    for (const auto& request : {
             bad_method,
             with_header("X-Token", "secret-value\r\nX-Injected: 1"),
             with_header("X-Token", std::string("secret-value\0x", 14)),
             with_header("Bad Name", "secret-value"),
             with_header("", "secret-value"),
             with_header("Host", "secret-value"),
             with_header("content-length", "5"),
             with_header("Transfer-Encoding", "chunked"),
             with_header("Connection", "keep-alive"),
         }) {
        const auto out = run_with(ioc, client, nullptr, request);
        const auto& r = *out.result;
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, https_error::invalid_request) << describe(r);
        EXPECT_EQ(r.error().stage, send_stage::before_sending);
        EXPECT_EQ(r.error().message.find("secret-value"), std::string::npos) << r.error().message;
    }
}

/// A port nothing listens on: bound, then closed.
std::uint16_t closed_port(net::io_context& ioc) {
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

TEST(https_client, connection_refused_fails_before_sending_and_keeps_secrets) {
    for (const std::string scheme : {"https", "http"}) {
        net::io_context ioc;
        auto request = get_request(
            url(scheme, "127.0.0.1", closed_port(ioc), "/path-secret?token=query-secret"));
        request.headers.add("Authorization", "Bearer header-secret");
        const auto out = run(ioc, nullptr, request);
        const auto& r = *out.result;
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, https_error::connect) << describe(r);
        EXPECT_EQ(r.error().stage, send_stage::before_sending);
        EXPECT_NE(r.error().message.find("127.0.0.1"), std::string::npos) << r.error().message;
        for (const char* secret : {"path-secret", "query-secret", "header-secret"}) {
            EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
        }
    }
}

TEST(https_client, a_server_that_never_answers_times_out_after_sending) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::hang);
    auto options = test_options();
    options.request_timeout = 300ms;
    https_request request;
    request.url = url("https", "localhost", server.port(), "/slow");
    request.body = "maybe delivered";
    const auto out = run(ioc, &server, request, options);
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::timeout) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
    EXPECT_FALSE(r.error().retry_is_safe());
    EXPECT_GE(out.took, 300ms);
    EXPECT_TRUE(server.seen.complete);
    EXPECT_EQ(server.seen.body, "maybe delivered");
}

TEST(https_client, a_tls_handshake_that_never_completes_times_out_before_sending) {
    net::io_context ioc;
    test_server server(ioc, server_cert::none, behaviour::silent);
    auto options = test_options();
    options.connect_timeout = 300ms;
    const auto out =
        run(ioc, &server, get_request(url("https", "localhost", server.port())), options);
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::timeout) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_GE(out.took, 300ms);
}

TEST(https_client, a_connect_that_never_completes_times_out_before_sending) {
    // A listener whose accept queue is full drops further SYNs, so connect() hangs.
    net::io_context ioc;
    tcp::acceptor full(ioc);
    full.open(tcp::v4());
    full.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    full.listen(0);
    const auto port = full.local_endpoint().port();
    // Linux queues one connection at backlog 0; this one fills the queue.
    tcp::socket queued(ioc);
    queued.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    auto options = test_options();
    options.connect_timeout = 300ms;
    const auto out = run(ioc, nullptr, get_request(url("http", "127.0.0.1", port)), options);
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::timeout) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::before_sending);
    EXPECT_GE(out.took, 300ms);
}

TEST(https_client, cancelling_the_caller_ends_the_request) {
    net::io_context ioc;
    test_server server(ioc, server_cert::none, behaviour::hang);
    https_client client(ioc.get_executor(), test_options());
    outcome out;
    net::cancellation_signal cancel;
    net::co_spawn(
        ioc,
        client_task(client, get_request(url("http", "127.0.0.1", server.port())), &out, &server),
        net::bind_cancellation_slot(cancel.slot(), rethrow));
    net::steady_timer later(ioc, 200ms);
    later.async_wait(
        [&cancel](const error_code&) { cancel.emit(net::cancellation_type::terminal); });
    ioc.run_for(10s);
    ASSERT_TRUE(out.result.has_value());
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::cancelled) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
}

TEST(https_client, a_response_over_the_limit_fails) {
    const std::string big(4096, 'x');
    const std::string framed = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + big;
    const std::string chunked =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "800\r\n" +
        big.substr(0, 2048) +
        "\r\n"
        "800\r\n" +
        big.substr(0, 2048) + "\r\n0\r\n\r\n";
    for (const auto& reply : {framed, chunked}) {
        net::io_context ioc;
        test_server server(ioc, server_cert::ca_signed, behaviour::fixed, reply);
        auto options = test_options();
        options.max_response_body = 1024;
        const auto out =
            run(ioc, &server, get_request(url("https", "localhost", server.port())), options);
        const auto& r = *out.result;
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, https_error::response_too_large) << describe(r);
        EXPECT_EQ(r.error().stage, send_stage::after_sending);
    }
}

TEST(https_client, a_response_at_the_limit_is_read) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::fixed,
                       "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'y'));
    auto options = test_options();
    options.max_response_body = 1024;
    const auto out =
        run(ioc, &server, get_request(url("https", "localhost", server.port())), options);
    ASSERT_TRUE(*out.result) << describe(*out.result);
    EXPECT_EQ((*out.result)->body, std::string(1024, 'y'));
}

TEST(https_client, a_429_with_retry_after_is_a_normal_response) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::fixed,
                       "HTTP/1.1 429 Too Many Requests\r\n"
                       "Retry-After: 120\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 17\r\n"
                       "\r\n"
                       R"({"error":"slow"}.)");
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())));
    const auto& r = *out.result;
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(r->status, 429u);
    EXPECT_EQ(r->reason, "Too Many Requests");
    ASSERT_EQ(r->headers.get("retry-after"), "120");
    EXPECT_EQ(parse_retry_after(*r->headers.get("Retry-After"), std::chrono::system_clock::now()),
              std::chrono::seconds{120});
    EXPECT_EQ(r->body, R"({"error":"slow"}.)");
}

TEST(https_client, a_chunked_body_is_read_whole) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::fixed,
                       "HTTP/1.1 200 OK\r\n"
                       "Transfer-Encoding: chunked\r\n"
                       "\r\n"
                       "5\r\nhello\r\n"
                       "1\r\n \r\n"
                       "6;ext=1\r\nworld!\r\n"
                       "0\r\n"
                       "X-Trailer: yes\r\n"
                       "\r\n");
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())));
    const auto& r = *out.result;
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, "hello world!");
}

TEST(https_client, interim_responses_are_skipped) {
    net::io_context ioc;
    test_server server(ioc, server_cert::none, behaviour::fixed,
                       "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
                       "HTTP/1.1 204 No Content\r\n\r\n");
    const auto out = run(ioc, &server, get_request(url("http", "127.0.0.1", server.port())));
    const auto& r = *out.result;
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(r->status, 204u);
    EXPECT_FALSE(r->headers.contains("link"));
}

TEST(https_client, a_connection_closed_mid_response_fails_after_sending) {
    net::io_context ioc;
    test_server server(ioc, server_cert::ca_signed, behaviour::close_midway);
    const auto out = run(ioc, &server, get_request(url("https", "localhost", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::read) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
}

TEST(https_client, a_connection_closed_without_answer_fails_after_sending) {
    net::io_context ioc;
    test_server server(ioc, server_cert::none, behaviour::fixed, "");
    const auto out = run(ioc, &server, get_request(url("http", "127.0.0.1", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::read) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
}

TEST(https_client, a_malformed_response_fails_after_sending) {
    net::io_context ioc;
    test_server server(ioc, server_cert::none, behaviour::fixed, "SMTP ready\r\n\r\n");
    const auto out = run(ioc, &server, get_request(url("http", "127.0.0.1", server.port())));
    const auto& r = *out.result;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, https_error::bad_response) << describe(r);
    EXPECT_EQ(r.error().stage, send_stage::after_sending);
}

TEST(https_client, a_missing_ca_file_fails_construction_naming_the_file) {
    net::io_context ioc;
    https_client_options options;
    options.extra_ca_file = data_file("no-such-ca.pem");
    try {
        https_client client(ioc.get_executor(), options);
        ADD_FAILURE() << "constructed";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-ca.pem"), std::string::npos) << e.what();
    }
}

TEST(https_client, value_throws_the_failure_message) {
    const https_result r(
        https_failure{https_error::connect, send_stage::before_sending, "cannot connect"});
    EXPECT_THROW((void)r.value(), std::runtime_error);
    EXPECT_EQ(to_string(https_error::tls_verification), "tls_verification");
}

} // namespace
} // namespace rapport::adapters
