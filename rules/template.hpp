// Reply templates: plain text with {{variable}} slots, checked when the playbook loads.
#pragma once

#include "rules/message.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

enum class template_variable {
    author_name,
    author_handle,
    author_first_name,
    message_text,
    brand_name,
    offer_code,
    insight_question,
};

/// The variables a template may use, as written: "author.name", ...
[[nodiscard]] const std::vector<std::string_view>& template_variable_names();

struct template_error {
    std::size_t offset = 0;
    std::string message;
};

/// What a template is rendered with.
struct template_context {
    const rules::message* message = nullptr;
    std::string_view brand_name;
    std::string_view insight_question;
    /// Absent: `{{offer.code}}` is kept literally, for the daemon to fill in once it reserves
    /// a code.
    std::optional<std::string_view> offer_code;
};

class message_template {
public:
    /// Parses `text`; problems (unknown variable with a suggestion, unclosed `{{`, empty
    /// `{{}}`) are appended to `errors`. `{{ name }}` may have spaces inside the braces.
    static message_template parse(std::string_view text, std::vector<template_error>& errors);

    [[nodiscard]] std::string render(const template_context& context) const;
    [[nodiscard]] bool uses(template_variable v) const;
    [[nodiscard]] const std::string& source() const { return source_; }

private:
    struct segment {
        std::string literal;
        std::optional<template_variable> variable;
    };
    std::string source_;
    std::vector<segment> segments_;
};

} // namespace rapport::rules
