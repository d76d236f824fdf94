#include "rules/text.hpp"

#include "rules/ascii.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <span>

namespace rapport::rules {
namespace {

// How the word splitter sees one (already folded) code point.
enum class char_class : unsigned char {
    separator,
    word,     // letter, digit or `_`
    no_space, // letter of a script written without spaces: a word on its own
    mark,     // continues a word, separates otherwise
    prefix,   // `#` or `@`
};

constexpr std::array<char_class, 128> make_ascii_classes() {
    std::array<char_class, 128> classes{};
    for (int c = 0; c < 128; ++c) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        classes[static_cast<std::size_t>(c)] =
            alnum || c == '_' ? char_class::word : char_class::separator;
    }
    classes['#'] = char_class::prefix;
    classes['@'] = char_class::prefix;
    return classes;
}
constexpr std::array<char_class, 128> ascii_classes = make_ascii_classes();

// Scripts written without spaces between words. Ranges are by block; the caller has already
// checked that the code point is a letter or digit, so punctuation inside these blocks (Thai
// ฯ, the Katakana middle dot) still separates.
bool is_no_space_script(char32_t c) {
    if (c < 0x0E00) {
        return false;
    }
    struct range {
        char32_t first;
        char32_t last;
    };
    static constexpr range ranges[] = {
        {0x0E00, 0x0EFF},   // Thai, Lao
        {0x1000, 0x109F},   // Myanmar
        {0x1780, 0x17FF},   // Khmer
        {0x19E0, 0x19FF},   // Khmer Symbols
        {0x3005, 0x3007},   // ideographic iteration mark, closing mark, number zero
        {0x3021, 0x3029},   // Hangzhou numerals
        {0x3038, 0x303B},   // more Han numerals and iteration marks
        {0x3040, 0x30FF},   // Hiragana, Katakana
        {0x31F0, 0x31FF},   // Katakana Phonetic Extensions
        {0x3400, 0x4DBF},   // CJK Extension A
        {0x4E00, 0x9FFF},   // CJK Unified Ideographs
        {0xA9E0, 0xA9FF},   // Myanmar Extended-B
        {0xAA60, 0xAA7F},   // Myanmar Extended-A
        {0xF900, 0xFAFF},   // CJK Compatibility Ideographs (NFC maps most away)
        {0xFF66, 0xFF9F},   // halfwidth Katakana
        {0x1B000, 0x1B16F}, // Kana Supplement, Kana Extended-A, Small Kana Extension
        {0x20000, 0x323AF}, // CJK Extensions B to H, Compatibility Ideographs Supplement
    };
    for (const range& r : ranges) {
        if (c < r.first) {
            return false;
        }
        if (c <= r.last) {
            return true;
        }
    }
    return false;
}

bool is_variation_selector(char32_t c) {
    return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF) ||
           (c >= 0x180B && c <= 0x180F && c != 0x180E);
}

char_class classify_non_ascii(char32_t c) {
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
            return is_no_space_script(c) ? char_class::no_space : char_class::word;
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
            return char_class::mark;
        default:
            return char_class::separator;
    }
}

// Split so that the ASCII test inlines into the splitter's loop and the rest does not.
inline char_class classify(char32_t c) {
    return c < 0x80 ? ascii_classes[c] : classify_non_ascii(c);
}

