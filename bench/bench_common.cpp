#include "bench/bench_common.hpp"

#include "bench/corpus.hpp"

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

namespace rapport::bench {
namespace {

[[noreturn]] void fail(const std::string& message) {
    std::cerr << "bench: " << message << "\n";
    std::exit(1);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        fail("cannot read " + path.string() +
             " (RAPPORT_BENCH_CORPUS must name a directory made by gen_corpus)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

/// The lexicon terms of a playbook, read with yaml-cpp rather than the loader, so the matcher
/// benchmark does not depend on the playbook model.
std::vector<std::string> lexicon_terms(const std::string& yaml, const std::string& file) {
    std::vector<std::string> terms;
    try {
        const YAML::Node root = YAML::Load(yaml);
        for (const auto& lexicon : root["lexicons"]) {
            for (const auto& term : lexicon.second) {
                terms.push_back(term.as<std::string>());
            }
        }
    } catch (const YAML::Exception& e) {
        fail(file + ": " + e.what());
    }
    if (terms.empty()) {
        fail(file + " has no lexicon terms");
    }
    return terms;
}

bench_corpus make_corpus() {
    bench_corpus c;
    if (const char* dir = std::getenv("RAPPORT_BENCH_CORPUS"); dir != nullptr && *dir != '\0') {
        c.dir = dir;
        c.playbook_file = (c.dir / "playbook.yaml").string();
        c.playbook_yaml = read_file(c.playbook_file);
        const std::string posts = read_file(c.dir / "posts.jsonl");
        std::size_t start = 0;
        while (start < posts.size()) {
            std::size_t end = posts.find('\n', start);
            if (end == std::string::npos) {
                end = posts.size();
            }
            if (end > start) {
                c.lines.emplace_back(posts, start, end - start);
            }
            start = end + 1;
        }
        std::cerr << "bench: corpus " << c.dir.string() << ": " << c.lines.size() << " posts\n";
    } else {
        corpus_options options;
        options.posts = 20000;
        options.sample_every = 0;
        corpus generator(options);
        c.playbook_file = "playbook.yaml";
        c.playbook_yaml = generator.playbook_yaml();
        std::string json;
        std::string text;
        for (std::size_t i = 0; i < options.posts; ++i) {
            generator.next_post(json, text);
            c.lines.push_back(json);
        }
        std::cerr << "bench: RAPPORT_BENCH_CORPUS is not set; generated " << c.lines.size()
                  << " posts in memory (bench/run.sh uses the full 200,000)\n";
    }
    c.terms = lexicon_terms(c.playbook_yaml, c.playbook_file);
    return c;
}

std::uint64_t status_field_kib(const std::string& status, std::string_view field) {
    const auto at = status.find(field);
    if (at == std::string::npos) {
        return 0;
    }
    return std::strtoull(status.c_str() + at + field.size(), nullptr, 10);
}

} // namespace

const bench_corpus& load_corpus() {
    static const bench_corpus corpus = make_corpus();
    return corpus;
}

std::vector<std::string> post_texts(const std::vector<std::string>& lines) {
    std::vector<std::string> texts;
    texts.reserve(lines.size());
    boost::json::parser parser;
    for (const auto& line : lines) {
        boost::json::error_code ec;
        parser.reset();
        parser.write(line, ec);
        const boost::json::value v = ec ? boost::json::value() : parser.release();
        const auto* object = v.if_object();
        const auto* text = object != nullptr ? object->if_contains("text") : nullptr;
        texts.emplace_back(text != nullptr && text->is_string() ? std::string(text->get_string())
                                                                : std::string());
    }
    return texts;
}

memory_usage read_memory_usage() {
    std::ifstream in("/proc/self/status");
    std::ostringstream status;
    status << in.rdbuf();
    const std::string s = status.str();
    return {status_field_kib(s, "VmRSS:"), status_field_kib(s, "VmHWM:")};
}

std::string format_bytes(std::uint64_t bytes) {
    char buf[32];
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024.0) {
        std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024.0));
    } else if (b >= 1024.0) {
        std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
    } else {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    }
    return buf;
}

} // namespace rapport::bench
