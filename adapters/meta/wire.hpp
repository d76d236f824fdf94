// Meta's webhook and Graph API wire formats (PLATFORMS.md §5): one app's notifications for a
// Facebook Page (Messenger, Page comments and mentions), an Instagram professional account
// (DMs, comments) and a WhatsApp Business number become Messages (CONTRACT §6), or are
// acknowledged and ignored; approved replies become Graph API request bodies; the Graph API's
// answers are read back. Pure functions, no I/O.
//
// Mapping (decided here, documented in README "Meta (Messenger, Instagram, WhatsApp)"):
// - A message id says where the item lives and what a reply needs, as
//   "<surface>:<owner>:<item>": the owner is the Page id, the Instagram account id or the
//   WhatsApp phone_number_id that received it (what the reply goes out from), the item is
//   Meta's own id, which may itself contain ':' (Messenger mids do). Surfaces:
//     messenger:<page id>:<mid>                 a Messenger message        → direct
//     instagram:<instagram id>:<mid>            an Instagram DM            → direct
//     whatsapp:<phone_number_id>:<wamid>        a WhatsApp message         → direct
//     facebook-comment:<page id>:<comment_id>   a comment on a Page post   → comment
//                                               (or → mention, from the Page `mention` field)
//     facebook-post:<page id>:<post_id>         a post that mentions the Page → mention
//     instagram-comment:<instagram id>:<id>     a comment on the account's media → comment
//   Meta's ids are stable across redeliveries, so the store's (account, id) uniqueness
//   deduplicates them; Meta's signature has no timestamp, so this is also what makes a
//   replayed notification harmless (its messages are duplicates, stored once).
// - thread_id is the conversation: "<surface>:<owner>:<sender>" for DMs (PSID, IGSID or
//   wa_id), "facebook-post:<page id>:<post_id>" and "instagram-media:<instagram id>:<media
//   id>" for comments. in_reply_to is the replied message (Messenger/Instagram `reply_to.mid`,
//   WhatsApp `context.id`) or, for a comment in a comment thread, the parent comment, all in
//   the id form above. author.id is Meta's id of the person (PSID, IGSID, wa_id, or the
//   commenter's id); author.name comes from WhatsApp `contacts[].profile.name` and Facebook
//   comments' `from.name`, author.handle from Instagram comments' `from.username` (Messenger
//   and Instagram DMs carry no name: that would take a profile lookup).
// - A comment that answers another comment stays a `comment` (CONTRACT §6's `reply` is an
//   answer to us, and a notification does not say who wrote the parent).
// - Ignored (acknowledged, counted by reason): echoes of our own sends and anything written by
//   the Page or the Instagram account itself ("echo"), delivery and read receipts ("delivery",
//   "read"), reactions and likes ("reaction"), WhatsApp `statuses` ("status"), postbacks
//   ("postback"), edits ("edited"), removed or hidden comments ("not_added"), messages or
//   comments without text ("no_text"), WhatsApp group messages ("group_message"), handover
//   `standby` items ("standby"), Instagram mentions, which carry only ids
//   ("mention_without_text"), feed items other than comments ("unsupported_item"), other
//   fields, events and objects ("unsupported_field", "unsupported_event",
//   "unsupported_object"), comments whose author Meta withholds ("no_author"), and items
//   lacking the ids a message needs ("malformed"): the batch is authentic, so one unreadable
//   item does not hold back the others.
#pragma once

#include "adapters/common/signature.hpp"
#include "adapters/common/webhook.hpp"
#include "rules/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::adapters::meta {

/// The header Meta signs every notification POST with: `sha256=<hex HMAC-SHA256(app secret,
/// raw body)>`.
inline constexpr std::string_view signature_header = "X-Hub-Signature-256";

/// Checks a notification's X-Hub-Signature-256 against its raw body, in constant time:
/// `missing` when absent or empty, `malformed` when not `sha256=` + 64 hex digits (either
/// case), `mismatch` when it differs (or no app secret is configured), `none` when it matches.
/// There is no timestamp in Meta's scheme, hence no replay window.
[[nodiscard]] signature_problem check_signature(std::string_view app_secret,
                                                std::optional<std::string_view> header,
                                                std::string_view body);

/// The header value Meta would send for `body`: `sha256=` + lowercase hex (fakes, tests).
[[nodiscard]] std::string sign(std::string_view app_secret, std::string_view body);

/// Checks the `hub.verify_token` of a verification GET against the configured one, in
/// constant time (also in the length of the secret): `missing`, `mismatch` or `none`.
[[nodiscard]] signature_problem check_verify_token(std::string_view configured,
                                                   std::optional<std::string_view> presented);