// Decodes one UTF-8 sequence at `p` (well-formed per Unicode Table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF). Returns its length, or 0 when the byte at `p` does not
// start a well-formed sequence; the caller then skips that one byte.
std::size_t decode(const unsigned char* p, const unsigned char* end, char32_t& out) {
    const unsigned b0 = p[0];
    if (b0 < 0x80) {
        out = b0;
        return 1;
    }
    const auto avail = static_cast<std::size_t>(end - p);
    const auto cont = [](unsigned b) { return (b & 0xC0) == 0x80; };
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (avail < 2 || !cont(p[1])) {
            return 0;
        }
        out = ((b0 & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (avail < 3 || !cont(p[1]) || !cont(p[2])) {
            return 0;
        }
        // E0 excludes overlongs, ED excludes surrogates.
        if ((b0 == 0xE0 && p[1] < 0xA0) || (b0 == 0xED && p[1] > 0x9F)) {
            return 0;
        }
        out = ((b0 & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3F);
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (avail < 4 || !cont(p[1]) || !cont(p[2]) || !cont(p[3])) {
            return 0;
        }
        // F0 excludes overlongs, F4 excludes code points above U+10FFFF.
        if ((b0 == 0xF0 && p[1] < 0x90) || (b0 == 0xF4 && p[1] > 0x8F)) {
            return 0;
        }
        out = ((b0 & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3F);
        return 4;
    }
    return 0;
}

const unsigned char* bytes_of(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// Length of the leading run of ASCII bytes, eight at a time.
std::size_t ascii_prefix(std::string_view s) {
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t chunk = 0;
        std::memcpy(&chunk, s.data() + i, 8);
        if ((chunk & 0x8080808080808080ULL) != 0) {
            break;
        }
    }
    while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) {
        ++i;
    }
    return i;
}

// Writes `c` (a valid code point, at least U+0080) at `dst` and returns the end.
char* put_utf8_multibyte(char* dst, char32_t c) {
    if (c < 0x800) {
        *dst++ = static_cast<char>(0xC0 | (c >> 6));
        *dst++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *dst++ = static_cast<char>(0xE0 | (c >> 12));
        *dst++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        *dst++ = static_cast<char>(0x80 | (c & 0x3F));
    } else {
        *dst++ = static_cast<char>(0xF0 | (c >> 18));
        *dst++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        *dst++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        *dst++ = static_cast<char>(0x80 | (c & 0x3F));
    }
    return dst;
}

// Writes `c` (a valid code point) at `dst` and returns the end.
inline char* put_utf8(char* dst, char32_t c) {
    if (c < 0x80) {
        *dst++ = static_cast<char>(c);
        return dst;
    }
    return put_utf8_multibyte(dst, c);
}

// Splits folded code points into words. `at(i)` returns code point i of `n`; `max_bytes` bounds
// the text. One pass with one code point of look-ahead, which is all the `#`/`@`
// rules need. A template so the ASCII path (bytes, lowered on the fly) and the Unicode path (a
// folded code point buffer) share the rules and each inlines its own access. Output goes through
// raw pointers into buffers sized once: per-character push_back was most of the ASCII cost.
template <typename At>
void split_words(std::size_t n, std::size_t max_bytes, At at, normalized_text& out) {
    out.text.resize(max_bytes);
    char* const base = out.text.data();
    char* dst = base;
    out.word_starts.resize(n); // a word has at least one code point
    std::uint32_t* const first_start = out.word_starts.data();
    std::uint32_t* next_start = first_start;
    bool in_word = false;       // the previous code point belongs to a word
    bool no_space_word = false; // ... and that word is a single no-space-script letter
    bool after_prefix = false;  // ... and that word is just `#` or `@` so far

    const auto start_word = [&] {
        if (dst != base) {
            *dst++ = ' ';
        }
        *next_start++ = static_cast<std::uint32_t>(dst - base);
    };

    char32_t next = n > 0 ? at(0) : 0;
    char_class next_class = n > 0 ? classify(next) : char_class::separator;
    for (std::size_t i = 0; i < n; ++i) {
        const char32_t c = next;
        const char_class cls = next_class;
        if (i + 1 < n) {
            next = at(i + 1);
            next_class = classify(next);
        } else {
            next_class = char_class::separator;
        }
        // A mark after the prefix cannot happen: the prefix only attaches before a letter.
        const bool next_is_word =
            next_class == char_class::word || next_class == char_class::no_space;

        switch (cls) {
            case char_class::word:
                if (!in_word || no_space_word) {
                    start_word();
                }
                dst = put_utf8(dst, c);
                in_word = true;
                no_space_word = false;
                after_prefix = false;
                break;
            case char_class::no_space:
                // Each such letter is a word, except that `#日` keeps its prefix.
                if (!after_prefix) {
                    start_word();
                }
                dst = put_utf8(dst, c);
                in_word = true;
                no_space_word = true;
                after_prefix = false;
                break;
            case char_class::mark:
                // A mark belongs to the letter before it. A stray one (say, a variation selector
                // left after an emoji) would otherwise become a word nobody can type.
                if (in_word) {
                    dst = put_utf8(dst, c);
                }
                break;
            case char_class::prefix:
                if (!in_word && next_is_word) {
                    start_word();
                    *dst++ = static_cast<char>(c);
                    in_word = true;
                    no_space_word = false;
                    after_prefix = true;
                } else {
                    in_word = false;
                }
                break;
            case char_class::separator:
                in_word = false;
                break;
        }
    }
    out.text.resize(static_cast<std::size_t>(dst - base));
    out.word_starts.resize(static_cast<std::size_t>(next_start - first_start));
}

// Code points that can only ever separate words: spaces, punctuation and symbols (emoji among
// them) that case folding and NFC leave alone. Listing them lets the common post (English with
// emoji and curly quotes) skip utf8proc; a unit test checks every one against utf8proc.
bool plain_separator(char32_t c) {
    return c == 0xA0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x2190 && c <= 0x245F) ||
           (c >= 0x2500 && c <= 0x2775) || (c >= 0x2794 && c <= 0x2BFF) ||
           (c >= 0x1F000 && c <= 0x1F0FF) || (c >= 0x1F1E6 && c <= 0x1F1FF) ||
           (c >= 0x1F300 && c <= 0x1FAFF);
}

// The same rules as split_words, one byte at a time with no folding library: for text whose
// only non-ASCII characters are plain separators or variation selectors (most posts). Returns
// false, with `out` unspecified, when the text needs the full Unicode path.
bool split_simple_words(std::string_view s, normalized_text& out) {
    const auto* p = bytes_of(s);
    const std::size_t n = s.size();
    out.text.resize(n); // nothing grows: separators collapse, other characters stay one byte
    out.word_starts.resize(n / 2 + 1);
    char* const base = out.text.data();
    char* dst = base;
    std::uint32_t* const first_start = out.word_starts.data();
    std::uint32_t* next_start = first_start;
    bool in_word = false;
    const auto start_word = [&] {
        if (dst != base) {
            *dst++ = ' ';
        }
        *next_start++ = static_cast<std::uint32_t>(dst - base);
        in_word = true;
    };
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char b = p[i];
        if (b >= 0x80) {
            char32_t c = 0;
            const std::size_t len = decode(p + i, p + n, c);
            if (len == 0) { // an invalid byte separates words
                in_word = false;
            } else if (is_variation_selector(c)) {
                i += len - 1; // picks a glyph; the word goes on
            } else if (plain_separator(c)) {
                in_word = false;
                i += len - 1;
            } else {
                return false;
            }
            continue;
        }
        switch (ascii_classes[b]) {
            case char_class::word:
                if (!in_word) {
                    start_word();
                }
                *dst++ = ascii_lower(static_cast<char>(b));
                break;
            case char_class::prefix:
                // `#` or `@` starts a word only directly before a word character.
                if (i + 1 < n && p[i + 1] >= 0x80) {
                    return false; // is that a letter? the full path knows
                }
                if (!in_word && i + 1 < n && ascii_classes[p[i + 1]] == char_class::word) {
                    start_word();
                    *dst++ = static_cast<char>(b);
                } else {
                    in_word = false;
                }
                break;
            default:
                in_word = false;
        }
    }
    out.text.resize(static_cast<std::size_t>(dst - base));
    out.word_starts.resize(static_cast<std::size_t>(next_start - first_start));
    return true;
}

