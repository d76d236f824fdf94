#include "rules/template.hpp"

#include "rules/diagnostic.hpp"

namespace rapport::rules {

namespace {

constexpr std::string_view open_braces = "{{";
constexpr std::string_view close_braces = "}}";

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::optional<template_variable> find_variable(std::string_view name) {
    const auto& names = template_variable_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            return static_cast<template_variable>(i);
        }
    }
    return std::nullopt;
}

} // namespace

const std::vector<std::string_view>& template_variable_names() {
    // Indexed by template_variable, so the order must follow the enum.
    static const std::vector<std::string_view> names = {
        "author.name", "author.handle", "author.first_name", "message.text",
        "brand.name",  "offer.code",    "insight.question",
    };
    return names;
}

message_template message_template::parse(std::string_view text,
                                         std::vector<template_error>& errors) {
    message_template result;
    result.source_ = std::string{text};

    std::string literal;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find(open_braces, pos);
        if (open == std::string_view::npos) {
            literal += text.substr(pos);
            break;
        }
        literal += text.substr(pos, open - pos);

        const std::size_t inner = open + open_braces.size();
        const std::size_t close = text.find(close_braces, inner);
        // A `{{` before the matching `}}` means this slot was never closed; reporting it here
        // and resuming at the next `{{` keeps that later slot's own errors accurate.
        const std::size_t next_open = text.find(open_braces, inner);
        if (close == std::string_view::npos || next_open < close) {
            errors.push_back({open, "unclosed '{{' (expected '}}')"});
            const std::size_t resume = close == std::string_view::npos ? text.size() : next_open;
            literal += text.substr(open, resume - open);
            pos = resume;
            continue;
        }

        std::size_t name_begin = inner;
        std::size_t name_end = close;
        while (name_begin < name_end && is_blank(text[name_begin])) {
            ++name_begin;
        }
        while (name_end > name_begin && is_blank(text[name_end - 1])) {
            --name_end;
        }
        const std::string_view name = text.substr(name_begin, name_end - name_begin);
        pos = close + close_braces.size();

        if (name.empty()) {
            errors.push_back({open, "empty template variable"});
        } else if (const auto variable = find_variable(name)) {
            result.segments_.push_back({std::move(literal), variable});
            literal.clear();
            continue;
        } else {
            errors.push_back({name_begin, with_suggestion("unknown template variable '" +
                                                              std::string{name} + "'",
                                                          name, template_variable_names())});
        }
        // A bad slot stays as written, so a template that failed to load renders as its source.
        literal += text.substr(open, pos - open);
    }
    if (!literal.empty()) {
        result.segments_.push_back({std::move(literal), std::nullopt});
    }
    return result;
}

std::string message_template::render(const template_context& context) const {
    const rules::message* m = context.message;
    std::string out;
    out.reserve(source_.size());
    for (const segment& s : segments_) {
        out += s.literal;
        if (!s.variable) {
            continue;
        }
        switch (*s.variable) {
            case template_variable::author_name:
                if (m != nullptr) {
                    out += m->author.display_name();
                }
                break;
            case template_variable::author_handle:
                if (m != nullptr) {
                    out += m->author.handle;
                }
                break;
            case template_variable::author_first_name:
                if (m != nullptr) {
                    out += m->author.first_name();
                }
                break;
            case template_variable::message_text:
                if (m != nullptr) {
                    out += m->text;
                }
                break;
            case template_variable::brand_name:
                out += context.brand_name;
                break;
            case template_variable::offer_code:
                // Kept in its canonical spelling so the daemon can find and fill it later.
                out +=
                    context.offer_code ? *context.offer_code : std::string_view{"{{offer.code}}"};
                break;
            case template_variable::insight_question:
                out += context.insight_question;
                break;
        }
    }
    return out;
}

bool message_template::uses(template_variable v) const {
    for (const segment& s : segments_) {
        if (s.variable == v) {
            return true;
        }
    }
    return false;
}

} // namespace rapport::rules
