#include "rules/text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace rapport::rules {
namespace {

std::string folded(std::string_view utf8) {
    return normalize(utf8).text;
}

TEST(text, folds_ascii_case) {
    const normalized_text t = normalize("Hello WORLD, MiXeD 42 snake_case");
    EXPECT_EQ(t.text, "hello world mixed 42 snake_case");
    EXPECT_EQ(t.word_starts, (std::vector<std::uint32_t>{0, 6, 12, 18, 21}));
}

TEST(text, punctuation_and_white_space_separate_words) {
    EXPECT_EQ(folded("Hi!!! Is it   going?...great\t\nthanks"), "hi is it going great thanks");
    EXPECT_EQ(folded("  leading and trailing  "), "leading and trailing");
    EXPECT_EQ(folded("e-mail, re:post; a/b (c) [d] {e} \"f\""), "e mail re post a b c d e f");
    EXPECT_EQ(folded("3.14 1,000"), "3 14 1 000");
}

TEST(text, apostrophes_separate_words_like_other_punctuation) {
    EXPECT_EQ(folded("don't"), "don t");
    EXPECT_EQ(folded("Acme\u2019s battery"), "acme s battery");
    EXPECT_EQ(folded("I CAN\u2019T"), "i can t");
    EXPECT_EQ(folded("'quoted'"), "quoted");
    EXPECT_EQ(folded("rock 'n' roll"), "rock n roll");
    EXPECT_EQ(folded("the dogs' bowls"), "the dogs bowls");
    EXPECT_EQ(folded("a''b"), "a b");
    EXPECT_EQ(folded("a ' b"), "a b");
}

TEST(text, hash_and_at_attach_to_a_following_word) {
    const normalized_text t = normalize("Love it #WantAnR8 @Acme!");
    EXPECT_EQ(t.text, "love it #wantanr8 @acme");
    EXPECT_EQ(t.word_count(), 4u);
    EXPECT_EQ(folded("(#tag) [@handle]"), "#tag @handle");
    EXPECT_EQ(folded("##tag @@handle"), "#tag @handle");
    EXPECT_EQ(folded("#acme's"), "#acme s");
}

TEST(text, hash_and_at_separate_otherwise) {
    EXPECT_EQ(folded("a#b"), "a b");
    EXPECT_EQ(folded("x @ y"), "x y");
    EXPECT_EQ(folded("sam@acme.com"), "sam acme com");
    EXPECT_EQ(folded("#tag#more"), "#tag more");
    EXPECT_EQ(folded("# @ #! @."), "");
    EXPECT_EQ(folded("end#"), "end");
}

TEST(text, unicode_full_case_folding) {
    EXPECT_EQ(folded("STRASSE"), "strasse");
    EXPECT_EQ(folded("Straße"), "strasse");
    EXPECT_EQ(folded("ÉCOLE"), "école");
    EXPECT_EQ(folded("ÇA VA"), "ça va");
    // Final and medial sigma fold alike.
    EXPECT_EQ(folded("ΣΟΦΟΣ"), "σοφοσ");
    EXPECT_EQ(folded("σοφος"), "σοφοσ");
    EXPECT_EQ(folded("ПРИВЕТ Мир"), "привет мир");
}

TEST(text, composes_to_nfc) {
    const std::string decomposed = "cafe\u0301";
    const std::string precomposed = "caf\u00e9";
    EXPECT_EQ(folded(decomposed), precomposed);
    EXPECT_EQ(folded("CAFE\u0301"), precomposed);
    EXPECT_EQ(folded(decomposed), folded(precomposed));
    // Combining marks are reordered canonically before composing.
    EXPECT_EQ(folded("a\u0323\u0302"), folded("a\u0302\u0323"));
}

TEST(text, scripts_without_spaces_make_one_word_per_character) {
    EXPECT_EQ(folded("我爱Acme产品"), "我 爱 acme 产 品");
    EXPECT_EQ(folded("東京タワーへ"), "東 京 タ ワ ー へ");
    EXPECT_EQ(folded("2024年"), "2024 年");
    // A Thai vowel sign stays with its consonant: ส ว+ั ส ด+ี.
    EXPECT_EQ(folded("สวัสดี"), "ส วั ส ดี");
    EXPECT_EQ(folded("#日本"), "#日 本");
    // Punctuation in those blocks still separates.
    EXPECT_EQ(folded("コーヒー・ケーキ"), folded("コーヒー ケーキ"));
    // Korean is written with spaces and keeps its words.
    EXPECT_EQ(folded("안녕 하세요"), "안녕 하세요");
}

TEST(text, invalid_utf8_separates_words) {
    EXPECT_EQ(folded("good\xFF"
                     "bad"),
              "good bad");
    EXPECT_EQ(folded("caf\xC3"), "caf");
    EXPECT_EQ(folded("\xE2\x82x y\xF0\x9F\x98"), "x y");
    EXPECT_EQ(folded("\xC0\xAFslash"), "slash"); // overlong
    EXPECT_EQ(folded("a\xED\xA0\x80"
                     "b"),
              "a b"); // surrogate
    EXPECT_EQ(folded("\xC3\x89t\xC3\xA9\xFF\xC3\x89T\xC3\x89"), "été été");
    EXPECT_EQ(folded("\xFF\xFE"), "");
}

TEST(text, stray_marks_and_variation_selectors_are_not_words) {
    EXPECT_EQ(folded("I \u2764\uFE0F it"), "i it");
    EXPECT_EQ(folded("5\uFE0F stars"), "5 stars");
    EXPECT_EQ(folded("\u0301alone"), "alone");
}

TEST(text, word_starts_and_word_at) {
    const normalized_text t = normalize("One, two; THREE");
    ASSERT_EQ(t.text, "one two three");
    EXPECT_EQ(t.word_starts, (std::vector<std::uint32_t>{0, 4, 8}));
    EXPECT_EQ(t.word_at(0), 0u);
    EXPECT_EQ(t.word_at(2), 0u);
    EXPECT_EQ(t.word_at(3), 0u); // the space counts with the word before it
    EXPECT_EQ(t.word_at(4), 1u);
    EXPECT_EQ(t.word_at(7), 1u);
    EXPECT_EQ(t.word_at(8), 2u);
    EXPECT_EQ(t.word_at(12), 2u);

    const normalized_text u = normalize("ÉTÉ à Noël");
    ASSERT_EQ(u.text, "été à noël");
    EXPECT_EQ(u.word_starts, (std::vector<std::uint32_t>{0, 6, 9}));
    EXPECT_EQ(u.word_at(5), 0u);
    EXPECT_EQ(u.word_at(9), 2u);
}

TEST(text, empty_and_punctuation_only_input) {
    for (const std::string_view input :
         {"", " ", "!!! ... ???", "'''", "\u2019", "\u2014 \u00bf?"}) {
        const normalized_text t = normalize(input);
        EXPECT_EQ(t.text, "") << input;
        EXPECT_EQ(t.word_count(), 0u) << input;
    }
}

TEST(text, normalize_into_reuses_its_buffers) {
    normalized_text t;
    normalize_into("A fairly long message with quite a few words in it, to grow the buffers", t);
    EXPECT_EQ(t.word_count(), 15u);
    const std::size_t text_capacity = t.text.capacity();
    const std::size_t starts_capacity = t.word_starts.capacity();

    normalize_into("Short", t);
    EXPECT_EQ(t.text, "short");
    EXPECT_EQ(t.word_starts, (std::vector<std::uint32_t>{0}));
    EXPECT_EQ(t.text.capacity(), text_capacity);
    EXPECT_EQ(t.word_starts.capacity(), starts_capacity);

    normalize_into("Ünïcödé", t);
    EXPECT_EQ(t.text, "ünïcödé");
    EXPECT_EQ(t.word_count(), 1u);

    normalize_into("", t);
    EXPECT_EQ(t.text, "");
    EXPECT_EQ(t.word_count(), 0u);
}

TEST(text, long_unicode_input_grows_scratch) {
    // Long enough to grow the per-thread scratch buffer several times; ΐ folds to three code
    // points (ι, diaeresis, acute) and composes back to one.
    std::string input;
    for (int i = 0; i < 500; ++i) {
        input += "\u0390";
    }
    EXPECT_EQ(folded(input), input);
    EXPECT_EQ(count_code_points(folded(input)), 500u);
    std::string sharp_s(300, 'x');
    for (int i = 0; i < 300; ++i) {
        sharp_s += "ß";
    }
    EXPECT_EQ(folded(sharp_s), std::string(300, 'x') + std::string(600, 's'));
}

TEST(text, normalize_is_safe_from_several_threads) {
    // The Unicode path keeps per-thread scratch; each thread must see only its own.
    const auto worker = [](std::string_view input, std::string_view expected, bool& ok) {
        normalized_text t;
        for (int i = 0; i < 2000; ++i) {
            normalize_into(input, t);
            ok = ok && t.text == expected;
        }
    };
    bool ok_a = true;
    bool ok_b = true;
    std::thread a(worker, "Ça VA très BIEN, MERCI", "ça va très bien merci", std::ref(ok_a));
    std::thread b(worker, "ΣΟΦΟΣ 東京 Straße", "σοφοσ 東 京 strasse", std::ref(ok_b));
    a.join();
    b.join();
    EXPECT_TRUE(ok_a);
    EXPECT_TRUE(ok_b);
}

TEST(text, is_valid_utf8) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("été 日本 \U0001F600 \U0010FFFF"));
    EXPECT_FALSE(is_valid_utf8("\xFF"));
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("caf\xC3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));             // overlong
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));         // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));         // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));     // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("12345678\xF0\x9F\x98")); // after the fast ASCII prefix
}

