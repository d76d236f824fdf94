#include "daemon/http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace rapport::http {

namespace {

/// Splits "/a/b" into {"a", "b"}; "/" gives {""} so it only matches the pattern "/".
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return out;
}

} // namespace

void route_params::add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> route_params::get(std::string_view name) const noexcept {
    for (const auto& [k, v] : items_) {
        if (k == name) {
            return std::string_view{v};
        }
    }
    return std::nullopt;
}

std::string_view route_params::operator[](std::string_view name) const noexcept {
    return get(name).value_or(std::string_view{});
}

void router::add(std::string method, std::string_view pattern, handler_fn handler) {
    if (method.empty() || pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    }
    if (!handler) {
        throw std::invalid_argument("route without handler: " + std::string(pattern));
    }
    route r;
    r.method = std::move(method);
    r.pattern = std::string(pattern);
    for (const auto part : split_path(pattern)) {
        const bool open = part.find('{') != std::string_view::npos;
        const bool close = part.find('}') != std::string_view::npos;
        if (open || close) {
            if (part.size() < 3 || part.front() != '{' || part.back() != '}' ||
                part.substr(1, part.size() - 2).find_first_of("{}") != std::string_view::npos) {
                throw std::invalid_argument("bad route parameter segment in " + r.pattern);
            }
            r.segments.push_back(segment{std::string(part.substr(1, part.size() - 2)), true});
        } else {
            r.segments.push_back(segment{std::string(part), false});
        }
    }
    for (const auto& other : routes_) {
        if (other.method != r.method || other.segments.size() != r.segments.size()) {
            continue;
        }
        const bool same_shape =
            std::equal(other.segments.begin(), other.segments.end(), r.segments.begin(),
                       [](const segment& a, const segment& b) {
                           return a.is_param == b.is_param && (a.is_param || a.text == b.text);
                       });
        if (same_shape) {
            throw std::invalid_argument("duplicate route " + r.method + " " + r.pattern);
        }
    }
    r.handler = std::move(handler);
    routes_.push_back(std::move(r));
}

router::match_result router::match(std::string_view method, std::string_view path) const {
    match_result result;
    if (path.empty() || path.front() != '/') {
        result.outcome = match_result::kind::bad_path;
        return result;
    }
    std::vector<std::string> decoded;
    for (const auto part : split_path(path)) {
        auto d = percent_decode(part, false);
        if (!d) {
            result.outcome = match_result::kind::bad_path;
            return result;
        }
        decoded.push_back(std::move(*d));
    }

    // Is `a` more specific than `b`? Literal beats param at the first differing position.
    const auto more_specific = [](const route& a, const route& b) {
        for (std::size_t i = 0; i < a.segments.size(); ++i) {
            if (a.segments[i].is_param != b.segments[i].is_param) {
                return !a.segments[i].is_param;
            }
        }
        return false;
    };

    const route* best = nullptr;
    std::vector<std::string_view> allowed;
    for (const auto& r : routes_) {
        if (r.segments.size() != decoded.size()) {
            continue;
        }
        bool ok = true;
        for (std::size_t i = 0; i < decoded.size() && ok; ++i) {
            const auto& s = r.segments[i];
            ok = s.is_param ? !decoded[i].empty() : s.text == decoded[i];
        }
        if (!ok) {
            continue;
        }
        if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
            allowed.push_back(r.method);
        }
        if (r.method == method && (best == nullptr || more_specific(r, *best))) {
            best = &r;
        }
    }
    if (best != nullptr) {
        result.outcome = match_result::kind::found;
        result.handler = &best->handler;
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            if (best->segments[i].is_param) {
                result.params.add(best->segments[i].text, std::move(decoded[i]));
            }
        }
        return result;
    }
    if (!allowed.empty()) {
        result.outcome = match_result::kind::method_not_allowed;
        for (const auto m : allowed) {
            if (!result.allow.empty()) {
                result.allow += ", ";
            }
            result.allow += m;
        }
        return result;
    }
    result.outcome = match_result::kind::not_found;
    return result;
}

} // namespace rapport::http