constexpr utf8proc_option_t fold_options =
    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);

// Appends the folded code points of `run` (well-formed UTF-8) to `cps` from index `used`,
// growing `cps` as needed (it is only ever resized up, so steady state allocates nothing).
// Returns the new `used`.
std::size_t fold_run(std::string_view run, std::vector<utf8proc_int32_t>& cps, std::size_t used) {
    // Variation selectors pick a glyph, not a letter: "1\uFE0F" must match "1". They go before
    // decomposition, since one between a letter and its marks would stop NFC from composing
    // and ordering them (so the result would fold differently a second time).
    thread_local std::string without_selectors;
    if (run.find("\xef\xb8") != std::string_view::npos ||
        run.find("\xf3\xa0") != std::string_view::npos ||
        run.find("\xe1\xa0") != std::string_view::npos) {
        without_selectors.clear();
        const unsigned char* p = bytes_of(run);
        const unsigned char* const end = p + run.size();
        while (p < end) {
            char32_t c = 0;
            const std::size_t len = decode(p, end, c);
            if (len == 0 || !is_variation_selector(c)) {
                without_selectors.append(reinterpret_cast<const char*>(p), len == 0 ? 1 : len);
            }
            p += len == 0 ? 1 : len;
        }
        run = without_selectors;
    }
    // Folding and decomposition grow a run to at most 1.5 code points a byte (U+01D5 ǖ → u and
    // two marks), so the first guess fits; the retry only guards against a future Unicode.
    std::size_t want = used + 2 * run.size() + 4;
    for (;;) {
        if (cps.size() < want) {
            cps.resize(want);
        }
        const auto room = static_cast<utf8proc_ssize_t>(cps.size() - used);
        const utf8proc_ssize_t n =
            utf8proc_decompose(bytes_of(run), static_cast<utf8proc_ssize_t>(run.size()),
                               cps.data() + used, room, fold_options);
        if (n < 0) {
            // Cannot happen for validated input; fold the run to a separator rather than fail.
            cps[used] = ' ';
            return used + 1;
        }
        if (n > room) {
            want = used + static_cast<std::size_t>(n);
            continue;
        }
        const utf8proc_ssize_t composed =
            utf8proc_normalize_utf32(cps.data() + used, n, fold_options);
        return used + static_cast<std::size_t>(composed < 0 ? n : composed);
    }
}

