#include "daemon/store/decision_body.hpp"

#include <boost/json.hpp>

#include <limits>

namespace rapport::daemon {

decision_body parse_decision_body(std::string_view body,
                                  decide_request::action what,
                                  bool is_signed) {
    decision_body out;
    const bool approving = what == decide_request::action::approve;
    const auto refuse = [&out](std::string why) {
        out = decision_body{};
        out.error = std::move(why);
        return out;
    };
    if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        boost::system::error_code ec;
        const boost::json::value parsed = boost::json::parse(body, ec);
        if (ec || !parsed.is_object()) {
            return refuse("the body must be a JSON object");
        }
        for (const auto& [name, value] : parsed.get_object()) {
            const bool allowed =
                (is_signed && name == "approver") ||
                (approving ? (name == "text" || name == "note" || name == "version")
                           : (name == "reason"));
            if (!allowed) {
                return refuse("unknown field '" + std::string(name) + "'");
            }
            if (name == "version") {
                if (!value.is_int64() || value.get_int64() < 1 ||
                    value.get_int64() > std::numeric_limits<int>::max()) {
                    return refuse("field 'version' must be a whole number from 1");
                }
                out.version = static_cast<int>(value.get_int64());
                continue;
            }
            if (value.is_null()) {
                continue;
            }
            if (!value.is_string()) {
                return refuse("field '" + std::string(name) + "' must be a string");
            }
            std::string text(value.get_string());
            if (name == "text") {
                if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
                    return refuse("an edited text must not be empty");
                }
                out.text = std::move(text);
            } else if (name == "approver") {
                out.approver = std::move(text);
            } else {
                out.note = std::move(text);
            }
        }
    }
    if (is_signed && !out.approver) {
        return refuse("a signed decision names its approver: {\"approver\": ...}");
    }
    return out;
}

} // namespace rapport::daemon
