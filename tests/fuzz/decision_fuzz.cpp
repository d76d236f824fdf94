// The approval API's decision bodies (CONTRACT §5): the first byte picks approve or reject,
// signed or not; the rest is the body.
#include "daemon/store/decision_body.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rapport::daemon;
    if (size == 0) {
        return 0;
    }
    const auto what =
        (data[0] & 1) != 0 ? decide_request::action::reject : decide_request::action::approve;
    const bool is_signed = (data[0] & 2) != 0;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const decision_body d = parse_decision_body(body, what, is_signed);
    if (d.error.empty()) {
        rapport::fuzz::check(!is_signed || d.approver.has_value(), "signed names an approver");
        rapport::fuzz::check(what == decide_request::action::approve || !d.text,
                             "only an approval edits");
        rapport::fuzz::check(!d.text || d.text->find_first_not_of(" \t\r\n") != std::string::npos,
                             "an edit is never blank");
        rapport::fuzz::check(!d.version || *d.version >= 1, "versions start at 1");
    } else {
        rapport::fuzz::check(!d.text && !d.note && !d.version && !d.approver,
                             "a refused body yields no fields");
    }
    return 0;
}
