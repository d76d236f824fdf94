// What every fake here does the same way: read a secret from an environment variable named on
// the command line, route requests to its member functions, and serve on 127.0.0.1 until
// SIGTERM or SIGINT, telling the test the port it bound.
#pragma once

#include "daemon/http/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

namespace rapport::fakes {

/// The value of the environment variable `name`, empty when unset: secrets are passed by the
/// variable's name so that they never show in a process listing.
inline std::string env_value(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

/// `bind(&fake::handler)` gives a route handler that calls `self->handler`.
template <typename Fake>
auto member_routes(Fake* self) {
    using member =
        net::awaitable<http::http_response> (Fake::*)(http::http_request, http::route_params);
    return [self](member m) {
        return [self, m](http::http_request request, http::route_params params) {
            return (self->*m)(std::move(request), std::move(params));
        };
    };
}

/// Serves `routes` on 127.0.0.1:`port` (0: a free port), prints "listening port=N" on stderr
/// for the test to read, and runs `ioc` until SIGTERM or SIGINT. The exit code.
inline int serve(net::io_context& ioc, http::router routes, std::uint16_t port) {
    http::server_options options;
    options.port = port;
    options.stop_timeout = std::chrono::seconds(1);
    http::http_server server(ioc, std::move(routes), options);
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

} // namespace rapport::fakes
