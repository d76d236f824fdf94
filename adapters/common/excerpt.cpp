#include "adapters/common/excerpt.hpp"

namespace rapport::adapters {

std::string excerpt(std::string_view text) {
    constexpr std::size_t max = 200;
    std::string out;
    for (char c : text.substr(0, max)) {
        out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    }
    if (text.size() > max) {
        out += "...";
    }
    return out;
}

std::string without_secret(std::string text,
                           std::string_view secret,
                           std::string_view placeholder) {
    if (secret.empty()) {
        return text;
    }
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + placeholder.size())) {
        text.replace(at, secret.size(), placeholder);
    }
    return text;
}

} // namespace rapport::adapters
