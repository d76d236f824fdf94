// The bridge from the store's completion callbacks (run on its writer thread) to coroutines.
#pragma once

#include "adapters/common/net.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <utility>

namespace rapport::daemon {

/// Runs `start(done)`, a store operation that calls `done(result)` on the store's writer
/// thread, and resumes the awaiting coroutine on its own executor with the result.
template <typename Result, typename Start, typename CompletionToken>
auto async_store(Start start, CompletionToken&& token) {
    return net::async_initiate<CompletionToken, void(Result)>(
        [](auto handler, Start s) {
            auto executor = net::get_associated_executor(handler);
            // The store takes a std::function, which must be copyable; the handler is not.
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            s([shared, executor](Result result) {
                net::post(executor, [shared, result = std::move(result)]() mutable {
                    (*shared)(std::move(result));
                });
            });
        },
        token, std::move(start));
}

} // namespace rapport::daemon
