#include "bench/corpus.hpp"

#include "rules/json_text.hpp"
#include "rules/text.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace rapport::bench {
namespace {

using namespace std::string_view_literals;

/// Random numbers that do not depend on the standard library: the distributions of <random> are
/// implementation-defined, so only the raw mt19937_64 sequence (fixed by the standard) is used.
class dice {
public:
    explicit dice(std::uint64_t seed) : engine_(seed) {}

    /// Uniform in [0, n); the modulo bias is below n / 2^64.
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
    std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
    double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }

    template <class Container>
    const auto& pick(const Container& c) {
        return c[below(c.size())];
    }

private:
    std::mt19937_64 engine_;
};

// ---- Vocabulary ------------------------------------------------------------------------------

const std::vector<std::string_view> onsets = {
    "b",  "bl", "br", "c",  "ch", "cl", "cr", "d", "dr", "f",  "fl", "fr", "g", "gl",
    "gr", "h",  "j",  "k",  "l",  "m",  "n",  "p", "pl", "pr", "qu", "r",  "s", "sh",
    "sk", "sl", "sp", "st", "t",  "th", "tr", "v", "w",  "z",  "",   "",   "",
};
const std::vector<std::string_view> nuclei = {
    "a", "a", "e", "e", "i", "o", "o", "u", "ai", "ea", "ee", "oo", "ou", "y", "ie",
};
const std::vector<std::string_view> simple_nuclei = {"a", "a", "e",  "e",  "i", "o",
                                                     "o", "u", "ai", "ee", "ou"};
const std::vector<std::string_view> codas = {
    "",   "",  "",   "",   "n",  "n",  "r",  "r",  "l",  "s",  "m",  "nd",
    "st", "x", "ck", "ng", "rt", "ll", "sh", "th", "nt", "ff", "lk", "mp",
};

/// Modifiers that make the first word of two-word lexicon phrases ("turbo kelmora").
const std::vector<std::string_view> phrase_modifiers = {
    "super",   "mini",    "smart",   "classic", "ultra", "pro",     "wireless", "organic",
    "vintage", "express", "premium", "deluxe",  "eco",   "turbo",   "daily",    "night",
    "family",  "pocket",  "golden",  "silver",  "cold",  "iced",    "spicy",    "travel",
    "home",    "kids",    "studio",  "air",     "max",   "lite",    "plus",     "retro",
    "wild",    "urban",   "solar",   "cloud",   "power", "comfort", "sport",    "fresh",
};

const std::vector<std::string_view> themes = {
    "shipping",  "billing", "gadgets", "coffee",    "travel",  "fitness",  "gaming",  "music",
    "fashion",   "food",    "banking", "streaming", "mobile",  "home",     "garden",  "pets",
    "beauty",    "auto",    "books",   "sports",    "health",  "kids",     "outdoor", "office",
    "crypto",    "weather", "movies",  "tech",      "cloud",   "security", "energy",  "insurance",
    "education", "events",  "jobs",    "housing",   "telecom", "retail",   "grocery", "art",
};

const std::vector<std::string_view> nouns = {
    "phone",    "app",        "order",    "package",      "coffee",   "laptop",  "account",
    "update",   "battery",    "screen",   "subscription", "delivery", "support", "price",
    "store",    "website",    "shirt",    "shoes",        "ticket",   "flight",  "bill",
    "charger",  "headphones", "camera",   "game",         "show",     "episode", "pizza",
    "sandwich", "jacket",     "backpack", "password",     "router",   "tablet",  "watch",
    "speaker",  "printer",    "keyboard", "mouse",        "bike",     "car",     "train",
    "bus",      "hotel",      "room",     "bag",          "box",      "card",    "refund",
    "receipt",  "invoice",    "plan",     "upgrade",      "warranty", "manual",  "cable",
    "lamp",     "chair",      "desk",     "mug",          "bottle",   "snack",   "salad",
    "burger",   "playlist",   "podcast",  "album",        "movie",    "book",    "course",
    "class",    "gym",
};
const std::vector<std::string_view> good_words = {
    "great", "amazing",   "awesome",   "perfect",   "lovely", "fantastic", "solid",   "cute",
    "fast",  "beautiful", "excellent", "brilliant", "decent", "fun",       "helpful", "good",
};
const std::vector<std::string_view> bad_words = {
    "broken",  "late",    "missing", "damaged", "terrible", "awful", "slow", "buggy",
    "useless", "cracked", "delayed", "stuck",   "horrible", "wrong", "bad",  "disappointing",
};
const std::vector<std::string_view> times = {
    "today",        "yesterday", "this morning", "last night",         "again",     "last week",
    "this weekend", "tonight",   "right now",    "for the third time", "on monday", "all day",
};
const std::vector<std::string_view> places = {
    "canada",   "the uk", "berlin",   "my office", "the airport", "downtown",
    "portland", "lisbon", "the mall", "my street", "tokyo",       "the station",
};
const std::vector<std::string_view> who = {
    "my mom", "my boss",    "my roommate",      "my sister",   "my best friend",
    "my dad", "my partner", "everyone at work", "my neighbor", "the guy at the store",
};
const std::vector<std::string_view> openers = {
    "ok so", "honestly",        "lol", "ugh",     "wow",  "not gonna lie",
    "PSA:",  "quick question:", "ngl", "update:", "welp", "so",
};
const std::vector<std::string_view> generic_tags = {
    "#mondays",         "#fail", "#love",    "#help", "#tbt",   "#blessed",
    "#customerservice", "#wfh",  "#weekend", "#fml",  "#goals", "#review",
};
const std::vector<std::string_view> emoji = {
    "😂", "🙏", "🔥", "😡", "❤️", "👍", "🙄", "✨", "😭", "🎉", "💯", "😍", "🤔", "😤",
};
/// Common phrases of the templates, also used as quoted phrases in queries.
const std::vector<std::string_view> common_phrases = {
    "customer service", "never again",  "keeps crashing", "made my day", "would recommend",
    "fingers crossed",  "out of stock", "waste of money", "on hold",     "sold out",
};
/// Stems whose inflections appear in posts, used as prefix terms in queries.
const std::vector<std::string_view> prefix_stems = {
    "deliver", "ship",   "charg",     "subscri",    "refund", "crash",
    "cancel",  "upgrad", "recommend", "disappoint", "wait",   "order",
};
const std::vector<std::string_view> inflected = {
    "delivered",  "delivery",     "shipping", "shipped",   "charger",     "charging",
    "subscribed", "subscription", "refunded", "refunds",   "crashed",     "crashing",
    "cancelled",  "canceling",    "upgraded", "upgrading", "recommended", "disappointed",
    "waiting",    "ordered",      "orders",
};

