#include "daemon/rapportd/platforms.hpp"

#include "adapters/generic/sender.hpp"
#include "adapters/generic/wire.hpp"
#include "adapters/meta/sender.hpp"
#include "adapters/meta/wire.hpp"
#include "adapters/slack/sender.hpp"
#include "adapters/slack/wire.hpp"
#include "adapters/telegram/sender.hpp"
#include "adapters/telegram/wire.hpp"
#include "adapters/x/sender.hpp"
#include "adapters/x/wire.hpp"

#include <array>

namespace rapport::daemon {

namespace {

using reader_ptr = std::unique_ptr<adapters::webhook_reader>;

std::string api_base_url(const account& a) {
    return a.api_base_url.value_or(std::string(default_api_base_url(a.platform)));
}

// ---- generic (CONTRACT §5.3, §6, §9) ----

reader_ptr generic_reader(const account& a, const secret_values& s) {
    return std::make_unique<adapters::generic::hook_reader>(a.id, secret_or_empty(s, "secret"));
}

sender_or_reason generic_sender(const account& a,
                                const secret_values& s,
                                const adapters::https_client& client) {
    if (!a.reply_url) {
        return {nullptr, "account '" + a.id + "' has no reply_url"};
    }
    return {std::make_shared<adapters::generic::reply_poster>(client, *a.reply_url,
                                                              secret_or_empty(s, "secret")),
            {}};
}

// ---- telegram (PLATFORMS.md §6) ----

adapters::telegram::bot_identity telegram_bot(const account& a, const secret_values& s) {
    adapters::telegram::bot_identity bot;
    bot.username = a.bot_username.value_or("");
    bot.id = adapters::telegram::bot_id_from_token(secret_or_empty(s, "bot_token"));
    return bot;
}

reader_ptr telegram_reader(const account& a, const secret_values& s) {
    if (a.updates != "webhook") {
        return nullptr;
    }
    return std::make_unique<adapters::telegram::hook_reader>(
        a.id, secret_or_empty(s, "webhook_secret"), telegram_bot(a, s));
}

sender_or_reason telegram_sender(const account& a,
                                 const secret_values& s,
                                 const adapters::https_client& client) {
    return {std::make_shared<adapters::telegram::bot_api_sender>(client, api_base_url(a),
                                                                 secret_or_empty(s, "bot_token")),
            {}};
}

// ---- meta (PLATFORMS.md §5) ----

reader_ptr meta_reader(const account& a, const secret_values& s) {
    adapters::meta::own_ids own;
    own.page_id = a.page_id.value_or("");
    own.instagram_id = a.instagram_id.value_or("");
    return std::make_unique<adapters::meta::hook_reader>(
        a.id, secret_or_empty(s, "app_secret"), secret_or_empty(s, "verify_token"), std::move(own));
}

sender_or_reason meta_sender(const account& a,
                             const secret_values& s,
                             const adapters::https_client& client) {
    return {std::make_shared<adapters::meta::graph_sender>(client, api_base_url(a),
                                                           secret_or_empty(s, "access_token"),
                                                           secret_or_empty(s, "whatsapp_token")),
            {}};
}

// ---- slack (PLATFORMS.md §1b, §1c, §1e) ----

reader_ptr slack_reader(const account& a, const secret_values& s) {
    return std::make_unique<adapters::slack::hook_reader>(
        a.id, secret_or_empty(s, "signing_secret"), a.bot_user_id.value_or(""));
}

sender_or_reason slack_sender(const account& a,
                              const secret_values& s,
                              const adapters::https_client& client) {
    return {std::make_shared<adapters::slack::web_api_sender>(
                adapters::slack::web_api(client, api_base_url(a), secret_or_empty(s, "bot_token"))),
            {}};
}

// ---- x (PLATFORMS.md §7) ----

reader_ptr x_reader(const account& a, const secret_values& s) {
    return std::make_unique<adapters::x::hook_reader>(a.id, secret_or_empty(s, "consumer_secret"),
                                                      a.user_id.value_or(""));
}

sender_or_reason x_sender(const account& a,
                          const secret_values& s,
                          const adapters::https_client& client) {
    adapters::x::oauth1_credentials credentials;
    credentials.consumer_key = secret_or_empty(s, "consumer_key");
    credentials.consumer_secret = secret_or_empty(s, "consumer_secret");
    credentials.token = secret_or_empty(s, "access_token");
    credentials.token_secret = secret_or_empty(s, "access_token_secret");
    return {
        std::make_shared<adapters::x::api_sender>(client, api_base_url(a), std::move(credentials)),
        {}};
}

struct platform_adapter {
    std::string_view platform;
    reader_ptr (*reader)(const account&, const secret_values&);
    sender_or_reason (*sender)(const account&, const secret_values&, const adapters::https_client&);
};

constexpr std::array adapters_by_platform{
    platform_adapter{"generic", generic_reader, generic_sender},
    platform_adapter{"telegram", telegram_reader, telegram_sender},
    platform_adapter{"meta", meta_reader, meta_sender},
    platform_adapter{"slack", slack_reader, slack_sender},
    platform_adapter{"x", x_reader, x_sender},
};

const platform_adapter* adapter_for(std::string_view platform) {
    for (const auto& p : adapters_by_platform) {
        if (p.platform == platform) {
            return &p;
        }
    }
    return nullptr;
}

} // namespace

std::optional<telegram_poll_account> telegram_polling(const account& a,
                                                      const secret_values& secrets) {
    if (a.platform != "telegram" || a.updates != "polling") {
        return std::nullopt;
    }
    return telegram_poll_account{a.id, api_base_url(a), secret_or_empty(secrets, "bot_token"),
                                 telegram_bot(a, secrets)};
}

const std::string& secret_or_empty(const secret_values& secrets, std::string_view key) {
    static const std::string none;
    const auto found = secrets.find(key);
    return found == secrets.end() ? none : found->second;
}

std::unique_ptr<adapters::webhook_reader> make_webhook_reader(const account& a,
                                                              const secret_values& secrets) {
    const platform_adapter* p = adapter_for(a.platform);
    return p == nullptr ? nullptr : p->reader(a, secrets);
}

sender_or_reason make_reply_sender(const account& a,
                                   const secret_values& secrets,
                                   const adapters::https_client& client) {
    const platform_adapter* p = adapter_for(a.platform);
    if (p == nullptr) {
        return {nullptr, "sending to " + a.platform + " is not built yet"};
    }
    return p->sender(a, secrets, client);
}

} // namespace rapport::daemon