TEST(text, count_code_points) {
    EXPECT_EQ(count_code_points(""), 0u);
    EXPECT_EQ(count_code_points("abc"), 3u);
    EXPECT_EQ(count_code_points("héllo"), 5u);
    EXPECT_EQ(count_code_points("日本"), 2u);
    EXPECT_EQ(count_code_points("\U0001F600!"), 2u);
    EXPECT_EQ(count_code_points("e\u0301"), 2u);
    EXPECT_EQ(count_code_points("\xFF\xFE"), 2u);
    EXPECT_EQ(count_code_points("a\xE2\x82"), 3u); // invalid bytes count one each
}

TEST(text, count_utf16_units) {
    EXPECT_EQ(count_utf16_units(""), 0u);
    EXPECT_EQ(count_utf16_units("abc"), 3u);
    EXPECT_EQ(count_utf16_units("h\u00e9llo"), 5u);           // U+00E9: one unit
    EXPECT_EQ(count_utf16_units("\u65e5\u672c"), 2u);         // CJK in the BMP: one unit each
    EXPECT_EQ(count_utf16_units("\U0001F600!"), 3u);          // an emoji: a surrogate pair
    EXPECT_EQ(count_utf16_units("\U00020000"), 2u);           // CJK Extension B: a pair too
    EXPECT_EQ(count_utf16_units("\U0001F44D\U0001F3FD"), 4u); // thumbs up + skin tone
    EXPECT_EQ(count_utf16_units("\uFFFF\U00010000"), 3u);     // the plane's edge
    EXPECT_EQ(count_utf16_units("\xFF\xFE"), 2u);
    EXPECT_EQ(count_utf16_units("a\xF0\x9F\x98"), 4u); // a cut-off emoji: one per byte
}

