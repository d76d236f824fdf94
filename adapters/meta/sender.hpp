// Meta's way out (PLATFORMS.md §5d-§5f): an approved draft becomes one Graph API call, chosen by
// where the answered message lives (its id says, see wire.hpp):
//   Messenger DM              POST /{page id}/messages          Send API, RESPONSE
//   Instagram DM              POST /me/messages                 the same, through the Page
//   WhatsApp                  POST /{phone_number_id}/messages  text, threaded by context
//   Facebook comment, public  POST /{comment id}/comments       (the thread's top comment)
//   Facebook post mention     POST /{post id}/comments
//   Instagram comment, public POST /{comment id}/replies        (the thread's top comment)
//   a comment, private        POST /{page id}/messages (Facebook) or /me/messages
//                             (Instagram) with recipient.comment_id
// Instagram messages go through the Messenger Platform with the Page access token, to
// /me/messages (the Page the Instagram account is linked to), as Meta documents it.
// The token goes in `Authorization: Bearer`, never in the URL: the WhatsApp token for WhatsApp
// (the access token when none is set), the Page access token for the rest.
//
// Meta's windows are checked before sending, from the answered message's created_at: a
// message-type reply (DM, WhatsApp) only within 24 hours, a private reply to a comment only
// within 7 days. A closed window fails the draft with an explanation instead of a call Meta
// would refuse; Meta's own refusals for a closed window get the same explanation.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"
#include "adapters/meta/wire.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace rapport::adapters::meta {

/// How long after the customer's message Meta accepts a free-form reply.
inline constexpr std::chrono::hours messaging_window{24};
/// How long after a comment Meta accepts a private reply to it.
inline constexpr std::chrono::hours private_reply_window{7 * 24};

/// One Graph API call, or why there is none.
struct graph_call {
    /// The path after the API base URL: "/{id}/messages", "/{id}/comments", ...
    std::string path;
    /// The JSON body.
    std::string body;
    /// Sent with the WhatsApp token rather than the Page access token.
    bool whatsapp = false;
    /// How the created item's id is written as ours (sent_id): its surface and owner.
    meta::surface sent_surface = surface::messenger;
    std::string owner;
    /// Non-empty when the reply cannot be sent (the draft fails with it).
    std::string error;
};

/// Works out the call for `reply` at `now`, including the window checks.
[[nodiscard]] graph_call plan_reply(const outgoing_reply& reply,
                                    std::chrono::system_clock::time_point now);

/// Sorts the Graph API's answer into a delivery: 2xx → sent, with sent_id in our id form;
/// throttling (HTTP 429, codes 4, 17, 32, 613, 80000-80099, WhatsApp 130429, 131056) → retry
/// after Retry-After, else X-Business-Use-Case-Usage's estimated_time_to_regain_access; 5xx,
/// codes 1 and 2, `is_transient` and no connection → retry; a request that may have arrived
/// unanswered → unknown; a closed window (code 10 / subcode 2018278, WhatsApp 131047) → failed
/// with the window's explanation; other refusals → failed with Meta's `error.message`.
[[nodiscard]] delivery classify(const https_result& result,
                                const graph_call& call,
                                std::chrono::system_clock::time_point now);

class graph_sender final : public reply_sender {
public:
    using clock_function = std::function<std::chrono::system_clock::time_point()>;

    /// `api_base_url` is https://graph.facebook.com/v21.0 or a stand-in (tests, proxies).
    /// `whatsapp_token` empty: `access_token` serves WhatsApp too. Tokens are never logged nor
    /// put in an error. `clock` says when "now" is for the window checks.
    graph_sender(
        https_client client,
        std::string api_base_url,
        std::string access_token,
        std::string whatsapp_token,
        clock_function clock = [] { return std::chrono::system_clock::now(); });

    net::awaitable<delivery> send(const outgoing_reply& reply) override;

private:
    https_client client_;
    std::string base_url_;
    std::string access_token_;
    std::string whatsapp_token_;
    clock_function clock_;
};

} // namespace rapport::adapters::meta
