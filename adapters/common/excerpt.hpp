// What a platform's refusal said, fit for a draft's `last_error` and a log line.
#pragma once

#include <string>
#include <string_view>

namespace rapport::adapters {

/// The first 200 bytes of `text` as one line (control characters become spaces), with
/// "..." when it was longer: enough of an answer to say why.
[[nodiscard]] std::string excerpt(std::string_view text);

/// `text` with every occurrence of `secret` replaced by `placeholder`: belt and braces for what
/// reaches a draft's last_error or a log line, should some layer have echoed a token. An empty
/// secret changes nothing.
[[nodiscard]] std::string without_secret(std::string text,
                                         std::string_view secret,
                                         std::string_view placeholder);

} // namespace rapport::adapters
