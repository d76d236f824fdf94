// Typed lookups of one field of a JSON object, for adapters reading platforms' payloads: each
// gives nothing when the field is absent or of another type, so a parser says what it needs
// once and never throws on a payload's surprises.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::adapters::json_fields {

/// `text` parsed as JSON when it is an object (a platform's answer, a header's JSON); nothing
/// when it is not JSON or another kind of value.
[[nodiscard]] std::optional<boost::json::object> parse_object(std::string_view text);

[[nodiscard]] const boost::json::object* object(const boost::json::object& o, std::string_view key);
[[nodiscard]] const boost::json::array* array(const boost::json::object& o, std::string_view key);
/// The view lives as long as `o`.
[[nodiscard]] std::optional<std::string_view> string(const boost::json::object& o,
                                                     std::string_view key);
/// A whole number that fits in int64 (JSON numbers written as integers).
[[nodiscard]] std::optional<std::int64_t> integer(const boost::json::object& o,
                                                  std::string_view key);
/// True only for a JSON `true`.
[[nodiscard]] bool flag(const boost::json::object& o, std::string_view key);
/// An id given as a string, or as a whole number (some platforms write ids either way), as
/// text; nothing when absent, empty or of another type.
[[nodiscard]] std::optional<std::string> id_text(const boost::json::object& o,
                                                 std::string_view key);

} // namespace rapport::adapters::json_fields