/// The account's own ids: what they write is an echo, never answered. The `entry.id` of a
/// notification (the Page or Instagram account it is for) counts as one as well.
struct own_ids {
    std::string page_id;
    std::string instagram_id;
};

/// What one notification POST carried.
struct notification {
    /// The messages in it, in order.
    std::vector<rules::message> messages;
    /// One short stable name per part acknowledged and not stored (see the header comment).
    std::vector<std::string> ignored;
    /// Non-empty when the body is not a notification at all (bad JSON, no `object`, `entry`
    /// not an array): what is wrong, for the 400 answer.
    std::string invalid;
};

/// Parses the raw body of a notification POST: every entry and every item in it. `platform`
/// is set to "meta" and `account` to the given one.
[[nodiscard]] notification parse_notification(std::string_view body,
                                              std::string_view account,
                                              const own_ids& own);

/// A Meta account's webhooks: the GET verification handshake (`hub.mode=subscribe`,
/// `hub.verify_token` → 200 text/plain with `hub.challenge`; a wrong or missing token → 403),
/// and signed notification POSTs.
class hook_reader final : public webhook_reader {
public:
    hook_reader(std::string account, std::string app_secret, std::string verify_token, own_ids own)
        : account_(std::move(account)),
          app_secret_(std::move(app_secret)),
          verify_token_(std::move(verify_token)),
          own_(std::move(own)) {}
    [[nodiscard]] webhook_result read(const webhook_request& request) const override;

private:
    std::string account_;
    std::string app_secret_;
    std::string verify_token_;
    own_ids own_;
};

/// Where an item lives (the first part of our message ids).
enum class surface {
    messenger,
    instagram,
    whatsapp,
    facebook_comment,
    facebook_post,
    instagram_comment,
};

/// "messenger", "instagram", "whatsapp", "facebook-comment", "facebook-post",
/// "instagram-comment".
[[nodiscard]] std::string_view to_string(surface s);

/// One of our ids taken apart.
struct item_ref {
    meta::surface surface = surface::messenger;
    /// Page id, Instagram account id or WhatsApp phone_number_id.
    std::string owner;
    /// Meta's id of the item.
    std::string item;
};

/// Whether `id` is made only of what Graph ids are made of (digits, ASCII letters, '_', '.',
/// '-'), non-empty: what may name an owner in our ids and a node in a Graph API path.
[[nodiscard]] bool is_graph_id(std::string_view id);

/// "<surface>:<owner>:<item>".
[[nodiscard]] std::string make_id(surface s, std::string_view owner, std::string_view item);

/// Splits one of our ids; nothing when it does not have the form (unknown surface, an owner
/// that is not a Graph id, an empty item).
[[nodiscard]] std::optional<item_ref> split_id(std::string_view id);

/// A Send API body (Messenger and Instagram): `{"recipient":{"id":...},"messaging_type":
/// "RESPONSE","message":{"text":...}}`, or for a private reply to a comment
/// `{"recipient":{"comment_id":...},"message":{"text":...}}`.
[[nodiscard]] std::string send_api_body(std::string_view recipient_id, std::string_view text);
[[nodiscard]] std::string private_reply_body(std::string_view comment_id, std::string_view text);

/// A WhatsApp Cloud API text message body, threaded to `context_message_id` when given.
[[nodiscard]] std::string whatsapp_text_body(std::string_view to,
                                             std::string_view text,
                                             std::optional<std::string_view> context_message_id);

/// A comment or comment reply body: `{"message":...}`.
[[nodiscard]] std::string comment_body(std::string_view text);

/// The `error` object of a Graph API refusal.
struct graph_error {
    std::optional<std::int64_t> code;
    std::optional<std::int64_t> subcode;
    std::string message;
    std::string type;
    /// `is_transient`: Meta says a retry may work.
    bool is_transient = false;
};

/// A Graph API answer: an error, or the id of what was created (`message_id` of the Send API,
/// `id` of a comment, `messages[0].id` of WhatsApp).
struct graph_answer {
    std::optional<graph_error> error;
    std::optional<std::string> created_id;
};

/// Reads an answer; nothing when the body is not a JSON object.
[[nodiscard]] std::optional<graph_answer> parse_graph_answer(std::string_view body);

/// The longest `estimated_time_to_regain_access` (minutes) in an X-Business-Use-Case-Usage
/// header (`{"<id>":[{"type":...,"estimated_time_to_regain_access":N,...}]}`); nothing when
/// the header is not that JSON or names no wait above zero.
[[nodiscard]] std::optional<std::int64_t> regain_access_minutes(std::string_view header);

} // namespace rapport::adapters::meta
