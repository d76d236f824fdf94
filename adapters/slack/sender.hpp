// Slack's way out (PLATFORMS.md §1e): an approved draft becomes one chat.postMessage with the
// bot token, in the thread of the message it answers; a private reply first opens a DM with
// the author (conversations.open). Slack's answers are read by web_api's classify().
#pragma once

#include "adapters/common/reply_sender.hpp"
#include "adapters/slack/web_api.hpp"

#include <optional>
#include <string>

namespace rapport::adapters::slack {

/// Where a reply goes, or why it cannot be sent at all.
struct reply_target {
    /// The channel to post in; empty when `dm_with` must be opened first.
    std::string channel;
    /// The ts of the thread to post in, if any.
    std::optional<std::string> thread_ts;
    /// A private reply from a channel: the user whose DM with the bot is opened first.
    std::optional<std::string> dm_with;
    /// Non-empty when the reply cannot be sent (the draft fails with it).
    std::string error;
};

/// Works out where `reply` goes. A public reply: the channel of the message it answers
/// (its id is "<channel>:<ts>"), in its thread (thread_id "<channel>:<thread_ts>") or, for a
/// message not in a thread, a new thread under it; in a DM, only when the message was already
/// in a thread (a DM reads as a conversation). A private reply: the author's DM with the bot,
/// unthreaded (the very DM when the message came from it). An insight question (no message)
/// has no channel to go to.
[[nodiscard]] reply_target target_of(const outgoing_reply& reply);

/// The chat.postMessage body: channel, text, thread_ts when threaded.
[[nodiscard]] std::string post_message_body(const reply_target& target, std::string_view text);

/// The channel id in a conversations.open answer (`channel.id`); nothing when absent.
[[nodiscard]] std::optional<std::string> opened_channel(std::string_view answer_body);

class web_api_sender final : public reply_sender {
public:
    explicit web_api_sender(web_api api) : api_(std::move(api)) {}

    /// conversations.open when the reply is private and not yet in a DM, then chat.postMessage.
    /// sent_id is "<channel>:<ts>" of the posted message.
    net::awaitable<delivery> send(const outgoing_reply& reply) override;

private:
    web_api api_;
};

} // namespace rapport::adapters::slack