/// Sentence templates. Slots: {thing} a product (maybe a lexicon term), {noun}, {good}, {bad},
/// {adj}, {brand}, {time}, {place}, {who}, {open}, {tag}, {emoji}, {person}, {num}, {word}
/// (an inflected word that prefix terms catch).
const std::vector<std::string_view> templates = {
    "just got my {thing} from {brand} and it's {good} {emoji}",
    "why is my {thing} {bad} {time}?? {tag}",
    "{brand} your {thing} is {bad}, please fix it",
    "anyone else having trouble with the {thing}?",
    "been waiting {num} days for my {thing}. never again",
    "shoutout to {brand} for the {good} {thing} {emoji}",
    "can't believe the {thing} costs ${num} now",
    "my {noun} is {good} but the {thing} is {bad}",
    "thinking about switching from {brand} to {brand}",
    "{person} have you tried the {thing} yet?",
    "lol the {thing} {time} again {emoji}",
    "not gonna lie the new {thing} is {good}",
    "I want a {thing} so bad",
    "the {thing} keeps crashing and {brand} customer service is {bad}",
    "ordered a {thing} and a {thing} {time}, fingers crossed",
    "does anyone know if {brand} ships the {thing} to {place}?",
    "{thing} or {thing}? help me decide",
    "\"{good}\" is not the word I'd use for this {thing}",
    "{who} says the {thing} is {good} and honestly same",
    "10/10 would recommend the {thing} {emoji}",
    "worst {noun} ever. never again.",
    "thanks {brand}! the {thing} made my day",
    "refund please, the {thing} arrived {bad}",
    "{open} the {thing} from {brand} is {adj}",
    "day {num} of using the {thing}: {adj} so far",
    "who else is obsessed with the {thing} {tag}",
    "my {noun} broke {time} and now I need a new {thing}",
    "hot take: the {thing} is overrated",
    "the {noun} at {place} was {adj} {time}",
    "can someone explain why the {thing} needs an update every week",
    "customer service at {brand} was {adj} {time}",
    "finally tried the {thing} everyone talks about. {adj}!",
    "{brand} pls bring back the old {thing}",
    "is it just me or is the {thing} {bad} lately",
    "{who} got me a {thing} for my birthday {emoji}",
    "on hold with {brand} for {num} minutes now {tag}",
    "out of stock again?! I just want one {thing}",
    "the {thing} I ordered {time} still hasn't shipped",
    "{adj} vibes from the {thing} today",
    "quick question: does the {thing} work with my {noun}?",
    "the {thing} is {good}, the {noun} not so much",
    "gonna treat myself to a {thing} {time}",
    "no way the {thing} sold out in {num} minutes",
    "{brand} {word} my {thing} {time}, super fast",
    "been using the {thing} for {num} months, {adj} experience overall",
    "the {thing} app logged me out again, what a waste of money",
    "love love love my new {thing} {emoji}",
    "hate that the {thing} doesn't come with a {noun}",
    "still {word} for the {thing} {emoji}",
    "{open} {word} the {thing} and {who} is not happy",
};

const std::vector<std::string_view> first_names = {
    "Mara",   "Sam",  "Alex", "Jordan", "Priya", "Chen",  "Fatima", "Lucas", "Emma",  "Noah",
    "Olivia", "Liam", "Ava",  "Mateo",  "Sofia", "Yuki",  "Aisha",  "Omar",  "Elena", "Ivan",
    "Grace",  "Leo",  "Zoe",  "Ben",    "Nina",  "Raj",   "Hana",   "Diego", "Chloe", "Max",
    "Ruth",   "Tom",  "Ines", "Kofi",   "Amara", "Jonas", "Lea",    "Marco", "Sara",  "Dev",
    "Tariq",  "Maya", "Hugo", "Freya",  "Ola",   "Kenji", "Lina",   "Pablo", "Ada",   "Eli",
};
const std::vector<std::string_view> last_names = {
    "Lee",     "Kelso",  "Garcia", "Smith", "Nguyen", "Patel", "Kim",    "Okafor", "Rossi",
    "Muller",  "Silva",  "Cohen",  "Ito",   "Brown",  "Diaz",  "Novak",  "Jensen", "Haddad",
    "Park",    "Moreau", "Singh",  "Walsh", "Costa",  "Berg",  "Tanaka", "Ali",    "Evans",
    "Fischer", "Lopez",  "Murphy", "Sato",  "Young",  "Khan",  "Reyes",  "Adams",  "Holm",
};

