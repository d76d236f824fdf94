// The generic adapter's outside input: a webhook body, the receiver's answer to a reply, and
// the signature headers. The first byte picks which, the rest is the input.
#include "adapters/common/signature.hpp"
#include "adapters/generic/wire.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rapport;
    if (size == 0) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 3) {
        case 0: {
            const auto r = adapters::generic::parse_webhook(input, "fuzz-account");
            fuzz::check(r.message.has_value() != !r.error.empty(), "a message xor an error");
            if (r.message) {
                fuzz::check(r.message->platform == "generic" &&
                                r.message->account == "fuzz-account",
                            "platform and account come from the config");
            }
            break;
        }
        case 1: {
            const auto id = adapters::generic::sent_id(input);
            fuzz::check(!id || !id->empty(), "a sent id is never empty");
            break;
        }
        default: {
            // Split the input into timestamp, signature and body at the first two newlines.
            const auto a = input.find('\n');
            const auto b = a == std::string_view::npos ? a : input.find('\n', a + 1);
            const std::string_view timestamp = input.substr(0, a);
            const std::string_view signature =
                a == std::string_view::npos ? std::string_view() : input.substr(a + 1, b - a - 1);
            const std::string_view body =
                b == std::string_view::npos ? std::string_view() : input.substr(b + 1);
            const auto now = std::chrono::sys_seconds{std::chrono::seconds{1795341600}};
            (void)adapters::verify_rapport_signature("secret", timestamp, signature, body, now);
            const auto signed_now = adapters::sign_rapport("secret", body, now);
            fuzz::check(adapters::verify_rapport_signature("secret", signed_now.timestamp,
                                                           signed_now.signature, body, now) ==
                            adapters::signature_problem::none,
                        "what we sign we accept");
        }
    }
    return 0;
}