TEST(text, count_graphemes) {
    EXPECT_EQ(count_graphemes(""), 0u);
    EXPECT_EQ(count_graphemes("abc"), 3u);
    EXPECT_EQ(count_graphemes("a\r\nb"), 3u);
    EXPECT_EQ(count_graphemes("e\u0301"), 1u);
    EXPECT_EQ(count_graphemes("cafe\u0301s"), 5u);
    EXPECT_EQ(count_graphemes("\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"), 1u);
    EXPECT_EQ(count_graphemes("\U0001F1E9\U0001F1EA"), 1u);                     // one flag
    EXPECT_EQ(count_graphemes("\U0001F1E9\U0001F1EA\U0001F1EB\U0001F1F7"), 2u); // two flags
    EXPECT_EQ(count_graphemes("\U0001F44D\U0001F3FD"), 1u); // skin tone modifier
    EXPECT_EQ(count_graphemes("\u2764\uFE0F"), 1u);
    EXPECT_EQ(count_graphemes("hi \U0001F44B"), 4u);
    EXPECT_EQ(count_graphemes("한국어"), 3u);
    EXPECT_EQ(count_graphemes("\xFF\xFE"), 2u);
    EXPECT_EQ(count_graphemes("a\xFF\u0301"), 3u); // a mark after an invalid byte starts anew
}

std::string repeat(std::string_view piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) {
        out += piece;
    }
    return out;
}

