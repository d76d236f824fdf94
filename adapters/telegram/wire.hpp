// The Telegram Bot API's wire formats (PLATFORMS.md §6): an Update pushed to our webhook becomes
// a Message (CONTRACT §6), or is acknowledged and ignored; an approved reply becomes a
// sendMessage body; the API's answer is read back; in polling mode, a getUpdates body and
// its answer's Updates. Pure functions, no I/O.
//
// Mapping (decided here, documented in README "Telegram"):
// - `message` updates are read; `edited_message` is ignored (the original was already handled,
//   and a second draft for an edit would answer twice); `channel_post`/`edited_channel_post`
//   are ignored (posts by a channel the bot administers, usually the brand's own); every other
//   update type (callback_query, my_chat_member, message_reaction, ...) is ignored.
// - A message's id is "<chat.id>:<message_id>" (message_id is only unique within a chat);
//   thread_id is "<chat.id>", or "<chat.id>:<message_thread_id>" (the id of the thread's root
//   message, in the same form) when the message is in a thread or forum topic; in_reply_to is
//   "<chat.id>:<reply_to_message.message_id>". Redeliveries of an update carry the same
//   message, so the store's (account, id) uniqueness deduplicates them; update_id is not kept.
// - Private chat → `direct`. In a group or supergroup, a reply to one of the bot's messages →
//   `reply`; a message that mentions the bot (`@username`, a `text_mention` of the bot, or a
//   `/command@username`) → `mention`; anything else is not for us and is ignored.
// - Messages from bots (`from.is_bot`, which includes our own and the stand-ins Telegram uses
//   for anonymous admins and linked channels) are ignored: no reply loops.
#pragma once

#include "adapters/common/signature.hpp"
#include "adapters/common/webhook.hpp"
#include "rules/message.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::adapters::telegram {

/// Who the bot is, to recognise mentions of it and replies to it.
struct bot_identity {
    /// The bot's username, without '@' (compared ignoring ASCII case).
    std::string username;
    /// The bot's user id, when known (the part of its token before ':').
    std::optional<std::int64_t> id;
};

/// The header Telegram sends with every webhook POST once setWebhook was given a secret_token.
inline constexpr std::string_view secret_token_header = "X-Telegram-Bot-Api-Secret-Token";

/// Checks a webhook's secret-token header against the account's webhook secret, in constant
/// time: `missing` when the header is absent or empty, `mismatch` when it differs (or no secret
/// is configured), `none` when it matches. Telegram's scheme has no timestamp, so no window.
[[nodiscard]] signature_problem check_secret_token(std::string_view configured,
                                                   std::optional<std::string_view> header);

/// The bot's user id from its token ("123456789:AA..."): the digits before the first ':'.
[[nodiscard]] std::optional<std::int64_t> bot_id_from_token(std::string_view token);

/// What became of one Update.
struct update_result {
    enum class outcome {
        /// A message for us, in `message`.
        message,
        /// Acknowledged and not stored; `reason` says why.
        ignored,
        /// Not an Update (bad JSON, a required field missing or of the wrong type).
        invalid,
    };
    outcome what = outcome::invalid;
    std::optional<rules::message> message;
    /// ignored: a short stable name, usable as a metric label: "edited_message",
    /// "channel_post", "unsupported_update", "from_bot", "no_sender", "no_text",
    /// "not_addressed", "channel_chat". invalid: what is wrong, for the 400 answer.
    std::string reason;
    /// The Update's update_id, when it has one.
    std::optional<std::int64_t> update_id;
};

/// Parses the raw body of a webhook POST (one Update). `platform` is set to "telegram" and
/// `account` to the given one.
[[nodiscard]] update_result parse_update(std::string_view body,
                                         std::string_view account,
                                         const bot_identity& bot);

/// A Telegram account's webhooks: the secret-token header, then one Update.
class hook_reader final : public webhook_reader {
public:
    hook_reader(std::string account, std::string webhook_secret, bot_identity bot)
        : account_(std::move(account)),
          webhook_secret_(std::move(webhook_secret)),
          bot_(std::move(bot)) {}
    [[nodiscard]] webhook_result read(const webhook_request& request) const override;

private:
    std::string account_;
    std::string webhook_secret_;
    bot_identity bot_;
};

/// The `sendMessage` parameters Rapport uses.
struct send_message {
    /// A chat id: an integer (written as a JSON number), or `@channelusername` (a string).
    std::string chat_id;
    std::string text;
    /// `reply_parameters.message_id`: the message this one answers, in the same chat.
    std::optional<std::int64_t> reply_to_message_id;
    /// `reply_parameters.allow_sending_without_reply`.
    bool allow_sending_without_reply = false;
};

