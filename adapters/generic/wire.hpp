// The generic adapter's wire formats (CONTRACT §6, §9): signed JSON in, signed JSON out. It
// connects anything that can sign a request, such as a site's own chat.
#pragma once

#include "adapters/common/webhook.hpp"
#include "rules/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rapport::adapters::generic {

/// Parses a webhook body (a Message, CONTRACT §6). `platform` and `account` come from the
/// account's config, whatever the body says.
[[nodiscard]] rules::message_parse_result parse_webhook(std::string_view body,
                                                        std::string_view account);

/// A generic account's webhooks: the Rapport signature (CONTRACT §5.3), then one Message.
class hook_reader final : public webhook_reader {
public:
    hook_reader(std::string account, std::string secret)
        : account_(std::move(account)), secret_(std::move(secret)) {}
    [[nodiscard]] webhook_result read(const webhook_request& request) const override;

private:
    std::string account_;
    std::string secret_;
};

/// What Rapport POSTs to an account's reply_url once a draft is approved (CONTRACT §9).
struct reply {
    std::string draft_id;
    std::string account;
    /// The replied-to message's id and thread; both absent for an insight question.
    std::optional<std::string> in_reply_to;
    std::optional<std::string> thread_id;
    std::string text;
    bool is_private = false;
    /// reply, offer, thanks or insight_question.
    std::string kind;
};

/// The JSON body of a reply, keys in the contract's order.
[[nodiscard]] std::string reply_body(const reply& r);

/// The platform's id for a sent reply from a 2xx answer's body: `{"id": "..."}` gives it
/// (a number is taken as its decimal text); anything else, including an empty or non-JSON
/// body, gives nothing (the reply was still sent).
[[nodiscard]] std::optional<std::string> sent_id(std::string_view response_body);

} // namespace rapport::adapters::generic
