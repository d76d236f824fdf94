#include "rules/template.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rapport::rules {
namespace {

message sample_message() {
    message m;
    m.id = "ext-1";
    m.text = "my acme toaster is broken";
    m.author.id = "u1";
    m.author.handle = "sam";
    m.author.name = "Sam Lee";
    return m;
}

message_template parse_ok(std::string_view text) {
    std::vector<template_error> errors;
    auto t = message_template::parse(text, errors);
    EXPECT_TRUE(errors.empty()) << text << ": " << (errors.empty() ? "" : errors[0].message);
    return t;
}

std::vector<template_error> parse_errors(std::string_view text) {
    std::vector<template_error> errors;
    (void)message_template::parse(text, errors);
    return errors;
}

std::string render(std::string_view text, const template_context& context) {
    return parse_ok(text).render(context);
}

TEST(message_template, variable_names_follow_enum_order) {
    const auto& names = template_variable_names();
    ASSERT_EQ(names.size(), 7U);
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::author_name)], "author.name");
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::author_handle)], "author.handle");
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::author_first_name)],
              "author.first_name");
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::message_text)], "message.text");
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::brand_name)], "brand.name");
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::offer_code)], "offer.code");
    EXPECT_EQ(names[static_cast<std::size_t>(template_variable::insight_question)],
              "insight.question");
}

TEST(message_template, plain_text_renders_unchanged) {
    EXPECT_EQ(render("", {}), "");
    EXPECT_EQ(render("Thanks!", {}), "Thanks!");
    EXPECT_EQ(render("caf\xc3\xa9 \xf0\x9f\x8e\x89", {}), "caf\xc3\xa9 \xf0\x9f\x8e\x89");
}

TEST(message_template, renders_every_variable) {
    const message m = sample_message();
    template_context context;
    context.message = &m;
    context.brand_name = "Acme";
    context.insight_question = "What apps keep you organized?";
    context.offer_code = "PEEK-42";
    EXPECT_EQ(render("{{author.name}}", context), "Sam Lee");
    EXPECT_EQ(render("{{author.handle}}", context), "sam");
    EXPECT_EQ(render("{{author.first_name}}", context), "Sam");
    EXPECT_EQ(render("{{message.text}}", context), "my acme toaster is broken");
    EXPECT_EQ(render("{{brand.name}}", context), "Acme");
    EXPECT_EQ(render("{{offer.code}}", context), "PEEK-42");
    EXPECT_EQ(render("{{insight.question}}", context), "What apps keep you organized?");
}

TEST(message_template, renders_contract_examples) {
    const message m = sample_message();
    template_context context;
    context.message = &m;
    context.offer_code = "X1";
    EXPECT_EQ(
        render("Hi {{author.name}}, sorry about that. Could you DM us your order number?", context),
        "Hi Sam Lee, sorry about that. Could you DM us your order number?");
    EXPECT_EQ(render("You've been great to us, {{author.name}}. Here's an early look: "
                     "{{offer.code}}",
                     context),
              "You've been great to us, Sam Lee. Here's an early look: X1");
}

TEST(message_template, spaces_inside_braces_are_allowed) {
    const message m = sample_message();
    template_context context;
    context.message = &m;
    EXPECT_EQ(render("{{ author.handle }}", context), "sam");
    EXPECT_EQ(render("{{author.handle   }}", context), "sam");
    EXPECT_EQ(render("{{\tauthor.handle\t}}", context), "sam");
    EXPECT_EQ(render("a{{  author.handle}}b", context), "asamb");
}

TEST(message_template, repeated_and_adjacent_variables) {
    const message m = sample_message();
    template_context context;
    context.message = &m;
    context.brand_name = "Acme";
    EXPECT_EQ(render("{{author.handle}}{{author.handle}}", context), "samsam");
    EXPECT_EQ(render("{{brand.name}}/{{author.handle}}/{{brand.name}}!", context),
              "Acme/sam/Acme!");
}

TEST(message_template, author_name_falls_back_to_handle) {
    message m = sample_message();
    m.author.name.clear();
    template_context context;
    context.message = &m;
    EXPECT_EQ(render("{{author.name}}|{{author.first_name}}", context), "sam|sam");
    m.author.name = "Prince";
    EXPECT_EQ(render("{{author.name}}|{{author.first_name}}", context), "Prince|Prince");
}

TEST(message_template, offer_code_without_a_code_stays_literal) {
    const message m = sample_message();
    template_context context;
    context.message = &m;
    EXPECT_EQ(render("code: {{offer.code}}", context), "code: {{offer.code}}");
    // Normalized to the canonical spelling, whatever spacing the author used.
    EXPECT_EQ(render("code: {{ offer.code }}", context), "code: {{offer.code}}");
    context.offer_code = "";
    EXPECT_EQ(render("code: {{offer.code}}", context), "code: ");
}

TEST(message_template, without_a_message_author_and_text_are_empty) {
    template_context context;
    context.brand_name = "Acme";
    context.insight_question = "Q?";
    EXPECT_EQ(render("[{{author.name}}][{{author.handle}}][{{author.first_name}}]"
                     "[{{message.text}}][{{brand.name}}][{{insight.question}}]",
                     context),
              "[][][][][Acme][Q?]");
}

TEST(message_template, lone_closing_and_single_braces_are_literal) {
    const message m = sample_message();
    template_context context;
    context.message = &m;
    for (const char* text : {"}}", "a }} b", "{", "}", "{author.name}", "{ {author.name} }",
                             "}}{author.name}{", "json: {\"a\": 1}"}) {
        EXPECT_EQ(render(text, context), text);
    }
    EXPECT_EQ(render("}}{{author.handle}}}}", context), "}}sam}}");
}

