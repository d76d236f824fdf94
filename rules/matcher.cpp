#include "rules/matcher.hpp"

#include <hs.h>

#include <atomic>
#include <cstdlib>
#include <unordered_map>

namespace rapport::rules {

// Vectorscan sees each distinct literal once; a literal can stand for a whole-word pattern,
// a prefix pattern, or both.
struct matcher::impl {
    struct literal {
        std::uint32_t length = 0;
        bool starts_with_sigil = false;
        // Pattern ids written as this literal (callers may repeat one).
        std::vector<std::uint32_t> exact;
        std::vector<std::uint32_t> prefix;
    };
    hs_database_t* database = nullptr;
    std::vector<literal> literals;
    std::size_t pattern_count = 0;
    // Distinguishes databases for scratch fitting even if one is freed and another allocated
    // at the same address.
    std::uint64_t generation = 0;

    struct scan_context {
        const impl* self;
        const normalized_text* text;
        std::vector<pattern_hit>* hits;
    };
    static int on_match(
        unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void* context);

    ~impl() { hs_free_database(database); }
};

struct matcher::scratch::impl {
    hs_scratch_t* space = nullptr;
    std::uint64_t fitted_generation = 0;
    ~impl() { hs_free_scratch(space); }
};

matcher::matcher() = default;
matcher::~matcher() = default;
matcher::matcher(matcher&&) noexcept = default;
matcher& matcher::operator=(matcher&&) noexcept = default;

matcher::scratch::scratch() : impl_(std::make_unique<impl>()) {}
matcher::scratch::~scratch() = default;
matcher::scratch::scratch(scratch&&) noexcept = default;
matcher::scratch& matcher::scratch::operator=(scratch&&) noexcept = default;

bool matcher::compile(const std::vector<pattern>& patterns, std::string& error) {
    static std::atomic<std::uint64_t> generations{0};
    auto next = std::make_unique<impl>();
    next->generation = ++generations;
    next->pattern_count = patterns.size();
    std::unordered_map<std::string_view, std::uint32_t> literal_ids;
    std::vector<const char*> expressions;
    std::vector<std::size_t> lengths;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        const auto& p = patterns[i];
        if (p.literal.empty()) {
            error = "empty pattern";
            return false;
        }
        const auto [it, inserted] =
            literal_ids.try_emplace(p.literal, static_cast<std::uint32_t>(next->literals.size()));
        if (inserted) {
            impl::literal l;
            l.length = static_cast<std::uint32_t>(p.literal.size());
            l.starts_with_sigil = p.literal.front() == '#' || p.literal.front() == '@';
            next->literals.push_back(l);
            expressions.push_back(p.literal.c_str());
            lengths.push_back(p.literal.size());
        }
        auto& l = next->literals[it->second];
        (p.prefix ? l.prefix : l.exact).push_back(static_cast<std::uint32_t>(i));
    }
    if (!expressions.empty()) {
        // Texts are folded before scanning, so matching is case-sensitive and exact.
        std::vector<unsigned> flags(expressions.size(), 0);
        std::vector<unsigned> ids(expressions.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            ids[i] = static_cast<unsigned>(i);
        }
        hs_compile_error_t* compile_error = nullptr;
        if (hs_compile_lit_multi(expressions.data(), flags.data(), ids.data(), lengths.data(),
                                 static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr,
                                 &next->database, &compile_error) != HS_SUCCESS) {
            error = compile_error != nullptr ? compile_error->message : "unknown error";
            hs_free_compile_error(compile_error);
            return false;
        }
    }
    impl_ = std::move(next);
    return true;
}

// A literal counts only on word boundaries: the byte before it is the start, a space, or (for
// literals that are not themselves #tags/@handles) the # or @ that begins a word, so `acme`
// finds "#acme" and "@acme"; the byte after it is the end or a space, unless it is a prefix.
int matcher::impl::on_match(unsigned id,
                            unsigned long long /*from*/,
                            unsigned long long to,
                            unsigned /*flags*/,
                            void* context) {
    auto& c = *static_cast<scan_context*>(context);
    const literal& l = c.self->literals[id];
    const std::string_view text = c.text->text;
    const std::size_t end = static_cast<std::size_t>(to);
    const std::size_t start = end - l.length;
    if (start > 0) {
        const char before = text[start - 1];
        const bool sigil_before =
            (before == '#' || before == '@') && (start == 1 || text[start - 2] == ' ');
        if (before != ' ' && !(sigil_before && !l.starts_with_sigil)) {
            return 0;
        }
    }
    const bool whole_word = end == text.size() || text[end] == ' ';
    if (!whole_word && l.prefix.empty()) {
        return 0;
    }
    const auto first = static_cast<std::uint32_t>(c.text->word_at(start));
    const auto last = static_cast<std::uint32_t>(c.text->word_at(end - 1));
    if (whole_word) {
        for (const auto pattern : l.exact) {
            c.hits->push_back({pattern, first, last});
        }
    }
    for (const auto pattern : l.prefix) {
        c.hits->push_back({pattern, first, last});
    }
    return 0; // keep scanning
}

void matcher::scan(const normalized_text& text, scratch& s, std::vector<pattern_hit>& hits) const {
    if (!impl_ || impl_->database == nullptr || text.text.empty()) {
        return;
    }
    if (s.impl_->fitted_generation != impl_->generation) {
        // Grows the scratch to fit this database too; it keeps fitting the earlier ones.
        if (hs_alloc_scratch(impl_->database, &s.impl_->space) != HS_SUCCESS) {
            std::abort(); // only on out-of-memory
        }
        s.impl_->fitted_generation = impl_->generation;
    }
    impl::scan_context context{impl_.get(), &text, &hits};
    hs_scan(impl_->database, text.text.data(), static_cast<unsigned>(text.text.size()), 0,
            s.impl_->space, &impl::on_match, &context);
}

std::size_t matcher::pattern_count() const {
    return impl_ ? impl_->pattern_count : 0;
}

std::size_t matcher::database_bytes() const {
    std::size_t size = 0;
    if (impl_ && impl_->database != nullptr) {
        hs_database_size(impl_->database, &size);
    }
    return size;
}

} // namespace rapport::rules
