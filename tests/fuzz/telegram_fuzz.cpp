// The Telegram adapter's outside input: a webhook's Update, the Bot API's answer to a
// sendMessage, the secret-token header, and a getUpdates answer (polling). The first byte picks
// which, the rest is the input.
#include "adapters/telegram/sender.hpp"
#include "adapters/telegram/wire.hpp"
#include "rules/json_text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rapport;
    namespace tg = adapters::telegram;
    if (size == 0) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    const tg::bot_identity bot{"AcmeHelpBot", 7000000001};
    switch (data[0] % 4) {
        case 0: {
            const auto r = tg::parse_update(input, "fuzz-account", bot);
            fuzz::check(r.message.has_value() == (r.what == tg::update_result::outcome::message),
                        "a message exactly when the outcome says so");
            fuzz::check(r.message || !r.reason.empty(), "what is not a message says why");
            if (r.message) {
                const rules::message& m = *r.message;
                fuzz::check(m.platform == "telegram" && m.account == "fuzz-account",
                            "platform and account come from the config");
                fuzz::check(!m.text.empty() && !m.author.id.empty(), "text and author.id set");
                const auto where = tg::split_message_id(m.id);
                fuzz::check(where.has_value(), "a message id is <chat>:<message>");
                // What the daemon stores must come back out as valid JSON.
                std::string json;
                rules::append_json(json, m);
                boost::system::error_code ec;
                (void)boost::json::parse(json, ec);
                fuzz::check(!ec, "the message serializes to JSON");
                // And an answer to it has somewhere to go.
                adapters::outgoing_reply reply;
                reply.text = "x";
                reply.in_reply_to = m;
                const auto target = tg::target_of(reply);
                fuzz::check(target.error.empty(), "a parsed message can be answered");
                (void)boost::json::parse(tg::send_message_body(target.message), ec);
                fuzz::check(!ec, "the sendMessage body is JSON");
            }
            break;
        }
        case 1: {
            const auto a = tg::parse_api_answer(input);
            adapters::https_response response;
            response.status = a && a->error_code && *a->error_code >= 100 && *a->error_code < 600
                                  ? static_cast<unsigned>(*a->error_code)
                                  : 200;
            response.body = std::string(input);
            tg::reply_target target;
            target.message.chat_id = "-100";
            const auto d = tg::classify(response, target, std::chrono::system_clock::time_point{});
            fuzz::check(!d.retry_after || d.retry_after->count() >= 0, "no negative waits");
            fuzz::check(d.what != adapters::delivery::outcome::sent || d.error.empty(),
                        "a sent reply has no error");
            break;
        }
        case 3: {
            const auto a = tg::read_poll_answer(200, input);
            fuzz::check(a.what == tg::poll_answer::outcome::updates || a.updates.empty(),
                        "updates only from a successful answer");
            fuzz::check(a.what == tg::poll_answer::outcome::updates || !a.error.empty(),
                        "a refusal says why");
            const auto offset = tg::next_offset(std::nullopt, a.updates);
            for (const auto& u : a.updates) {
                fuzz::check(!u.update_id || (offset && *offset > *u.update_id) ||
                                *u.update_id == std::numeric_limits<std::int64_t>::max(),
                            "the offset confirms every update with an id");
                const auto r = tg::parse_update(u.body, "fuzz-account", bot);
                fuzz::check(
                    r.what == tg::update_result::outcome::invalid || r.update_id == u.update_id,
                    "the update's id is the one the poller confirms");
            }
            break;
        }
        default: {
            const auto nl = input.find('\n');
            const std::string_view configured = input.substr(0, nl);
            const std::string_view header =
                nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
            const auto p = tg::check_secret_token(configured, header);
            fuzz::check((p == adapters::signature_problem::none) ==
                            (!configured.empty() && configured == header),
                        "accepted exactly when equal");
            (void)tg::utf16_slice(input, configured.size(), header.size());
        }
    }
    return 0;
}
