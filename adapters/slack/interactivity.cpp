#include "adapters/slack/interactivity.hpp"

#include "adapters/common/json_fields.hpp"
#include "adapters/slack/block_kit.hpp"

#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>

#include <charconv>

namespace rapport::adapters::slack {

namespace {

namespace json = boost::json;

using json_fields::object;

std::string string_at(const json::object& o, std::string_view key) {
    return std::string(json_fields::string(o, key).value_or(""));
}

interaction ignored(std::string why) {
    interaction i;
    i.what = interaction::kind::other;
    i.ignored = std::move(why);
    return i;
}

interaction_result invalid(std::string why) {
    return {std::nullopt, std::move(why)};
}

// The `payload` field of the form, decoded ('+' is a space in form encoding).
std::optional<std::string> payload_field(std::string_view form_body, std::string& error) {
    const auto params = boost::urls::parse_query(form_body);
    if (!params) {
        error = "the body is not form-encoded";
        return std::nullopt;
    }
    boost::urls::encoding_opts form;
    form.space_as_plus = true;
    for (const auto& p : *params) {
        if (p.key == "payload" && p.has_value) {
            return p.value.decode(form);
        }
    }
    error = "the body has no payload field";
    return std::nullopt;
}

interaction_result read_block_actions(const json::object& payload, interaction base) {
    const json::array* actions = json_fields::array(payload, "actions");
    if (actions == nullptr || actions->empty() || !actions->front().is_object()) {
        return invalid("block_actions without actions");
    }
    // A button click carries exactly the one action clicked.
    const json::object& action = actions->front().get_object();
    base.action_id = string_at(action, "action_id");
    if (base.action_id != approve_action && base.action_id != edit_action &&
        base.action_id != reject_action) {
        return {ignored("unknown_action"), {}};
    }
    if (!parse_draft_reference(string_at(action, "value"), base.draft_id, base.version)) {
        return invalid("the button's value is not a draft reference");
    }
    base.what = interaction::kind::button;
    base.trigger_id = string_at(payload, "trigger_id");
    base.response_url = string_at(payload, "response_url");
    return {std::move(base), {}};
}

interaction_result read_view_submission(const json::object& payload, interaction base) {
    const json::object* view = object(payload, "view");
    if (view == nullptr) {
        return invalid("view_submission without a view");
    }
    if (string_at(*view, "callback_id") != edit_view_callback) {
        return {ignored("unknown_view"), {}};
    }
    if (!parse_draft_reference(string_at(*view, "private_metadata"), base.draft_id, base.version)) {
        return invalid("the view's private_metadata is not a draft reference");
    }
    base.what = interaction::kind::edit_submitted;
    // view.state.values.<block_id>.<action_id>.value: null when the input was left empty.
    const json::object* state = object(*view, "state");
    const json::object* values = state != nullptr ? object(*state, "values") : nullptr;
    const json::object* block = values != nullptr ? object(*values, edit_text_block) : nullptr;
    const json::object* input = block != nullptr ? object(*block, edit_text_action) : nullptr;
    if (input != nullptr) {
        if (const auto value = json_fields::string(*input, "value")) {
            base.text = std::string(*value);
        }
    }
    return {std::move(base), {}};
}

} // namespace

bool parse_draft_reference(std::string_view value, std::string& draft_id, int& version) {
    const auto colon = value.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= value.size()) {
        return false;
    }
    const std::string_view digits = value.substr(colon + 1);
    int parsed = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (ec != std::errc{} || end != digits.data() + digits.size() || parsed < 1) {
        return false;
    }
    draft_id = std::string(value.substr(0, colon));
    version = parsed;
    return true;
}

interaction_result parse_interaction(std::string_view form_body) {
    std::string error;
    const auto text = payload_field(form_body, error);
    if (!text) {
        return invalid(std::move(error));
    }
    boost::system::error_code ec;
    const json::value parsed = json::parse(*text, ec);
    if (ec || !parsed.is_object()) {
        return invalid("the payload is not a JSON object");
    }
    const json::object& payload = parsed.get_object();
    const std::string type = string_at(payload, "type");
    if (type.empty()) {
        return invalid("the payload has no type");
    }
    if (type != "block_actions" && type != "view_submission") {
        return {ignored(type.size() <= 40 ? type : "unknown_type"), {}};
    }
    interaction base;
    if (const json::object* user = object(payload, "user")) {
        base.user_id = string_at(*user, "id");
    }
    if (base.user_id.empty()) {
        return invalid(type + " without user.id");
    }
    return type == "block_actions" ? read_block_actions(payload, std::move(base))
                                   : read_view_submission(payload, std::move(base));
}

} // namespace rapport::adapters::slack
