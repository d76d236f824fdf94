#include "rules/decision.hpp"

#include "rules/json_text.hpp"

#include <array>

namespace rapport::rules {

std::string_view to_string(draft_kind k) {
    switch (k) {
        case draft_kind::reply:
            return "reply";
        case draft_kind::offer:
            return "offer";
        case draft_kind::thanks:
            return "thanks";
        case draft_kind::insight_question:
            return "insight_question";
    }
    return "reply";
}

std::string_view to_string(priority p) {
    switch (p) {
        case priority::low:
            return "low";
        case priority::normal:
            return "normal";
        case priority::high:
            return "high";
        case priority::urgent:
            return "urgent";
    }
    return "normal";
}

std::optional<priority> parse_priority(std::string_view s) {
    for (const auto p : {priority::low, priority::normal, priority::high, priority::urgent}) {
        if (to_string(p) == s) {
            return p;
        }
    }
    return std::nullopt;
}

std::string_view unqualified(std::string_view qualified) {
    const auto slash = qualified.rfind('/');
    return slash == std::string_view::npos ? qualified : qualified.substr(slash + 1);
}

namespace {

void append_string_array(std::string& out, const std::vector<std::string>& items) {
    out.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        append_json_string(out, items[i]);
    }
    out.push_back(']');
}

void append_draft(std::string& out, const draft_spec& d) {
    out.append("{\"rule\":");
    append_json_string(out, d.rule);
    out.append(",\"kind\":\"");
    out.append(to_string(d.kind));
    out.append("\",\"team\":");
    if (d.team) {
        append_json_string(out, *d.team);
    } else {
        out.append("null");
    }
    out.append(",\"priority\":\"");
    out.append(to_string(d.priority));
    out.append("\",\"text\":");
    append_json_string(out, d.text);
    out.append(d.is_private ? ",\"private\":true" : ",\"private\":false");
    out.append(d.too_long ? ",\"too_long\":true" : ",\"too_long\":false");
    if (d.offer) {
        out.append(",\"offer\":");
        append_json_string(out, unqualified(*d.offer));
    }
    out.push_back('}');
}

} // namespace

void append_json(std::string& out, const decision& d) {
    out.append("{\"message_id\":");
    append_json_string(out, d.message_id);
    out.append(",\"sentiment\":");
    out.append(std::to_string(d.sentiment));
    out.append(",\"tags\":");
    append_string_array(out, d.tags);
    out.append(",\"matched\":");
    append_string_array(out, d.matched);
    out.append(",\"drafts\":[");
    for (std::size_t i = 0; i < d.drafts.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        append_draft(out, d.drafts[i]);
    }
    out.append("],\"collect\":");
    append_string_array(out, d.collect);
    out.append(",\"sla_seconds\":");
    if (d.sla) {
        out.append(std::to_string(d.sla->count()));
    } else {
        out.append("null");
    }
    if (!d.skipped.empty()) {
        out.append(",\"skipped\":[");
        for (std::size_t i = 0; i < d.skipped.size(); ++i) {
            if (i > 0) {
                out.push_back(',');
            }
            out.append("{\"rule\":");
            append_json_string(out, d.skipped[i].rule);
            out.append(",\"reason\":");
            append_json_string(out, d.skipped[i].reason);
            out.push_back('}');
        }
        out.push_back(']');
    }
    out.push_back('}');
}

} // namespace rapport::rules
