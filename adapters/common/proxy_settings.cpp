// The proxy URL is split by hand rather than with Boost.URL: 1.81 reads a host name that starts
// with an IPv4 address as that address (see parse_target in https_client.cpp), and a proxy URL
// needs only scheme, userinfo, host and port.
#include "adapters/common/proxy_settings.hpp"

#include "rules/ascii.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <boost/asio/ip/address.hpp>

namespace rapport::adapters {

namespace {

bool is_plain_host_name(std::string_view s) {
    return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

std::string base64(std::string_view s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()),
                                  static_cast<int>(s.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> parse_port(std::string_view s) {
    if (s.empty() || s.size() > 5) {
        return std::nullopt;
    }
    unsigned long n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        n = n * 10 + static_cast<unsigned long>(c - '0');
    }
    if (n == 0 || n > 65535) {
        return std::nullopt;
    }
    return std::to_string(n);
}

bool is_loopback(std::string_view host) {
    if (rules::ascii_lowercase(host) == "localhost") {
        return true;
    }
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(std::string(host), ec);
    return !ec && a.is_loopback();
}

/// The environment variable `lower_name`, else `upper_name`; unset and empty are alike.
std::optional<std::pair<std::string, std::string>> from_environment(const char* lower_name,
                                                                    const char* upper_name) {
    for (const char* name : {lower_name, upper_name}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') {
            return std::pair<std::string, std::string>{name, value};
        }
    }
    return std::nullopt;
}

using proxy_result = boost::system::result<https_proxy, std::string>;

proxy_result refuse(std::string why) {
    return proxy_result(boost::system::in_place_error, std::move(why));
}

} // namespace

boost::system::result<https_proxy, std::string> parse_https_proxy(std::string_view url) {
    std::string_view rest = rules::trim_blanks(url);
    const auto scheme_end = rest.find("://");
    if (scheme_end != std::string_view::npos) {
        const std::string scheme = rules::ascii_lowercase(rest.substr(0, scheme_end));
        if (scheme != "http") {
            // Show the scheme only if it looks like one: the text before "://" could be anything.
            const bool shown = !scheme.empty() && scheme.size() <= 16 &&
                               std::all_of(scheme.begin(), scheme.end(), [](char c) {
                                   return (c >= 'a' && c <= 'z') || c == '+' || c == '-' ||
                                          c == '.' || (c >= '0' && c <= '9');
                               });
            return refuse(std::string("only http:// proxies are supported") +
                          (shown ? ", not " + scheme + "://" : std::string()));
        }
        rest.remove_prefix(scheme_end + 3);
    }
    // The authority ends where a path, query or fragment starts; what follows is ignored.
    rest = rest.substr(0, rest.find_first_of("/?#"));
    https_proxy p;
    const auto at = rest.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        rest.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        const auto user = rules::percent_decode(userinfo.substr(0, colon), false);
        const auto password = rules::percent_decode(
            colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1),
            false);
        if (!user || !password) {
            return refuse("bad percent-encoding in the proxy credentials");
        }
        p.authorization = "Basic " + base64(*user + ":" + *password);
    }
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return refuse("malformed IPv6 address in the proxy URL");
        }
        p.host = std::string(rest.substr(1, close - 1));
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            return refuse("malformed host or port in the proxy URL");
        }
        port = after.empty() ? std::string_view{} : after.substr(1);
        boost::system::error_code ec;
        (void)boost::asio::ip::make_address_v6(p.host, ec);
        if (ec) {
            return refuse("malformed IPv6 address in the proxy URL");
        }
        p.host_is_address = true;
        p.authority = "[" + p.host + "]";
    } else {
        const auto colon = rest.find(':');
        p.host = std::string(rest.substr(0, colon));
        port = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        if (!is_plain_host_name(p.host)) {
            return refuse("the proxy URL has no usable host");
        }
        boost::system::error_code ec;
        (void)boost::asio::ip::make_address_v4(p.host, ec);
        p.host_is_address = !ec;
        p.authority = p.host;
    }
    if (port.empty()) {
        p.port = "80";
    } else if (auto n = parse_port(port)) {
        p.port = *n;
    } else {
        return refuse("the proxy port must be a number from 1 to 65535");
    }
    p.authority += ":" + p.port;
    return p;
}

