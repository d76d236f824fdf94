// http_load: a closed-loop HTTP/1.1 load driver for a fixed amount of work. Every request of the
// input file is sent exactly once; request i goes to connection i % C, so the connections work
// through disjoint sets, each with one request in flight on a keep-alive connection. Latency is
// timed per request, from the first byte written to the last byte of the response read; the
// rate is all requests over the time from the first request to the last response. Any status
// other than the expected one, and any request that failed in transport, counts as an error.
//
//   http_load --url http://HOST:PORT --requests FILE [-c CONNECTIONS] [-t THREADS]
//             [-m METHOD] [-H "Name: value"]... [--expect STATUS] [--timeout SECONDS]
//             [--sample FILE]
//
// FILE has one request a line: PATH, then any per-request headers, then the body, separated by
// tabs (`/v1/drafts/d-1/approve<TAB>{"version":1}`, or
// `/hooks/x<TAB>X-Rapport-Timestamp: 1<TAB>X-Rapport-Signature: sha256=...<TAB>{...}`). A body
// must not contain a tab (JSON escapes them). --sample writes the body of the first response.
//
// Prints key-value lines: requests, seconds, rate, p50_ms, p90_ms, p99_ms, max_ms, mean_ms,
// status CODE N (one line per status), transport_errors, unanswered (still open when the
// --timeout deadline, default 600 s, passed), errors, reconnects, start_ns, end_ns
// (Unix time of the first request and of the last response, for lining up with other clocks).
//
// wrk measures latency the same way but runs for a duration, not a number of requests: once a
// connection's share is done it would have to send something else, which is why this exists.
#include "adapters/common/net.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using rapport::use_tuple;
using rapport::net::ip::tcp;
namespace net = rapport::net;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using steady = std::chrono::steady_clock;

struct options {
    std::string host = "127.0.0.1";
    std::string port;
    std::string requests_file;
    std::string method = "POST";
    std::vector<std::string> headers;
    std::string sample_file;
    int connections = 16;
    int threads = 1;
    unsigned expect = 200;
    std::chrono::seconds timeout{600};
};

// What one connection measured.
struct tally {
    std::vector<std::int64_t> latency_ns;
    std::map<unsigned, std::int64_t> statuses;
    std::int64_t transport_errors = 0;
    std::int64_t reconnects = 0;
    std::string first_body;
};

std::int64_t unix_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One raw request, ready to write.
std::string format_request(const options& o, const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        const auto tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
        if (tab == std::string::npos) {
            break;
        }
        start = tab + 1;
    }
    const std::string& path = fields.front();
    const std::string body = fields.size() > 1 ? fields.back() : std::string();
    std::string r = o.method + " " + path + " HTTP/1.1\r\nHost: " + o.host + ":" + o.port + "\r\n";
    for (const auto& h : o.headers) {
        r += h + "\r\n";
    }
    for (std::size_t i = 1; i + 1 < fields.size(); ++i) {
        r += fields[i] + "\r\n";
    }
    if (!body.empty()) {
        r += "Content-Type: application/json\r\n";
    }
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return r;
}

