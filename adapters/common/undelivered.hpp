// The delivery of a request that got no HTTP answer, the same for every platform: the
// platform's answer is each adapter's to read, the lack of one is not.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"

namespace rapport::adapters {

/// retry when the request cannot have reached the receiver, unknown when it may have; failed
/// when the client refused the URL or the request, which waiting will not mend. The error is
/// the failure's message (no secrets: https_client never names a path, query or header value).
[[nodiscard]] inline delivery undelivered(const https_failure& f) {
    delivery d;
    d.what = f.retry_is_safe() ? delivery::outcome::retry : delivery::outcome::unknown;
    if (f.kind == https_error::invalid_url || f.kind == https_error::invalid_request ||
        f.kind == https_error::plain_http_refused) {
        d.what = delivery::outcome::failed;
    }
    d.error = f.message;
    return d;
}

} // namespace rapport::adapters