// The figures are twitter-text's conformance cases (validate.yml, weighted with emoji counted
// as 2, as X counts today).
TEST(text, count_x_weighted_follows_twitter_text) {
    EXPECT_EQ(count_x_weighted(""), 0u);
    EXPECT_EQ(count_x_weighted("Hi http://test.co"), 26u);
    EXPECT_EQ(count_x_weighted("http://test.co"), 23u);
    const std::string xs = repeat("xxxxxxxxxx-", 24);
    EXPECT_EQ(count_x_weighted("285 chars-" + xs + "xxxxxxxxxx-"), 285u);
    EXPECT_EQ(count_x_weighted("285 chars- http://www.twitter.com/jack " + xs), 299u);
    EXPECT_EQ(count_x_weighted(xs + " http://www.twitter.com/jack "), 289u) << "a link at the end";
    EXPECT_EQ(count_x_weighted(repeat("https://www.twitter.com/aloha ", 10)), 240u);
    EXPECT_EQ(count_x_weighted(repeat("故人西辞黄鹤楼，烟花三月下扬州。", 10)), 320u);
    EXPECT_EQ(count_x_weighted(repeat("\U0001F637", 160)), 320u);
    EXPECT_EQ(count_x_weighted("the" + repeat("故人西辞黄鹤楼，烟花三月下扬州。", 10)), 323u);
    EXPECT_EQ(count_x_weighted("A\u0301B"), 2u) << "NFC first: A and its accent are one";
    EXPECT_EQ(count_x_weighted("A\uFB2C"), 4u) << "NFC: the ligature is three Hebrew letters";
    EXPECT_EQ(count_x_weighted("H\U0001F431\u263A"
                               "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"),
              7u);
    EXPECT_EQ(count_x_weighted("\U0001F637\U0001F47E\U0001F621\U0001F525\U0001F4A9"), 10u);
    EXPECT_EQ(count_x_weighted("\U0001F64B\U0001F3FD\U0001F468\u200D\U0001F3A4"), 4u);
    EXPECT_EQ(count_x_weighted("This is a tweet with general punctuation characters: "
                               "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                               "\u2009\u200A\u200B \u2010 \u2011 \u2012 \u2013 \u2014 "
                               "\u2015 \u2016  \u2017 \u2018 \u2019 \u201A \u201B \u201C "
                               "\u201D \u201E \u201F \u2032 \u2033 \u2034 \u2035 \u2036 "
                               "\u2037"),
              110u);
    // A 64-character label is no host name, so this is text, not a link.
    EXPECT_EQ(count_x_weighted(repeat("randomurl", 7) + "s.com"), 68u);
    // A host label over 63 bytes once in Punycode is no link either.
    const std::string kana = repeat("あいうえおかきくけこ", 12);
    EXPECT_EQ(
        count_x_weighted(kana + " http://" + repeat("あいうえおかきくけこ", 5) + "あいう.com"),
        358u);
    EXPECT_EQ(count_x_weighted(kana + " http://" + repeat("あいうえおかきくけこ", 5) + "あい.com"),
              264u);
}

TEST(text, count_x_weighted_finds_links_as_x_does) {
    EXPECT_EQ(count_x_weighted("see kestrel.com"), 4u + 23u) << "a bare .com domain is a link";
    EXPECT_EQ(count_x_weighted("see www.kestrel.com/shop?size=m&ref=x."), 4u + 23u + 1u)
        << "the full stop ends the sentence, not the link";
    EXPECT_EQ(count_x_weighted("(https://kestrel.com/a_(b))"), 1u + 23u + 1u)
        << "balanced parentheses belong to the link, the closing one does not";
    EXPECT_EQ(count_x_weighted("kestrel.jp"), 10u) << "a country domain needs a path";
    EXPECT_EQ(count_x_weighted("kestrel.jp/x"), 23u);
    EXPECT_EQ(count_x_weighted("t.co"), 23u) << "X's own short domain";
    EXPECT_EQ(count_x_weighted("kestrel.example"), 15u) << "not a known top-level domain";
    EXPECT_EQ(count_x_weighted("https://kestrel.example"), 23u) << "with a scheme any is";
    EXPECT_EQ(count_x_weighted("HTTPS://www.ExaMPLE.COM/index.html"), 23u);
    EXPECT_EQ(count_x_weighted("http://192.168.0.1/index.html?src=asdf"), 23u);
    EXPECT_EQ(count_x_weighted("http://256.1.2.3/"), 17u) << "no such address, no such TLD";
    EXPECT_EQ(count_x_weighted("http://example.com/\u0420\u0443\u0441"), 23u);
    EXPECT_EQ(count_x_weighted("http://www.-domain4352.com/"), 27u);
    EXPECT_EQ(count_x_weighted("http://www.domain4352-.com/"), 27u);
    EXPECT_EQ(count_x_weighted("http://test_underscore.twitter.com"), 23u);
    EXPECT_EQ(count_x_weighted("http://domain-dash_2314352345_dfasd.foo-cow_4352.com"), 52u);
    EXPECT_EQ(count_x_weighted("ftp://www.example.com/"), 22u)
        << "only http(s) is a scheme, and a bare host right after a / is no link";
    EXPECT_EQ(count_x_weighted("me@kestrel.com"), 14u) << "an e-mail address is no link";
    EXPECT_EQ(count_x_weighted("file.txt"), 8u);
    EXPECT_EQ(count_x_weighted("https://kestrel.com:8443/x"), 23u);
    EXPECT_EQ(count_x_weighted("\u00A9 \u00A9\uFE0F 1\uFE0F\u20E3 \U0001F1E9\U0001F1EA"),
              1u + 1u + 2u + 1u + 2u + 1u + 2u)
        << "(c) is text unless asked to be an emoji; keycaps and flags are emoji";
    EXPECT_EQ(count_x_weighted("a\xFF"
                               "b"),
              4u)
        << "an invalid byte weighs as U+FFFD would";
    EXPECT_EQ(count_x_weighted(std::string_view("\0\0\xE2\x9D\xA4", 5)), 4u)
        << "a NUL is a character, not the end of the text";
}

