// Which outbound https:// requests go through an HTTP forward proxy (a CONNECT tunnel), read from
// HTTPS_PROXY and NO_PROXY the way curl, wget and Go read them. Pure parsing, no I/O: the
// https_client does the tunnelling, and these rules can be tested without sockets.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace rapport::adapters {

/// An http:// proxy that tunnels https:// requests with CONNECT. Copyable value type.
struct https_proxy {
    std::string host; ///< name or address, IPv6 without brackets
    bool host_is_address = false;
    std::string port;      ///< decimal; "80" when the URL names none (the http:// default)
    std::string authority; ///< host:port as messages show it (IPv6 bracketed), never credentials
    /// Proxy-Authorization value ("Basic ..."), empty without userinfo. A secret: never shown.
    std::string authorization;
};

/// Parses a proxy URL: `http://[user[:password]@]host[:port][/]`, or the same without the scheme
/// (curl and Go read `proxy.example:3128` as http). Userinfo is percent-decoded and becomes
/// Basic credentials. Only http:// is supported: TLS to the proxy itself (https://) and SOCKS
/// are refused.
///
/// @return the proxy, or why the URL is unusable; the reason never repeats the URL, which may
/// hold a password.
[[nodiscard]] boost::system::result<https_proxy, std::string> parse_https_proxy(
    std::string_view url);

/// A NO_PROXY list: comma-separated entries, each a host name that also covers its subdomains
/// (with or without a leading "." or "*."), an IP address, an IP network in CIDR form
/// ("10.0.0.0/8", "fd00::/8") or "*" for every host. Ports ("host:8443", "[::1]:8443") are
/// ignored, as curl ignores them. Names compare without regard to ASCII case or a trailing dot.
class no_proxy_list {
public:
    no_proxy_list() = default;
    explicit no_proxy_list(std::string_view spec);

    /// Whether `host` (as the URL names it, IPv6 without brackets) must not use the proxy.
    [[nodiscard]] bool excludes(std::string_view host) const;

private:
    struct network {
        bool v4 = true;
        std::array<std::uint8_t, 16> bytes{};
        unsigned prefix = 0;
    };
    bool all_ = false;
    std::vector<std::string> names_; ///< lower case, no leading or trailing dot
    std::vector<network> networks_;
};

/// A client's proxy configuration. Copyable value type.
struct proxy_settings {
    std::optional<https_proxy> proxy;
    no_proxy_list no_proxy;

    /// Whether an https:// request to `host` goes through the proxy: there is one, the host is
    /// not excluded by NO_PROXY, and it is not a loopback host (localhost, 127.0.0.0/8, ::1),
    /// which a proxy elsewhere could not reach as meant.
    [[nodiscard]] bool applies_to(std::string_view host) const;
};

/// The settings from the given values, or where a value is unset from the environment:
/// `https_proxy`, else `HTTPS_PROXY`; `no_proxy`, else `NO_PROXY` (lower case first, as curl
/// does). An empty value means no proxy (or no exclusions).
///
/// Throws std::runtime_error when the proxy URL is unusable, naming where it came from but not
/// its text: sending directly when a proxy was asked for could leak traffic or just fail later.
[[nodiscard]] proxy_settings load_proxy_settings(const std::optional<std::string>& proxy,
                                                 const std::optional<std::string>& no_proxy);

} // namespace rapport::adapters