/// The JSON body of a sendMessage call.
[[nodiscard]] std::string send_message_body(const send_message& m);

/// A Bot API answer: `{"ok":true,"result":...}` or `{"ok":false,"error_code":N,
/// "description":"...","parameters":{"retry_after":S,"migrate_to_chat_id":ID}}`.
struct api_answer {
    bool ok = false;
    std::optional<std::int64_t> error_code;
    std::string description;
    std::optional<std::int64_t> retry_after;
    std::optional<std::int64_t> migrate_to_chat_id;
    /// For a sent Message: `result.message_id` and `result.chat.id`.
    std::optional<std::int64_t> message_id;
    std::optional<std::int64_t> chat_id;
};

/// Reads an answer; nothing when the body is not a JSON object with a boolean `ok`.
[[nodiscard]] std::optional<api_answer> parse_api_answer(std::string_view body);

// ---- long polling (PLATFORMS.md §6c) ----

/// The `getUpdates` parameters Rapport uses.
struct get_updates {
    /// The first update wanted: one past the highest update_id already stored. Asking for it
    /// confirms every update below it, which Telegram then forgets. Nothing: the oldest
    /// unconfirmed updates.
    std::optional<std::int64_t> offset;
    /// How long Telegram holds the request open while no update waits (long polling).
    std::chrono::seconds timeout{25};
    /// Updates per answer at most, 1-100.
    int limit = 100;
};

/// The JSON body of a getUpdates call. `allowed_updates` is always `["message"]`: the one
/// kind Rapport reads (the setting sticks on Telegram's side, so it is sent every time).
[[nodiscard]] std::string get_updates_body(const get_updates& g);

/// The JSON body of the deleteWebhook call a polling account makes at start (Telegram refuses
/// getUpdates while a webhook is set). Pending updates are kept: polling reads them.
inline constexpr std::string_view delete_webhook_body = R"({"drop_pending_updates":false})";

/// One Update of a getUpdates answer, as its own JSON text (what parse_update reads).
struct polled_update {
    /// Its update_id; nothing when it has none (parse_update then finds it invalid).
    std::optional<std::int64_t> update_id;
    std::string body;
};

/// How a getUpdates (or deleteWebhook) call went, from the HTTP status and body.
struct poll_answer {
    enum class outcome {
        /// `{"ok":true,"result":[...]}`: the updates, oldest first (maybe none).
        updates,
        /// 429: wait `retry_after` (Telegram's `parameters.retry_after`) before asking again.
        rate_limited,
        /// 401 or 404: the bot token is wrong or revoked.
        unauthorized,
        /// 409: a webhook is set, or another getUpdates of the same bot is running.
        conflict,
        /// Anything else (5xx, a body that is not a Bot API answer): try again later.
        failed,
    };
    outcome what = outcome::failed;
    std::vector<polled_update> updates;
    std::optional<std::chrono::seconds> retry_after;
    /// For the log: "Telegram answered 409: Conflict: ...". Never holds the token.
    std::string error;
    /// conflict: whether it is because a webhook is set (deleteWebhook cures that).
    bool webhook_is_set = false;
};

/// Sorts a getUpdates answer. `status` is the HTTP status, `body` the response body.
[[nodiscard]] poll_answer read_poll_answer(unsigned status, std::string_view body);

/// The offset that confirms `updates`: one past the highest update_id among them, never below
/// `current`; `current` when none has an id.
[[nodiscard]] std::optional<std::int64_t> next_offset(std::optional<std::int64_t> current,
                                                      const std::vector<polled_update>& updates);

/// A message id of ours ("<chat>:<message_id>") split into its parts; nothing when it does
/// not have that form (both integers).
struct chat_message {
    std::int64_t chat_id = 0;
    std::int64_t message_id = 0;
};
[[nodiscard]] std::optional<chat_message> split_message_id(std::string_view id);

/// The text of `utf8` between UTF-16 code unit `offset` and `offset + length` (Telegram's
/// entity offsets count UTF-16 code units); nothing when the range is outside the text or cuts
/// a character in two. Bytes that are not valid UTF-8 count as one unit each.
[[nodiscard]] std::optional<std::string_view> utf16_slice(std::string_view utf8,
                                                          std::size_t offset,
                                                          std::size_t length);

} // namespace rapport::adapters::telegram