struct platform_info {
    std::string_view name;
    std::string_view account;
    double share;
};
const std::array<platform_info, 4> platforms = {{
    {"x", "bench-x", 0.40},
    {"mastodon", "bench-mastodon", 0.25},
    {"bluesky", "bench-bluesky", 0.20},
    {"generic", "bench-site", 0.15},
}};

constexpr std::array<std::string_view, 5> kind_names = {"mention", "direct", "reply", "comment",
                                                        "post"};
constexpr std::array<double, 5> kind_shares = {0.50, 0.05, 0.20, 0.10, 0.15};

const std::vector<std::string_view> teams = {"support", "social", "sales", "product", "billing"};
const std::vector<std::string_view> priorities = {"low", "normal", "high", "urgent"};
const std::vector<std::string_view> reply_bodies = {
    "thanks for reaching out, we are on it.",
    "sorry to hear that. Could you DM us your order number?",
    "so glad you like it!",
    "thanks for the feedback, we have passed it on to the team.",
    "we would love to help. What happened exactly?",
    "great question: our help pages have the details, and we are here too.",
};

// ---- Queries ---------------------------------------------------------------------------------

/// A query as the generator builds it: rendered into the playbook and evaluated (roughly) by
/// the generator's own estimate.
struct qnode {
    enum class kind { word, phrase, prefix, lexicon, all_of, any_of, negate, near };
    qnode::kind what = kind::word;
    /// word / phrase / prefix: the folded text; lexicon: unused.
    std::string text;
    std::size_t lexicon = 0;
    int distance = 0;
    /// all_of written as adjacent terms instead of AND.
    bool implicit = false;
    std::vector<std::size_t> children;
};

struct query {
    std::vector<qnode> nodes;
    std::size_t root = 0;

    std::size_t add(qnode n) {
        nodes.push_back(std::move(n));
        return nodes.size() - 1;
    }
    std::size_t leaf(qnode::kind k, std::string_view text) {
        qnode n;
        n.what = k;
        n.text = text;
        return add(std::move(n));
    }
    std::size_t lexicon(std::size_t l) {
        qnode n;
        n.what = qnode::kind::lexicon;
        n.lexicon = l;
        return add(std::move(n));
    }
    std::size_t op(qnode::kind k, std::vector<std::size_t> children, bool implicit = false) {
        qnode n;
        n.what = k;
        n.children = std::move(children);
        n.implicit = implicit;
        return add(std::move(n));
    }
    std::size_t near(std::size_t left, std::size_t right, int distance) {
        qnode n;
        n.what = qnode::kind::near;
        n.children = {left, right};
        n.distance = distance;
        return add(std::move(n));
    }
};

struct rule_spec {
    query q;
    /// Bit (1 << kind index) set: kind allowed; 0 = no kind condition.
    unsigned kinds = 0;
    std::vector<std::size_t> platforms;
    std::optional<std::int64_t> followers_at_least;
    std::string sentiment; // YAML flow mapping, or empty
    std::string person;    // YAML flow mapping, or empty
    std::vector<std::string> tags;
    std::string team;
    std::string priority;
    std::string reply;
    std::string sla;
};

struct person {
    std::string id;
    std::string handle;
    std::string name;
    std::int64_t followers = 0;
    std::size_t platform = 0;
};

bool is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

