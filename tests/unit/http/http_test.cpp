// http_server over real loopback sockets: the server runs on 127.0.0.1 port 0 in its own thread
// and io_context; the client is plain POSIX sockets with 2 s send/receive timeouts, so a broken
// server fails a test instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "daemon/http/server.hpp"

namespace {

using namespace std::chrono_literals;
using rapport::use_throw;
using rapport::use_tuple;
using namespace rapport::http;
namespace net = rapport::net;

// ---- client ------------------------------------------------------------------------------

struct response {
    int status = 0;                             ///< 0: no response could be read
    std::map<std::string, std::string> headers; ///< names lower-cased
    std::string body;
};

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

class client {
public:
    explicit client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{2, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~client() { ::close(fd_); }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    bool connected() const { return connected_; }

    bool send(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Reads one response (Content-Length framed). status 0 on EOF, reset or timeout.
    response read_response() {
        response r;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                return r;
            }
        }
        const std::string head = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        std::size_t pos = head.find("\r\n");
        const std::string status_line = head.substr(0, pos);
        if (status_line.size() < 12) {
            return r;
        }
        while (pos != std::string::npos) {
            const auto next = head.find("\r\n", pos + 2);
            const auto line =
                head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                r.headers[lower(line.substr(0, colon))] = value;
            }
            pos = next;
        }
        const std::size_t length =
            r.headers.count("content-length") != 0 ? std::stoul(r.headers["content-length"]) : 0;
        while (buf_.size() < length) {
            if (!fill()) {
                return r;
            }
        }
        r.body = buf_.substr(0, length);
        buf_.erase(0, length);
        r.status = std::stoi(status_line.substr(9, 3));
        return r;
    }

    /// True when the server closed the connection in an orderly way (FIN, no reset/timeout).
    bool reads_eof() {
        char c;
        return buf_.empty() && ::recv(fd_, &c, 1, 0) == 0;
    }

    /// Appends what one receive brings to `out`; false on EOF, reset or timeout.
    bool recv_into(std::string& out) {
        if (buf_.empty() && !fill()) {
            return false;
        }
        out += buf_;
        buf_.clear();
        return true;
    }

    int fd() const { return fd_; }

    /// -1 and errno on error/timeout, 0 on EOF.
    ssize_t recv_raw() {
        char c;
        return ::recv(fd_, &c, 1, 0);
    }

private:
    bool fill() {
        char tmp[16384];
        const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            return false;
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buf_;
};

response roundtrip(std::uint16_t port, const std::string& request) {
    client c(port);
    if (!c.send(request)) {
        return {};
    }
    return c.read_response();
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra_headers) +
           "\r\n";
}

std::string post(std::string_view target, const std::string& body) {
    return "POST " + std::string(target) +
           " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
}

// ---- server under test -------------------------------------------------------------------

/// Runs an http_server in its own thread; stop_and_join() fails the test rather than hang.
class test_server {
public:
    explicit test_server(router routes, server_options options = {}) {
        options.address = "127.0.0.1";
        options.port = 0;
        if (!options.log) {
            options.log = [this](log_level, std::string_view line) {
                std::lock_guard lock(mutex_);
                logs_.emplace_back(line);
            };
        }
        server_ = std::make_unique<http_server>(ioc_, std::move(routes), std::move(options));
        port_ = server_->start();
        thread_ = std::thread([this] {
            ioc_.run();
            finished_.set_value();
        });
    }
    ~test_server() {
        if (thread_.joinable()) {
            EXPECT_TRUE(stop_and_join());
        }
    }

    std::uint16_t port() const { return port_; }
    http_server& server() { return *server_; }
    net::io_context& ioc() { return ioc_; }

    /// stop(), then wait (bounded) until the io_context runs out of work.
    bool stop_and_join(std::chrono::milliseconds limit = 2000ms) {
        server_->stop();
        return join(limit);
    }
    bool join(std::chrono::milliseconds limit = 2000ms) {
        const bool ok = done_.wait_for(limit) == std::future_status::ready;
        if (!ok) {
            ioc_.stop();
        }
        thread_.join();
        return ok;
    }