// Folds text that contains non-ASCII bytes into code points. ASCII stays on a fast path
// (lowered inline) except for the ASCII character just before a non-ASCII run: it goes to
// utf8proc with the run, because it may compose with a combining mark that follows (e + U+0301).
// No ASCII character composes with what precedes it, so runs can be cut right before ASCII.
// An invalid byte becomes a space: it separates words, and NFC never composes across it.
std::size_t fold_code_points(std::string_view utf8, std::vector<utf8proc_int32_t>& cps) {
    const unsigned char* const begin = bytes_of(utf8);
    const unsigned char* const end = begin + utf8.size();
    std::size_t used = 0;
    const auto push = [&](utf8proc_int32_t c) {
        if (used == cps.size()) {
            cps.resize(std::max<std::size_t>(64, 2 * cps.size()));
        }
        cps[used++] = c;
    };

    const unsigned char* p = begin;
    while (p < end) {
        if (*p < 0x80 && (p + 1 == end || p[1] < 0x80)) {
            push(static_cast<unsigned char>(ascii_lower(static_cast<char>(*p))));
            ++p;
            continue;
        }
        const unsigned char* run_end = *p < 0x80 ? p + 1 : p;
        char32_t ignored = 0;
        std::size_t len = 0;
        while (run_end < end && *run_end >= 0x80 && (len = decode(run_end, end, ignored)) != 0) {
            run_end += len;
        }
        if (run_end != p) {
            used = fold_run(std::string_view(reinterpret_cast<const char*>(p),
                                             static_cast<std::size_t>(run_end - p)),
                            cps, used);
        }
        p = run_end;
        if (p < end && *p >= 0x80) {
            push(' '); // the invalid byte that stopped the run
            ++p;
        }
    }
    return used;
}

// ---- what a platform counts ----

