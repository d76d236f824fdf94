// X's webhook wire formats (PLATFORMS.md §7): the CRC challenge, the signature of every
// delivery, and the events a brand account's webhook receives, from both products that deliver
// them: the Account Activity API (AAA: `{"for_user_id", "tweet_create_events": [...], ...}`) and
// the X Activity API (XAA: `{"data": {"event_type", "filter", "payload", "includes"}}`). Also
// the JSON bodies of the calls that send replies, and X's answers to them. Pure functions.
//
// Mapping (decided here, documented in README "X"):
// - AAA `tweet_create_events` and XAA `post.mention.create`: a Post that replies to the brand
//   (`in_reply_to_user_id(_str)` is the account's user_id) → `reply`; one that mentions it
//   (entities) or quotes one of its Posts → `mention`; the brand's own Posts (our replies echo
//   back), retweets, Posts by users the brand has blocked and Posts that do neither are
//   ignored. The text is `extended_tweet.full_text` when AAA truncated it (`note_tweet.text`
//   in XAA).
// - AAA `direct_message_events` and XAA `dm.received`: a `message_create` sent to the brand
//   → `direct`; one the brand sent (`sender_id` is the user_id: our own replies, or XAA
//   `dm.sent`) is an echo and ignored. Names come from the delivery's `users` map.
// - Ids are the Post's `id_str` (XAA `id`) and the DM event's `id`: X's own, the same on every
//   redelivery and replay, so the store's (account, id) uniqueness deduplicates. thread_id is
//   the conversation (XAA `conversation_id`; for AAA only known for a Post that starts one,
//   where it is the Post's own id); in_reply_to is the Post it replies to.
// - Every other event (likes, follows, blocks, mutes, typing, read receipts, deletes, revokes,
//   replay status, other XAA event types) is acknowledged and counted as ignored, by name.
// - A delivery for another user (`for_user_id`, XAA `filter.user_id`, not the account's
//   user_id) is acknowledged and ignored as "other_user": one X webhook can carry several
//   subscribed users, and this account answers for its own only. A tweet or DM delivery with
//   no `for_user_id` is invalid (400).
#pragma once

#include "adapters/common/signature.hpp"
#include "adapters/common/webhook.hpp"
#include "rules/message.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::adapters::x {

/// The header X signs every webhook POST with.
inline constexpr std::string_view signature_header = "x-twitter-webhooks-signature";

/// `sha256=` + base64(HMAC-SHA256(consumer_secret, data)): the CRC response token of a
/// crc_token, and the signature of a webhook body.
[[nodiscard]] std::string webhook_signature(std::string_view consumer_secret,
                                            std::string_view data);

/// Whether `crc_token` is one Rapport answers: 1-512 characters of `A-Z a-z 0-9 - _ . ~ + / = :`
/// and space. The CRC answer is an HMAC of the token under the same key as the webhook
/// signatures, so answering an arbitrary token would sign any body a caller chose; a webhook
/// body is a JSON object (it starts with '{'), which this set excludes.
[[nodiscard]] bool is_acceptable_crc_token(std::string_view crc_token);

/// The JSON answer to a CRC: `{"response_token":"sha256=<b64>"}`.
[[nodiscard]] std::string crc_response_body(std::string_view consumer_secret,
                                            std::string_view crc_token);

/// Checks `x-twitter-webhooks-signature` against the raw body, in constant time: `missing`
/// when absent or empty, `malformed` without the `sha256=` prefix, `mismatch` when it differs
/// (or no secret is configured), `none` when it matches. X's scheme has no timestamp, so no
/// replay window: redeliveries are caught by the ids.
[[nodiscard]] signature_problem check_webhook_signature(std::string_view consumer_secret,
                                                        std::optional<std::string_view> header,
                                                        std::string_view body);

/// What one webhook delivery carried.
struct activity_result {
    /// Not a delivery of X's (bad JSON, a required field missing or of the wrong type): what is
    /// wrong, for the 400 answer. Empty when the delivery was read.
    std::string error;
    /// The messages for the account, in delivery order.
    std::vector<rules::message> messages;
    /// One short stable name per event acknowledged and not stored (metric label): "own_post",
    /// "retweet", "blocked_user", "not_addressed", "echo", "no_text", "other_user",
    /// "favorite_events", "follow_events", ..., "unsupported_event".
    std::vector<std::string> ignored;
};

/// Parses the raw body of a webhook POST, AAA or XAA. `user_id` is the brand account's
/// numeric id; messages get `platform` "x" and the given `account`.
[[nodiscard]] activity_result parse_activity(std::string_view body,
                                             std::string_view account,
                                             std::string_view user_id);

/// An X account's webhook: GET answers the CRC, POST is signed and carries events.
class hook_reader final : public webhook_reader {
public:
    hook_reader(std::string account, std::string consumer_secret, std::string user_id)
        : account_(std::move(account)),
          consumer_secret_(std::move(consumer_secret)),
          user_id_(std::move(user_id)) {}
    [[nodiscard]] webhook_result read(const webhook_request& request) const override;

private:
    std::string account_;
    std::string consumer_secret_;
    std::string user_id_;
};

/// The JSON body of `POST /2/tweets`: `{"text":...}`, with
/// `"reply":{"in_reply_to_tweet_id":...}` when it answers a Post.
[[nodiscard]] std::string create_post_body(std::string_view text,
                                           std::optional<std::string_view> in_reply_to_tweet_id);

/// The JSON body of `POST /2/dm_conversations/with/{participant_id}/messages`: `{"text":...}`.
[[nodiscard]] std::string direct_message_body(std::string_view text);

/// What X answered a create call with: the new object's id on success (`data.id` of a Post,
/// `data.dm_event_id` of a DM), or the problem (`detail`, else `title`, and the first
/// `errors[].message` when it says more).
struct api_answer {
    std::optional<std::string> id;
    std::string problem;
};

/// Reads an answer; nothing when the body is not a JSON object.
[[nodiscard]] std::optional<api_answer> parse_api_answer(std::string_view body);

/// Whether `id` is an X id as paths and reply bodies take it: 1-20 decimal digits.
[[nodiscard]] bool is_numeric_id(std::string_view id);

} // namespace rapport::adapters::x