no_proxy_list::no_proxy_list(std::string_view spec) {
    while (!spec.empty()) {
        const auto comma = spec.find(',');
        std::string entry = rules::ascii_lowercase(rules::trim_blanks(spec.substr(0, comma)));
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (entry == "*") {
            all_ = true;
            continue;
        }
        // Ports are ignored: "[::1]:8443" and "host:8443" name a host; "::1" (two or more
        // colons, no brackets) is an IPv6 address.
        if (!entry.empty() && entry.front() == '[') {
            const auto close = entry.find(']');
            std::string inside = entry.substr(1, close == std::string::npos ? 0 : close - 1);
            // Keep a CIDR suffix written after the brackets: "[fd00::]/8".
            if (close != std::string::npos && entry.find('/', close) != std::string::npos) {
                inside += entry.substr(entry.find('/', close));
            }
            entry = std::move(inside);
        } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
            entry.erase(entry.find(':'));
        }
        const auto slash = entry.find('/');
        std::optional<unsigned> prefix;
        std::string address = entry.substr(0, slash);
        if (slash != std::string::npos) {
            const std::string bits = entry.substr(slash + 1);
            if (bits.empty() || bits.size() > 3 ||
                !std::all_of(bits.begin(), bits.end(),
                             [](char c) { return c >= '0' && c <= '9'; })) {
                continue; // not an address/prefix we understand: ignore it, as curl does
            }
            prefix = static_cast<unsigned>(std::stoul(bits));
        }
        boost::system::error_code ec;
        const auto a = boost::asio::ip::make_address(address, ec);
        if (!ec) {
            network n;
            n.v4 = a.is_v4();
            if (n.v4) {
                const auto b = a.to_v4().to_bytes();
                std::copy(b.begin(), b.end(), n.bytes.begin());
            } else {
                n.bytes = a.to_v6().to_bytes();
            }
            const unsigned max = n.v4 ? 32 : 128;
            n.prefix = std::min(prefix.value_or(max), max);
            networks_.push_back(n);
            continue;
        }
        if (prefix) {
            continue;
        }
        // ".example.com" and "*.example.com" mean what "example.com" means: it and below.
        if (entry.rfind("*.", 0) == 0) {
            entry.erase(0, 2);
        }
        while (!entry.empty() && entry.front() == '.') {
            entry.erase(0, 1);
        }
        while (!entry.empty() && entry.back() == '.') {
            entry.pop_back();
        }
        if (!entry.empty()) {
            names_.push_back(std::move(entry));
        }
    }
}

bool no_proxy_list::excludes(std::string_view host) const {
    if (all_) {
        return true;
    }
    std::string h = rules::ascii_lowercase(host);
    while (!h.empty() && h.back() == '.') {
        h.pop_back();
    }
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(h, ec);
    if (!ec) {
        std::array<std::uint8_t, 16> bytes{};
        if (a.is_v4()) {
            const auto b = a.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), bytes.begin());
        } else {
            bytes = a.to_v6().to_bytes();
        }
        return std::any_of(networks_.begin(), networks_.end(), [&](const network& n) {
            if (n.v4 != a.is_v4()) {
                return false;
            }
            const unsigned whole = n.prefix / 8;
            const unsigned rest = n.prefix % 8;
            if (!std::equal(n.bytes.begin(), n.bytes.begin() + whole, bytes.begin())) {
                return false;
            }
            if (rest == 0) {
                return true;
            }
            const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
            return (n.bytes[whole] & mask) == (bytes[whole] & mask);
        });
    }
    return std::any_of(names_.begin(), names_.end(), [&](const std::string& name) {
        return h == name || (h.size() > name.size() && h.ends_with(name) &&
                             h[h.size() - name.size() - 1] == '.');
    });
}

bool proxy_settings::applies_to(std::string_view host) const {
    return proxy.has_value() && !is_loopback(host) && !no_proxy.excludes(host);
}

proxy_settings load_proxy_settings(const std::optional<std::string>& proxy,
                                   const std::optional<std::string>& no_proxy) {
    proxy_settings s;
    std::optional<std::pair<std::string, std::string>> source;
    if (proxy) {
        if (!proxy->empty()) {
            source.emplace("the proxy option", *proxy);
        }
    } else {
        source = from_environment("https_proxy", "HTTPS_PROXY");
    }
    if (source) {
        auto parsed = parse_https_proxy(source->second);
        if (!parsed) {
            throw std::runtime_error("invalid proxy URL in " + source->first + ": " +
                                     parsed.error());
        }
        s.proxy = std::move(*parsed);
    }
    if (no_proxy) {
        s.no_proxy = no_proxy_list(*no_proxy);
    } else if (auto env = from_environment("no_proxy", "NO_PROXY")) {
        s.no_proxy = no_proxy_list(env->second);
    }
    return s;
}

} // namespace rapport::adapters
