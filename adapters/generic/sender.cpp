#include "adapters/generic/sender.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/common/retry_after.hpp"
#include "adapters/common/signature.hpp"
#include "adapters/common/undelivered.hpp"
#include "adapters/generic/wire.hpp"

#include <algorithm>

namespace rapport::adapters::generic {

delivery classify(const https_result& result, std::chrono::system_clock::time_point now) {
    if (!result) {
        return undelivered(result.error());
    }
    delivery d;
    const https_response& r = *result;
    const std::string status = "reply_url answered " + std::to_string(r.status);
    if (r.status >= 200 && r.status < 300) {
        d.what = delivery::outcome::sent;
        d.sent_id = sent_id(r.body);
        return d;
    }
    if (r.status == 429 || r.status >= 500) {
        d.what = delivery::outcome::retry;
        d.error = status;
        if (const auto after = r.headers.get("Retry-After")) {
            d.retry_after = parse_retry_after(*after, now);
        }
        return d;
    }
    d.what = delivery::outcome::failed;
    d.error = r.status >= 300 && r.status < 400
                  ? status + ": redirects are not followed; set reply_url to the final address"
                  : status + (r.body.empty() ? "" : ": " + excerpt(r.body));
    return d;
}

reply_poster::reply_poster(https_client client, std::string reply_url, std::string secret)
    : client_(std::move(client)), reply_url_(std::move(reply_url)), secret_(std::move(secret)) {}

net::awaitable<delivery> reply_poster::send(const outgoing_reply& reply) {
    generic::reply r;
    r.draft_id = reply.draft_id;
    r.account = reply.account;
    if (reply.in_reply_to) {
        r.in_reply_to = reply.in_reply_to->id;
        r.thread_id = reply.in_reply_to->thread_id;
    }
    r.text = reply.text;
    r.is_private = reply.is_private;
    r.kind = reply.kind;
    https_request request;
    request.method = "POST";
    request.url = reply_url_;
    request.body = reply_body(r);
    const auto now = std::chrono::system_clock::now();
    const auto signature =
        sign_rapport(secret_, request.body, std::chrono::floor<std::chrono::seconds>(now));
    request.headers.add("Content-Type", "application/json");
    request.headers.add("X-Rapport-Timestamp", signature.timestamp);
    request.headers.add("X-Rapport-Signature", signature.signature);
    request.headers.add("Idempotency-Key", reply.draft_id);
    https_result result = co_await client_.send(std::move(request));
    co_return classify(result, std::chrono::system_clock::now());
}

} // namespace rapport::adapters::generic
