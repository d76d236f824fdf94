// Fuzz target for the message JSON parser (CONTRACT §6): parse_message_json must never crash,
// and a parsed message must survive append_json -> parse_message_json unchanged.
#include "rules/message.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

using rapport::fuzz::check;
namespace rules = rapport::rules;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    const auto first = rules::parse_message_json(json);
    if (!first.message) {
        check(!first.error.empty(), "message rejected without an error");
        return 0;
    }
    check(first.error.empty(), "message accepted with an error");
    check(!first.message->id.empty(), "accepted message has an empty id");
    check(!first.message->author.id.empty(), "accepted message has an empty author.id");

    std::string written;
    rules::append_json(written, *first.message);
    const auto second = rules::parse_message_json(written);
    if (!second.message) {
        std::fprintf(stderr, "re-parse failed: %s\nwritten: %s\n", second.error.c_str(),
                     written.c_str());
    }
    check(second.message.has_value(), "append_json output does not parse");
    if (*second.message != *first.message) {
        std::fprintf(stderr, "written: %s\n", written.c_str());
    }
    check(*second.message == *first.message, "message changed in a JSON round trip");

    std::string again;
    rules::append_json(again, *second.message);
    check(again == written, "append_json is not stable across a round trip");
    return 0;
}