net::awaitable<void> connection(const tcp::resolver::results_type& endpoints,
                                const std::vector<const std::string*>& work,
                                tally& out,
                                std::atomic<std::int64_t>& first_start_ns,
                                std::atomic<std::int64_t>& last_end_ns) {
    // A plain socket: no per-operation timers (the whole run has a deadline instead), so the
    // client spends as little as it can per request.
    tcp::socket socket(co_await net::this_coro::executor);
    bool connected = false;
    beast::flat_buffer buffer;
    out.latency_ns.reserve(work.size());
    for (const std::string* request : work) {
        if (!connected) {
            boost::system::error_code ignored;
            socket.close(ignored);
            auto [ec, endpoint] = co_await net::async_connect(socket, endpoints, use_tuple);
            if (ec) {
                ++out.transport_errors;
                continue;
            }
            socket.set_option(tcp::no_delay(true));
            buffer.clear();
            connected = true;
        }
        const auto started = steady::now();
        std::int64_t expected = 0;
        const std::int64_t now_ns = unix_ns();
        first_start_ns.compare_exchange_strong(expected, now_ns);
        auto [wec, written] = co_await net::async_write(socket, net::buffer(*request), use_tuple);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        boost::system::error_code rec = wec;
        if (!wec) {
            auto [ec, n] = co_await bhttp::async_read(socket, buffer, parser, use_tuple);
            rec = ec;
        }
        const auto elapsed = steady::now() - started;
        if (rec) {
            ++out.transport_errors;
            ++out.reconnects;
            connected = false;
            continue;
        }
        out.latency_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
        const auto& response = parser.get();
        ++out.statuses[response.result_int()];
        if (out.first_body.empty()) {
            out.first_body = response.body();
        }
        const std::int64_t end = unix_ns();
        std::int64_t seen = last_end_ns.load();
        while (end > seen && !last_end_ns.compare_exchange_weak(seen, end)) {
        }
        if (!response.keep_alive()) {
            ++out.reconnects;
            connected = false;
        }
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
}

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "http_load: " << problem
              << "\nusage: http_load --url http://HOST:PORT --requests FILE [-c N] [-t N] "
                 "[-m METHOD] [-H 'Name: value']... [--expect STATUS] [--timeout SECONDS] "
                 "[--sample FILE]\n";
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage(arg + " needs a value");
            }
            return argv[++i];
        };
        if (arg == "--url") {
            std::string url = value();
            const std::string scheme = "http://";
            if (!url.starts_with(scheme)) {
                usage("only http:// URLs");
            }
            url = url.substr(scheme.size());
            url = url.substr(0, url.find('/'));
            const auto colon = url.rfind(':');
            if (colon == std::string::npos) {
                usage("the URL needs a port");
            }
            o.host = url.substr(0, colon);
            o.port = url.substr(colon + 1);
        } else if (arg == "--requests") {
            o.requests_file = value();
        } else if (arg == "-c") {
            o.connections = std::atoi(value().c_str());
        } else if (arg == "-t") {
            o.threads = std::atoi(value().c_str());
        } else if (arg == "-m") {
            o.method = value();
        } else if (arg == "-H") {
            o.headers.push_back(value());
        } else if (arg == "--expect") {
            o.expect = static_cast<unsigned>(std::atoi(value().c_str()));
        } else if (arg == "--timeout") {
            o.timeout = std::chrono::seconds(std::atoi(value().c_str()));
        } else if (arg == "--sample") {
            o.sample_file = value();
        } else {
            usage("unknown argument " + arg);
        }
    }
    if (o.port.empty() || o.requests_file.empty() || o.connections < 1 || o.threads < 1) {
        usage("--url and --requests are required; -c and -t at least 1");
    }
    return o;
}

