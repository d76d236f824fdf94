#include "rules/text.hpp"

#include "rules/ascii.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstring>

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

} // namespace rapport::rules
