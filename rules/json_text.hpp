// Writing JSON text by hand on the hot path (one decision a message in simulate): appending to
// a reused string beats building a boost::json::value and serializing it.
#pragma once

#include <string>
#include <string_view>

namespace rapport::rules {

/// Appends `s` as a JSON string literal (quoted, escaped). Valid UTF-8 passes through; bytes
/// that are not valid UTF-8 become U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

} // namespace rapport::rules
