// The generic adapter's way out (CONTRACT §9): an approved draft is POSTed to the account's
// reply_url as signed JSON with `Idempotency-Key: <draft id>`.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"

#include <chrono>
#include <string>

namespace rapport::adapters::generic {

/// Sorts the receiver's answer (or the lack of one) into a delivery: 2xx sent (a JSON
/// `{"id"}` is the platform id); 429 and 5xx retry, with their Retry-After; other statuses
/// fail; no connection retries; a request that may have arrived but got no answer is unknown.
[[nodiscard]] delivery classify(const https_result& result,
                                std::chrono::system_clock::time_point now);

class reply_poster final : public reply_sender {
public:
    /// `secret` signs each reply (the account's HMAC key, never logged).
    reply_poster(https_client client, std::string reply_url, std::string secret);

    net::awaitable<delivery> send(const outgoing_reply& reply) override;

private:
    https_client client_;
    std::string reply_url_;
    std::string secret_;
};

} // namespace rapport::adapters::generic
