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

} // namespace rapport::adapters