/// A rough stand-in for rules::normalize() that is good enough for the generator's own texts
/// (ASCII words, emoji, straight and curly apostrophes): lower-cases, keeps `#`/`@` on a word,
/// drops an apostrophe between word characters, and lets everything else separate words.
std::vector<std::string> rough_words(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    auto flush = [&] {
        const bool has_word_char =
            current.find_first_not_of("#@") != std::string::npos && !current.empty();
        if (has_word_char) {
            words.push_back(current);
        }
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool ascii_word = c < 0x80 && is_word_byte(c);
        if (ascii_word) {
            current.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
            continue;
        }
        if ((c == '#' || c == '@') && current.empty() && i + 1 < text.size() &&
            static_cast<unsigned char>(text[i + 1]) < 0x80 &&
            is_word_byte(static_cast<unsigned char>(text[i + 1]))) {
            current.push_back(static_cast<char>(c));
            continue;
        }
        // Apostrophes inside a word vanish: U+0027 and U+2019 (E2 80 99).
        const std::size_t apostrophe_len =
            c == '\'' ? 1 : (text.substr(i, 3) == "\xE2\x80\x99" ? 3 : 0);
        if (apostrophe_len > 0 && !current.empty() && i + apostrophe_len < text.size()) {
            const auto next = static_cast<unsigned char>(text[i + apostrophe_len]);
            if (next < 0x80 && is_word_byte(next)) {
                i += apostrophe_len - 1;
                continue;
            }
        }
        flush();
        // Skip the rest of a multi-byte character (emoji separate words).
        if (c >= 0xC0) {
            while (i + 1 < text.size() &&
                   (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
                ++i;
            }
        }
    }
    flush();
    return words;
}

std::string rfc3339(std::int64_t unix_seconds) {
    using namespace std::chrono;
    const sys_seconds t{seconds{unix_seconds}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{t - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string capitalized(std::string_view s) {
    std::string out(s);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') {
        out[0] = static_cast<char>(out[0] - 'a' + 'A');
    }
    return out;
}

} // namespace

// ---- The generator -----------------------------------------------------------------------------

struct corpus::impl {
    corpus_options options;
    dice rng;

    std::set<std::string, std::less<>> used_words;
    std::vector<std::string> brands;
    std::vector<std::string> noise_words; // product-like words that are in no lexicon

    std::vector<std::string> lexicon_names;
    std::vector<std::vector<std::size_t>> lexicon_terms; // indexes into terms
    std::vector<std::vector<std::size_t>> theme_lexicons;
    std::vector<std::string> terms;

    std::vector<rule_spec> rules;
    std::vector<person> people;

    // Post state.
    std::size_t next_id = 1;
    std::int64_t clock = 0;
    corpus_stats stats;

    // The estimate's indexes: folded single-word term -> lexicon, "w1 w2" phrase -> lexicon.
    std::unordered_map<std::string, std::size_t> single_term_lexicon;
    std::unordered_map<std::string, std::size_t> phrase_term_lexicon;

    explicit impl(const corpus_options& o) : options(o), rng(o.seed) {
        reserve_vocabulary();
        make_lexicons();
        for (std::size_t i = 0; i < 24; ++i) {
            brands.push_back(fresh_word(2, 3));
        }
        for (std::size_t i = 0; i < 1500; ++i) {
            noise_words.push_back(fresh_word(2, 3));
        }
        make_rules();
        make_people();
        // 2026-03-02T08:00:00Z: a Monday morning, so hour and weekday conditions see a week.
        clock = 1772438400;
    }

    /// The words of the templates and lists are never lexicon terms: a term should only match
    /// where the generator put it.
    void reserve_vocabulary() {
        for (const auto* list : {&nouns, &good_words, &bad_words, &inflected, &phrase_modifiers,
                                 &prefix_stems, &themes}) {
            for (const auto w : *list) {
                used_words.emplace(w);
            }
        }
        for (const auto* list : {&templates, &times, &places, &who, &openers, &common_phrases}) {
            for (const auto line : *list) {
                for (auto& w : rough_words(line)) {
                    used_words.insert(std::move(w));
                }
            }
        }
        for (const auto w : {"and"sv, "or"sv, "not"sv, "near"sv, "yes"sv, "no"sv, "on"sv, "off"sv,
                             "true"sv, "false"sv, "null"sv, "y"sv, "n"sv}) {
            used_words.emplace(w);
        }
    }

    /// A pronounceable word made of syllables that no list or earlier call has produced.
    std::string fresh_word(std::size_t min_syllables, std::size_t max_syllables) {
        static const std::vector<std::string_view> inner_codas = {"n", "r", "l", "s", "m"};
        for (;;) {
            std::string w;
            const std::size_t n = rng.between(min_syllables, max_syllables);
            for (std::size_t s = 0; s < n; ++s) {
                // Later syllables always open with a consonant, so vowels do not pile up.
                const auto onset = rng.pick(onsets);
                w += s == 0 || !onset.empty() ? onset : std::string_view("l");
                w += s == 0 ? rng.pick(nuclei) : rng.pick(simple_nuclei);
                if (s + 1 == n) {
                    w += rng.pick(codas);
                } else if (rng.chance(0.2)) {
                    w += rng.pick(inner_codas);
                }
            }
            if (w.size() < 4 || w.size() > 10 || !looks_like_a_word(w) || used_words.contains(w)) {
                continue;
            }
            used_words.insert(w);
            return w;
        }
    }

    /// No three vowels or three equal letters in a row.
    static bool looks_like_a_word(std::string_view w) {
        int vowels = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            vowels =
                std::string_view("aeiouy").find(w[i]) != std::string_view::npos ? vowels + 1 : 0;
            if (vowels >= 3 || (i >= 2 && w[i] == w[i - 1] && w[i] == w[i - 2])) {
                return false;
            }
        }
        return true;
    }

    void make_lexicons() {
        const std::size_t lexicon_count = std::max<std::size_t>(1, (options.terms + 25) / 50);
        const std::size_t theme_count = std::min(themes.size(), lexicon_count);
        theme_lexicons.resize(theme_count);
        lexicon_terms.resize(lexicon_count);
        for (std::size_t l = 0; l < lexicon_count; ++l) {
            const std::size_t theme = l % theme_count;
            lexicon_names.push_back(std::string(themes[theme]) +
                                    std::to_string(l / theme_count + 1));
            theme_lexicons[theme].push_back(l);
        }
        for (std::size_t i = 0; i < options.terms; ++i) {
            const std::size_t l = i * lexicon_count / options.terms;
            // One draw per statement: the order in which operands of + are evaluated is
            // unspecified, and the corpus must not change with the compiler.
            std::string term(i % 5 == 4 ? rng.pick(phrase_modifiers) : std::string_view());
            term += term.empty() ? fresh_word(2, 3) : " " + fresh_word(2, 3);
            lexicon_terms[l].push_back(terms.size());
            if (term.find(' ') == std::string::npos) {
                single_term_lexicon.emplace(term, l);
            } else {
                phrase_term_lexicon.emplace(term, l);
            }
            terms.push_back(std::move(term));
        }
    }

    // ---- Rules ----

    std::size_t theme_lexicon(std::size_t theme) { return rng.pick(theme_lexicons[theme]); }
    std::size_t other_lexicon(std::size_t theme, std::size_t not_this) {
        const auto& ls = theme_lexicons[theme];
        for (int attempt = 0; attempt < 8 && ls.size() > 1; ++attempt) {
            const std::size_t l = rng.pick(ls);
            if (l != not_this) {
                return l;
            }
        }
        return rng.below(lexicon_names.size());
    }
    std::size_t plain_word(query& q) {
        const double r = rng.unit();
        if (r < 0.4) {
            return q.leaf(qnode::kind::word, rng.pick(bad_words));
        }
        if (r < 0.6) {
            return q.leaf(qnode::kind::word, rng.pick(good_words));
        }
        return q.leaf(qnode::kind::word, rng.pick(nouns));
    }
    std::size_t some_term(query& q, std::size_t lexicon) {
        const std::string& t = terms[rng.pick(lexicon_terms[lexicon])];
        return q.leaf(t.find(' ') == std::string::npos ? qnode::kind::word : qnode::kind::phrase,
                      t);
    }
    std::size_t brand_term(query& q) {
        const std::string& b = rng.pick(brands);
        const double r = rng.unit();
        if (r < 0.3) {
            return q.leaf(qnode::kind::word, "@" + b);
        }
        if (r < 0.45) {
            return q.leaf(qnode::kind::word, "#" + b);
        }
        return q.leaf(qnode::kind::word, b);
    }

    query make_query(std::size_t theme) {
        query q;
        const std::size_t a = theme_lexicon(theme);
        const std::size_t b = other_lexicon(theme, a);
        const std::size_t c = other_lexicon(theme, b);
        using k = qnode::kind;
        const std::size_t shape = rng.below(100);
        if (shape < 10) { // $a
            q.root = q.lexicon(a);
        } else if (shape < 24) { // $a OR $b
            q.root = q.op(k::any_of, {q.lexicon(a), q.lexicon(b)});
        } else if (shape < 38) { // $a AND NOT ($c OR word)
            const std::size_t exclusion = q.op(k::any_of, {q.lexicon(c), plain_word(q)});
            q.root = q.op(k::all_of, {q.lexicon(a), q.op(k::negate, {exclusion})});
        } else if (shape < 48) { // ($a OR $b) AND (word OR word OR prefix*)
            const std::size_t either = q.op(k::any_of, {q.lexicon(a), q.lexicon(b)});
            const std::size_t words = q.op(k::any_of, {plain_word(q), plain_word(q),
                                                       q.leaf(k::prefix, rng.pick(prefix_stems))});
            q.root = q.op(k::all_of, {either, words});
        } else if (shape < 56) { // $a "common phrase", written with an implied AND
            const std::size_t phrase = q.leaf(k::phrase, rng.pick(common_phrases));
            const bool implicit = rng.chance(0.5);
            q.root = q.op(k::all_of, {q.lexicon(a), phrase}, implicit);
        } else if (shape < 66) { // (brand OR @brand) AND ($a OR $b)
            const std::size_t brand = q.op(k::any_of, {brand_term(q), brand_term(q)});
            q.root = q.op(k::all_of, {brand, q.op(k::any_of, {q.lexicon(a), q.lexicon(b)})});
        } else if (shape < 74) { // $a NEAR/3 word  or  $a NEAR/3 $b
            const std::size_t right = rng.chance(0.5) ? plain_word(q) : q.lexicon(b);
            q.root = q.near(q.lexicon(a), right, 3);
        } else if (shape < 84) { // terms written out: "t1 t2" OR t3 OR t4
            q.root = q.op(k::any_of,
                          {some_term(q, a), some_term(q, a), some_term(q, b), some_term(q, c)});
        } else if (shape < 89) { // $a AND $b
            q.root = q.op(k::all_of, {q.lexicon(a), q.lexicon(b)});
        } else if (shape < 95) { // prefix* AND $a AND NOT word
            q.root = q.op(k::all_of, {q.leaf(k::prefix, rng.pick(prefix_stems)), q.lexicon(a),
                                      q.op(k::negate, {plain_word(q)})});
        } else { // $a OR ($other AND word)
            const std::size_t far = rng.below(lexicon_names.size());
            q.root =
                q.op(k::any_of, {q.lexicon(a), q.op(k::all_of, {q.lexicon(far), plain_word(q)})});
        }
        return q;
    }

    void make_rules() {
        for (std::size_t r = 0; r < options.rules; ++r) {
            const std::size_t theme = rng.below(theme_lexicons.size());
            rule_spec spec;
            spec.q = make_query(theme);
            if (rng.chance(0.08)) {
                spec.kinds = 0b00111; // mention, direct, reply
            }
            if (rng.chance(0.04)) {
                spec.sentiment = "{below: 0}";
            } else if (rng.chance(0.02)) {
                spec.sentiment = "{above: 1}";
            }
            if (rng.chance(0.03)) {
                spec.person = "{messages: {within: 30d, at_least: 3}}";
            } else if (rng.chance(0.01)) {
                spec.person =
                    "{tagged: {tag: " + std::string(themes[theme]) + ", within: 7d, at_least: 1}}";
            }
            if (rng.chance(0.03)) {
                spec.platforms = {0, 1};
            }
            if (rng.chance(0.02)) {
                spec.followers_at_least = 1000;
            }
            spec.tags.emplace_back(themes[theme]);
            if (rng.chance(0.3)) {
                spec.tags.push_back("topic-" + std::to_string(rng.below(50)));
            }
            if (rng.chance(0.6)) {
                spec.team = rng.pick(teams);
            }
            if (rng.chance(0.5)) {
                spec.priority = rng.pick(priorities);
            }
            if (rng.chance(0.3)) {
                spec.reply = "Hi {{author.first_name}}, " + std::string(rng.pick(reply_bodies));
            }
            if (rng.chance(0.05)) {
                spec.sla = "4h";
            }
            rules.push_back(std::move(spec));
        }
    }

    void make_people() {
        constexpr std::size_t pool = 20000;
        for (std::size_t i = 0; i < pool; ++i) {
            person p;
            p.id = std::to_string(1000000 + i * 37);
            const auto first = rng.pick(first_names);
            const auto last = rng.pick(last_names);
            p.handle = rough_words(first)[0] + "_" + rough_words(last)[0] +
                       std::to_string(rng.below(1000));
            if (!rng.chance(0.1)) { // some people show only a handle
                p.name = std::string(first) + " " + std::string(last);
            }
            // Log-uniform over 1..1,000,000, so most have few followers and a few have many.
            p.followers = static_cast<std::int64_t>(std::exp(rng.unit() * std::log(1e6)));
            const double r = rng.unit();
            double acc = 0;
            p.platform = platforms.size() - 1;
            for (std::size_t k = 0; k < platforms.size(); ++k) {
                acc += platforms[k].share;
                if (r < acc) {
                    p.platform = k;
                    break;
                }
            }
            people.push_back(std::move(p));
        }
    }

    // ---- Rendering the playbook ----

    void render(const query& q, std::size_t n, int parent_precedence, std::string& out) const {
        const qnode& node = q.nodes[n];
        int precedence = 5;
        std::string s;
        switch (node.what) {
            case qnode::kind::word:
                s = node.text;
                break;
            case qnode::kind::phrase:
                s = "\"" + node.text + "\"";
                break;
            case qnode::kind::prefix:
                s = node.text + "*";
                break;
            case qnode::kind::lexicon:
                s = "$" + lexicon_names[node.lexicon];
                break;
            case qnode::kind::any_of:
            case qnode::kind::all_of: {
                const bool any = node.what == qnode::kind::any_of;
                precedence = any ? 1 : 2;
                const char* separator = any ? " OR " : (node.implicit ? " " : " AND ");
                for (std::size_t i = 0; i < node.children.size(); ++i) {
                    if (i > 0) {
                        s += separator;
                    }
                    render(q, node.children[i], precedence + 1, s);
                }
                break;
            }
            case qnode::kind::negate:
                precedence = 3;
                s = "NOT ";
                render(q, node.children[0], precedence, s);
                break;
            case qnode::kind::near:
                precedence = 4;
                render(q, node.children[0], precedence + 1, s);
                s += " NEAR/" + std::to_string(node.distance) + " ";
                render(q, node.children[1], precedence + 1, s);
                break;
        }
        if (precedence < parent_precedence) {
            out += "(" + s + ")";
        } else {
            out += s;
        }
    }

    std::string playbook_yaml() const {
        std::string y;
        y.reserve(terms.size() * 16 + rules.size() * 300);
        y += "# Generated by bench/gen_corpus (seed " + std::to_string(options.seed) + ", " +
             std::to_string(rules.size()) + " rules, " + std::to_string(terms.size()) +
             " terms). Do not edit.\n";
        y += "playbook: bench\n";
        y += "brand: {name: Acme, voice: \"warm, brief, first names\"}\n";
        y += "lexicons:\n";
        for (std::size_t l = 0; l < lexicon_names.size(); ++l) {
            y += "  " + lexicon_names[l] + ": [";
            for (std::size_t i = 0; i < lexicon_terms[l].size(); ++i) {
                y += i > 0 ? ", \"" : "\"";
                y += terms[lexicon_terms[l][i]];
                y += "\"";
            }
            y += "]\n";
        }
        y += "rules:\n";
        char id[32];
        for (std::size_t r = 0; r < rules.size(); ++r) {
            const rule_spec& spec = rules[r];
            std::snprintf(id, sizeof id, "rule-%04zu", r + 1);
            y += "  - id: ";
            y += id;
            y += "\n    when:\n      query: '";
            render(spec.q, spec.q.root, 0, y);
            y += "'\n";
            if (spec.kinds != 0) {
                y += "      kind: [";
                bool first = true;
                for (std::size_t k = 0; k < kind_names.size(); ++k) {
                    if ((spec.kinds & (1U << k)) != 0) {
                        y += first ? "" : ", ";
                        y += kind_names[k];
                        first = false;
                    }
                }
                y += "]\n";
            }
            if (!spec.platforms.empty()) {
                y += "      platform: [";
                for (std::size_t i = 0; i < spec.platforms.size(); ++i) {
                    y += i > 0 ? ", " : "";
                    y += platforms[spec.platforms[i]].name;
                }
                y += "]\n";
            }
            if (!spec.sentiment.empty()) {
                y += "      sentiment: " + spec.sentiment + "\n";
            }
            if (spec.followers_at_least) {
                y += "      author: {followers: {at_least: " +
                     std::to_string(*spec.followers_at_least) + "}}\n";
            }
            if (!spec.person.empty()) {
                y += "      person: " + spec.person + "\n";
            }
            y += "    then:\n      tag: [";
            for (std::size_t i = 0; i < spec.tags.size(); ++i) {
                y += i > 0 ? ", " : "";
                y += spec.tags[i];
            }
            y += "]\n";
            if (!spec.team.empty()) {
                y += "      team: " + spec.team + "\n";
            }
            if (!spec.priority.empty()) {
                y += "      priority: " + spec.priority + "\n";
            }
            if (!spec.sla.empty()) {
                y += "      sla: " + spec.sla + "\n";
            }
            if (!spec.reply.empty()) {
                y += "      reply: \"" + spec.reply + "\"\n";
            }
        }
        return y;
    }

    // ---- Posts ----

    /// Picks a lexicon term for a post about `theme`: mostly from the theme's lexicons, and
    /// within a lexicon skewed towards its first terms, so some terms are hot and some rare.
    const std::string& pick_term(std::size_t theme) {
        const std::size_t l =
            rng.chance(0.8) ? theme_lexicon(theme) : rng.below(lexicon_names.size());
        const auto& ts = lexicon_terms[l];
        const double u = rng.unit();
        return terms[ts[static_cast<std::size_t>(u * u * static_cast<double>(ts.size()))]];
    }

    std::string thing(std::size_t theme, double term_share) {
        if (rng.chance(term_share)) {
            const std::string& t = pick_term(theme);
            const bool phrase = t.find(' ') != std::string::npos;
            const double r = rng.unit();
            if (r < 0.08) {
                return capitalized(t);
            }
            if (r < 0.12 && !phrase) {
                return "#" + t;
            }
            if (r < 0.20 && !phrase) {
                return t + "s"; // a near miss: the literal is found, the word boundary is not
            }
            return t;
        }
        if (rng.chance(0.3)) {
            return rng.pick(noise_words);
        }
        return std::string(rng.pick(nouns));
    }

    std::string brand_mention() {
        const std::string& b = rng.pick(brands);
        const double r = rng.unit();
        if (r < 0.5) {
            return capitalized(b);
        }
        if (r < 0.75) {
            return "@" + b;
        }
        if (r < 0.85) {
            return "#" + b;
        }
        return b;
    }

    std::string fill(std::string_view tmpl, std::size_t theme, double term_share) {
        std::string s;
        std::size_t i = 0;
        while (i < tmpl.size()) {
            if (tmpl[i] != '{') {
                s.push_back(tmpl[i++]);
                continue;
            }
            const std::size_t end = tmpl.find('}', i);
            const std::string_view slot = tmpl.substr(i + 1, end - i - 1);
            i = end + 1;
            if (slot == "thing") {
                s += thing(theme, term_share);
            } else if (slot == "noun") {
                s += rng.pick(nouns);
            } else if (slot == "good") {
                s += rng.pick(good_words);
            } else if (slot == "bad") {
                s += rng.pick(bad_words);
            } else if (slot == "adj") {
                s += rng.chance(0.5) ? rng.pick(good_words) : rng.pick(bad_words);
            } else if (slot == "brand") {
                s += brand_mention();
            } else if (slot == "time") {
                s += rng.pick(times);
            } else if (slot == "place") {
                s += rng.pick(places);
            } else if (slot == "who") {
                s += rng.pick(who);
            } else if (slot == "open") {
                s += rng.pick(openers);
            } else if (slot == "tag") {
                s += rng.pick(generic_tags);
            } else if (slot == "emoji") {
                s += rng.pick(emoji);
            } else if (slot == "person") {
                s += "@" + rng.pick(people).handle;
            } else if (slot == "num") {
                s += std::to_string(rng.between(2, 60));
            } else if (slot == "word") {
                s += rng.pick(inflected);
            }
        }
        return s;
    }

    /// 40-280 characters (code points) of whole sentences about one theme.
    std::string make_text(std::size_t theme) {
        // Targets average ~165 characters once the last sentence overshoots, like the posts
        // PERFORMANCE.md's ceilings were measured on.
        const std::size_t target = rng.between(40, 240);
        // Some posts are chatty about their topic; most mention it once or not at all.
        const double term_share = rng.chance(0.25) ? 0.6 : 0.18;
        std::string text;
        std::size_t chars = 0;
        while (chars < target) {
            std::string sentence = fill(rng.pick(templates), theme, term_share);
            if (rng.chance(0.6)) {
                sentence = capitalized(sentence);
            }
            const char last = sentence.back();
            if (((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z')) && rng.chance(0.6)) {
                sentence += rng.chance(0.7) ? "." : "!";
            }
            const std::size_t sentence_chars = rapport::rules::count_code_points(sentence);
            // Templates are far shorter than 140 characters, so a text still under 40 always
            // has room for one more.
            if (chars > 0 && chars + 1 + sentence_chars > 280) {
                break;
            }
            if (chars > 0) {
                text.push_back(' ');
                ++chars;
            }
            text += sentence;
            chars += sentence_chars;
        }
        if (const auto tag = rng.pick(generic_tags);
            rng.chance(0.15) && chars + 1 + tag.size() <= 280) {
            text += " ";
            text += tag;
        }
        if (rng.chance(0.1)) { // some phones type curly apostrophes
            std::string curly;
            for (const char c : text) {
                curly += c == '\'' ? "\xE2\x80\x99" : std::string(1, c);
            }
            text = std::move(curly);
        }
        return text;
    }

    std::size_t pick_kind() {
        const double r = rng.unit();
        double acc = 0;
        for (std::size_t k = 0; k < kind_shares.size(); ++k) {
            acc += kind_shares[k];
            if (r < acc) {
                return k;
            }
        }
        return 0;
    }

    void next_post(std::string& json, std::string& text) {
        // Half the posts come from the 2,000 most active people, so their history grows.
        const std::size_t who_index = rng.chance(0.5) ? rng.below(2000) : rng.below(people.size());
        const person& p = people[who_index];
        const std::size_t kind = pick_kind();
        const std::size_t theme = rng.below(theme_lexicons.size());
        text = make_text(theme);
        clock += static_cast<std::int64_t>(rng.between(1, 6)); // strictly increasing

        char id[32];
        std::snprintf(id, sizeof id, "bench-%07zu", next_id);
        json.clear();
        json += "{\"id\":\"";
        json += id;
        json += "\",\"kind\":\"";
        json += kind_names[kind];
        json += "\",\"text\":";
        rapport::rules::append_json_string(json, text);
        json += ",\"author\":{\"id\":\"" + p.id + "\",\"handle\":\"" + p.handle + "\"";
        if (!p.name.empty()) {
            json += ",\"name\":\"" + p.name + "\"";
        }
        json += ",\"followers\":" + std::to_string(p.followers) + "}";
        if (kind_names[kind] == "reply" && next_id > 1 && rng.chance(0.8)) {
            char parent[32];
            std::snprintf(parent, sizeof parent, "bench-%07zu", 1 + rng.below(next_id - 1));
            json += ",\"in_reply_to\":\"";
            json += parent;
            json += "\",\"thread_id\":\"t-";
            json += parent + 6;
            json += "\"";
        }
        json += ",\"created_at\":\"" + rfc3339(clock) + "\"";
        if (rng.chance(0.7)) {
            json += ",\"lang\":\"en\"";
        }
        json += ",\"platform\":\"";
        json += platforms[p.platform].name;
        json += "\",\"account\":\"";
        json += platforms[p.platform].account;
        json += "\"}";

        const std::size_t chars = rapport::rules::count_code_points(text);
        stats.min_chars = stats.posts == 0 ? chars : std::min(stats.min_chars, chars);
        stats.max_chars = std::max(stats.max_chars, chars);
        stats.text_chars += chars;
        stats.text_bytes += text.size();
        stats.json_bytes += json.size() + 1;
        if (options.sample_every > 0 && next_id % options.sample_every == 0) {
            estimate(text, kind, p);
        }
        ++stats.posts;
        ++next_id;
    }

    // ---- The estimate ----

    struct folded_post {
        std::vector<std::string> words;
        std::unordered_map<std::string_view, std::vector<int>> positions;
        std::unordered_map<std::size_t, std::vector<int>> lexicon_positions;
    };

    std::vector<int> positions(const query& q, std::size_t n, const folded_post& f) const {
        const qnode& node = q.nodes[n];
        std::vector<int> out;
        switch (node.what) {
            case qnode::kind::word:
                if (const auto it = f.positions.find(node.text); it != f.positions.end()) {
                    out = it->second;
                }
                break;
            case qnode::kind::phrase: {
                const std::vector<std::string> parts = rough_words(node.text);
                for (std::size_t i = 0; i + parts.size() <= f.words.size(); ++i) {
                    if (std::equal(parts.begin(), parts.end(),
                                   f.words.begin() + static_cast<std::ptrdiff_t>(i))) {
                        out.push_back(static_cast<int>(i));
                    }
                }
                break;
            }
            case qnode::kind::prefix:
                for (std::size_t i = 0; i < f.words.size(); ++i) {
                    if (f.words[i].starts_with(node.text)) {
                        out.push_back(static_cast<int>(i));
                    }
                }
                break;
            case qnode::kind::lexicon:
                if (const auto it = f.lexicon_positions.find(node.lexicon);
                    it != f.lexicon_positions.end()) {
                    out = it->second;
                }
                break;
            default:
                if (holds(q, n, f)) {
                    out.push_back(0);
                }
                break;
        }
        return out;
    }

    bool holds(const query& q, std::size_t n, const folded_post& f) const {
        const qnode& node = q.nodes[n];
        switch (node.what) {
            case qnode::kind::all_of:
                return std::all_of(node.children.begin(), node.children.end(),
                                   [&](std::size_t c) { return holds(q, c, f); });
            case qnode::kind::any_of:
                return std::any_of(node.children.begin(), node.children.end(),
                                   [&](std::size_t c) { return holds(q, c, f); });
            case qnode::kind::negate:
                return !holds(q, node.children[0], f);
            case qnode::kind::near: {
                const auto left = positions(q, node.children[0], f);
                const auto right = positions(q, node.children[1], f);
                for (const int l : left) {
                    for (const int r : right) {
                        if (std::abs(l - r) <= node.distance) {
                            return true;
                        }
                    }
                }
                return false;
            }
            default:
                return !positions(q, n, f).empty();
        }
    }

    void estimate(std::string_view text, std::size_t kind, const person& p) {
        folded_post f;
        f.words = rough_words(text);
        for (std::size_t i = 0; i < f.words.size(); ++i) {
            // Like the library's matcher, a term also matches after the # or @ of a word.
            const std::string_view word = f.words[i];
            const std::string_view bare = word[0] == '#' || word[0] == '@' ? word.substr(1) : word;
            f.positions[word].push_back(static_cast<int>(i));
            if (bare.size() != word.size()) {
                f.positions[bare].push_back(static_cast<int>(i));
            }
            if (const auto it = single_term_lexicon.find(std::string(bare));
                it != single_term_lexicon.end()) {
                f.lexicon_positions[it->second].push_back(static_cast<int>(i));
                ++stats.term_occurrences;
            }
            if (i + 1 < f.words.size()) {
                if (const auto it =
                        phrase_term_lexicon.find(std::string(bare) + " " + f.words[i + 1]);
                    it != phrase_term_lexicon.end()) {
                    f.lexicon_positions[it->second].push_back(static_cast<int>(i));
                    ++stats.term_occurrences;
                }
            }
        }
        std::size_t matches = 0;
        for (const rule_spec& r : rules) {
            if (r.kinds != 0 && (r.kinds & (1U << kind)) == 0) {
                continue;
            }
            if (!r.platforms.empty() && std::find(r.platforms.begin(), r.platforms.end(),
                                                  p.platform) == r.platforms.end()) {
                continue;
            }
            if (r.followers_at_least && p.followers < *r.followers_at_least) {
                continue;
            }
            if (holds(r.q, r.q.root, f)) {
                ++matches;
            }
        }
        ++stats.sampled;
        stats.rule_matches += matches;
        stats.posts_with_match += matches > 0 ? 1 : 0;
    }
};

corpus::corpus(const corpus_options& options) : impl_(std::make_unique<impl>(options)) {}
corpus::~corpus() = default;
corpus::corpus(corpus&&) noexcept = default;
corpus& corpus::operator=(corpus&&) noexcept = default;

const std::vector<std::string>& corpus::terms() const {
    return impl_->terms;
}
std::string corpus::playbook_yaml() const {
    return impl_->playbook_yaml();
}
void corpus::next_post(std::string& json, std::string& text) {
    impl_->next_post(json, text);
}
const corpus_stats& corpus::stats() const {
    return impl_->stats;
}

} // namespace rapport::bench
