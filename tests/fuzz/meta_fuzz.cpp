// The Meta adapter's outside input: a webhook notification (and everything built from what it
// yields), a Graph API answer with its rate-limit header, the X-Hub-Signature-256 header, and
// our own message ids. The first byte picks which, the rest is the input.
#include "adapters/meta/sender.hpp"
#include "adapters/meta/wire.hpp"
#include "rules/json_text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace rapport;
namespace meta = adapters::meta;

const meta::own_ids own{"104510662458730", "17841405309211844"};

bool is_json(std::string_view text) {
    boost::system::error_code ec;
    (void)boost::json::parse(text, ec);
    return !ec;
}

void notification(std::string_view input) {
    const auto n = meta::parse_notification(input, "fuzz-account", own);
    fuzz::check(n.invalid.empty() || (n.messages.empty() && n.ignored.empty()),
                "an invalid body yields nothing");
    for (const rules::message& m : n.messages) {
        fuzz::check(m.platform == "meta" && m.account == "fuzz-account",
                    "platform and account come from the config");
        fuzz::check(!m.text.empty() && !m.author.id.empty(), "text and author.id set");
        const auto ref = meta::split_id(m.id);
        fuzz::check(ref.has_value(), "a message id is <surface>:<owner>:<item>");
        fuzz::check(meta::make_id(ref->surface, ref->owner, ref->item) == m.id,
                    "an id splits and joins back to itself");
        std::string json;
        rules::append_json(json, m);
        fuzz::check(is_json(json), "the message serializes to JSON");
        // An answer to it is a Graph call with a JSON body, or a reason why there is none.
        for (const bool is_private : {false, true}) {
            adapters::outgoing_reply reply;
            reply.text = "x";
            reply.is_private = is_private;
            reply.in_reply_to = m;
            const auto call = meta::plan_reply(reply, std::chrono::system_clock::time_point{});
            if (call.error.empty()) {
                fuzz::check(call.path.starts_with("/") &&
                                call.path.find_first_of("?#%") == std::string::npos,
                            "a call's path stays a path");
                fuzz::check(is_json(call.body), "a call's body is JSON");
            }
        }
    }
}

void answer(std::string_view input) {
    // "<status>\n<X-Business-Use-Case-Usage>\n<body>"
    const auto first = input.find('\n');
    const auto second = first == std::string_view::npos ? first : input.find('\n', first + 1);
    adapters::https_response response;
    response.status = input.empty() ? 200 : 100 + static_cast<unsigned char>(input[0]) % 500;
    if (second != std::string_view::npos) {
        response.headers.add("X-Business-Use-Case-Usage",
                             std::string(input.substr(first + 1, second - first - 1)));
        response.body = std::string(input.substr(second + 1));
    } else {
        response.body = std::string(input);
    }
    meta::graph_call call;
    call.owner = "104510662458730";
    const auto d = meta::classify(response, call, std::chrono::system_clock::time_point{});
    fuzz::check(!d.retry_after || d.retry_after->count() >= 0, "no negative waits");
    fuzz::check(d.what != adapters::delivery::outcome::sent || d.error.empty(),
                "a sent reply has no error");
    fuzz::check(d.what == adapters::delivery::outcome::sent || !d.error.empty(),
                "what is not sent says why");
}

void signature(std::string_view input) {
    const auto nl = input.find('\n');
    const std::string_view secret = input.substr(0, nl);
    const std::string_view body =
        nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    fuzz::check(meta::check_signature(secret, meta::sign(secret, body), body) ==
                    (secret.empty() ? adapters::signature_problem::mismatch
                                    : adapters::signature_problem::none),
                "what Meta would sign is accepted");
    (void)meta::check_signature(secret, body, secret);
    (void)meta::check_verify_token(secret, body);
    const auto ref = meta::split_id(input);
    if (ref) {
        fuzz::check(meta::make_id(ref->surface, ref->owner, ref->item) == input,
                    "an id splits and joins back to itself");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 3) {
        case 0:
            notification(input);
            break;
        case 1:
            answer(input);
            break;
        default:
            signature(input);
    }
    return 0;
}
