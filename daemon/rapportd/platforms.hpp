// The one place that knows which adapter serves which platform: it builds each account's
// webhook reader and reply sender (and, for Telegram in polling mode, its poller's settings)
// from the account's config and resolved secrets. A new
// platform is an adapter folder plus its two builders and one line in the table
// (platforms.cpp).
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"
#include "adapters/common/webhook.hpp"
#include "daemon/config/config.hpp"
#include "daemon/rapportd/telegram_poller.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace rapport::daemon {

/// An account's secrets, resolved: value by config key ("secret", "bot_token", ...). Only the
/// keys the account names are present.
using secret_values = std::map<std::string, std::string, std::less<>>;

/// The reader of `a`'s webhooks; nothing when its platform takes no webhooks (or not in its
/// configured mode, e.g. Telegram polling). `/hooks/{id}` answers 404 for such accounts.
[[nodiscard]] std::unique_ptr<adapters::webhook_reader> make_webhook_reader(
    const account& a, const secret_values& secrets);

/// How `a`'s approved drafts are sent, or why they cannot be (`cannot_send_because`).
struct sender_or_reason {
    std::shared_ptr<adapters::reply_sender> sender;
    std::string cannot_send_because;
};
[[nodiscard]] sender_or_reason make_reply_sender(const account& a,
                                                 const secret_values& secrets,
                                                 const adapters::https_client& client);

/// What a getUpdates poller needs for `a`: set for a Telegram account with `updates: polling`
/// (which has no webhook reader), nothing for every other account.
[[nodiscard]] std::optional<telegram_poll_account> telegram_polling(const account& a,
                                                                    const secret_values& secrets);

/// The secret named by `key`, or "" when the account has none (config validation makes the
/// required ones present).
[[nodiscard]] const std::string& secret_or_empty(const secret_values& secrets,
                                                 std::string_view key);

} // namespace rapport::daemon
