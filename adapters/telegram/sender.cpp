#include "adapters/telegram/sender.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/common/retry_after.hpp"
#include "adapters/common/undelivered.hpp"
#include "rules/playbook.hpp"
#include "rules/text.hpp"

namespace rapport::adapters::telegram {

reply_target target_of(const outgoing_reply& reply) {
    reply_target t;
    t.message.text = reply.text;
    // Telegram would refuse these with a 400; saying why here names the limit and the length.
    // The text goes without parse_mode, so what Telegram counts is the text itself.
    if (reply.text.empty()) {
        t.error = "the text is empty: Telegram sends no empty message";
        return t;
    }
    if (const std::size_t units = rules::count_utf16_units(reply.text);
        units > rules::telegram_max_text_length) {
        t.error = "the text is " + std::to_string(units) +
                  " UTF-16 code units, over Telegram's limit of " +
                  std::to_string(rules::telegram_max_text_length) +
                  ": shorten it and approve again";
        return t;
    }
    if (!reply.in_reply_to) {
        t.error =
            "a Telegram bot can only answer a message: an insight question has no chat "
            "to go to";
        return t;
    }
    const rules::message& m = *reply.in_reply_to;
    const auto where = split_message_id(m.id);
    if (!where) {
        t.error = "message id '" + m.id + "' is not a Telegram \"<chat>:<message>\" id";
        return t;
    }
    if (reply.is_private) {
        // A private chat's id is the user's id.
        t.message.chat_id = m.author.id;
        if (m.author.id == std::to_string(where->chat_id)) {
            t.message.reply_to_message_id = where->message_id;
        } else {
            t.private_from_group = true;
        }
        return t;
    }
    t.message.chat_id = std::to_string(where->chat_id);
    t.message.reply_to_message_id = where->message_id;
    return t;
}

delivery classify(const https_result& result,
                  const reply_target& target,
                  std::chrono::system_clock::time_point now) {
    if (!result) {
        return undelivered(result.error());
    }
    delivery d;
    const https_response& r = *result;
    const auto answer = parse_api_answer(r.body);
    if (r.status >= 200 && r.status < 300 && (!answer || answer->ok)) {
        d.what = delivery::outcome::sent;
        if (answer && answer->message_id) {
            const std::string chat =
                answer->chat_id ? std::to_string(*answer->chat_id) : target.message.chat_id;
            d.sent_id = chat + ":" + std::to_string(*answer->message_id);
        }
        return d;
    }
    // Telegram answers with the HTTP status equal to error_code; trust the body when both
    // are there.
    const std::int64_t code =
        answer && answer->error_code ? *answer->error_code : static_cast<std::int64_t>(r.status);
    std::string error = "Telegram answered " + std::to_string(code);
    if (answer && !answer->description.empty()) {
        error += ": " + excerpt(answer->description);
    }
    if (code == 429 || code >= 500) {
        d.what = delivery::outcome::retry;
        d.error = std::move(error);
        if (answer && answer->retry_after && *answer->retry_after >= 0) {
            d.retry_after = std::chrono::seconds{*answer->retry_after};
        } else if (const auto after = r.headers.get("Retry-After")) {
            d.retry_after = parse_retry_after(*after, now);
        }
        return d;
    }
    d.what = delivery::outcome::failed;
    if (code == 403 && target.private_from_group) {
        error +=
            " (a private reply reaches a group member only after they have started a "
            "chat with the bot)";
    } else if (code == 401 || (code == 404 && (!answer || answer->description == "Not Found"))) {
        error += " (check the account's bot_token)";
    }
    d.error = std::move(error);
    return d;
}

bot_api_sender::bot_api_sender(https_client client, std::string api_base_url, std::string bot_token)
    : client_(std::move(client)), bot_token_(std::move(bot_token)) {
    while (!api_base_url.empty() && api_base_url.back() == '/') {
        api_base_url.pop_back();
    }
    url_ = api_base_url + "/bot" + bot_token_ + "/sendMessage";
}

net::awaitable<delivery> bot_api_sender::send(const outgoing_reply& reply) {
    reply_target target = target_of(reply);
    if (!target.error.empty()) {
        delivery d;
        d.what = delivery::outcome::failed;
        d.error = std::move(target.error);
        co_return d;
    }
    delivery d;
    // At most two rounds: the second only after a group → supergroup migration.
    for (int round = 0; round < 2; ++round) {
        https_request request;
        request.method = "POST";
        request.url = url_;
        request.body = send_message_body(target.message);
        request.headers.add("Content-Type", "application/json");
        const https_result result = co_await client_.send(std::move(request));
        d = classify(result, target, std::chrono::system_clock::now());
        std::optional<std::int64_t> migrate_to;
        if (result && d.what == delivery::outcome::failed) {
            if (const auto answer = parse_api_answer(result->body)) {
                migrate_to = answer->migrate_to_chat_id;
            }
        }
        if (!migrate_to || round > 0) {
            break;
        }
        // Message ids do not carry over to the new chat: thread if it can, send anyway.
        target.message.chat_id = std::to_string(*migrate_to);
        target.message.allow_sending_without_reply = true;
    }
    d.error = without_secret(std::move(d.error), bot_token_, "<bot_token>");
    co_return d;
}

} // namespace rapport::adapters::telegram