double ms(std::int64_t ns) {
    return static_cast<double>(ns) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    std::vector<std::string> requests;
    {
        std::ifstream in(o.requests_file);
        if (!in) {
            usage("cannot read " + o.requests_file);
        }
        for (std::string line; std::getline(in, line);) {
            if (!line.empty()) {
                requests.push_back(format_request(o, line));
            }
        }
    }
    if (requests.empty()) {
        usage(o.requests_file + " holds no requests");
    }
    std::vector<std::vector<const std::string*>> shares(static_cast<std::size_t>(o.connections));
    for (std::size_t i = 0; i < requests.size(); ++i) {
        shares[i % shares.size()].push_back(&requests[i]);
    }

    net::io_context ioc(o.threads);
    const auto endpoints = tcp::resolver(ioc).resolve(o.host, o.port);
    std::vector<tally> tallies(shares.size());
    std::atomic<std::int64_t> first_start_ns{0};
    std::atomic<std::int64_t> last_end_ns{0};
    const auto started = steady::now();
    for (std::size_t i = 0; i < shares.size(); ++i) {
        // One thread: no strands needed (nor their cost); more: a strand per connection.
        const auto executor = o.threads == 1 ? net::any_io_executor(ioc.get_executor())
                                             : net::any_io_executor(net::make_strand(ioc));
        net::co_spawn(executor,
                      connection(endpoints, shares[i], tallies[i], first_start_ns, last_end_ns),
                      [](std::exception_ptr e) {
                          if (e) {
                              std::rethrow_exception(e);
                          }
                      });
    }
    std::vector<std::thread> threads;
    for (int i = 1; i < o.threads; ++i) {
        threads.emplace_back([&ioc, &o] { ioc.run_for(o.timeout); });
    }
    // Returns once every connection is through its share, or at the deadline.
    ioc.run_for(o.timeout);
    ioc.stop();
    for (auto& t : threads) {
        t.join();
    }
    const double seconds = std::chrono::duration<double>(steady::now() - started).count();

    std::vector<std::int64_t> latency;
    std::map<unsigned, std::int64_t> statuses;
    std::int64_t transport_errors = 0;
    std::int64_t reconnects = 0;
    for (const auto& t : tallies) {
        latency.insert(latency.end(), t.latency_ns.begin(), t.latency_ns.end());
        for (const auto& [code, n] : t.statuses) {
            statuses[code] += n;
        }
        transport_errors += t.transport_errors;
        reconnects += t.reconnects;
    }
    std::sort(latency.begin(), latency.end());
    const auto pct = [&](double p) -> std::int64_t {
        if (latency.empty()) {
            return 0;
        }
        // Nearest rank: the smallest value with at least p% of the samples at or below it.
        auto rank =
            static_cast<std::size_t>(p / 100.0 * static_cast<double>(latency.size()) + 0.999999);
        rank = std::clamp<std::size_t>(rank, 1, latency.size());
        return latency[rank - 1];
    };
    std::int64_t sum = 0;
    for (auto l : latency) {
        sum += l;
    }
    // Requests neither answered nor failed: the deadline passed first.
    const auto unanswered = static_cast<std::int64_t>(requests.size()) -
                            static_cast<std::int64_t>(latency.size()) - transport_errors;
    std::int64_t errors = transport_errors + unanswered;
    for (const auto& [code, n] : statuses) {
        if (code != o.expect) {
            errors += n;
        }
    }
    const double window = last_end_ns > first_start_ns
                              ? static_cast<double>(last_end_ns - first_start_ns) / 1e9
                              : seconds;
    std::cout.setf(std::ios::fixed);
    std::cout.precision(3);
    std::cout << "requests " << requests.size() << "\n"
              << "seconds " << window << "\n"
              << "rate " << static_cast<double>(latency.size()) / window << "\n"
              << "p50_ms " << ms(pct(50)) << "\n"
              << "p90_ms " << ms(pct(90)) << "\n"
              << "p99_ms " << ms(pct(99)) << "\n"
              << "max_ms " << ms(latency.empty() ? 0 : latency.back()) << "\n"
              << "mean_ms "
              << (latency.empty() ? 0.0 : ms(sum) / static_cast<double>(latency.size())) << "\n";
    for (const auto& [code, n] : statuses) {
        std::cout << "status " << code << " " << n << "\n";
    }
    std::cout << "transport_errors " << transport_errors << "\n"
              << "unanswered " << unanswered << "\n"
              << "errors " << errors << "\n"
              << "reconnects " << reconnects << "\n"
              << "start_ns " << first_start_ns.load() << "\n"
              << "end_ns " << last_end_ns.load() << "\n";
    if (!o.sample_file.empty()) {
        for (const auto& t : tallies) {
            if (!t.first_body.empty()) {
                std::ofstream(o.sample_file) << t.first_body;
                break;
            }
        }
    }
    return errors == 0 ? 0 : 1;
}
