// Telegram's way out (PLATFORMS.md §6e): an approved draft becomes one sendMessage call to
// `{api_base_url}/bot<token>/sendMessage`, threaded to the message it answers with
// `reply_parameters`. The bot token is part of the URL path: https_client never names a path in
// its failure messages, and nothing here puts the token in an error.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"
#include "adapters/telegram/wire.hpp"

#include <chrono>
#include <string>

namespace rapport::adapters::telegram {

/// Where a reply goes: the sendMessage parameters, or why it cannot be sent at all.
struct reply_target {
    send_message message;
    /// The reply is private but its message came from a group: it goes to the author's private
    /// chat with the bot, which works only once they have started one.
    bool private_from_group = false;
    /// Non-empty when the reply cannot be sent (the draft fails with it).
    std::string error;
};

/// Works out the chat and the threading of `reply`: the chat of the message it answers
/// (its id is "<chat>:<message_id>"), replying to that message; for a private reply, the
/// author's private chat (threaded only when the message was already in it). An insight
/// question (no message) has no chat to go to; an empty text, or one over Telegram's 4096
/// UTF-16 code units, is not sent at all (the draft fails saying so).
[[nodiscard]] reply_target target_of(const outgoing_reply& reply);

/// Sorts the Bot API's answer into a delivery: `ok` → sent, with sent_id "<chat>:<message_id>";
/// 429 → retry after `parameters.retry_after` (else the Retry-After header); 5xx and no
/// connection → retry; a request that may have arrived unanswered → unknown; other refusals →
/// failed with the API's `description`. `target` is the request that was sent.
[[nodiscard]] delivery classify(const https_result& result,
                                const reply_target& target,
                                std::chrono::system_clock::time_point now);

class bot_api_sender final : public reply_sender {
public:
    /// `api_base_url` is https://api.telegram.org or a stand-in (tests, proxies);
    /// `bot_token` is never logged nor put in an error.
    bot_api_sender(https_client client, std::string api_base_url, std::string bot_token);

    /// One sendMessage; when Telegram answers that the group became a supergroup
    /// (`migrate_to_chat_id`), once more to the new chat.
    net::awaitable<delivery> send(const outgoing_reply& reply) override;

private:
    https_client client_;
    std::string url_;
    std::string bot_token_;
};

} // namespace rapport::adapters::telegram
