// A minimal blocking HTTP/1.1 client for tests: one request per connection, to loopback.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rapport::testing {

struct http_reply {
    int status = 0; // 0: no answer
    std::string body;
};

/// Sends one request to 127.0.0.1:`port` with `Connection: close` and reads the whole answer.
http_reply http_call(std::uint16_t port,
                     const std::string& method,
                     const std::string& target,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

} // namespace rapport::testing
