// The X adapter's outside input: a webhook delivery (with its signature header and a CRC
// token), X's answer to a create call, and the OAuth 1.0a pieces a server would read back
// (Authorization header, form text, URL). The first byte picks which, the rest is the input.
#include "adapters/x/oauth1.hpp"
#include "adapters/x/sender.hpp"
#include "adapters/x/wire.hpp"
#include "rules/json_text.hpp"
#include "rules/time.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace rapport;
namespace xa = adapters::x;

constexpr std::string_view brand = "4337869213";
constexpr std::string_view secret = "fuzz-consumer-secret";

bool is_json(const std::string& text) {
    boost::system::error_code ec;
    (void)boost::json::parse(text, ec);
    return !ec;
}

void delivery(std::string_view body) {
    const auto r = xa::parse_activity(body, "fuzz-account", brand);
    fuzz::check(r.error.empty() || (r.messages.empty() && r.ignored.empty()),
                "an invalid delivery yields nothing");
    for (const rules::message& m : r.messages) {
        fuzz::check(m.platform == "x" && m.account == "fuzz-account",
                    "platform and account come from the config");
        fuzz::check(!m.id.empty() && !m.text.empty() && !m.author.id.empty(),
                    "id, text and author.id set");
        fuzz::check(m.author.id != brand, "the brand's own messages are never read");
        if (m.created_at) {
            fuzz::check(
                rules::parse_timestamp(rules::format_timestamp(*m.created_at)) == m.created_at,
                "created_at is a time the store can write and read back");
        }
        std::string json;
        rules::append_json(json, m);
        fuzz::check(is_json(json), "the message serializes to JSON");
        // An answer to it has somewhere to go, or a reason why not.
        adapters::outgoing_reply reply;
        reply.text = "x";
        reply.in_reply_to = m;
        const auto target = xa::target_of(reply);
        fuzz::check(target.error.empty() != target.path.empty(), "a call or a reason");
        fuzz::check(target.body.empty() || is_json(target.body), "the call's body is JSON");
    }
    // The same body through the reader, signed and not.
    const xa::hook_reader reader("fuzz-account", std::string(secret), std::string(brand));
    const std::string good = xa::webhook_signature(secret, body);
    adapters::webhook_request request;
    request.method = "POST";
    request.body = body;
    request.header = [&good](std::string_view) -> std::optional<std::string_view> { return good; };
    request.query = [](std::string_view) -> std::optional<std::string_view> { return {}; };
    const auto signed_result = reader.read(request);
    fuzz::check(signed_result.what != adapters::webhook_result::outcome::rejected,
                "a correct signature is accepted");
    request.header = [](std::string_view) -> std::optional<std::string_view> {
        return std::string_view("sha256=AAAA");
    };
    fuzz::check(reader.read(request).what == adapters::webhook_result::outcome::rejected,
                "a wrong signature is refused");
    // And as a CRC token: answered only when it cannot be a body.
    request.method = "GET";
    request.query = [body](std::string_view) -> std::optional<std::string_view> { return body; };
    const auto crc = reader.read(request);
    fuzz::check((crc.what == adapters::webhook_result::outcome::answer) ==
                    xa::is_acceptable_crc_token(body),
                "CRC answered exactly for acceptable tokens");
    fuzz::check(crc.what != adapters::webhook_result::outcome::answer ||
                    body.find('{') == std::string_view::npos,
                "nothing JSON-object-like is signed");
}

void answer(std::string_view body) {
    adapters::https_response response;
    response.status = body.empty() ? 200 : 200 + static_cast<unsigned char>(body[0]) % 400;
    response.body = std::string(body);
    response.headers.add("x-rate-limit-reset", std::string(body.substr(0, 24)));
    response.headers.add("Retry-After", std::string(body.substr(0, 12)));
    const auto d = xa::classify(response, std::chrono::system_clock::time_point{});
    fuzz::check(!d.retry_after || d.retry_after->count() >= 0, "no negative waits");
    fuzz::check(d.what != adapters::delivery::outcome::sent || d.error.empty(),
                "a sent reply has no error");
    fuzz::check((d.what == adapters::delivery::outcome::sent) ==
                    (response.status >= 200 && response.status < 300),
                "sent exactly on 2xx");
}

void oauth(std::string_view input) {
    if (const auto params = xa::parse_authorization_header(input)) {
        fuzz::check(!params->empty(), "a parsed header has parameters");
        // What the signer writes, the parser reads back.
        xa::oauth1_credentials c;
        c.consumer_key = params->front().value;
        c.token = params->back().value;
        const auto header =
            xa::authorization_header(c, "POST", "https://api.x.com/2/tweets", {}, {"n", 1});
        fuzz::check(header.has_value(), "a fixed URL signs");
        const auto back = xa::parse_authorization_header(*header);
        fuzz::check(back && back->front().value == c.consumer_key, "the header round-trips");
    }
    const auto form = xa::parse_form(input);
    for (const auto& p : form) {
        fuzz::check(xa::percent_encode(p.name).find_first_not_of(
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") ==
                        std::string::npos,
                    "encoded names are unreserved characters and escapes");
    }
    if (const auto uri = xa::base_string_uri(input)) {
        fuzz::check(uri->starts_with("http://") || uri->starts_with("https://"),
                    "a base string URI is http(s)");
        fuzz::check(uri->find_first_of("?#") == std::string::npos, "no query, no fragment");
        (void)xa::authorization_header({}, "GET", input, form, {"n", 1});
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
            delivery(input);
            break;
        case 1:
            answer(input);
            break;
        default:
            oauth(input);
    }
    return 0;
}
