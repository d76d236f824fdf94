#include "daemon/http/message.hpp"

#include "rules/json_text.hpp"

namespace rapport::http {

void http_headers::add(std::string name, std::string value) {
    fields_.push_back(field{std::move(name), std::move(value)});
}

void http_headers::set(std::string name, std::string value) {
    std::erase_if(fields_, [&](const field& f) { return iequals(f.name, name); });
    add(std::move(name), std::move(value));
}

std::optional<std::string_view> http_headers::get(std::string_view name) const noexcept {
    for (const auto& f : fields_) {
        if (iequals(f.name, name)) {
            return std::string_view{f.value};
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> http_request::query_value(std::string_view name) const noexcept {
    for (const auto& q : query) {
        if (q.name == name) {
            return std::string_view{q.value};
        }
    }
    return std::nullopt;
}

http_response json_response(unsigned status, std::string body) {
    http_response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

http_response json_error(unsigned status, std::string_view code, std::string_view message) {
    std::string body;
    body.reserve(32 + code.size() + message.size());
    body += "{\"error\": ";
    rules::append_json_string(body, code);
    body += ", \"message\": ";
    rules::append_json_string(body, message);
    body += '}';
    return json_response(status, std::move(body));
}

std::optional<std::vector<query_param>> parse_query(std::string_view query) {
    std::vector<query_param> params;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name || !value) {
            return std::nullopt;
        }
        params.push_back(query_param{std::move(*name), std::move(*value)});
    }
    return params;
}

} // namespace rapport::http
