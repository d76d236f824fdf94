// What a platform's refusal said, fit for a draft's `last_error` and a log line.
#pragma once

#include <string>
#include <string_view>

namespace rapport::adapters {

/// The first 200 bytes of `text` as one line (control characters become spaces), with
/// "..." when it was longer: enough of an answer to say why.
[[nodiscard]] std::string excerpt(std::string_view text);

} // namespace rapport::adapters