bool is_ascii_alnum(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_ascii_alpha(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A letter, mark or digit beyond ASCII: what an internationalised host name is made of.
bool is_non_ascii_word(char32_t c) {
    if (c < 0x80) {
        return false;
    }
    const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
    return category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_NO;
}

// The code points of `s`; an invalid byte becomes U+FFFD.
std::vector<char32_t> code_points_of(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    const unsigned char* p = bytes_of(s);
    const unsigned char* const end = p + s.size();
    while (p < end) {
        char32_t c = 0;
        const std::size_t len = decode(p, end, c);
        out.push_back(len == 0 ? char32_t{0xFFFD} : c);
        p += len == 0 ? 1 : len;
    }
    return out;
}

// Length of `label` in Punycode (RFC 3492), without the "xn--" prefix: a host name's label
// may be 63 bytes on the wire, and that is the length that counts.
std::size_t punycode_length(std::span<const char32_t> label) {
    constexpr std::uint64_t base = 36;
    constexpr std::uint64_t tmin = 1;
    constexpr std::uint64_t tmax = 26;
    const auto adapt = [](std::uint64_t delta, std::uint64_t points, bool first) {
        delta = first ? delta / 700 : delta / 2;
        delta += delta / points;
        std::uint64_t k = 0;
        while (delta > ((base - tmin) * tmax) / 2) {
            delta /= base - tmin;
            k += base;
        }
        return k + (base - tmin + 1) * delta / (delta + 38);
    };
    const auto basic = static_cast<std::size_t>(
        std::count_if(label.begin(), label.end(), [](char32_t c) { return c < 0x80; }));
    std::size_t out = basic + (basic > 0 ? 1 : 0);
    std::uint64_t n = 0x80;
    std::uint64_t delta = 0;
    std::uint64_t bias = 72;
    std::size_t handled = basic;
    while (handled < label.size()) {
        std::uint64_t m = UINT64_MAX;
        for (const char32_t c : label) {
            if (c >= n && c < m) {
                m = c;
            }
        }
        delta += (m - n) * (handled + 1);
        n = m;
        for (const char32_t c : label) {
            if (c < n) {
                ++delta;
            } else if (c == n) {
                std::uint64_t q = delta;
                for (std::uint64_t k = base;; k += base) {
                    const std::uint64_t t = k <= bias ? tmin : k >= bias + tmax ? tmax : k - bias;
                    if (q < t) {
                        break;
                    }
                    ++out;
                    q = (q - t) / (base - t);
                }
                ++out;
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                ++handled;
            }
        }
        ++delta;
        ++n;
    }
    return out;
}

// Generic top-level domains that X links without "https://" in front. Two-letter (country)
// domains are recognised by their length; the hundreds of newer generic ones are not listed,
// so such a link written without its scheme counts as its text.
constexpr std::array<std::string_view, 61> bare_link_tlds{
    "aero",    "agency",    "app",    "art",     "asia",   "biz",     "blog",   "cat",     "center",
    "club",    "cloud",     "com",    "company", "coop",   "design",  "dev",    "digital", "edu",
    "email",   "fun",       "global", "gov",     "guide",  "inc",     "info",   "int",     "jobs",
    "life",    "link",      "live",   "media",   "mil",    "mobi",    "museum", "name",    "net",
    "network", "news",      "online", "org",     "page",   "photo",   "pro",    "shop",    "site",
    "social",  "solutions", "space",  "store",   "studio", "systems", "team",   "tech",    "tel",
    "today",   "tools",     "travel", "website", "works",  "world",   "xyz",
};

bool is_listed_tld(std::span<const char32_t> tld) {
    std::string lower;
    for (const char32_t c : tld) {
        if (!is_ascii_alpha(c)) {
            return false;
        }
        lower.push_back(ascii_lower(static_cast<char>(c)));
    }
    return std::find(bare_link_tlds.begin(), bare_link_tlds.end(), lower) != bare_link_tlds.end();
}

// How many code points of `t` from `start` are a host name, 0 if none is: labels of letters,
// digits, `-` and `_` joined by dots, each at most 63 bytes as sent (Punycode for a
// non-ASCII one), none starting or ending with `-`, `_` only below the registered domain, and a
// top-level domain of letters. `bare` (no scheme in front) also asks for an ASCII name with a
// known top-level domain, and sets `country_tld` when that is a two-letter one.
std::size_t host_length(std::span<const char32_t> t,
                        std::size_t start,
                        bool bare,
                        bool& country_tld) {
    std::size_t end = start;
    while (end < t.size() && (is_ascii_alnum(t[end]) || t[end] == '-' || t[end] == '_' ||
                              t[end] == '.' || (!bare && is_non_ascii_word(t[end])))) {
        ++end;
    }
    if (end > start && t[end - 1] == '.') {
        --end; // a sentence's full stop
    }
    std::vector<std::span<const char32_t>> labels;
    for (std::size_t i = start; i <= end;) {
        std::size_t j = i;
        while (j < end && t[j] != '.') {
            ++j;
        }
        labels.push_back(t.subspan(i, j - i));
        i = j + 1;
    }
    if (labels.size() < 2) {
        return 0;
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto label = labels[i];
        if (label.empty() || label.front() == '-' || label.back() == '-') {
            return 0;
        }
        const bool registered = i + 2 >= labels.size();
        if (registered && std::find(label.begin(), label.end(), U'_') != label.end()) {
            return 0;
        }
        const bool ascii =
            std::all_of(label.begin(), label.end(), [](char32_t c) { return c < 0x80; });
        if ((ascii ? label.size() : 4 + punycode_length(label)) > 63) {
            return 0;
        }
    }
    const auto tld = labels.back();
    const bool letters = std::all_of(tld.begin(), tld.end(), [](char32_t c) {
        return is_ascii_alpha(c) || (c >= 0x80 && is_non_ascii_word(c));
    });
    if (!letters || tld.size() < 2) {
        return 0;
    }
    country_tld = tld.size() == 2 && is_ascii_alpha(tld[0]) && is_ascii_alpha(tld[1]);
    if (bare && !country_tld && !is_listed_tld(tld)) {
        return 0;
    }
    return end - start;
}

// A dotted IPv4 address of four numbers up to 255, as a link's host.
std::size_t ipv4_length(std::span<const char32_t> t, std::size_t start) {
    std::size_t i = start;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= t.size() || t[i] != '.') {
                return 0;
            }
            ++i;
        }
        unsigned value = 0;
        std::size_t digits = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9' && digits < 4) {
            value = value * 10 + (t[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0 || digits > 3 || value > 255) {
            return 0;
        }
    }
    return i < t.size() && (is_ascii_alnum(t[i]) || t[i] == '.') ? 0 : i - start;
}

bool is_path_letter(char32_t c) {
    return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x300 && c <= 0x36F) ||
           (c >= 0x400 && c <= 0x4FF);
}

