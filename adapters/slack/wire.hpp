// Slack's Events API over HTTP (PLATFORMS.md §1b, §1c): a signed request to the Request URL
// becomes a Message (CONTRACT §6), a url_verification answer, or an acknowledged and ignored
// event. Pure functions, no I/O.
//
// Mapping (decided here, documented in README "Slack"):
// - Every request is checked first: the v0 signature over the raw body, within five minutes
//   (url_verification too). Then only a JSON body is an event; a form body (an interactivity
//   payload sent to the events URL) or anything else is a 400.
// - `url_verification` → 200 with the challenge as text/plain.
// - `event_callback` with `event.type`:
//   - `app_mention` → `mention`.
//   - `message` with `channel_type: im` (a DM to the bot) → `direct`.
//   - `message` elsewhere (channel, group, mpim) that mentions the bot (`<@BOT>`) → `mention`:
//     Slack delivers a mention twice, as `app_mention` and as `message`, and both map to the
//     same message id, so the store keeps one.
//   - `message` in a thread whose parent is the bot's (`parent_user_id` is the bot) → `reply`.
//   - any other channel message → ignored, "not_addressed": the bot answers who addresses it,
//     not every message of every channel it sits in.
//   - ignored: the bot's own messages (`user` is the bot, "own_message"), other bots'
//     (`bot_id` or `subtype: bot_message`, "from_bot"), edits ("edited_message"), deletions
//     ("deleted_message"), other subtypes (channel_join, ...: "message_subtype"; `file_share`
//     and `thread_broadcast` are people's messages and are read; hidden ones, such as
//     message_replied, which Slack sends without its subtype, count here too), messages
//     without an author ("no_sender") or text ("no_text"), other event types
//     ("unsupported_event"), `app_rate_limited` ("app_rate_limited").
// - A message's id is "<channel>:<ts>" (ts is unique within a channel, and the same in a retry
//   and in both deliveries of a mention); thread_id is "<channel>:<thread_ts or ts>";
//   in_reply_to is "<channel>:<thread_ts>" for a message in a thread (other than its parent).
//   The author is `user` (Slack sends no names with events; `user_profile` is read when there).
// - Text: Slack's markup becomes plain text (see plain_text) so playbook conditions see what
//   people wrote: the bot's own mention is removed, `&amp;` `&lt;` `&gt;` decoded.
#pragma once

#include "adapters/common/webhook.hpp"
#include "rules/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rapport::adapters::slack {

/// The header Slack adds to a redelivery (1, 2, 3); nothing needs it beyond the store's dedupe.
inline constexpr std::string_view retry_num_header = "X-Slack-Retry-Num";

/// What became of one Events API body.
struct event_result {
    enum class outcome {
        /// A message for us, in `message`.
        message,
        /// url_verification: answer with `challenge`.
        challenge,
        /// Acknowledged and not stored; `reason` says why.
        ignored,
        /// Not an Events API body (bad JSON, a required field missing or of the wrong type).
        invalid,
    };
    outcome what = outcome::invalid;
    std::optional<rules::message> message;
    std::string challenge;
    /// ignored: a short stable name (metric label), see the mapping above. invalid: what is
    /// wrong, for the 400 answer.
    std::string reason;
    /// The envelope's event_id, when it has one.
    std::string event_id;
};

/// Parses the raw body of an Events API POST. `bot_user_id` is the bot's user id (empty: taken
/// from the envelope's `authorizations`, where Slack names the installation the event is for).
/// `platform` is set to "slack" and `account` to the given one.
[[nodiscard]] event_result parse_event(std::string_view body,
                                       std::string_view account,
                                       std::string_view bot_user_id);

/// Slack's message markup as plain text: `<@BOT>` removed (with the space after it);
/// `<@U123>` → "@U123", `<@U123|ana>` → "@ana"; `<#C123|general>` → "#general";
/// `<!here>` → "@here"; `<!subteam^S1|@team>` → "@team"; `<https://x|label>` → "label";
/// `<https://x>` → "https://x"; then `&lt;` `&gt;` `&amp;` decoded (Slack escapes exactly
/// those three in text); surrounding whitespace trimmed.
[[nodiscard]] std::string plain_text(std::string_view slack_text, std::string_view bot_user_id);

/// A message id of ours ("<channel>:<ts>") split into its parts; nothing when it does not
/// have that form.
struct channel_ts {
    std::string channel;
    std::string ts;
};
[[nodiscard]] std::optional<channel_ts> split_message_id(std::string_view id);

/// A Slack account's Events API webhooks (POST /hooks/{account}).
class hook_reader final : public webhook_reader {
public:
    hook_reader(std::string account, std::string signing_secret, std::string bot_user_id)
        : account_(std::move(account)),
          signing_secret_(std::move(signing_secret)),
          bot_user_id_(std::move(bot_user_id)) {}
    [[nodiscard]] webhook_result read(const webhook_request& request) const override;

private:
    std::string account_;
    std::string signing_secret_;
    std::string bot_user_id_;
};

} // namespace rapport::adapters::slack
