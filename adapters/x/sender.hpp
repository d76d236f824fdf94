// X's way out (PLATFORMS.md §7b-7d): an approved draft becomes one X API v2 call, signed with
// OAuth 1.0a in the brand account's user context:
// - a public reply to a Post: `POST /2/tweets` `{"text", "reply":{"in_reply_to_tweet_id"}}`;
// - a reply to a DM, or any private reply: `POST /2/dm_conversations/with/{author}/messages`
//   `{"text"}`;
// - an insight question (it answers nothing): `POST /2/tweets` `{"text"}`, a new Post.
// JSON bodies are not part of the OAuth signature base string; the credentials never reach a
// log line or an error.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"
#include "adapters/x/oauth1.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace rapport::adapters::x {

/// One call: the path under the API base URL and the JSON body, or why there is none.
struct reply_target {
    /// "/2/tweets" or "/2/dm_conversations/with/<id>/messages".
    std::string path;
    std::string body;
    /// Non-empty when the reply cannot be sent (the draft fails with it).
    std::string error;
};

/// Works out the call for `reply` (see the file comment). Ids that go into a path or a reply
/// body must be X ids (digits); anything else is an error, not a request.
[[nodiscard]] reply_target target_of(const outgoing_reply& reply);

/// Sorts X's answer into a delivery: 2xx → sent, with sent_id `data.id` (a Post) or
/// `data.dm_event_id` (a DM); 429 → retry at `x-rate-limit-reset` (epoch seconds), else after
/// Retry-After; 5xx and no connection → retry (after Retry-After when given); a request that
/// may have arrived unanswered → unknown; other 4xx → failed with X's `detail`/`title`/
/// `errors[].message`.
[[nodiscard]] delivery classify(const https_result& result,
                                std::chrono::system_clock::time_point now);

class api_sender final : public reply_sender {
public:
    /// How each request gets its nonce and timestamp; by default a random nonce and the clock.
    using stamp_source = std::function<oauth1_stamp()>;

    /// `api_base_url` is https://api.x.com or a stand-in (tests, proxies).
    api_sender(https_client client,
               std::string api_base_url,
               oauth1_credentials credentials,
               stamp_source stamps = {});

    net::awaitable<delivery> send(const outgoing_reply& reply) override;

private:
    https_client client_;
    std::string base_url_;
    oauth1_credentials credentials_;
    stamp_source stamps_;
};

} // namespace rapport::adapters::x
