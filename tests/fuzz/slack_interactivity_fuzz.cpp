// Slack's interactivity requests (PLATFORMS.md §1d): a form body whose `payload` field holds the
// JSON of a click or a modal submission. The first byte picks how the rest is used: as the raw
// form body, or as the payload's JSON (form-encoded here, as Slack sends it), so the fuzzer
// reaches the JSON reading without having to learn percent-encoding first.
#include "adapters/slack/block_kit.hpp"
#include "adapters/slack/interactivity.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

std::string form_encoded(std::string_view json) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = "payload=";
    for (const char ch : json) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rapport::adapters::slack;
    if (size == 0) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::string body = data[0] % 2 == 0 ? std::string(input) : form_encoded(input);
    const interaction_result r = parse_interaction(body);
    rapport::fuzz::check(r.value.has_value() != !r.error.empty(),
                         "an interaction, or why not, never both");
    if (!r.value) {
        return 0;
    }
    const interaction& i = *r.value;
    switch (i.what) {
        case interaction::kind::other:
            rapport::fuzz::check(!i.ignored.empty() && i.ignored.size() <= 40,
                                 "what is ignored is named, briefly (a metric label)");
            break;
        case interaction::kind::button:
            rapport::fuzz::check(i.action_id == approve_action || i.action_id == edit_action ||
                                     i.action_id == reject_action,
                                 "a button is one of Rapport's three");
            [[fallthrough]];
        case interaction::kind::edit_submitted: {
            rapport::fuzz::check(!i.user_id.empty(), "someone clicked");
            rapport::fuzz::check(!i.draft_id.empty() && i.version >= 1, "a draft reference");
            // The reference reads back as it was written.
            std::string id;
            int version = 0;
            rapport::fuzz::check(
                parse_draft_reference(button_value(i.draft_id, i.version), id, version) &&
                    id == i.draft_id && version == i.version,
                "a draft reference round-trips");
            // Whatever was typed makes a valid private answer.
            boost::system::error_code ec;
            (void)boost::json::parse(ephemeral_body(i.text.value_or(i.draft_id)), ec);
            rapport::fuzz::check(!ec, "the answer is JSON");
            break;
        }
    }
    return 0;
}
