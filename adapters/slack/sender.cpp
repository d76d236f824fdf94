#include "adapters/slack/sender.hpp"

#include "adapters/common/json_fields.hpp"
#include "adapters/slack/wire.hpp"
#include "rules/json_text.hpp"

#include <boost/json.hpp>

namespace rapport::adapters::slack {

namespace {

// DM channel ids start with D; public ones with C, private ones and multi-party DMs with G.
bool is_dm(std::string_view channel) {
    return channel.starts_with("D");
}

delivery failed(std::string why) {
    delivery d;
    d.what = delivery::outcome::failed;
    d.error = std::move(why);
    return d;
}

} // namespace

reply_target target_of(const outgoing_reply& reply) {
    reply_target t;
    if (!reply.in_reply_to) {
        t.error =
            "a Slack reply goes to the channel of the message it answers: an insight question "
            "has no channel to go to";
        return t;
    }
    const rules::message& m = *reply.in_reply_to;
    const auto where = split_message_id(m.id);
    if (!where) {
        t.error = "message id '" + m.id + "' is not a Slack \"<channel>:<ts>\" id";
        return t;
    }
    // The thread the message is in, when it is in one: thread_id is "<channel>:<thread_ts>".
    std::optional<std::string> in_thread;
    if (m.thread_id) {
        const auto thread = split_message_id(*m.thread_id);
        if (thread && thread->channel == where->channel && thread->ts != where->ts) {
            in_thread = thread->ts;
        }
    }
    if (reply.is_private) {
        if (is_dm(where->channel)) {
            t.channel = where->channel;
            t.thread_ts = in_thread;
        } else if (m.author.id.empty()) {
            t.error = "a private reply needs the author's Slack user id";
        } else {
            t.dm_with = m.author.id;
        }
        return t;
    }
    t.channel = where->channel;
    t.thread_ts =
        in_thread ? in_thread : (is_dm(where->channel) ? std::nullopt : std::optional(where->ts));
    return t;
}

std::string post_message_body(const reply_target& target, std::string_view text) {
    std::string out = "{\"channel\":";
    rules::append_json_string(out, target.channel);
    out += ",\"text\":";
    rules::append_json_string(out, text);
    if (target.thread_ts) {
        out += ",\"thread_ts\":";
        rules::append_json_string(out, *target.thread_ts);
    }
    // Replies are written as plain text: no link previews of whatever they mention.
    out += ",\"unfurl_links\":false,\"unfurl_media\":false}";
    return out;
}

std::optional<std::string> opened_channel(std::string_view answer_body) {
    const auto parsed = json_fields::parse_object(answer_body);
    const auto* channel = parsed ? json_fields::object(*parsed, "channel") : nullptr;
    const auto id = channel != nullptr ? json_fields::string(*channel, "id") : std::nullopt;
    if (!id || id->empty()) {
        return std::nullopt;
    }
    return std::string(*id);
}

net::awaitable<delivery> web_api_sender::send(const outgoing_reply& reply) {
    reply_target target = target_of(reply);
    if (!target.error.empty()) {
        co_return failed(std::move(target.error));
    }
    if (target.dm_with) {
        std::string open_body = "{\"users\":";
        rules::append_json_string(open_body, *target.dm_with);
        open_body += "}";
        const https_result opened = co_await api_.call("conversations.open", std::move(open_body));
        delivery d = classify(opened, std::chrono::system_clock::now());
        if (d.what != delivery::outcome::sent) {
            // Opening a DM changes nothing visible: whatever happened, nothing was posted, so
            // an unanswered open is safe to try again.
            if (d.what == delivery::outcome::unknown) {
                d.what = delivery::outcome::retry;
            }
            d.sent_id.reset();
            d.error = "conversations.open: " + d.error;
            co_return d;
        }
        const auto channel = opened_channel(opened->body);
        if (!channel) {
            co_return failed("conversations.open answered without a channel id");
        }
        target.channel = *channel;
    }
    const https_result posted =
        co_await api_.call("chat.postMessage", post_message_body(target, reply.text));
    co_return classify(posted, std::chrono::system_clock::now());
}

} // namespace rapport::adapters::slack