TEST(message_template, uses_reports_referenced_variables) {
    const auto t = parse_ok("Hi {{author.first_name}}, here: {{ offer.code }}");
    EXPECT_TRUE(t.uses(template_variable::author_first_name));
    EXPECT_TRUE(t.uses(template_variable::offer_code));
    EXPECT_FALSE(t.uses(template_variable::author_name));
    EXPECT_FALSE(t.uses(template_variable::author_handle));
    EXPECT_FALSE(t.uses(template_variable::message_text));
    EXPECT_FALSE(t.uses(template_variable::brand_name));
    EXPECT_FALSE(t.uses(template_variable::insight_question));
    EXPECT_FALSE(parse_ok("no slots").uses(template_variable::offer_code));
}

TEST(message_template, source_keeps_original_text) {
    std::vector<template_error> errors;
    EXPECT_EQ(parse_ok("Hi {{ author.name }}!").source(), "Hi {{ author.name }}!");
    EXPECT_EQ(message_template::parse("Hi {{author.nam}} {{", errors).source(),
              "Hi {{author.nam}} {{");
    EXPECT_EQ(message_template{}.source(), "");
}

TEST(message_template, unknown_variable_with_suggestion) {
    const auto errors = parse_errors("Hi {{author.nam}}!");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 5U);
    EXPECT_EQ(errors[0].message,
              "unknown template variable 'author.nam' (did you mean 'author.name'?)");
}

TEST(message_template, unknown_variable_offset_skips_leading_spaces) {
    const auto errors = parse_errors("Hi {{   brand.nmae }}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 8U);
    EXPECT_EQ(errors[0].message,
              "unknown template variable 'brand.nmae' (did you mean 'brand.name'?)");
}

TEST(message_template, unknown_variable_without_suggestion) {
    const auto errors = parse_errors("{{customer.loyalty_tier}}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 2U);
    EXPECT_EQ(errors[0].message, "unknown template variable 'customer.loyalty_tier'");
}

TEST(message_template, names_are_case_sensitive) {
    const auto errors = parse_errors("{{Author.Name}}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].message,
              "unknown template variable 'Author.Name' (did you mean 'author.name'?)");
}

TEST(message_template, inner_spaces_make_a_name_unknown) {
    const auto errors = parse_errors("{{ author . name }}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 3U);
    EXPECT_EQ(errors[0].message,
              "unknown template variable 'author . name' (did you mean 'author.name'?)");
}

TEST(message_template, unclosed_braces) {
    auto errors = parse_errors("Hi {{author.name");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 3U);
    EXPECT_EQ(errors[0].message, "unclosed '{{' (expected '}}')");

    errors = parse_errors("{{");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 0U);

    errors = parse_errors("ok {{author.name}} then {{ brand.name }");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 24U);
}

TEST(message_template, unclosed_before_a_later_slot) {
    // The first `{{` never closes; the second is a slot of its own and is still checked.
    auto errors = parse_errors("Hi {{author.name, {{brand.name}}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 3U);
    EXPECT_EQ(errors[0].message, "unclosed '{{' (expected '}}')");

    errors = parse_errors("{{ x {{brand.nam}}");
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0].offset, 0U);
    EXPECT_EQ(errors[0].message, "unclosed '{{' (expected '}}')");
    EXPECT_EQ(errors[1].offset, 7U);
    EXPECT_EQ(errors[1].message,
              "unknown template variable 'brand.nam' (did you mean 'brand.name'?)");
}

TEST(message_template, empty_variable) {
    auto errors = parse_errors("Hi {{}}!");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 3U);
    EXPECT_EQ(errors[0].message, "empty template variable");

    errors = parse_errors("{{   }}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 0U);
    EXPECT_EQ(errors[0].message, "empty template variable");
}

TEST(message_template, reports_every_error_in_order) {
    const auto errors =
        parse_errors("{{author.nmae}} {{}} {{author.handle}} {{messge.text}} {{offer.code");
    ASSERT_EQ(errors.size(), 4U);
    EXPECT_EQ(errors[0].offset, 2U);
    EXPECT_EQ(errors[0].message,
              "unknown template variable 'author.nmae' (did you mean 'author.name'?)");
    EXPECT_EQ(errors[1].offset, 16U);
    EXPECT_EQ(errors[1].message, "empty template variable");
    EXPECT_EQ(errors[2].offset, 41U);
    EXPECT_EQ(errors[2].message,
              "unknown template variable 'messge.text' (did you mean 'message.text'?)");
    EXPECT_EQ(errors[3].offset, 55U);
    EXPECT_EQ(errors[3].message, "unclosed '{{' (expected '}}')");
}

TEST(message_template, appends_to_existing_errors) {
    std::vector<template_error> errors = {{99, "earlier"}};
    (void)message_template::parse("{{nope}}", errors);
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0].message, "earlier");
    EXPECT_EQ(errors[1].offset, 2U);
}

TEST(message_template, bad_slots_render_as_written) {
    std::vector<template_error> errors;
    const auto t = message_template::parse("a {{nope}} b {{}} c {{brand.name}} d {{ e", errors);
    EXPECT_EQ(errors.size(), 3U);
    template_context context;
    context.brand_name = "Acme";
    EXPECT_EQ(t.render(context), "a {{nope}} b {{}} c Acme d {{ e");
    EXPECT_TRUE(t.uses(template_variable::brand_name));
}

TEST(message_template, triple_braces_are_not_a_slot) {
    // `{{{x}}}` reads as a slot named `{x`; it is reported rather than silently half-parsed.
    const auto errors = parse_errors("{{{author.name}}}");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].offset, 2U);
    EXPECT_EQ(errors[0].message,
              "unknown template variable '{author.name' (did you mean 'author.name'?)");
}

} // namespace
} // namespace rapport::rules
