#include "rules/cron.hpp"

#include "rules/diagnostic.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace rapport::rules {

namespace {

struct field_spec {
    std::string_view name;
    int min;
    int max;
    // The top of `*` and of open-ended `N/n`; below `max` only for day-of-week, where 7 is an
    // alias of 0 and should not make `*/2` or `1/2` pick Sunday twice.
    int open_max;
    // Three-letter names, index = value - min; null when the field takes numbers only.
    const std::vector<std::string_view>* names;
    std::string_view name_kind;
};

const std::vector<std::string_view> month_names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
const std::vector<std::string_view> weekday_names = {"sun", "mon", "tue", "wed",
                                                     "thu", "fri", "sat"};

const std::array<field_spec, 5> fields = {{
    {"minute", 0, 59, 59, nullptr, {}},
    {"hour", 0, 23, 23, nullptr, {}},
    {"day-of-month", 1, 31, 31, nullptr, {}},
    {"month", 1, 12, 12, &month_names, "month"},
    {"day-of-week", 0, 7, 6, &weekday_names, "weekday"},
}};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char fold_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool all_of(std::string_view s, bool (*predicate)(char)) {
    for (char c : s) {
        if (!predicate(c)) {
            return false;
        }
    }
    return true;
}

bool equals_folded(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (fold_ascii(a[i]) != fold_ascii(b[i])) {
            return false;
        }
    }
    return true;
}

// Any value past this is out of range for every field; capping keeps long digit runs from
// overflowing while the message still quotes the text as written.
constexpr int number_cap = 1000;

int parse_number(std::string_view digits) {
    int value = 0;
    for (char c : digits) {
        value = value * 10 + (c - '0');
        if (value > number_cap) {
            return number_cap;
        }
    }
    return value;
}

struct field_token {
    std::string_view text;
    std::size_t offset;
};

// Parses one field into a set of values, stopping at the first problem. Offsets in errors are
// relative to the whole expression.
class field_parser {
public:
    field_parser(const field_spec& spec, cron_parse_result& result)
        : spec_(spec), result_(result) {}

    bool parse(field_token field, std::vector<bool>& selected) {
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = field.text.find(',', start);
            const std::size_t end = comma == std::string_view::npos ? field.text.size() : comma;
            const field_token item{field.text.substr(start, end - start), field.offset + start};
            if (!parse_item(item, selected)) {
                return false;
            }
            if (comma == std::string_view::npos) {
                return true;
            }
            start = comma + 1;
        }
    }