// Where the path, query and fragment after a host end: at white space, quotes or angle
// brackets, an unmatched `)`, or a script a link does not carry; trailing punctuation such as a
// sentence's full stop or a question mark is left out.
std::size_t path_end(std::span<const char32_t> t, std::size_t start) {
    std::size_t i = start;
    int open_parens = 0;
    std::size_t last_balanced = start;
    while (i < t.size()) {
        const char32_t c = t[i];
        if (c < 0x80) {
            if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' || c == '}' ||
                c == '\\' || c == '^' || c == 0x7F) {
                break;
            }
            if (c == '(') {
                ++open_parens;
            } else if (c == ')') {
                if (open_parens == 0) {
                    break;
                }
                --open_parens;
            }
        } else if (!is_path_letter(c)) {
            break;
        }
        ++i;
        if (open_parens == 0) {
            last_balanced = i;
        }
    }
    std::size_t end = last_balanced;
    const auto ends_well = [](char32_t c) {
        return is_ascii_alnum(c) || c == '=' || c == '_' || c == '#' || c == '/' || c == '-' ||
               c == '+' || c == '&' || c == ')' || is_path_letter(c);
    };
    while (end > start && !ends_well(t[end - 1])) {
        --end;
    }
    return end;
}

// Length in code points of the link that starts at `t[start]`, 0 if none does. `bare_domains`:
// a host name without "http(s)://" is a link too when it ends in a well-known top-level domain
// (a two-letter one only with a path, as X has it).
std::size_t link_length(std::span<const char32_t> t, std::size_t start, bool bare_domains) {
    const char32_t before = start > 0 ? t[start - 1] : U' ';
    if (is_ascii_alnum(before) || before == '@' || before == '$' || before == '#' ||
        before == 0xFF20 || before == 0xFF03 || (before >= 0x202A && before <= 0x202E)) {
        return 0;
    }
    const auto starts_with = [&](std::string_view scheme) {
        if (t.size() - start < scheme.size()) {
            return false;
        }
        for (std::size_t i = 0; i < scheme.size(); ++i) {
            const char32_t c = t[start + i];
            if (c >= 0x80 || ascii_lower(static_cast<char>(c)) != scheme[i]) {
                return false;
            }
        }
        return true;
    };
    std::size_t host = start;
    bool bare = false;
    if (starts_with("https://")) {
        host += 8;
    } else if (starts_with("http://")) {
        host += 7;
    } else {
        if (!bare_domains || !is_ascii_alnum(t[start]) || before == '.' || before == '-' ||
            before == '_' || before == '/') {
            return 0;
        }
        bare = true;
    }
    bool country_tld = false;
    std::size_t length = bare ? 0 : ipv4_length(t, host);
    if (length == 0) {
        length = host_length(t, host, bare, country_tld);
    }
    if (length == 0) {
        return 0;
    }
    std::size_t end = host + length;
    if (end + 1 < t.size() && t[end] == ':' && t[end + 1] >= '0' && t[end + 1] <= '9') {
        std::size_t port = end + 1;
        while (port < t.size() && t[port] >= '0' && t[port] <= '9' && port - end <= 5) {
            ++port;
        }
        end = port;
    }
    const bool has_path = end < t.size() && (t[end] == '/' || t[end] == '?' || t[end] == '#');
    if (has_path) {
        end = path_end(t, end);
    }
    if (bare && country_tld && !has_path) {
        // "t.co" is X's own short domain; other country domains need a path to be links.
        const bool short_domain = length == 4 && (t[host] == 't' || t[host] == 'T') &&
                                  t[host + 1] == '.' && (t[host + 2] | 0x20) == 'c' &&
                                  (t[host + 3] | 0x20) == 'o';
        if (!short_domain) {
            return 0;
        }
    }
    return end - start;
}