    bool logged(std::string_view needle) {
        std::lock_guard lock(mutex_);
        for (const auto& l : logs_) {
            if (l.find(needle) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    net::io_context ioc_;
    std::unique_ptr<http_server> server_;
    std::uint16_t port_ = 0;
    std::promise<void> finished_;
    std::future<void> done_ = finished_.get_future();
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> logs_;
};

// ---- handlers (named coroutines, STYLE §6) ------------------------------------------------

net::awaitable<http_response> echo(http_request req, route_params params) {
    std::string out = req.method + "|" + req.path;
    for (const auto& [k, v] : params.items()) {
        out += "|" + k + "=" + v;
    }
    for (const auto& q : req.query) {
        out += "|?" + q.name + "=" + q.value;
    }
    out += "|h=" + std::string(req.headers.get("x-test").value_or("-"));
    out += "|from=" + req.remote_address;
    out += "|body=" + req.body;
    co_return http_response{200, "text/plain", {}, std::move(out)};
}

net::awaitable<http_response> body_size(http_request req, route_params) {
    co_return json_response(200, "{\"size\": " + std::to_string(req.body.size()) + "}");
}

net::awaitable<http_response> throws(http_request, route_params) {
    throw std::runtime_error("boom");
    co_return http_response{};
}

std::atomic<int> slow_started{0};

net::awaitable<http_response> slow(http_request req, route_params) {
    ++slow_started;
    const auto ms = std::stoi(std::string(req.query_value("ms").value_or("300")));
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
    co_await timer.async_wait(use_throw);
    co_return http_response{200, "text/plain", {}, "slept"};
}

net::awaitable<http_response> with_headers(http_request, route_params) {
    http_response r{201, "text/plain", {}, "made"};
    r.headers.set("Location", "/v1/things/1");
    // The server frames the message itself: a handler's own framing fields are left out.
    r.headers.set("Content-Length", "999");
    r.headers.set("Connection", "upgrade");
    co_return r;
}

router test_routes() {
    router r;
    r.add("POST", "/made", with_headers);
    r.add("GET", "/v1/drafts/{id}", echo);
    r.add("POST", "/v1/drafts/{id}/approve", echo);
    r.add("GET", "/v1/drafts/export", echo);
    r.add("GET", "/hooks/{account}", echo);
    r.add("POST", "/hooks/{account}", echo);
    r.add("GET", "/healthz", echo);
    r.add("POST", "/size", body_size);
    r.add("GET", "/throw", throws);
    r.add("GET", "/slow", slow);
    return r;
}

} // namespace

// ---- pure parts --------------------------------------------------------------------------

TEST(http_server, json_error_has_contract_shape_and_escapes) {
    auto r = json_error(404, "not_found", "no \"x\"\n");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, R"({"error": "not_found", "message": "no \"x\"\n"})");
}

TEST(http_server, router_rejects_bad_and_duplicate_patterns) {
    router r;
    r.add("GET", "/a/{id}", echo);
    EXPECT_THROW(r.add("GET", "/a/{other}", echo), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "a", echo), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "/a/x{id}", echo), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "/a/{}", echo), std::invalid_argument);
    EXPECT_NO_THROW(r.add("POST", "/a/{id}", echo));
}

TEST(http_server, router_prefers_literal_and_reports_allow) {
    auto r = test_routes();
    auto m = r.match("GET", "/v1/drafts/export");
    ASSERT_EQ(m.outcome, router::match_result::kind::found);
    EXPECT_TRUE(m.params.items().empty());
    m = r.match("GET", "/v1/drafts/d%2F1");
    ASSERT_EQ(m.outcome, router::match_result::kind::found);
    EXPECT_EQ(m.params["id"], "d/1");
    EXPECT_EQ(r.match("DELETE", "/hooks/x").allow, "GET, POST");
    EXPECT_EQ(r.match("GET", "/hooks/").outcome, router::match_result::kind::not_found);
    EXPECT_EQ(r.match("GET", "/v1/drafts/%zz").outcome, router::match_result::kind::bad_path);
}

