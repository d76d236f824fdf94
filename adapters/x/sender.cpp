#include "adapters/x/sender.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/common/retry_after.hpp"
#include "adapters/common/undelivered.hpp"
#include "adapters/x/wire.hpp"

#include <charconv>
#include <exception>

namespace rapport::adapters::x {

namespace {

std::optional<std::chrono::seconds> until_reset(std::string_view reset,
                                                std::chrono::system_clock::time_point now) {
    std::int64_t epoch = 0;
    const auto [ptr, ec] = std::from_chars(reset.data(), reset.data() + reset.size(), epoch);
    if (reset.empty() || ec != std::errc() || ptr != reset.data() + reset.size()) {
        return std::nullopt;
    }
    const std::int64_t at =
        std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
    // A reset already past means "now"; one absurdly far is capped as Retry-After's are (2^31
    // s), so the dispatcher's `now + wait` cannot overflow. Compared before subtracting.
    constexpr std::int64_t max_wait = std::int64_t{1} << 31;
    if (epoch <= at) {
        return std::chrono::seconds{0};
    }
    return std::chrono::seconds{epoch - at > max_wait ? max_wait : epoch - at};
}

oauth1_stamp clock_stamp() {
    oauth1_stamp s;
    s.nonce = make_nonce();
    s.timestamp = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())
                      .time_since_epoch()
                      .count();
    return s;
}

delivery failed_with(std::string error) {
    delivery d;
    d.what = delivery::outcome::failed;
    d.error = std::move(error);
    return d;
}

} // namespace

reply_target target_of(const outgoing_reply& reply) {
    reply_target t;
    if (!reply.in_reply_to) {
        // An insight question starts a conversation: a new Post.
        t.path = "/2/tweets";
        t.body = create_post_body(reply.text, std::nullopt);
        return t;
    }
    const rules::message& m = *reply.in_reply_to;
    if (rules::goes_as_direct_message(reply.is_private, m.kind)) {
        if (!is_numeric_id(m.author.id)) {
            t.error =
                "author id '" + m.author.id + "' is not an X user id, so no DM can reach them";
            return t;
        }
        t.path = "/2/dm_conversations/with/" + m.author.id + "/messages";
        t.body = direct_message_body(reply.text);
        return t;
    }
    if (!is_numeric_id(m.id)) {
        t.error = "message id '" + m.id + "' is not an X Post id";
        return t;
    }
    t.path = "/2/tweets";
    t.body = create_post_body(reply.text, m.id);
    return t;
}

delivery classify(const https_result& result, std::chrono::system_clock::time_point now) {
    if (!result) {
        return undelivered(result.error());
    }
    delivery d;
    const https_response& r = *result;
    const auto answer = parse_api_answer(r.body);
    if (r.status >= 200 && r.status < 300) {
        d.what = delivery::outcome::sent;
        if (answer) {
            d.sent_id = answer->id;
        }
        return d;
    }
    std::string error = "X answered " + std::to_string(r.status);
    if (answer && !answer->problem.empty()) {
        error += ": " + excerpt(answer->problem);
    } else if (!answer && !r.body.empty()) {
        error += ": " + excerpt(r.body);
    }
    if (r.status == 429 || r.status >= 500) {
        d.what = delivery::outcome::retry;
        d.error = std::move(error);
        if (const auto reset = r.headers.get("x-rate-limit-reset"); reset && r.status == 429) {
            d.retry_after = until_reset(*reset, now);
        }
        if (!d.retry_after) {
            if (const auto after = r.headers.get("Retry-After")) {
                d.retry_after = parse_retry_after(*after, now);
            }
        }
        return d;
    }
    if (r.status == 401) {
        error +=
            " (check the account's consumer_key, consumer_secret, access_token and "
            "access_token_secret)";
    }
    return failed_with(std::move(error));
}

api_sender::api_sender(https_client client,
                       std::string api_base_url,
                       oauth1_credentials credentials,
                       stamp_source stamps)
    : client_(std::move(client)),
      credentials_(std::move(credentials)),
      stamps_(stamps ? std::move(stamps) : stamp_source(clock_stamp)) {
    while (!api_base_url.empty() && api_base_url.back() == '/') {
        api_base_url.pop_back();
    }
    base_url_ = std::move(api_base_url);
}

net::awaitable<delivery> api_sender::send(const outgoing_reply& reply) {
    reply_target target = target_of(reply);
    if (!target.error.empty()) {
        co_return failed_with(std::move(target.error));
    }
    https_request request;
    request.method = "POST";
    request.url = base_url_ + target.path;
    request.body = std::move(target.body);
    std::optional<std::string> authorization;
    try {
        // The body is JSON: no body parameters are signed.
        authorization =
            authorization_header(credentials_, request.method, request.url, {}, stamps_());
    } catch (const std::exception& e) {
        co_return failed_with(std::string("could not sign the request: ") + e.what());
    }
    if (!authorization) {
        co_return failed_with("api_base_url is not an http(s) URL");
    }
    request.headers.add("Authorization", std::move(*authorization));
    request.headers.add("Content-Type", "application/json");
    const https_result result = co_await client_.send(std::move(request));
    co_return classify(result, std::chrono::system_clock::now());
}

} // namespace rapport::adapters::x