// `utf8` in Unicode Normalization Form C, or unchanged when it is not valid UTF-8.
std::string nfc_of(std::string_view utf8) {
    if (ascii_prefix(utf8) == utf8.size()) {
        return std::string(utf8);
    }
    utf8proc_uint8_t* composed = nullptr;
    // With the length given, a NUL is a character like any other, not the end.
    const utf8proc_ssize_t length =
        utf8proc_map(bytes_of(utf8), static_cast<utf8proc_ssize_t>(utf8.size()), &composed,
                     static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (length < 0) {
        return std::string(utf8);
    }
    std::string out(reinterpret_cast<const char*>(composed), static_cast<std::size_t>(length));
    std::free(composed);
    return out;
}

// X's weight of one code point: most scripts' letters 1, the rest (CJK, emoji) 2.
std::size_t x_weight(char32_t c) {
    const bool light = c <= 4351 || (c >= 8192 && c <= 8205) || (c >= 8208 && c <= 8223) ||
                       (c >= 8242 && c <= 8247);
    return light ? 1 : 2;
}

// X counts an emoji as 2 however many code points make it (skin tones, ZWJ sequences, flags,
// keycaps); other clusters weigh what their code points weigh.
std::size_t x_cluster_weight(std::span<const char32_t> cluster) {
    const bool presentation = std::find(cluster.begin(), cluster.end(), U'\uFE0F') != cluster.end();
    std::size_t weight = 0;
    for (const char32_t c : cluster) {
        const int bound = utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->boundclass;
        const bool pictograph =
            bound == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC ||
            bound == UTF8PROC_BOUNDCLASS_E_ZWG || bound == UTF8PROC_BOUNDCLASS_E_BASE ||
            bound == UTF8PROC_BOUNDCLASS_E_BASE_GAZ || bound == UTF8PROC_BOUNDCLASS_GLUE_AFTER_ZWJ;
        // (c) and (R) are pictographs too, but text unless asked to be emoji.
        if (c == 0x20E3 || bound == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR ||
            (pictograph && (c >= 0x2000 || presentation))) {
            return 2;
        }
        weight += x_weight(c);
    }
    return weight;
}

// Length of a fediverse mention with its server ("@sam@example.social") starting at
// `t[start]`, 0 if none does; `counted` is what Mastodon counts of it: "@sam".
std::size_t remote_mention_length(std::span<const char32_t> t,
                                  std::size_t start,
                                  std::size_t& counted) {
    if (t[start] != '@') {
        return 0;
    }
    if (start > 0) {
        const char32_t before = t[start - 1];
        if (before == '=' || before == '/' || before == '_' || is_ascii_alnum(before) ||
            is_non_ascii_word(before)) {
            return 0;
        }
    }
    const auto word = [](char32_t c) { return is_ascii_alnum(c) || c == '_'; };
    // The user name: [a-z0-9_]+ ([.-]+ [a-z0-9_]+)*
    std::size_t user_end = start + 1;
    while (user_end < t.size() && word(t[user_end])) {
        ++user_end;
    }
    if (user_end == start + 1) {
        return 0;
    }
    for (;;) {
        std::size_t j = user_end;
        while (j < t.size() && (t[j] == '.' || t[j] == '-')) {
            ++j;
        }
        if (j == user_end || j == t.size() || !word(t[j])) {
            break;
        }
        while (j < t.size() && word(t[j])) {
            ++j;
        }
        user_end = j;
    }
    if (user_end + 1 >= t.size() || t[user_end] != '@') {
        return 0;
    }
    const auto server_word = [&](char32_t c) { return word(c) || is_non_ascii_word(c); };
    std::size_t end = user_end + 1;
    if (!server_word(t[end])) {
        return 0;
    }
    while (end < t.size()) {
        if (server_word(t[end])) {
            ++end;
        } else if ((t[end] == '.' || t[end] == '-') && end + 1 < t.size() &&
                   server_word(t[end + 1])) {
            end += 2;
        } else {
            break;
        }
    }
    counted = user_end - start;
    return end - start;
}

// Index where the grapheme cluster starting at `t[i]` ends.
std::size_t cluster_end(std::span<const char32_t> t, std::size_t i, utf8proc_int32_t& state) {
    std::size_t j = i + 1;
    while (j < t.size() &&
           !utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(t[j - 1]),
                                             static_cast<utf8proc_int32_t>(t[j]), &state)) {
        ++j;
    }
    return j;
}

} // namespace

std::size_t normalized_text::word_at(std::size_t offset) const {
    const auto it = std::upper_bound(word_starts.begin(), word_starts.end(), offset);
    return static_cast<std::size_t>(it - word_starts.begin()) - 1;
}

void normalize_into(std::string_view utf8, normalized_text& out) {
    if (!split_simple_words(utf8, out)) {
        normalize_unicode_for_test(utf8, out);
    }
}

void normalize_unicode_for_test(std::string_view utf8, normalized_text& out) {
    out.text.clear();
    out.word_starts.clear();
    // Scratch for folded code points, kept per thread so the hot path does not allocate.
    thread_local std::vector<utf8proc_int32_t> cps;
    const std::size_t n = fold_code_points(utf8, cps);
    // At most four bytes a code point, and a space before each word of at least one.
    split_words(
        n, 5 * n, [](std::size_t i) { return static_cast<char32_t>(cps[i]); }, out);
}