TEST(http_server, query_decoding) {
    const auto q = parse_query("a=1&b=x%20y+z&&flag&c=%E2%9C%93");
    ASSERT_TRUE(q);
    ASSERT_EQ(q->size(), 4u);
    EXPECT_EQ((*q)[1].value, "x y z");
    EXPECT_EQ((*q)[2].name, "flag");
    EXPECT_EQ((*q)[3].value, "\xE2\x9C\x93");
    EXPECT_FALSE(parse_query("a=%4"));
}

// ---- over sockets ------------------------------------------------------------------------

TEST(http_server, routes_with_path_and_query_params) {
    test_server s(test_routes());
    auto r = roundtrip(s.port(), get("/v1/drafts/a%20b?state=pending&x=1+2", "X-TEST: yes\r\n"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/plain");
    EXPECT_EQ(r.body,
              "GET|/v1/drafts/a%20b|id=a b|?state=pending|?x=1 2|h=yes|from=127.0.0.1|body=");

    r = roundtrip(s.port(), post("/v1/drafts/42/approve", R"({"note":"ok"})"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"(POST|/v1/drafts/42/approve|id=42|h=-|from=127.0.0.1|body={"note":"ok"})");

    r = roundtrip(s.port(), get("/hooks/acme-site"));
    EXPECT_EQ(r.body, "GET|/hooks/acme-site|account=acme-site|h=-|from=127.0.0.1|body=");
}

TEST(http_server, unknown_path_404_and_wrong_method_405_are_json) {
    test_server s(test_routes());
    auto r = roundtrip(s.port(), get("/nope"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.headers["content-type"], "application/json");
    EXPECT_EQ(r.body.rfind(R"({"error": "not_found", "message": )", 0), 0u) << r.body;

    r = roundtrip(s.port(), "DELETE /hooks/x HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers["allow"], "GET, POST");
    EXPECT_EQ(r.body.rfind(R"({"error": "method_not_allowed", )", 0), 0u) << r.body;
}

TEST(http_server, keep_alive_serves_several_requests_on_one_connection) {
    test_server s(test_routes());
    client c(s.port());
    ASSERT_TRUE(c.connected());
    // Two pipelined, then one more after reading.
    ASSERT_TRUE(c.send(get("/healthz") + post("/size", "abc")));
    auto r1 = c.read_response();
    auto r2 = c.read_response();
    EXPECT_EQ(r1.status, 200);
    EXPECT_EQ(r2.status, 200);
    EXPECT_EQ(r2.body, R"({"size": 3})");
    ASSERT_TRUE(c.send(get("/v1/drafts/7")));
    auto r3 = c.read_response();
    EXPECT_EQ(r3.status, 200);
    EXPECT_NE(lower(r3.headers["connection"]), "close");

    // "Connection: close" from the client: answered, then an orderly close.
    ASSERT_TRUE(c.send(get("/healthz", "Connection: close\r\n")));
    auto r4 = c.read_response();
    EXPECT_EQ(r4.status, 200);
    EXPECT_EQ(lower(r4.headers["connection"]), "close");
    EXPECT_TRUE(c.reads_eof());
}

TEST(http_server, body_at_limit_passes_one_byte_over_is_413) {
    server_options o;
    o.max_body_bytes = 1024;
    test_server s(test_routes(), o);
    auto r = roundtrip(s.port(), post("/size", std::string(1024, 'x')));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"size": 1024})");

    client c(s.port());
    ASSERT_TRUE(c.send(post("/size", std::string(1025, 'x'))));
    r = c.read_response();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body.rfind(R"({"error": "payload_too_large", )", 0), 0u) << r.body;
    EXPECT_EQ(lower(r.headers["connection"]), "close");
    EXPECT_TRUE(c.reads_eof());

    // Chunked bodies are held to the same limit.
    client chunked(s.port());
    const std::string chunk(1000, 'y');
    ASSERT_TRUE(
        chunked.send("POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3e8\r\n" +
                     chunk + "\r\n3e8\r\n" + chunk + "\r\n0\r\n\r\n"));
    EXPECT_EQ(chunked.read_response().status, 413);
}

TEST(http_server, huge_body_gets_413_response_not_reset) {
    server_options o;
    o.max_body_bytes = 1024 * 1024;
    test_server s(test_routes(), o);
    client c(s.port());
    // The client writes all 5 MB before it reads: the server must drain, not reset.
    ASSERT_TRUE(c.send(post("/size", std::string(5 * 1000 * 1000, 'z'))));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body.rfind(R"({"error": "payload_too_large", )", 0), 0u) << r.body;
}

TEST(http_server, malformed_requests_get_400_or_411) {
    test_server s(test_routes());
    auto r = roundtrip(s.port(), "POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body.rfind(R"({"error": "bad_request", )", 0), 0u) << r.body;

    r = roundtrip(s.port(), "POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 2\r\n\r\nx");
    EXPECT_EQ(r.status, 400);

    r = roundtrip(s.port(), "HELLO THERE\r\n\r\n");
    EXPECT_EQ(r.status, 400);

    r = roundtrip(s.port(), get("/v1/drafts/1?a=%zz"));
    EXPECT_EQ(r.status, 400);

    // A POST that has no Content-Length (nor chunked) cannot be framed: 411 Length Required.
    r = roundtrip(s.port(), "POST /size HTTP/1.1\r\nHost: t\r\n\r\n{\"a\":1}");
    EXPECT_EQ(r.status, 411);
    EXPECT_EQ(r.body.rfind(R"({"error": "length_required", )", 0), 0u) << r.body;

    // An explicit zero length is fine.
    r = roundtrip(s.port(), post("/size", ""));
    EXPECT_EQ(r.status, 200);
}

TEST(http_server, requests_are_read_whole_however_they_arrive) {
    test_server s(test_routes());
    {
        // Two requests in one segment: both answered, in order, on the same connection.
        client c(s.port());
        ASSERT_TRUE(c.send(post("/size", "abc") + post("/size", "abcdef")));
        auto first = c.read_response();
        auto second = c.read_response();
        EXPECT_EQ(first.body, R"({"size": 3})");
        EXPECT_EQ(second.body, R"({"size": 6})");
    }
    {
        // One byte at a time: the header and the body are put together across reads.
        client c(s.port());
        for (const char ch : post("/hooks/acme", "{\"a\":1}")) {
            ASSERT_TRUE(c.send(std::string_view{&ch, 1}));
        }
        const auto r = c.read_response();
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "POST|/hooks/acme|account=acme|h=-|from=127.0.0.1|body={\"a\":1}");
    }
    {
        // A chunked body arrives as one.
        client c(s.port());
        ASSERT_TRUE(
            c.send("POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "4\r\nabcd\r\n"));
        ASSERT_TRUE(c.send("3\r\nefg\r\n0\r\n\r\n"));
        EXPECT_EQ(c.read_response().body, R"({"size": 7})");
    }
    {
        // Expect: 100-continue gets the interim answer before the body is sent.
        client c(s.port());
        ASSERT_TRUE(
            c.send("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
                   "Expect: 100-continue\r\n\r\n"));
        EXPECT_EQ(c.read_response().status, 100);
        ASSERT_TRUE(c.send("ok"));
        EXPECT_EQ(c.read_response().body, R"({"size": 2})");
    }
    {
        // A body cut short by the client's close: nothing reaches a handler, no answer.
        client c(s.port());
        ASSERT_TRUE(c.send("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
        ::shutdown(c.fd(), SHUT_WR);
        EXPECT_TRUE(c.reads_eof());
    }
}

TEST(http_server, header_over_the_limit_is_431) {
    server_options o;
    o.max_header_bytes = 1024;
    test_server s(test_routes(), o);
    const auto r =
        roundtrip(s.port(), get("/healthz", "X-Big: " + std::string(2000, 'a') + "\r\n"));
    EXPECT_EQ(r.status, 431);
    EXPECT_EQ(r.body.rfind(R"({"error": "headers_too_large", )", 0), 0u) << r.body;
}

TEST(http_server, response_header_is_framed_by_the_server) {
    test_server s(test_routes());
    {
        client c(s.port());
        ASSERT_TRUE(c.send(post("/made", "")));
        std::string raw;
        while (raw.find("made") == std::string::npos && c.recv_into(raw)) {
        }
        EXPECT_EQ(raw.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << raw;
        EXPECT_NE(raw.find("\r\nLocation: /v1/things/1\r\n"), std::string::npos) << raw;
        EXPECT_NE(raw.find("\r\nContent-Type: text/plain\r\n"), std::string::npos) << raw;
        EXPECT_NE(raw.find("\r\nContent-Length: 4\r\n"), std::string::npos) << raw;
        EXPECT_EQ(raw.find("999"), std::string::npos) << raw;
        EXPECT_EQ(raw.find("Connection"), std::string::npos) << raw; // 1.1 keeps it open
        EXPECT_TRUE(raw.ends_with("\r\n\r\nmade")) << raw;
    }
    {
        // HTTP/1.1 asking to close: told so, then closed.
        client c(s.port());
        ASSERT_TRUE(c.send(get("/healthz", "Connection: close\r\n")));
        const auto r = c.read_response();
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.headers.at("connection"), "close");
        EXPECT_TRUE(c.reads_eof());
    }
    {
        // HTTP/1.0 closes unless it asks to keep the connection, and is answered in 1.0.
        client c(s.port());
        ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
        std::string raw;
        while (c.recv_into(raw)) {
        }
        EXPECT_EQ(raw.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << raw;
        EXPECT_EQ(raw.find("Connection"), std::string::npos) << raw;
    }
    {
        client c(s.port());
        ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        auto r = c.read_response();
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.headers.at("connection"), "keep-alive");
        ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        EXPECT_EQ(c.read_response().status, 200);
    }
}

TEST(http_server, slow_header_is_cut_off_at_header_timeout) {
    server_options o;
    o.header_timeout = 200ms;
    test_server s(test_routes(), o);
    client c(s.port());
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n")); // header never finished
    const auto start = std::chrono::steady_clock::now();
    const auto n = c.recv_raw();
    EXPECT_LE(n, 0); // closed (EOF or reset), and not by our 2 s receive timeout:
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST(http_server, idle_keep_alive_connection_closes_after_idle_timeout) {
    server_options o;
    o.idle_timeout = 200ms;
    test_server s(test_routes(), o);
    client c(s.port());
    ASSERT_TRUE(c.send(get("/healthz")));
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_TRUE(c.reads_eof());
}

TEST(http_server, connections_beyond_limit_get_503) {
    server_options o;
    o.max_connections = 1;
    test_server s(test_routes(), o);
    auto first = std::make_unique<client>(s.port());
    ASSERT_TRUE(first->send(get("/healthz")));
    ASSERT_EQ(first->read_response().status, 200); // now surely registered

    client second(s.port());
    ASSERT_TRUE(second.send(get("/healthz")));
    auto r = second.read_response();
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body.rfind(R"({"error": "overloaded", )", 0), 0u) << r.body;
    EXPECT_TRUE(second.reads_eof());

    first.reset(); // frees the slot (asynchronously)
    int status = 0;
    for (int i = 0; i < 50 && status != 200; ++i) {
        status = roundtrip(s.port(), get("/healthz")).status;
        if (status != 200) {
            std::this_thread::sleep_for(20ms);
        }
    }
    EXPECT_EQ(status, 200);
}

TEST(http_server, handler_exception_becomes_500_and_is_logged) {
    test_server s(test_routes());
    client c(s.port());
    ASSERT_TRUE(c.send(get("/throw")));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, R"({"error": "internal", "message": "internal server error"})");
    EXPECT_TRUE(s.logged("handler for GET /throw threw: boom"));
    // The connection survives the handler's failure.
    ASSERT_TRUE(c.send(get("/healthz")));
    EXPECT_EQ(c.read_response().status, 200);
}

namespace {
net::awaitable<void> await_stop(http_server* server, std::atomic<bool>* flag) {
    co_await server->wait_stopped();
    *flag = true;
}
} // namespace

TEST(http_server, stop_lets_in_flight_request_finish_then_stops) {
    test_server s(test_routes());
    std::atomic<bool> awaited{false};
    std::atomic<bool> called_back{false};
    net::co_spawn(s.ioc(), await_stop(&s.server(), &awaited), net::detached);
    s.server().on_stopped([&called_back] { called_back = true; });

    client idle(s.port());
    ASSERT_TRUE(idle.send(get("/healthz")));
    ASSERT_EQ(idle.read_response().status, 200);

    slow_started = 0;
    {
        client busy(s.port());
        ASSERT_TRUE(busy.send(get("/slow?ms=300")));
        for (int i = 0; i < 100 && slow_started == 0; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        ASSERT_EQ(slow_started, 1);
        s.server().stop();

        auto r = busy.read_response();
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "slept");
        EXPECT_EQ(lower(r.headers["connection"]), "close");
        EXPECT_TRUE(busy.reads_eof());
        EXPECT_TRUE(idle.reads_eof()); // the idle keep-alive connection was closed by stop()
    } // the client closes, as HTTP clients do after "Connection: close"
    EXPECT_TRUE(s.join());
    EXPECT_TRUE(awaited);
    EXPECT_TRUE(called_back);
    EXPECT_FALSE(client(s.port()).connected()); // the listener is gone
}

TEST(http_server, stop_timeout_closes_stuck_request_by_force) {
    server_options o;
    o.stop_timeout = 200ms;
    test_server s(test_routes(), o);
    slow_started = 0;
    client busy(s.port());
    ASSERT_TRUE(busy.send(get("/slow?ms=10000")));
    for (int i = 0; i < 100 && slow_started == 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(slow_started, 1);
    EXPECT_TRUE(s.stop_and_join(1500ms));
    EXPECT_EQ(busy.read_response().status, 0);
    EXPECT_TRUE(s.logged("stop timeout"));
}

TEST(http_server, stop_before_any_connection_completes_at_once) {
    test_server s(test_routes());
    EXPECT_TRUE(s.stop_and_join());
}

namespace {
std::mutex served_on_mutex;
std::set<std::thread::id> served_on;

net::awaitable<http_response> note_thread(http_request, route_params) {
    {
        std::lock_guard lock(served_on_mutex);
        served_on.insert(std::this_thread::get_id());
    }
    co_return http_response{200, "text/plain", {}, "noted"};
}
} // namespace

TEST(http_server, connection_contexts_take_connections_in_turn_and_drain_at_stop) {
    // The listener on one context; connections dealt out between two others, each run by one
    // thread, as rapportd runs them with server.threads > 1.
    net::io_context listener_context;
    std::array<net::io_context, 2> contexts;
    router routes = test_routes();
    routes.add("GET", "/thread", note_thread);
    server_options o;
    o.address = "127.0.0.1";
    http_server server(listener_context, std::move(routes), o, {&contexts[0], &contexts[1]});
    const std::uint16_t port = server.start();
    std::vector<std::thread> threads;
    std::set<std::thread::id> context_threads;
    for (auto& c : contexts) {
        threads.emplace_back([&c] {
            auto busy = net::make_work_guard(c);
            c.run();
        });
        context_threads.insert(threads.back().get_id());
    }
    threads.emplace_back([&listener_context] { listener_context.run(); });
    {
        std::lock_guard lock(served_on_mutex);
        served_on.clear();
    }

    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<client>(port));
        ASSERT_TRUE(clients.back()->send(get("/thread")));
        EXPECT_EQ(clients.back()->read_response().body, "noted");
    }
    {
        std::lock_guard lock(served_on_mutex);
        EXPECT_EQ(served_on, context_threads); // both contexts, and only they, served
    }

    // A request in flight on a connection context finishes when the server stops.
    slow_started = 0;
    ASSERT_TRUE(clients[0]->send(get("/slow?ms=300")));
    for (int i = 0; i < 100 && slow_started == 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(slow_started, 1);
    std::promise<void> stopped;
    server.on_stopped([&stopped] { stopped.set_value(); });
    server.stop();
    auto r = clients[0]->read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "slept");
    EXPECT_EQ(lower(r.headers["connection"]), "close");
    for (std::size_t i = 1; i < clients.size(); ++i) {
        EXPECT_TRUE(clients[i]->reads_eof()); // idle keep-alive connections closed by stop()
    }
    clients.clear();
    EXPECT_EQ(stopped.get_future().wait_for(2s), std::future_status::ready);
    for (auto& c : contexts) {
        c.stop();
    }
    listener_context.stop();
    for (auto& t : threads) {
        t.join();
    }
}
