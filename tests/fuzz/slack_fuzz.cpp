// The Slack adapter's outside input: an Events API body (parsed, and read through the hook
// reader once signed), message text with Slack's markup, and the Web API's answers. The first
// byte picks which, the rest is the input.
#include "adapters/slack/sender.hpp"
#include "adapters/slack/signing.hpp"
#include "adapters/slack/wire.hpp"
#include "rules/json_text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace rapport;
namespace slack = adapters::slack;

void check_event(std::string_view input) {
    const auto r = slack::parse_event(input, "fuzz-account", "U0LAN0Z89");
    fuzz::check(r.message.has_value() == (r.what == slack::event_result::outcome::message),
                "a message exactly when the outcome says so");
    fuzz::check(r.message || r.what == slack::event_result::outcome::challenge || !r.reason.empty(),
                "what is not a message says why");
    if (!r.message) {
        return;
    }
    const rules::message& m = *r.message;
    fuzz::check(m.platform == "slack" && m.account == "fuzz-account",
                "platform and account come from the config");
    fuzz::check(!m.text.empty() && !m.author.id.empty(), "text and author.id set");
    const auto where = slack::split_message_id(m.id);
    fuzz::check(where.has_value(), "a message id is <channel>:<ts>");
    fuzz::check(m.thread_id && m.thread_id->starts_with(where->channel + ":"),
                "the thread is in the message's channel");
    std::string json;
    rules::append_json(json, m);
    boost::system::error_code ec;
    (void)boost::json::parse(json, ec);
    fuzz::check(!ec, "the message serializes to JSON");
    for (const bool is_private : {false, true}) {
        adapters::outgoing_reply reply;
        reply.text = "x";
        reply.is_private = is_private;
        reply.in_reply_to = m;
        const auto target = slack::target_of(reply);
        fuzz::check(target.error.empty(), "a parsed message can be answered");
        fuzz::check(!target.channel.empty() || target.dm_with, "somewhere to post");
        (void)boost::json::parse(slack::post_message_body(target, reply.text), ec);
        fuzz::check(!ec, "the chat.postMessage body is JSON");
    }
}

void check_signed_read(std::string_view input) {
    constexpr std::string_view secret = "fuzz-signing-secret";
    const std::chrono::sys_seconds now{std::chrono::seconds{1795500000}};
    const std::string timestamp = "1795500000";
    const std::string signature =
        adapters::sign_timestamped(slack::v0_scheme, secret, timestamp, input);
    const slack::hook_reader reader("fuzz-account", std::string(secret), "U0LAN0Z89");
    adapters::webhook_request request;
    request.method = "POST";
    request.body = input;
    request.header = [&](std::string_view name) -> std::optional<std::string_view> {
        if (name == slack::timestamp_header) {
            return timestamp;
        }
        if (name == slack::signature_header) {
            return signature;
        }
        return std::nullopt;
    };
    request.query = [](std::string_view) -> std::optional<std::string_view> {
        return std::nullopt;
    };
    request.now = now;
    const auto r = reader.read(request);
    fuzz::check(r.what != adapters::webhook_result::outcome::rejected,
                "a correctly signed request is never refused as unsigned");
    fuzz::check(r.messages.size() <= 1, "one event, one message at most");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 4) {
        case 0:
            check_event(input);
            break;
        case 1: {
            const std::string text = slack::plain_text(input, "U0LAN0Z89");
            fuzz::check(text.size() <= input.size(), "plain text is never longer");
            fuzz::check(text.empty() || (text.front() != ' ' && text.back() != ' '), "trimmed");
            break;
        }
        case 2: {
            adapters::https_response response;
            response.status = 200;
            response.body = std::string(input);
            const auto d = slack::classify(response, std::chrono::system_clock::time_point{});
            fuzz::check(d.what != adapters::delivery::outcome::sent || d.error.empty(),
                        "a sent reply has no error");
            (void)slack::opened_channel(input);
            break;
        }
        default:
            check_signed_read(input);
    }
    return 0;
}
