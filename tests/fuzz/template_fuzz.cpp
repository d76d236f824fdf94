// Fuzz target for reply templates: parse must never crash, error offsets stay inside the
// text, and rendering a parsed template (with or without errors) is safe.
#include "rules/message.hpp"
#include "rules/template.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

using rapport::fuzz::check;
namespace rules = rapport::rules;

namespace {

const rules::message& fixed_message() {
    static const rules::message m = [] {
        rules::message msg;
        msg.id = "ext-123";
        msg.text = "my acme toaster is broken \xf0\x9f\x98\xa1";
        msg.author.id = "u1";
        msg.author.handle = "sam";
        msg.author.name = "Sam Lee";
        msg.author.followers = 120;
        msg.platform = "x";
        msg.account = "acme-site";
        return msg;
    }();
    return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<rules::template_error> errors;
    const auto t = rules::message_template::parse(text, errors);
    check(t.source() == text, "template source differs from the parsed text");
    for (const auto& e : errors) {
        check(e.offset <= size, "template error offset past the end of the input");
        check(!e.message.empty(), "template error without a message");
    }

    rules::template_context context;
    context.message = &fixed_message();
    context.brand_name = "Acme";
    context.insight_question = "What apps keep you organized these days?";
    (void)t.render(context);
    context.offer_code = "CODE-1";
    (void)t.render(context);
    // No message at all (insight questions render without one).
    context.message = nullptr;
    const std::string bare = t.render(context);
    if (errors.empty() && !t.uses(rules::template_variable::brand_name) &&
        !t.uses(rules::template_variable::insight_question) &&
        !t.uses(rules::template_variable::offer_code)) {
        // Only message variables, rendered without a message: at most the source's length.
        check(bare.size() <= size, "template rendered without values grew past its source");
    }
    return 0;
}