private:
    bool parse_item(field_token item, std::vector<bool>& selected) {
        if (item.text.empty()) {
            return fail(item.offset, "empty list item in " + std::string{spec_.name} + " field");
        }
        const std::size_t slash = item.text.find('/');
        const field_token base{item.text.substr(0, slash), item.offset};
        int first = spec_.min;
        int last = spec_.open_max;
        if (base.text != "*") {
            const std::size_t dash = base.text.find('-');
            const field_token low{base.text.substr(0, dash), base.offset};
            if (!parse_value(low, first)) {
                return false;
            }
            if (dash != std::string_view::npos) {
                const field_token high{base.text.substr(dash + 1), base.offset + dash + 1};
                if (!parse_value(high, last)) {
                    return false;
                }
                if (last < first) {
                    return fail(base.offset, std::string{spec_.name} + " range '" +
                                                 std::string{base.text} +
                                                 "' ends before it starts");
                }
            } else if (slash == std::string_view::npos) {
                last = first;
            } else {
                // `N/n` runs to the field's end; `7/n` on weekdays is Sunday alone.
                last = std::max(first, spec_.open_max);
            }
        }

        int step = 1;
        if (slash != std::string_view::npos) {
            const std::string_view step_text = item.text.substr(slash + 1);
            if (!all_of(step_text, is_digit) || parse_number(step_text) == 0) {
                return fail(item.offset + slash,
                            "bad step '" + std::string{item.text.substr(slash)} + "'");
            }
            step = parse_number(step_text);
        }
        for (int v = first; v <= last; v += step) {
            selected[static_cast<std::size_t>(v)] = true;
        }
        return true;
    }

    bool parse_value(field_token token, int& out) {
        if (token.text.empty()) {
            return fail(token.offset, "missing " + std::string{spec_.name} + " value");
        }
        if (all_of(token.text, is_digit)) {
            const int value = parse_number(token.text);
            if (value < spec_.min || value > spec_.max) {
                return fail(token.offset, std::string{spec_.name} + " " + std::string{token.text} +
                                              " is out of range " + std::to_string(spec_.min) +
                                              "-" + std::to_string(spec_.max));
            }
            out = value;
            return true;
        }
        if (spec_.names != nullptr && all_of(token.text, is_alpha)) {
            const auto& names = *spec_.names;
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (equals_folded(token.text, names[i])) {
                    out = spec_.min + static_cast<int>(i);
                    return true;
                }
            }
            return fail(token.offset, with_suggestion("unknown " + std::string{spec_.name_kind} +
                                                          " name '" + std::string{token.text} + "'",
                                                      token.text, names));
        }
        return fail(token.offset,
                    "bad " + std::string{spec_.name} + " value '" + std::string{token.text} + "'");
    }

    bool fail(std::size_t offset, std::string message) {
        result_.error_offset = offset;
        result_.error = std::move(message);
        return false;
    }

    const field_spec& spec_;
    cron_parse_result& result_;
};

template <std::size_t N>
std::bitset<N> to_bits(const std::vector<bool>& selected) {
    std::bitset<N> bits;
    for (std::size_t i = 0; i < N && i < selected.size(); ++i) {
        bits[i] = selected[i];
    }
    return bits;
}

} // namespace

cron_parse_result parse_cron(std::string_view text) {
    cron_parse_result result;

    std::vector<field_token> tokens;
    std::size_t pos = 0;
    while (true) {
        while (pos < text.size() && is_space(text[pos])) {
            ++pos;
        }
        if (pos == text.size()) {
            break;
        }
        const std::size_t start = pos;
        while (pos < text.size() && !is_space(text[pos])) {
            ++pos;
        }
        tokens.push_back({text.substr(start, pos - start), start});
    }
    if (tokens.size() != fields.size()) {
        // Too many: point at the first extra field. Too few: point where the next would go.
        result.error_offset =
            tokens.size() > fields.size() ? tokens[fields.size()].offset : text.size();
        result.error =
            "cron expression needs 5 fields (minute hour day-of-month month day-of-week), got " +
            std::to_string(tokens.size());
        return result;
    }

    std::array<std::vector<bool>, 5> selected;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        selected[i].assign(static_cast<std::size_t>(fields[i].max) + 1, false);
        field_parser parser{fields[i], result};
        if (!parser.parse(tokens[i], selected[i])) {
            return result;
        }
    }

    cron_expression expression;
    expression.minutes = to_bits<60>(selected[0]);
    expression.hours = to_bits<24>(selected[1]);
    expression.days_of_month = to_bits<32>(selected[2]);
    expression.months = to_bits<13>(selected[3]);
    std::vector<bool>& weekdays = selected[4];
    if (weekdays[7]) {
        weekdays[0] = true;
    }
    expression.days_of_week = to_bits<7>(weekdays);
    // Only a literal `*` lifts the day restriction; `*/2` is a restriction like any other.
    // As in Vixie cron, a day field that starts with `*` (also `*/2`) does not restrict the
    // day, so "every other day of the month, on Mondays" is not an OR of the two.
    expression.any_day_of_month = tokens[2].text.starts_with('*');
    expression.any_day_of_week = tokens[4].text.starts_with('*');
    result.expression = expression;
    return result;
}

} // namespace rapport::rules
