#include "adapters/slack/web_api.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/common/json_fields.hpp"
#include "adapters/common/retry_after.hpp"
#include "adapters/common/undelivered.hpp"

#include <boost/json.hpp>

#include <array>

namespace rapport::adapters::slack {

namespace {

namespace json = boost::json;

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
    if (const auto s = json_fields::string(o, key)) {
        return std::string(*s);
    }
    return std::nullopt;
}

// Errors Slack documents as passing: trying again later may succeed.
bool transient(std::string_view error) {
    constexpr std::array codes{"ratelimited", "internal_error", "fatal_error",
                               "service_unavailable", "request_timeout"};
    for (const std::string_view c : codes) {
        if (error == c) {
            return true;
        }
    }
    return false;
}

} // namespace

std::optional<api_answer> parse_api_answer(std::string_view body) {
    const auto parsed = json_fields::parse_object(body);
    if (!parsed) {
        return std::nullopt;
    }
    const json::object& o = *parsed;
    const auto* ok = o.if_contains("ok");
    if (ok == nullptr || !ok->is_bool()) {
        return std::nullopt;
    }
    api_answer a;
    a.ok = ok->get_bool();
    a.error = string_field(o, "error").value_or("");
    a.channel = string_field(o, "channel");
    a.ts = string_field(o, "ts");
    return a;
}

delivery classify(const https_result& result, std::chrono::system_clock::time_point now) {
    if (!result) {
        return undelivered(result.error());
    }
    delivery d;
    const https_response& r = *result;
    const auto answer = parse_api_answer(r.body);
    if (r.status == 429) {
        d.what = delivery::outcome::retry;
        const auto header = r.headers.get("Retry-After");
        d.retry_after = (header ? parse_retry_after(*header, now) : std::nullopt)
                            .value_or(std::chrono::seconds{30});
        d.error = "Slack rate limit (429 ratelimited)";
        return d;
    }
    if (r.status >= 500) {
        d.what = delivery::outcome::retry;
        d.error = "Slack answered " + std::to_string(r.status);
        return d;
    }
    if (r.status >= 200 && r.status < 300 && answer && answer->ok) {
        d.what = delivery::outcome::sent;
        if (answer->channel && answer->ts) {
            d.sent_id = *answer->channel + ":" + *answer->ts;
        }
        return d;
    }
    if (answer && !answer->error.empty()) {
        d.what = transient(answer->error) ? delivery::outcome::retry : delivery::outcome::failed;
        d.error = "Slack refused it: " + answer->error;
        return d;
    }
    d.what = delivery::outcome::failed;
    d.error = "Slack answered " + std::to_string(r.status) + ": " + excerpt(r.body);
    return d;
}

web_api::web_api(https_client client, std::string api_base_url, std::string bot_token)
    : client_(std::move(client)),
      base_url_(std::move(api_base_url)),
      bot_token_(std::move(bot_token)) {}

net::awaitable<https_result> web_api::call(std::string_view method, std::string json_body) const {
    https_request request;
    request.method = "POST";
    request.url = base_url_ + "/" + std::string(method);
    request.headers.add("Authorization", "Bearer " + bot_token_);
    request.headers.add("Content-Type", "application/json; charset=utf-8");
    request.body = std::move(json_body);
    co_return co_await client_.send(std::move(request));
}

} // namespace rapport::adapters::slack
