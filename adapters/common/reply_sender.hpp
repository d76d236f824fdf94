// What every adapter offers the dispatcher: send one approved reply, say how it went. The
// dispatcher owns the draft's states, retries and rate limits; an adapter only speaks its
// platform's protocol and sorts the platform's answer into one of four outcomes.
#pragma once

#include "adapters/common/net.hpp"
#include "rules/message.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace rapport::adapters {

/// An approved draft as an adapter sees it.
struct outgoing_reply {
    std::string draft_id;
    /// The account it goes out from (the adapter was built for it).
    std::string account;
    /// reply, offer, thanks or insight_question.
    std::string kind;
    std::string text;
    bool is_private = false;
    /// The message it answers; absent for an insight question, which starts a conversation.
    std::optional<rules::message> in_reply_to;
};

/// How one attempt went.
struct delivery {
    enum class outcome {
        /// The platform took it.
        sent,
        /// It was not delivered and may be tried again (429, 5xx, no connection).
        retry,
        /// The platform refused it for good (other 4xx); retrying would not help.
        failed,
        /// The request may have reached the platform but no answer came back: delivered or
        /// not, nobody knows.
        unknown,
    };
    outcome what = outcome::failed;
    /// The platform's id of the sent reply, when it gave one.
    std::optional<std::string> sent_id;
    /// What went wrong, for the draft's `last_error`: short, no secrets.
    std::string error;
    /// The platform asked to wait this long before the next attempt.
    std::optional<std::chrono::seconds> retry_after;
};

class reply_sender {
public:
    virtual ~reply_sender() = default;
    /// Sends `reply` once. Never throws: every failure is a delivery.
    virtual net::awaitable<delivery> send(const outgoing_reply& reply) = 0;
};

} // namespace rapport::adapters
