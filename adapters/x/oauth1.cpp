#include "adapters/x/oauth1.hpp"

#include "adapters/common/signature.hpp"
#include "rules/ascii.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace rapport::adapters::x {

namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// Decodes %XX escapes; '+' is a space in form encoding and a plus in header values (RFC 5849
// §3.5.1 encodes those with percent_encode, which never writes '+').
std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+' && plus_is_space) {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && rules::hex_value(s[i + 1]) >= 0 &&
                   rules::hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(rules::hex_value(s[i + 1]) * 16 + rules::hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// The query part of an absolute URL (after '?', before '#'); empty when there is none.
std::string_view query_of(std::string_view url) {
    const auto hash = url.find('#');
    url = url.substr(0, hash);
    const auto q = url.find('?');
    return q == std::string_view::npos ? std::string_view{} : url.substr(q + 1);
}

} // namespace

std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

std::vector<oauth1_parameter> parse_form(std::string_view text) {
    std::vector<oauth1_parameter> out;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const std::string_view piece = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (piece.empty()) {
            continue;
        }
        const auto eq = piece.find('=');
        oauth1_parameter p;
        p.name = percent_decode(piece.substr(0, eq), true);
        p.value = eq == std::string_view::npos ? std::string{}
                                               : percent_decode(piece.substr(eq + 1), true);
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<std::string> base_string_uri(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string scheme = lowercase(url.substr(0, colon));
    if (scheme != "http" && scheme != "https") {
        return std::nullopt;
    }
    std::string_view rest = url.substr(colon + 3);
    rest = rest.substr(0, rest.find('#'));
    rest = rest.substr(0, rest.find('?'));
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
        return std::nullopt;
    }
    // The port follows the last ':' that is not inside an IPv6 literal's brackets.
    std::string_view host = authority;
    std::string_view port;
    const auto last_colon = authority.rfind(':');
    const auto bracket = authority.rfind(']');
    if (last_colon != std::string_view::npos &&
        (bracket == std::string_view::npos || last_colon > bracket)) {
        host = authority.substr(0, last_colon);
        port = authority.substr(last_colon + 1);
    }
    if (host.empty() ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::string out = scheme + "://" + lowercase(host);
    const bool default_port =
        port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if (!default_port) {
        out += ':';
        out += port;
    }
    out += path;
    return out;
}

std::string signature_base_string(std::string_view method,
                                  std::string_view base_uri,
                                  const std::vector<oauth1_parameter>& parameters) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(parameters.size());
    for (const auto& p : parameters) {
        if (p.name == "oauth_signature" || p.name == "realm") {
            continue;
        }
        encoded.emplace_back(percent_encode(p.name), percent_encode(p.value));
    }
    // Byte order of the encoded forms (RFC 5849 §3.4.1.3.2), names first, then values.
    std::sort(encoded.begin(), encoded.end());
    std::string normalized;
    for (const auto& [name, value] : encoded) {
        if (!normalized.empty()) {
            normalized += '&';
        }
        normalized += name;
        normalized += '=';
        normalized += value;
    }
    std::string upper(method);
    for (char& c : upper) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return upper + '&' + percent_encode(base_uri) + '&' + percent_encode(normalized);
}

std::string hmac_sha1_signature(std::string_view base_string,
                                std::string_view consumer_secret,
                                std::string_view token_secret) {
    // The '&' stays even when the token secret is empty (RFC 5849 §3.4.2).
    const std::string key = percent_encode(consumer_secret) + '&' + percent_encode(token_secret);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(base_string.data()), base_string.size(), digest,
         &length);
    return base64(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string make_nonce() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        // Without randomness a nonce could repeat and X would refuse the call: better to
        // fail this one send (the sender turns it into a delivery) than to sign it.
        throw std::runtime_error("no random bytes for an OAuth nonce");
    }
    std::string b64 =
        base64(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::string out;
    for (const char c : b64) {
        if (c == '+') {
            out += '-';
        } else if (c == '/') {
            out += '_';
        } else if (c != '=') {
            out += c;
        }
    }
    return out;
}

std::vector<oauth1_parameter> protocol_parameters(const oauth1_credentials& c,
                                                  const oauth1_stamp& stamp) {
    return {
        {"oauth_consumer_key", c.consumer_key},
        {"oauth_nonce", stamp.nonce},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", std::to_string(stamp.timestamp)},
        {"oauth_token", c.token},
        {"oauth_version", "1.0"},
    };
}

std::optional<std::string> authorization_header(
    const oauth1_credentials& credentials,
    std::string_view method,
    std::string_view url,
    const std::vector<oauth1_parameter>& form_parameters,
    const oauth1_stamp& stamp) {
    const auto base_uri = base_string_uri(url);
    if (!base_uri) {
        return std::nullopt;
    }
    std::vector<oauth1_parameter> oauth = protocol_parameters(credentials, stamp);
    std::vector<oauth1_parameter> all = parse_form(query_of(url));
    all.insert(all.end(), form_parameters.begin(), form_parameters.end());
    all.insert(all.end(), oauth.begin(), oauth.end());
    const std::string signature =
        hmac_sha1_signature(signature_base_string(method, *base_uri, all),
                            credentials.consumer_secret, credentials.token_secret);
    oauth.push_back({"oauth_signature", signature});
    std::sort(oauth.begin(), oauth.end(),
              [](const oauth1_parameter& a, const oauth1_parameter& b) { return a.name < b.name; });
    std::string header = "OAuth ";
    for (std::size_t i = 0; i < oauth.size(); ++i) {
        header += i == 0 ? "" : ", ";
        header += percent_encode(oauth[i].name);
        header += "=\"";
        header += percent_encode(oauth[i].value);
        header += '"';
    }
    return header;
}

std::optional<std::vector<oauth1_parameter>> parse_authorization_header(std::string_view header) {
    constexpr std::string_view scheme = "OAuth ";
    if (header.size() < scheme.size() || lowercase(header.substr(0, scheme.size())) != "oauth ") {
        return std::nullopt;
    }
    std::string_view rest = header.substr(scheme.size());
    std::vector<oauth1_parameter> out;
    const auto skip_space = [&rest] {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
            rest.remove_prefix(1);
        }
    };
    while (true) {
        skip_space();
        if (rest.empty()) {
            break;
        }
        const auto eq = rest.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 >= rest.size() ||
            rest[eq + 1] != '"') {
            return std::nullopt;
        }
        const std::string_view name = rest.substr(0, eq);
        rest.remove_prefix(eq + 2);
        const auto close = rest.find('"');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        oauth1_parameter p;
        p.name = percent_decode(name, false);
        p.value = percent_decode(rest.substr(0, close), false);
        for (const auto& seen : out) {
            if (seen.name == p.name) {
                return std::nullopt;
            }
        }
        out.push_back(std::move(p));
        rest.remove_prefix(close + 1);
        skip_space();
        if (rest.empty()) {
            break;
        }
        if (rest.front() != ',') {
            return std::nullopt;
        }
        rest.remove_prefix(1);
    }
    if (out.empty()) {
        return std::nullopt;
    }
    return out;
}

} // namespace rapport::adapters::x