normalized_text normalize(std::string_view utf8) {
    normalized_text out;
    normalize_into(utf8, out);
    return out;
}

bool is_valid_utf8(std::string_view bytes) {
    const unsigned char* p = bytes_of(bytes);
    const unsigned char* const end = p + bytes.size();
    p += ascii_prefix(bytes);
    char32_t c = 0;
    while (p < end) {
        const std::size_t len = decode(p, end, c);
        if (len == 0) {
            return false;
        }
        p += len;
    }
    return true;
}

std::size_t count_code_points(std::string_view utf8) {
    const std::size_t ascii = ascii_prefix(utf8);
    const unsigned char* p = bytes_of(utf8) + ascii;
    const unsigned char* const end = bytes_of(utf8) + utf8.size();
    std::size_t count = ascii;
    char32_t c = 0;
    while (p < end) {
        const std::size_t len = decode(p, end, c);
        p += len == 0 ? 1 : len;
        ++count;
    }
    return count;
}

std::size_t count_utf16_units(std::string_view utf8) {
    const std::size_t ascii = ascii_prefix(utf8);
    const unsigned char* p = bytes_of(utf8) + ascii;
    const unsigned char* const end = bytes_of(utf8) + utf8.size();
    std::size_t count = ascii;
    char32_t c = 0;
    while (p < end) {
        const std::size_t len = decode(p, end, c);
        // Past the Basic Multilingual Plane a character takes a surrogate pair.
        count += len != 0 && c > 0xFFFF ? 2 : 1;
        p += len == 0 ? 1 : len;
    }
    return count;
}

std::size_t count_graphemes(std::string_view utf8) {
    const unsigned char* p = bytes_of(utf8);
    const unsigned char* const end = p + utf8.size();
    if (ascii_prefix(utf8) == utf8.size()) {
        // In ASCII only CR LF forms a cluster of more than one character.
        std::size_t count = utf8.size();
        for (std::size_t i = 0; i + 1 < utf8.size(); ++i) {
            count -= utf8[i] == '\r' && utf8[i + 1] == '\n' ? 1 : 0;
        }
        return count;
    }
    std::size_t count = 0;
    utf8proc_int32_t previous = -1; // -1: a cluster cannot continue (start, or an invalid byte)
    utf8proc_int32_t state = 0;
    char32_t c = 0;
    while (p < end) {
        const std::size_t len = decode(p, end, c);
        if (len == 0) {
            ++count;
            previous = -1;
            ++p;
            continue;
        }
        p += len;
        const auto current = static_cast<utf8proc_int32_t>(c);
        if (previous < 0) {
            ++count;
            state = 0;
        } else if (previous < 0x80 && current < 0x80) {
            // Two ASCII characters always break, but for CR LF (no Extend, ZWJ or Prepend
            // among them); after a break the state may be reset.
            count += previous == '\r' && current == '\n' ? 0 : 1;
            state = 0;
        } else if (utf8proc_grapheme_break_stateful(previous, current, &state)) {
            ++count;
        }
        previous = current;
    }
    return count;
}

std::string folded_handle(std::string_view handle) {
    std::string folded = normalize(handle).text;
    if (folded.starts_with('@')) {
        folded.erase(0, 1);
    }
    return folded;
}

std::size_t count_x_weighted(std::string_view utf8) {
    const std::vector<char32_t> t = code_points_of(nfc_of(utf8));
    std::size_t weight = 0;
    utf8proc_int32_t state = 0;
    for (std::size_t i = 0; i < t.size();) {
        if (const std::size_t link = link_length(t, i, true); link > 0) {
            weight += 23; // every link is shortened to a t.co address
            i += link;
            state = 0;
            continue;
        }
        const std::size_t end = cluster_end(t, i, state);
        weight += x_cluster_weight(std::span<const char32_t>(t).subspan(i, end - i));
        i = end;
    }
    return weight;
}

std::size_t count_mastodon_characters(std::string_view utf8) {
    const std::vector<char32_t> t = code_points_of(utf8);
    std::size_t count = 0;
    utf8proc_int32_t state = 0;
    for (std::size_t i = 0; i < t.size();) {
        std::size_t counted = 0;
        if (const std::size_t link = link_length(t, i, false); link > 0) {
            count += 23;
            i += link;
            state = 0;
        } else if (const std::size_t mention = remote_mention_length(t, i, counted); mention > 0) {
            count += counted;
            i += mention;
            state = 0;
        } else {
            ++count;
            i = cluster_end(t, i, state);
        }
    }
    return count;
}

} // namespace rapport::rules
