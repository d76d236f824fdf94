// The one place that names Asio for the whole program, adapters and daemon alike: the `net` alias
// and the two completion tokens every async call must spell out, since Boost 1.81 has no default
// completion token (STYLE §0, §4).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rapport {

namespace net = boost::asio;

/// "Throw on error": `co_await op(..., use_throw)`; failures surface as
/// `boost::system::system_error`.
inline constexpr net::use_awaitable_t<> use_throw{};

/// "Give me the error_code": `auto [ec, n] = co_await op(..., use_tuple)`; for expected outcomes
/// (eof, timeout, operation_aborted) that are branched on at the call site.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

} // namespace rapport