TEST(text, count_mastodon_characters) {
    EXPECT_EQ(count_mastodon_characters(""), 0u);
    EXPECT_EQ(count_mastodon_characters("hello"), 5u);
    EXPECT_EQ(
        count_mastodon_characters("see https://kestrel.example/a/very/long/path/that/goes/on"),
        4u + 23u);
    EXPECT_EQ(count_mastodon_characters("see kestrel.com"), 15u) << "links need a scheme";
    EXPECT_EQ(count_mastodon_characters("hi @sam@mastodon.social!"), 3u + 4u + 1u);
    EXPECT_EQ(count_mastodon_characters("hi @sam"), 7u);
    EXPECT_EQ(count_mastodon_characters("hi @sam.jones-x@social.example.org"), 3u + 12u);
    EXPECT_EQ(count_mastodon_characters("me=@sam@example.org"), 19u) << "not a mention after =";
    EXPECT_EQ(count_mastodon_characters("\U0001F44D\U0001F3FD ok"), 4u) << "graphemes";
}

} // namespace
} // namespace rapport::rules

// The fast path (ASCII plus separators that need no folding) must fold exactly as utf8proc does.
TEST(text, fast_path_folds_exactly_like_the_full_unicode_path) {
    const auto utf8 = [](char32_t c) {
        std::string out;
        if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        }
        out += static_cast<char>(0x80 | (c & 0x3F));
        return out;
    };
    rapport::rules::normalized_text fast;
    rapport::rules::normalized_text full;
    int differences = 0;
    for (char32_t c = 0x80; c < 0x30000; ++c) {
        if (c >= 0xD800 && c <= 0xDFFF) {
            continue;
        }
        const std::string cp = utf8(c);
        for (const std::string& text :
             {"Ab" + cp + "cD", cp + "x", "#" + cp + "y", "x@" + cp, "it" + cp + "s #tag " + cp}) {
            rapport::rules::normalize_into(text, fast);
            rapport::rules::normalize_unicode_for_test(text, full);
            if (fast.text != full.text || fast.word_starts != full.word_starts) {
                if (++differences <= 10) {
                    ADD_FAILURE() << "U+" << std::hex << static_cast<unsigned>(c) << ": fast '"
                                  << fast.text << "' vs full '" << full.text << "'";
                }
            }
        }
    }
    EXPECT_EQ(differences, 0);
}

// Fuzzing found text whose folding changed when folded again: a variation selector between a
// letter and its marks stopped NFC from composing and ordering them.
TEST(text, folding_twice_changes_nothing_around_variation_selectors) {
    for (const std::string& text :
         {std::string("a\xef\xb8\x8f\xcc\x81"), std::string("a\xcc\x82\xef\xb8\x8f\xcc\xa3"),
          std::string("g\xef\xb8\x8f\xcc\x81\x8f\xfb'")}) {
        const auto once = rapport::rules::normalize(text).text;
        EXPECT_EQ(rapport::rules::normalize(once).text, once);
    }
    EXPECT_EQ(rapport::rules::normalize("a\xef\xb8\x8f\xcc\x81").text, "\xc3\xa1"); // á
    EXPECT_EQ(rapport::rules::normalize("a\xcc\x82\xef\xb8\x8f\xcc\xa3").text,
              "\xe1\xba\xad"); // ậ
}
