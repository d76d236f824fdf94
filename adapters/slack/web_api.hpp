// Calling Slack's Web API (PLATFORMS.md §1e): a JSON POST to `{api_base_url}/{method}` with the
// bot token as a bearer token. Slack answers most failures in-band (HTTP 200 with
// `{"ok":false,"error":"..."}`) and rate limits with 429 + Retry-After, so one reading of the
// answer serves every method Rapport calls (chat.postMessage, chat.update, views.open, ...).
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::adapters::slack {

/// The fields of a Web API answer Rapport reads.
struct api_answer {
    bool ok = false;
    /// Slack's error code when not ok: "channel_not_found", "ratelimited", ...
    std::string error;
    /// chat.postMessage / chat.update: where the message is.
    std::optional<std::string> channel;
    std::optional<std::string> ts;
};

/// Reads an answer; nothing when the body is not a JSON object with a boolean `ok`.
[[nodiscard]] std::optional<api_answer> parse_api_answer(std::string_view body);

/// Sorts an answer into a delivery: ok → sent, sent_id "<channel>:<ts>" when given; 429 →
/// retry after Retry-After (default 30 s, as Slack's SDKs wait); 5xx, Slack's own transient
/// errors (internal_error, fatal_error, service_unavailable, request_timeout, ratelimited) and
/// no connection → retry; a request that may have arrived unanswered → unknown; any other
/// error → failed, naming Slack's error code.
[[nodiscard]] delivery classify(const https_result& result,
                                std::chrono::system_clock::time_point now);

class web_api {
public:
    /// `api_base_url` is https://slack.com/api or a stand-in; `bot_token` never reaches an
    /// error or log (https_client never names header values).
    web_api(https_client client, std::string api_base_url, std::string bot_token);

    /// POSTs `json_body` to `method` ("chat.postMessage").
    [[nodiscard]] net::awaitable<https_result> call(std::string_view method,
                                                    std::string json_body) const;

private:
    https_client client_;
    std::string base_url_;
    std::string bot_token_;
};

} // namespace rapport::adapters::slack
