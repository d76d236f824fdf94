#include "adapters/meta/sender.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/common/retry_after.hpp"
#include "adapters/common/undelivered.hpp"
#include "rules/time.hpp"

#include <algorithm>
#include <array>

namespace rapport::adapters::meta {

namespace {

using namespace std::chrono_literals;

// Graph API codes for "too many calls, slow down" (PLATFORMS.md §5f): app, user, page and
// custom rate limits, and WhatsApp's throughput and per-recipient pair limits.
constexpr std::array<std::int64_t, 6> throttling_codes = {4, 17, 32, 613, 130429, 131056};

bool throttled(const graph_error& e) {
    if (!e.code) {
        return false;
    }
    const std::int64_t code = *e.code;
    // 80000-80099: the Business Use Case rate limits (Pages, Instagram, Messenger, WhatsApp...).
    return std::find(throttling_codes.begin(), throttling_codes.end(), code) !=
               throttling_codes.end() ||
           (code >= 80000 && code < 80100);
}

// Messenger/Instagram answer code 10, subcode 2018278, for a message sent outside the
// allowed window; WhatsApp 131047 ("Re-engagement message").
bool window_closed(const graph_error& e) {
    return (e.code == 10 && e.subcode == 2018278) || e.code == 131047;
}

std::string window_explanation(std::chrono::system_clock::time_point closed_at) {
    return "the 24-hour messaging window closed at " +
           rules::format_timestamp(std::chrono::floor<std::chrono::seconds>(closed_at)) +
           "; Meta allows only template/tagged messages after it";
}

// Where a message goes out from. Messenger and WhatsApp name the Page or the number; Instagram
// messaging with a Page access token (the Messenger Platform's way) goes through the Page the
// account is linked to, which `me` is for that token (an Instagram notification names only
// the Instagram account).
std::string messages_path(surface s, const std::string& owner) {
    return s == surface::instagram ? "/me/messages" : "/" + owner + "/messages";
}

graph_call cannot(std::string why) {
    graph_call c;
    c.error = std::move(why);
    return c;
}

} // namespace

graph_call plan_reply(const outgoing_reply& reply, std::chrono::system_clock::time_point now) {
    if (!reply.in_reply_to) {
        return cannot(
            "a Meta account can only answer a message or a comment: an insight question has "
            "nowhere to go");
    }
    const rules::message& m = *reply.in_reply_to;
    const auto ref = split_id(m.id);
    if (!ref) {
        return cannot("message id '" + m.id + "' is not a Meta \"<surface>:<owner>:<id>\" id");
    }
    graph_call c;
    c.owner = ref->owner;
    const auto window_check = [&](std::chrono::hours window) -> std::string {
        if (!m.created_at) {
            return {};
        }
        const auto closed_at = std::chrono::system_clock::time_point(*m.created_at) + window;
        if (now < closed_at) {
            return {};
        }
        if (window == messaging_window) {
            return window_explanation(closed_at);
        }
        return "the 7-day window for a private reply to this comment closed at " +
               rules::format_timestamp(std::chrono::floor<std::chrono::seconds>(closed_at)) +
               "; Meta accepts none after it";
    };
    // The top comment of the thread the answered comment is in: Meta threads comments one
    // level deep, so an answer to a reply goes under the comment it replied to.
    const auto thread_top = [&](surface kind) {
        if (m.in_reply_to) {
            if (const auto parent = split_id(*m.in_reply_to); parent && parent->surface == kind) {
                return parent->item;
            }
        }
        return ref->item;
    };
    switch (ref->surface) {
        case surface::messenger:
        case surface::instagram:
        case surface::whatsapp: {
            if (auto closed = window_check(messaging_window); !closed.empty()) {
                return cannot(std::move(closed));
            }
            c.path = messages_path(ref->surface, ref->owner);
            c.sent_surface = ref->surface;
            if (ref->surface == surface::whatsapp) {
                c.whatsapp = true;
                c.body = whatsapp_text_body(m.author.id, reply.text, ref->item);
            } else {
                c.body = send_api_body(m.author.id, reply.text);
            }
            return c;
        }
        case surface::facebook_comment:
        case surface::instagram_comment: {
            const bool facebook = ref->surface == surface::facebook_comment;
            if (reply.is_private) {
                if (auto closed = window_check(private_reply_window); !closed.empty()) {
                    return cannot(std::move(closed));
                }
                c.sent_surface = facebook ? surface::messenger : surface::instagram;
                c.path = messages_path(c.sent_surface, ref->owner);
                c.body = private_reply_body(ref->item, reply.text);
                return c;
            }
            const std::string target = thread_top(ref->surface);
            if (!is_graph_id(target)) {
                return cannot("comment id '" + target + "' is not a Graph id");
            }
            c.path = "/" + target + (facebook ? "/comments" : "/replies");
            c.body = comment_body(reply.text);
            c.sent_surface = ref->surface;
            return c;
        }
        case surface::facebook_post:
            if (reply.is_private) {
                return cannot(
                    "Meta takes private replies to comments only: a post that mentions the "
                    "Page can be answered publicly");
            }
            if (!is_graph_id(ref->item)) {
                return cannot("post id '" + ref->item + "' is not a Graph id");
            }
            c.path = "/" + ref->item + "/comments";
            c.body = comment_body(reply.text);
            c.sent_surface = surface::facebook_comment;
            return c;
    }
    return cannot("message id '" + m.id + "' names no surface Rapport answers on");
}

delivery classify(const https_result& result,
                  const graph_call& call,
                  std::chrono::system_clock::time_point now) {
    if (!result) {
        return undelivered(result.error());
    }
    delivery d;
    const https_response& r = *result;
    const auto answer = parse_graph_answer(r.body);
    if (r.status >= 200 && r.status < 300 && (!answer || !answer->error)) {
        d.what = delivery::outcome::sent;
        if (answer && answer->created_id) {
            d.sent_id = make_id(call.sent_surface, call.owner, *answer->created_id);
        }
        return d;
    }
    std::string error = "Meta answered " + std::to_string(r.status);
    const graph_error* e = answer && answer->error ? &*answer->error : nullptr;
    if (e != nullptr) {
        if (!e->message.empty()) {
            error += ": " + excerpt(e->message);
        }
        if (e->code) {
            error += " (code " + std::to_string(*e->code);
            if (e->subcode) {
                error += ", subcode " + std::to_string(*e->subcode);
            }
            error += ")";
        }
    }
    if (r.status == 429 || r.status >= 500 ||
        (e != nullptr && (throttled(*e) || e->is_transient || e->code == 1 || e->code == 2))) {
        d.what = delivery::outcome::retry;
        d.error = std::move(error);
        if (const auto after = r.headers.get("Retry-After")) {
            d.retry_after = parse_retry_after(*after, now);
        }
        if (!d.retry_after) {
            if (const auto usage = r.headers.get("X-Business-Use-Case-Usage")) {
                if (const auto minutes = regain_access_minutes(*usage)) {
                    d.retry_after = std::chrono::minutes{*minutes};
                }
            }
        }
        return d;
    }
    d.what = delivery::outcome::failed;
    if (e != nullptr && window_closed(*e)) {
        error =
            "the 24-hour messaging window has closed; Meta allows only template/tagged messages "
            "after it (" +
            error + ")";
    } else if (e != nullptr && e->code == 190) {
        error += call.whatsapp ? " (check the account's whatsapp_token)"
                               : " (check the account's access_token)";
    }
    d.error = std::move(error);
    return d;
}

graph_sender::graph_sender(https_client client,
                           std::string api_base_url,
                           std::string access_token,
                           std::string whatsapp_token,
                           clock_function clock)
    : client_(std::move(client)),
      base_url_(std::move(api_base_url)),
      access_token_(std::move(access_token)),
      whatsapp_token_(std::move(whatsapp_token)),
      clock_(std::move(clock)) {
    while (!base_url_.empty() && base_url_.back() == '/') {
        base_url_.pop_back();
    }
    if (whatsapp_token_.empty()) {
        whatsapp_token_ = access_token_;
    }
}

net::awaitable<delivery> graph_sender::send(const outgoing_reply& reply) {
    graph_call call = plan_reply(reply, clock_());
    if (!call.error.empty()) {
        delivery d;
        d.what = delivery::outcome::failed;
        d.error = std::move(call.error);
        co_return d;
    }
    const std::string& token = call.whatsapp ? whatsapp_token_ : access_token_;
    https_request request;
    request.method = "POST";
    request.url = base_url_ + call.path;
    request.body = call.body;
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Authorization", "Bearer " + token);
    const https_result result = co_await client_.send(std::move(request));
    delivery d = classify(result, call, clock_());
    d.error = without_secret(without_secret(std::move(d.error), access_token_, "<token>"),
                             whatsapp_token_, "<token>");
    co_return d;
}

} // namespace rapport::adapters::meta
