#include "daemon/config/secrets.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace rapport::daemon {

namespace {

struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

enum class file_outcome { read, absent, failed };

// Reads the whole file; `problem` says why when it fails. Uses stdio rather than iostreams so
// errno reports the reason (permission denied, is a directory).
file_outcome read_file(const std::filesystem::path& path, std::string& out, std::string& problem) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        return file_outcome::absent;
    }
    if (std::filesystem::is_directory(status)) {
        problem = "it is a directory";
        return file_outcome::failed;
    }
    const std::unique_ptr<std::FILE, file_closer> f(std::fopen(path.c_str(), "rb"));
    if (!f) {
        problem = std::error_code(errno, std::generic_category()).message();
        return file_outcome::failed;
    }
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) {
        out.append(buffer, n);
    }
    if (std::ferror(f.get())) {
        problem = std::error_code(errno, std::generic_category()).message();
        out.clear();
        return file_outcome::failed;
    }
    return file_outcome::read;
}

// `echo token > file` and most editors end the file with a newline that is not part of the
// secret; only that one line ending is removed, anything else is the secret's own.
void strip_line_ending(std::string& s) {
    if (s.ends_with('\n')) {
        s.pop_back();
        if (s.ends_with('\r')) {
            s.pop_back();
        }
    }
}

} // namespace

std::string secret_environment_variable(std::string_view name) {
    std::string out = "RAPPORT_SECRET_";
    for (const char c : name) {
        if (c == '-') {
            out += '_';
        } else if (c >= 'a' && c <= 'z') {
            out += static_cast<char>(c - 'a' + 'A');
        } else {
            out += c;
        }
    }
    return out;
}

secret_lookup resolve_secret(std::string_view name,
                             const std::optional<std::filesystem::path>& secrets_dir,
                             const env_lookup& env) {
    const std::string quoted = "secret '" + std::string(name) + "'";
    const std::string variable = secret_environment_variable(name);
    std::string looked;
    if (secrets_dir) {
        const std::filesystem::path file = *secrets_dir / std::string(name);
        std::string bytes;
        std::string problem;
        switch (read_file(file, bytes, problem)) {
            case file_outcome::read:
                strip_line_ending(bytes);
                if (bytes.empty()) {
                    return {std::nullopt, quoted + " is empty (file " + file.string() + ")"};
                }
                return {secret_value(std::move(bytes)), {}};
            case file_outcome::failed:
                return {std::nullopt,
                        quoted + " cannot be read from " + file.string() + ": " + problem};
            case file_outcome::absent:
                looked = "no file " + file.string() + " and ";
                break;
        }
    } else {
        looked = "no secrets_dir (nor $CREDENTIALS_DIRECTORY) and ";
    }
    if (env) {
        if (auto value = env(variable)) {
            if (value->empty()) {
                return {std::nullopt, quoted + " is empty (environment variable " + variable + ")"};
            }
            return {secret_value(std::move(*value)), {}};
        }
    }
    return {std::nullopt, quoted + " not found: " + looked + variable + " is not set"};
}

secret_lookup resolve_secret(const config& c, const secret_ref& ref, const env_lookup& env) {
    return resolve_secret(ref.name, c.secrets_dir, env);
}

std::vector<const secret_ref*> secret_refs(const config& c) {
    std::vector<const secret_ref*> out;
    for (const auto& a : c.approvers) {
        out.push_back(&a.token_secret);
    }
    if (c.approval.webhook_secret) {
        out.push_back(&*c.approval.webhook_secret);
    }
    for (const auto& n : c.approval.notify) {
        out.push_back(&n.secret);
    }
    for (const auto& a : c.accounts) {
        if (a.secret) {
            out.push_back(&*a.secret);
        }
        if (a.bot_token) {
            out.push_back(&*a.bot_token);
        }
        if (a.webhook_secret) {
            out.push_back(&*a.webhook_secret);
        }
    }
    return out;
}

std::vector<rules::diagnostic> check_secrets(const config& c, const env_lookup& env) {
    std::vector<rules::diagnostic> out;
    for (const secret_ref* ref : secret_refs(c)) {
        auto lookup = resolve_secret(c, *ref, env);
        if (!lookup.value) {
            out.push_back({c.file, ref->line, ref->column, std::move(lookup.error)});
        }
    }
    // Distinct secret names can still hold one token; then the API could not tell the two
    // approvers apart. Compared here because only here are the values at hand.
    for (std::size_t i = 0; i < c.approvers.size(); ++i) {
        const auto mine = resolve_secret(c, c.approvers[i].token_secret, env);
        if (!mine.value) {
            continue;
        }
        for (std::size_t j = 0; j < i; ++j) {
            const auto theirs = resolve_secret(c, c.approvers[j].token_secret, env);
            if (c.approvers[j].token_secret.name != c.approvers[i].token_secret.name &&
                theirs.value && theirs.value->reveal() == mine.value->reveal()) {
                const secret_ref& ref = c.approvers[i].token_secret;
                out.push_back({c.file, ref.line, ref.column,
                               "approvers '" + c.approvers[j].name + "' and '" +
                                   c.approvers[i].name + "' have the same token (secrets '" +
                                   c.approvers[j].token_secret.name + "' and '" + ref.name +
                                   "'); a token must identify one approver"});
                break;
            }
        }
    }
    return out;
}

} // namespace rapport::daemon
