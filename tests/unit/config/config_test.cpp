#include "daemon/config/config.hpp"
#include "daemon/config/config_schema.hpp"
#include "daemon/config/secrets.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace rapport::daemon {
namespace {

using namespace std::chrono_literals;

namespace fs = std::filesystem;

// CONTRACT §2's example, with the longest comments shortened to fit the line limit.
constexpr std::string_view contract_example = R"(server:
  listen: 127.0.0.1:8080          # host:port; port 0 = pick a free port and log it
  max_body_bytes: 1048576          # larger requests get 413
state: /var/lib/rapport            # SQLite database and cursors live here
playbooks: /etc/rapport/playbooks  # a directory or a list of files/dirs
secrets_dir: /run/credentials/rapport.service   # default: $CREDENTIALS_DIRECTORY
approvers:
  - name: alice
    token_secret: alice-token      # secret holding her bearer token
    teams: [support, social]       # drafts routed to these teams; "*" = all
    admin: true                    # may pause/resume
approval:
  webhook_secret: approval-hmac    # secret for HMAC-signed decisions (section 5.3)
  expire_after: 72h                # undecided replies expire (section 8)
  notify:                          # told about draft events (section 5.4)
    - url: https://hooks.example.com/rapport
      secret: notify-hmac
guardrails:
  blocked_phrases: ["guaranteed", "lawsuit"]   # a draft containing one cannot be approved
  max_sends_per_hour: 200          # across all accounts; excess waits
accounts:
  - id: acme-site                  # [a-z0-9-]+, unique; used in URLs and playbooks
    platform: generic              # generic | slack | discord | mastodon | ...
    secret: acme-site-hmac         # platform-specific credentials are named secrets
    reply_url: https://chat.acme.example/rapport/replies
    idempotent: false              # true: the receiver honours Idempotency-Key (section 9)
)";

config_environment environment(std::map<std::string, std::string> vars = {}, unsigned cores = 2) {
    return {[vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
                const auto it = vars.find(name);
                return it == vars.end() ? std::nullopt : std::optional(it->second);
            },
            cores};
}

config load_ok(std::string_view text,
               const config_environment& env = environment(),
               std::string file = "/etc/rapport/rapport.yaml") {
    auto result = load_config_text(text, std::move(file), env);
    for (const auto& d : result.diagnostics) {
        ADD_FAILURE() << to_string(d);
    }
    if (!result.value) {
        ADD_FAILURE() << "config did not load";
        return {};
    }
    return *result.value;
}

// Each problem as printed by rapportctl check.
std::vector<std::string> errors(std::string_view text) {
    const auto result = load_config_text(text, "r.yaml", environment());
    EXPECT_FALSE(result.value.has_value());
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics) {
        out.push_back(to_string(d));
    }
    return out;
}

// The one problem a config has (prefixed with the minimal valid part when `body` lacks it).
std::string error(std::string_view text) {
    const auto all = errors(text);
    EXPECT_EQ(all.size(), 1u) << ::testing::PrintToString(all);
    return all.empty() ? std::string() : all.front();
}

// A fresh directory under the test temp dir.
fs::path temp_dir(std::string_view name) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("rapport-config-" + std::string(name));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write_file(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// ---- loading ---------------------------------------------------------------------------------

TEST(config, contract_example_loads) {
    const config c = load_ok(contract_example);
    EXPECT_EQ(c.file, "/etc/rapport/rapport.yaml");
    EXPECT_EQ(c.server.listen, (listen_address{"127.0.0.1", 8080}));
    EXPECT_EQ(c.server.max_body_bytes, 1048576u);
    EXPECT_EQ(c.state, "/var/lib/rapport");
    EXPECT_EQ(c.playbooks, std::vector<fs::path>{"/etc/rapport/playbooks"});
    EXPECT_EQ(c.secrets_dir, fs::path("/run/credentials/rapport.service"));

    ASSERT_EQ(c.approvers.size(), 1u);
    EXPECT_EQ(c.approvers[0].name, "alice");
    EXPECT_EQ(c.approvers[0].token_secret,
              (secret_ref{"alice-token", "approvers[0].token_secret", 9, 5}));
    EXPECT_EQ(c.approvers[0].teams, (std::vector<std::string>{"support", "social"}));
    EXPECT_TRUE(c.approvers[0].admin);
    EXPECT_FALSE(c.approvers[0].sees_all_teams());

    EXPECT_EQ(c.approval.webhook_secret,
              (secret_ref{"approval-hmac", "approval.webhook_secret", 13, 3}));
    EXPECT_EQ(c.approval.expire_after, 72h);
    ASSERT_EQ(c.approval.notify.size(), 1u);
    EXPECT_EQ(c.approval.notify[0].url, "https://hooks.example.com/rapport");
    EXPECT_EQ(c.approval.notify[0].secret,
              (secret_ref{"notify-hmac", "approval.notify[0].secret", 17, 7}));

    EXPECT_EQ(c.guardrails.blocked_phrases, (std::vector<std::string>{"guaranteed", "lawsuit"}));
    EXPECT_EQ(c.guardrails.max_sends_per_hour, 200);

    ASSERT_EQ(c.accounts.size(), 1u);
    const account& a = c.accounts[0];
    EXPECT_EQ(a.id, "acme-site");
    EXPECT_EQ(a.platform, "generic");
    EXPECT_EQ(a.secret, (secret_ref{"acme-site-hmac", "accounts[0].secret", 24, 5}));
    EXPECT_EQ(a.reply_url, "https://chat.acme.example/rapport/replies");
    EXPECT_FALSE(a.idempotent);
    EXPECT_EQ(a.sends_per_minute, 30);
    EXPECT_EQ(a.max_length, std::nullopt);

    EXPECT_EQ(teams(c), (std::set<std::string, std::less<>>{"social", "support"}));
    EXPECT_EQ(account_ids(c), (std::set<std::string, std::less<>>{"acme-site"}));
    EXPECT_FALSE(any_approver_sees_all_teams(c));
}

TEST(config, every_default) {
    const config c = load_ok("playbooks: /p\n", environment({}, 2));
    EXPECT_EQ(c.server.listen, (listen_address{"127.0.0.1", 8080}));
    EXPECT_EQ(to_string(c.server.listen), "127.0.0.1:8080");
    EXPECT_EQ(c.server.max_body_bytes, 1048576u);
    EXPECT_EQ(c.server.threads, 2u);
    EXPECT_EQ(c.state, "./state");
    EXPECT_EQ(c.secrets_dir, std::nullopt);
    EXPECT_EQ(c.log.level, log_level::info);
    EXPECT_TRUE(c.approvers.empty());
    EXPECT_EQ(c.approval.webhook_secret, std::nullopt);
    EXPECT_EQ(c.approval.expire_after, 72h);
    EXPECT_TRUE(c.approval.notify.empty());
    EXPECT_TRUE(c.guardrails.blocked_phrases.empty());
    EXPECT_EQ(c.guardrails.max_sends_per_hour, 200);
    EXPECT_TRUE(c.accounts.empty());

    const config d = load_ok(R"(playbooks: /p
approvers: [{name: bob, token_secret: t, teams: "*"}]
accounts: [{id: a, platform: discord}]
)");
    EXPECT_FALSE(d.approvers[0].admin);
    EXPECT_TRUE(d.approvers[0].sees_all_teams());
    EXPECT_TRUE(any_approver_sees_all_teams(d));
    EXPECT_TRUE(teams(d).empty()); // "*" is not a team
    EXPECT_FALSE(d.accounts[0].idempotent);
    EXPECT_EQ(d.accounts[0].secret, std::nullopt);
    EXPECT_EQ(d.accounts[0].reply_url, std::nullopt);
    EXPECT_EQ(d.accounts[0].max_length, std::nullopt);
}

TEST(config, thread_default_is_cores_capped_at_four) {
    EXPECT_EQ(load_ok("playbooks: /p\n", environment({}, 1)).server.threads, 1u);
    EXPECT_EQ(load_ok("playbooks: /p\n", environment({}, 3)).server.threads, 3u);
    EXPECT_EQ(load_ok("playbooks: /p\n", environment({}, 4)).server.threads, 4u);
    EXPECT_EQ(load_ok("playbooks: /p\n", environment({}, 64)).server.threads, 4u);
    EXPECT_EQ(load_ok("playbooks: /p\n", environment({}, 0)).server.threads, 1u); // unknown
    EXPECT_EQ(load_ok("playbooks: /p\nserver: {threads: 12}\n", environment({}, 2)).server.threads,
              12u);
}

TEST(config, state_and_secrets_dir_default_from_systemd_environment) {
    const auto env = environment({{"STATE_DIRECTORY", "/var/lib/rapport:/var/lib/other"},
                                  {"CREDENTIALS_DIRECTORY", "/run/credentials/rapport.service"}});
    const config c = load_ok("playbooks: /p\n", env);
    EXPECT_EQ(c.state, "/var/lib/rapport"); // the first of several StateDirectory= entries
    EXPECT_EQ(c.secrets_dir, fs::path("/run/credentials/rapport.service"));

    // The file wins over the environment; an empty variable counts as unset.
    const config d = load_ok("playbooks: /p\nstate: /s\nsecrets_dir: /k\n", env);
    EXPECT_EQ(d.state, "/s");
    EXPECT_EQ(d.secrets_dir, fs::path("/k"));
    const config e = load_ok("playbooks: /p\n",
                             environment({{"STATE_DIRECTORY", ""}, {"CREDENTIALS_DIRECTORY", ""}}));
    EXPECT_EQ(e.state, "./state");
    EXPECT_EQ(e.secrets_dir, std::nullopt);

    // No environment function at all means no variables.
    const config f = load_ok("playbooks: /p\n", config_environment{});
    EXPECT_EQ(f.state, "./state");
    EXPECT_EQ(f.server.threads, 1u);
}

TEST(config, relative_paths_resolve_against_the_config_directory) {
    const std::string text = R"(playbooks: [books, /abs/books, ../shared/one.yaml, ./x/]
state: var
secrets_dir: keys
)";
    const config c = load_ok(text, environment(), "/etc/rapport/rapport.yaml");
    EXPECT_EQ(c.playbooks, (std::vector<fs::path>{"/etc/rapport/books", "/abs/books",
                                                  "/etc/shared/one.yaml", "/etc/rapport/x/"}));
    EXPECT_EQ(c.state, "/etc/rapport/var");
    EXPECT_EQ(c.secrets_dir, fs::path("/etc/rapport/keys"));

    const config d = load_ok(text, environment(), "conf/rapport.yaml");
    EXPECT_EQ(d.playbooks[0], "conf/books");
    // A config named without a directory is in the working directory.
    const config e = load_ok(text, environment(), "rapport.yaml");
    EXPECT_EQ(e.playbooks[0], "books");
}

TEST(config, other_values) {
    const config c = load_ok(R"(server:
  listen: "[::1]:0"
  max_body_bytes: 2048
  threads: 64
log: {level: debug}
playbooks: /p
approval:
  expire_after: 90m
approvers:
  - {name: a, token_secret: ta, teams: [support], admin: yes}
  - {name: b, token_secret: tb, teams: ["*", social]}
accounts:
  - {id: m-1, platform: mastodon, max_length: 480, idempotent: true, sends_per_minute: 5}
  - {id: m-2, platform: mastodon, max_length: 480, secret: m2.token}
  - {id: x, platform: discord, reply_url: "http://localhost:9000/r"}
  - {id: loop, platform: generic, secret: s, reply_url: "http://127.1.2.3/r?x=1"}
  - {id: v6, platform: generic, secret: s, reply_url: "http://[::1]:8443/r"}
)");
    EXPECT_EQ(c.server.listen, (listen_address{"::1", 0}));
    EXPECT_EQ(to_string(c.server.listen), "[::1]:0");
    EXPECT_EQ(c.server.max_body_bytes, 2048u);
    EXPECT_EQ(c.server.threads, 64u);
    EXPECT_EQ(c.log.level, log_level::debug);
    EXPECT_EQ(c.approval.expire_after, 90min);
    EXPECT_TRUE(c.approvers[0].admin);
    EXPECT_EQ(teams(c), (std::set<std::string, std::less<>>{"social", "support"}));
    EXPECT_TRUE(c.accounts[0].idempotent);
    EXPECT_EQ(c.accounts[0].sends_per_minute, 5);
    EXPECT_EQ(c.accounts[0].max_length, 480u);
    EXPECT_EQ(c.accounts[1].secret->name, "m2.token");
    EXPECT_EQ(platform_length_limits(c),
              (std::map<std::string, std::size_t, std::less<>>{{"mastodon", 480}}));
    EXPECT_EQ(account_ids(c),
              (std::set<std::string, std::less<>>{"loop", "m-1", "m-2", "v6", "x"}));

    for (const char* level : {"info", "warning", "error"}) {
        const config d = load_ok("playbooks: /p\nlog:\n  level: " + std::string(level) + "\n");
        EXPECT_EQ(to_string(d.log.level), level);
    }
    // Sections given with nothing under them are empty, not errors.
    const config e = load_ok(
        "playbooks: /p\nserver:\nlog:\napproval:\nguardrails:\n"
        "approvers:\naccounts:\n");
    EXPECT_EQ(e.server.max_body_bytes, 1048576u);
}

TEST(config, listen_addresses) {
    const auto listen = [](std::string value) {
        return load_ok("playbooks: /p\nserver: {listen: \"" + value + "\"}\n").server.listen;
    };
    EXPECT_EQ(listen("0.0.0.0:0"), (listen_address{"0.0.0.0", 0}));
    EXPECT_EQ(listen("localhost:65535"), (listen_address{"localhost", 65535}));
    EXPECT_EQ(listen("[::]:80"), (listen_address{"::", 80}));
    EXPECT_EQ(listen("[2001:db8::1]:443"), (listen_address{"2001:db8::1", 443}));
    EXPECT_EQ(to_string(listen_address{"2001:db8::1", 443}), "[2001:db8::1]:443");

    const std::string shape = "must be host:port such as 127.0.0.1:8080 or [::1]:8080, got '";
    const auto bad = [](std::string value) {
        return error("playbooks: /p\nserver:\n  listen: \"" + value + "\"\n");
    };
    EXPECT_EQ(bad("8080"), "r.yaml:3:11: error: 'server.listen' " + shape + "8080'");
    EXPECT_EQ(bad(":8080"), "r.yaml:3:11: error: 'server.listen' " + shape + ":8080'");
    EXPECT_EQ(bad("a b:1"), "r.yaml:3:11: error: 'server.listen' " + shape + "a b:1'");
    EXPECT_EQ(bad("[::1]8080"), "r.yaml:3:11: error: 'server.listen' " + shape + "[::1]8080'");
    EXPECT_EQ(bad("[nope]:80"), "r.yaml:3:11: error: 'server.listen' " + shape + "[nope]:80'");
    EXPECT_EQ(bad("::1:8080"),
              "r.yaml:3:11: error: 'server.listen': put an IPv6 address in brackets, e.g. "
              "[::1]:8080, got '::1:8080'");
    EXPECT_EQ(bad("127.0.0.1:65536"),
              "r.yaml:3:11: error: 'server.listen' port must be from 0 to 65535, got '65536'");
    EXPECT_EQ(bad("127.0.0.1:"),
              "r.yaml:3:11: error: 'server.listen' port must be from 0 to 65535, got ''");
    EXPECT_EQ(bad("127.0.0.1:-1"),
              "r.yaml:3:11: error: 'server.listen' port must be from 0 to 65535, got '-1'");
    EXPECT_EQ(bad("127.0.0.1:http"),
              "r.yaml:3:11: error: 'server.listen' port must be from 0 to 65535, got 'http'");
}

TEST(config, reply_and_notify_urls) {
    const auto reply = [](std::string value) {
        return "playbooks: /p\naccounts:\n  - id: a\n    platform: generic\n    secret: s\n"
               "    reply_url: " +
               value + "\n";
    };
    for (const char* ok :
         {"https://example.com", "https://example.com:8443/a/b?c=d#e", "http://127.0.0.1/r",
          "http://127.255.0.9:1/r", "http://localhost/r", "http://LOCALHOST:80", "http://[::1]/r",
          "http://[0:0:0:0:0:0:0:1]:9/", "https://[2001:db8::1]/r"}) {
        EXPECT_EQ(load_config_text(reply(ok), "r.yaml", environment()).diagnostics,
                  std::vector<rules::diagnostic>{})
            << ok;
    }
    const std::string at = "r.yaml:6:16: error: 'accounts[0].reply_url' ";
    const std::string http_rule =
        "must use https: plain http is allowed only for loopback hosts "
        "(127.0.0.0/8, localhost, [::1]), not '";
    EXPECT_EQ(error(reply("http://example.com/r")), at + http_rule + "example.com'");
    EXPECT_EQ(error(reply("http://10.0.0.1/r")), at + http_rule + "10.0.0.1'");
    EXPECT_EQ(error(reply("http://128.0.0.1/r")), at + http_rule + "128.0.0.1'");
    EXPECT_EQ(error(reply("http://localhost.example.com/r")),
              at + http_rule + "localhost.example.com'");
    EXPECT_EQ(error(reply("http://[::2]/r")), at + http_rule + "::2'");
    EXPECT_EQ(error(reply("ftp://example.com/r")),
              at + "must be an http(s) URL such as https://example.com/hook, got "
                   "'ftp://example.com/r'");
    EXPECT_EQ(error(reply("example.com/r")),
              at + "must be an http(s) URL such as https://example.com/hook, got 'example.com/r'");
    EXPECT_EQ(error(reply("https://user:pw@example.com/r")),
              at + "must not contain credentials (user@ or user:password@); name a secret "
                   "instead");
    EXPECT_EQ(error(reply("https:///r")),
              at + "has no valid host in 'https:///r' (an IPv6 host goes in brackets)");
    EXPECT_EQ(error(reply("https://::1/r")),
              at + "has no valid host in 'https://::1/r' (an IPv6 host goes in brackets)");
    EXPECT_EQ(error(reply("https://[zz]/r")), at + "has a bad IPv6 host in 'https://[zz]/r'");
    EXPECT_EQ(error(reply("https://example.com:0/r")),
              at + "port must be from 1 to 65535, got '0'");
    EXPECT_EQ(error(reply("https://example.com:/r")), at + "port must be from 1 to 65535, got ''");
    EXPECT_EQ(error(reply("\"https://exa mple.com/r\"")),
              at + "must not contain spaces or control characters");

    // Notification receivers follow the same rule.
    EXPECT_EQ(error("playbooks: /p\napproval:\n  notify:\n    - url: http://hooks.example.com\n"
                    "      secret: n\n"),
              "r.yaml:4:12: error: 'approval.notify[0].url' " + http_rule + "hooks.example.com'");
}

// ---- error messages, with exact positions ---------------------------------------------------

TEST(config, unknown_keys_with_did_you_mean) {
    EXPECT_EQ(error("playbooks: /p\nsevrer: {}\n"),
              "r.yaml:2:1: error: unknown key 'sevrer' in 'config' (did you mean 'server'?)");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  lisen: 127.0.0.1:1\n"),
              "r.yaml:3:3: error: unknown key 'lisen' in 'server' (did you mean 'listen'?)");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  colour: red\n"),
              "r.yaml:3:3: error: unknown key 'colour' in 'server'");
    EXPECT_EQ(error("playbooks: /p\nlog: {levle: info}\n"),
              "r.yaml:2:7: error: unknown key 'levle' in 'log' (did you mean 'level'?)");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - name: a\n    token_secret: t\n"
                    "    teams: [s]\n    admim: true\n"),
              "r.yaml:6:5: error: unknown key 'admim' in 'approvers[0]' (did you mean 'admin'?)");
    EXPECT_EQ(error("playbooks: /p\napproval:\n  expire: 1h\n"),
              "r.yaml:3:3: error: unknown key 'expire' in 'approval'");
    EXPECT_EQ(error("playbooks: /p\napproval:\n  notify:\n    - url: https://h.example\n"
                    "      secert: n\n      secret: n\n"),
              "r.yaml:5:7: error: unknown key 'secert' in 'approval.notify[0]' (did you mean "
              "'secret'?)");
    EXPECT_EQ(error("playbooks: /p\nguardrails:\n  blocked_phrase: [x]\n"),
              "r.yaml:3:3: error: unknown key 'blocked_phrase' in 'guardrails' (did you mean "
              "'blocked_phrases'?)");
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - id: a\n    platform: generic\n    secret: s\n"
                    "    reply_url: https://r.example\n    idempotant: true\n"),
              "r.yaml:7:5: error: unknown key 'idempotant' in 'accounts[0]' (did you mean "
              "'idempotent'?)");
    // Platform-specific keys come with each adapter; until then other platforms take only the
    // common keys too.
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - id: a\n    platform: discord\n"
                    "    gateway_key: t\n"),
              "r.yaml:5:5: error: unknown key 'gateway_key' in 'accounts[0]'");
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: a, platform: slack, bot_token: b, "
                    "signing_secret: s, signing_key: t}\n"),
              "r.yaml:3:63: error: unknown key 'signing_key' in 'accounts[0]'");
}

TEST(config, duplicate_keys) {
    EXPECT_EQ(error("playbooks: /p\nplaybooks: /q\n"),
              "r.yaml:2:1: error: duplicate key 'playbooks' (first given on line 1)");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  threads: 1\n  threads: 2\n"),
              "r.yaml:4:3: error: duplicate key 'threads' (first given on line 3)");
}

TEST(config, missing_required_keys) {
    EXPECT_EQ(error("state: /s\n"), "r.yaml:1:1: error: missing required key 'playbooks'");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - name: a\n    teams: [s]\n"),
              "r.yaml:3:5: error: 'approvers[0]' is missing required key 'token_secret'");
    EXPECT_EQ(error("playbooks: /p\napproval:\n  notify:\n    - url: https://h.example\n"),
              "r.yaml:4:7: error: 'approval.notify[0]' is missing required key 'secret'");
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - platform: discord\n"),
              "r.yaml:3:5: error: 'accounts[0]' is missing required key 'id'");
    EXPECT_EQ(errors("playbooks: /p\naccounts:\n  - id: a\n"),
              (std::vector<std::string>{
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'platform'"}));
    EXPECT_EQ(errors("playbooks: /p\naccounts:\n  - id: a\n    platform: generic\n"),
              (std::vector<std::string>{
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'secret' (required "
                  "for generic accounts)",
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'reply_url' "
                  "(required for generic accounts)"}));
}

TEST(config, telegram_accounts_name_their_bot_and_its_secrets) {
    const config c = load_ok(R"(playbooks: /p
accounts:
  - id: tg
    platform: telegram
    bot_token: tg-token
    webhook_secret: tg-hook
    bot_username: "@AcmeHelpBot"
  - id: tg-test
    platform: telegram
    bot_token: tg-token-2
    webhook_secret: tg-hook-2
    bot_username: Acme_Test_Bot
    api_base_url: http://127.0.0.1:8081/
)");
    ASSERT_EQ(c.accounts.size(), 2u);
    EXPECT_EQ(c.accounts[0].bot_token->name, "tg-token");
    EXPECT_EQ(c.accounts[0].webhook_secret->name, "tg-hook");
    EXPECT_EQ(c.accounts[0].bot_username, "AcmeHelpBot");
    EXPECT_FALSE(c.accounts[0].api_base_url);
    EXPECT_FALSE(c.accounts[0].secret);
    // Paths are appended to it, so a trailing '/' is dropped.
    EXPECT_EQ(c.accounts[1].api_base_url, "http://127.0.0.1:8081");
    // The token and the webhook secret are secrets like any other: checked, never printed.
    std::vector<std::string> names;
    for (const secret_ref* ref : secret_refs(c)) {
        names.push_back(ref->name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"tg-token", "tg-hook", "tg-token-2", "tg-hook-2"}));

    EXPECT_EQ(errors("playbooks: /p\naccounts:\n  - id: a\n    platform: telegram\n"),
              (std::vector<std::string>{
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'bot_token' "
                  "(required for telegram accounts)",
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'bot_username' "
                  "(required for telegram accounts)",
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'webhook_secret' "
                  "(required for telegram accounts in webhook mode; set 'updates: polling' for "
                  "a host without a public URL)"}));
    // Polling needs no webhook secret.
    const config polling = load_ok(
        "playbooks: /p\naccounts:\n  - {id: a, platform: telegram, "
        "bot_token: t, bot_username: AcmeBot, updates: polling}\n");
    EXPECT_EQ(polling.accounts[0].updates, "polling");
    EXPECT_FALSE(polling.accounts[0].webhook_secret);
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: a, platform: telegram, bot_token: t, "
                    "bot_username: AcmeBot, updates: push}\n"),
              "r.yaml:3:79: error: 'accounts[0].updates' must be one of webhook, polling, got "
              "'push'");
    const std::string tg =
        "playbooks: /p\naccounts:\n  - {id: a, platform: telegram, "
        "bot_token: t, webhook_secret: w, ";
    EXPECT_EQ(error(tg + "bot_username: \"my bot\"}\n"),
              "r.yaml:3:80: error: 'accounts[0].bot_username' must be a Telegram username (5-32 "
              "of a-z, A-Z, 0-9 and _), got 'my bot'");
    EXPECT_EQ(error(tg + "bot_username: AcmeBot, api_base_url: \"http://api.example\"}\n"),
              "r.yaml:3:103: error: 'accounts[0].api_base_url' must use https: plain http is "
              "allowed only for loopback hosts (127.0.0.0/8, localhost, [::1]), not "
              "'api.example'");
    EXPECT_EQ(error(tg + "bot_username: AcmeBot, api_base_url: \"https://a.example/?x=1\"}\n"),
              "r.yaml:3:103: error: 'accounts[0].api_base_url' must not have a query or fragment "
              "(Rapport appends API paths to it)");
    // Telegram's keys on another platform's account would do nothing: an error says so.
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: a, platform: generic, secret: s, "
                    "reply_url: \"https://r.example\", bot_token: t}\n"),
              "r.yaml:3:86: error: 'accounts[0].bot_token' applies to telegram and slack accounts "
              "only, and this account's platform is generic");
}

TEST(config, slack_meta_and_x_accounts_name_their_credentials) {
    const config c = load_ok(R"(playbooks: /p
approvers:
  - {name: ana, token_secret: ta, teams: "*", slack_user: U024BE7LH}
accounts:
  - id: sl
    platform: slack
    bot_token: slack-bot
    signing_secret: slack-signing
    bot_user_id: U0BOT1234
    approvals_channel: C0APPROVE
  - id: fb
    platform: meta
    app_secret: meta-app
    verify_token: meta-verify
    access_token: meta-page
    whatsapp_token: meta-wa
    page_id: "1234567890"
    instagram_id: 17841400000000000
  - id: tw
    platform: x
    consumer_key: x-ck
    consumer_secret: x-cs
    access_token: x-at
    access_token_secret: x-ats
    user_id: "2244994945"
    api_base_url: https://x.example/
)");
    EXPECT_EQ(c.approvers[0].slack_user, "U024BE7LH");
    EXPECT_EQ(c.accounts[0].approvals_channel, "C0APPROVE");
    EXPECT_EQ(c.accounts[0].bot_user_id, "U0BOT1234");
    EXPECT_EQ(c.accounts[1].page_id, "1234567890");
    EXPECT_EQ(c.accounts[1].instagram_id, "17841400000000000");
    EXPECT_EQ(c.accounts[2].user_id, "2244994945");
    EXPECT_EQ(c.accounts[2].api_base_url, "https://x.example");
    std::vector<std::string> keys;
    for (const auto& [key, ref] : c.accounts[2].secrets()) {
        keys.push_back(std::string(key) + "=" + ref->name);
    }
    EXPECT_EQ(keys,
              (std::vector<std::string>{"access_token=x-at", "consumer_key=x-ck",
                                        "consumer_secret=x-cs", "access_token_secret=x-ats"}));
    EXPECT_EQ(default_api_base_url("meta"), "https://graph.facebook.com/v21.0");
    EXPECT_EQ(default_api_base_url("generic"), "");

    EXPECT_EQ(errors("playbooks: /p\naccounts:\n  - {id: a, platform: meta}\n"),
              (std::vector<std::string>{
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'app_secret' "
                  "(required for meta accounts)",
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'verify_token' "
                  "(required for meta accounts)",
                  "r.yaml:3:5: error: 'accounts[0]' is missing required key 'access_token' "
                  "(required for meta accounts)"}));
    const std::string slack =
        "playbooks: /p\naccounts:\n  - {id: a, platform: slack, "
        "bot_token: b, signing_secret: s, ";
    EXPECT_EQ(error(slack + "approvals_channel: general}\n"),
              "r.yaml:3:82: error: 'accounts[0].approvals_channel' must be a Slack id starting "
              "with C or G (upper-case letters and digits), got 'general'");
    EXPECT_EQ(error(slack + "page_id: \"1\"}\n"),
              "r.yaml:3:72: error: 'accounts[0].page_id' applies to meta accounts only, and "
              "this account's platform is slack");
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: a, platform: meta, app_secret: a, "
                    "verify_token: v, access_token: t, page_id: acme}\n"),
              "r.yaml:3:87: error: 'accounts[0].page_id' must be a numeric id (digits only), got "
              "'acme'");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - {name: a, token_secret: t, teams: x, "
                    "slack_user: U1AAA}\n  - {name: b, token_secret: u, teams: x, slack_user: "
                    "U1AAA}\n"),
              "r.yaml:4:54: error: duplicate Slack user 'U1AAA' (first given on line 3)");
}

TEST(config, wrong_types) {
    EXPECT_EQ(error("playbooks: /p\nserver: 8080\n"),
              "r.yaml:2:9: error: 'server' must be a mapping (key: value)");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  max_body_bytes: lots\n"),
              "r.yaml:3:19: error: 'server.max_body_bytes' must be a whole number from 1024 to "
              "1073741824, got 'lots'");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  max_body_bytes: 100\n"),
              "r.yaml:3:19: error: 'server.max_body_bytes' must be a whole number from 1024 to "
              "1073741824, got '100'");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  threads: 0\n"),
              "r.yaml:3:12: error: 'server.threads' must be a whole number from 1 to 64, got '0'");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  threads: 65\n"),
              "r.yaml:3:12: error: 'server.threads' must be a whole number from 1 to 64, got '65'");
    EXPECT_EQ(error("playbooks: /p\nserver:\n  listen: [a, b]\n"),
              "r.yaml:3:11: error: 'server.listen' must be a text value");
    EXPECT_EQ(error("playbooks: {a: b}\n"),
              "r.yaml:1:12: error: 'playbooks' must be a text value or a list of them");
    EXPECT_EQ(error("playbooks: []\n"), "r.yaml:1:12: error: 'playbooks' must not be empty");
    EXPECT_EQ(error("playbooks: [/a, '']\n"),
              "r.yaml:1:17: error: each item of 'playbooks' must be non-empty text");
    EXPECT_EQ(error("playbooks: /p\nstate: ''\n"), "r.yaml:2:8: error: 'state' must not be empty");
    EXPECT_EQ(error("playbooks: /p\nstate:\n"), "r.yaml:3:1: error: 'state' must be a text value");
    EXPECT_EQ(error("playbooks: /p\nlog:\n  level: verbose\n"),
              "r.yaml:3:10: error: 'log.level' must be one of debug, info, warning, error, got "
              "'verbose'");
    EXPECT_EQ(error("playbooks: /p\nlog:\n  level: inof\n"),
              "r.yaml:3:10: error: 'log.level' must be one of debug, info, warning, error, got "
              "'inof' (did you mean 'info'?)");
    EXPECT_EQ(error("playbooks: /p\napprovers: {name: a}\n"),
              "r.yaml:2:12: error: 'approvers' must be a list");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - alice\n"),
              "r.yaml:3:5: error: 'approvers[0]' must be a mapping (key: value)");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - {name: a, token_secret: t, teams: [s], "
                    "admin: maybe}\n"),
              "r.yaml:3:51: error: 'approvers[0].admin' must be true or false");
    EXPECT_EQ(error("playbooks: /p\napproval:\n  expire_after: 3 days\n"),
              "r.yaml:3:17: error: bad duration '3 days' for 'approval.expire_after': write a "
              "whole number and a unit (s, m, h, d), e.g. 90m or 30d");
    EXPECT_EQ(error("playbooks: /p\nguardrails:\n  max_sends_per_hour: 0\n"),
              "r.yaml:3:23: error: 'guardrails.max_sends_per_hour' must be a whole number from 1 "
              "to 1000000, got '0'");
    EXPECT_EQ(error("playbooks: /p\nguardrails:\n  blocked_phrases: [ok, '']\n"),
              "r.yaml:3:25: error: each item of 'guardrails.blocked_phrases' must be non-empty "
              "text");
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: a, platform: discord, max_length: 0}\n"),
              "r.yaml:3:44: error: 'accounts[0].max_length' must be a whole number from 1 to "
              "100000, got '0'");
    EXPECT_EQ(
        error("playbooks: /p\naccounts:\n  - {id: a, platform: discord, sends_per_minute: -3}\n"),
        "r.yaml:3:50: error: 'accounts[0].sends_per_minute' must be a whole number from 1 to "
        "100000, got '-3'");
}

TEST(config, approver_rules) {
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - {name: a, token_secret: t, teams: []}\n"),
              "r.yaml:3:39: error: 'approvers[0].teams' must not be empty");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - {name: '', token_secret: t, teams: [s]}\n"),
              "r.yaml:3:12: error: 'approvers[0].name' must not be empty");
    EXPECT_EQ(error(R"(playbooks: /p
approvers:
  - name: alice
    token_secret: alice-token
    teams: [support]
  - name: alice
    token_secret: other-token
    teams: [social]
)"),
              "r.yaml:6:11: error: duplicate approver name 'alice' (first given on line 3)");
    EXPECT_EQ(error(R"(playbooks: /p
approvers:
  - {name: alice, token_secret: shared, teams: [support]}
  - {name: bob, token_secret: shared, teams: [support]}
)"),
              "r.yaml:4:17: error: approvers 'alice' and 'bob' name the same token_secret "
              "'shared'; a token must identify one approver");
    EXPECT_EQ(error("playbooks: /p\napprovers:\n  - {name: a, token_secret: ../x, teams: [s]}\n"),
              "r.yaml:3:29: error: secret name '../x' in 'approvers[0].token_secret' may use "
              "only letters, digits, '.', '_' and '-', starting with a letter or digit (it "
              "names a file in secrets_dir)");
}

TEST(config, expire_after_must_be_positive) {
    EXPECT_EQ(error("playbooks: /p\napproval:\n  expire_after: 0h\n"),
              "r.yaml:3:17: error: 'approval.expire_after' must be more than 0, got '0h'");
    EXPECT_EQ(load_ok("playbooks: /p\napproval: {expire_after: 1s}\n").approval.expire_after, 1s);
}

TEST(config, account_rules) {
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: Acme_Site, platform: discord}\n"),
              "r.yaml:3:10: error: account id 'Acme_Site' may use only a-z, 0-9 and '-' (it is "
              "used in URLs and playbooks)");
    EXPECT_EQ(error("playbooks: /p\naccounts:\n  - {id: a, platform: slak}\n"),
              "r.yaml:3:23: error: 'accounts[0].platform' must be one of generic, slack, discord, "
              "mastodon, bluesky, meta, telegram, x, got 'slak' (did you mean 'slack'?)");
    EXPECT_EQ(error(R"(playbooks: /p
accounts:
  - {id: acme, platform: discord}
  - {id: other, platform: bluesky}
  - {id: acme, platform: discord}
)"),
              "r.yaml:5:10: error: duplicate account id 'acme' (first given on line 3)");
    EXPECT_EQ(error(R"(playbooks: /p
accounts:
  - {id: a, platform: mastodon, max_length: 500}
  - {id: b, platform: bluesky, max_length: 400}
  - {id: c, platform: mastodon, max_length: 500}
  - {id: d, platform: mastodon, max_length: 400}
)"),
              "r.yaml:6:45: error: 'accounts[3].max_length' is 400, but account 'a' (line 3) "
              "gives 500 for platform 'mastodon'; the limit is per platform, so they must agree");
}

TEST(config, yaml_syntax_and_empty_files) {
    EXPECT_EQ(error(""), "r.yaml:1:1: error: the file is empty");
    EXPECT_EQ(error("playbooks: [a\n"),
              "r.yaml:2:1: error: YAML syntax: end of sequence flow not found");
    EXPECT_EQ(error("- a\n- b\n"), "r.yaml:1:1: error: 'config' must be a mapping (key: value)");
    // An unquoted IPv6 listen address is a YAML flow sequence, which the parser rejects.
    EXPECT_EQ(errors("playbooks: /p\nserver:\n  listen: [::1]:8080\n").size(), 1u);
}

TEST(config, all_errors_are_reported_at_once) {
    const auto all = errors(R"(sevrer: {}
server:
  listen: nowhere
  threads: 100
approvers:
  - {name: a, token_secret: t, teams: []}
  - {name: a, token_secret: u, teams: [s], admin: sure}
approval:
  expire_after: 0d
  notify: [{url: "http://hooks.example.com", secret: n}]
guardrails: {max_sends_per_hour: -1}
accounts:
  - {id: x, platform: generic, secret: s, reply_url: "ftp://r"}
  - {id: x, platform: slakc}
)");
    EXPECT_EQ(
        all,
        (std::vector<std::string>{
            "r.yaml:1:1: error: unknown key 'sevrer' in 'config' (did you mean 'server'?)",
            "r.yaml:1:1: error: missing required key 'playbooks'",
            "r.yaml:3:11: error: 'server.listen' must be host:port such as 127.0.0.1:8080 or "
            "[::1]:8080, got 'nowhere'",
            "r.yaml:4:12: error: 'server.threads' must be a whole number from 1 to 64, got '100'",
            "r.yaml:6:39: error: 'approvers[0].teams' must not be empty",
            "r.yaml:7:12: error: duplicate approver name 'a' (first given on line 6)",
            "r.yaml:7:51: error: 'approvers[1].admin' must be true or false",
            "r.yaml:9:17: error: 'approval.expire_after' must be more than 0, got '0d'",
            "r.yaml:10:18: error: 'approval.notify[0].url' must use https: plain http is "
            "allowed only for loopback hosts (127.0.0.0/8, localhost, [::1]), not "
            "'hooks.example.com'",
            "r.yaml:11:34: error: 'guardrails.max_sends_per_hour' must be a whole number from 1 "
            "to 1000000, got '-1'",
            "r.yaml:13:54: error: 'accounts[0].reply_url' must be an http(s) URL such as "
            "https://example.com/hook, got 'ftp://r'",
            // Sorted by position, though the platform is read before the id.
            "r.yaml:14:10: error: duplicate account id 'x' (first given on line 13)",
            "r.yaml:14:23: error: 'accounts[1].platform' must be one of generic, slack, "
            "discord, mastodon, bluesky, meta, telegram, x, got 'slakc' (did you mean "
            "'slack'?)",
        }));
}

TEST(config, load_config_reads_the_file) {
    const fs::path dir = temp_dir("load");
    write_file(dir / "rapport.yaml", "playbooks: books\nserver: {threads: 3}\n");
    const auto result = load_config(dir / "rapport.yaml", environment());
    ASSERT_TRUE(result.value) << ::testing::PrintToString(result.diagnostics.size());
    EXPECT_EQ(result.value->file, (dir / "rapport.yaml").string());
    EXPECT_EQ(result.value->playbooks, std::vector<fs::path>{dir / "books"});
    EXPECT_EQ(result.value->server.threads, 3u);

    write_file(dir / "bad.yaml", "playbooks: books\nthreads: 3\n");
    const auto bad = load_config(dir / "bad.yaml", environment());
    ASSERT_EQ(bad.diagnostics.size(), 1u);
    EXPECT_EQ(to_string(bad.diagnostics[0]),
              (dir / "bad.yaml").string() + ":2:1: error: unknown key 'threads' in 'config'");

    const auto missing = load_config(dir / "missing.yaml", environment());
    EXPECT_FALSE(missing.value);
    ASSERT_EQ(missing.diagnostics.size(), 1u);
    EXPECT_EQ(to_string(missing.diagnostics[0]),
              (dir / "missing.yaml").string() +
                  ":1:1: error: cannot read the config file (missing or not readable)");
}

// ---- secrets ---------------------------------------------------------------------------------

TEST(config, secret_environment_variable_names) {
    EXPECT_EQ(secret_environment_variable("alice-token"), "RAPPORT_SECRET_ALICE_TOKEN");
    EXPECT_EQ(secret_environment_variable("Acme_site-HMAC2"), "RAPPORT_SECRET_ACME_SITE_HMAC2");
}

TEST(config, secrets_from_file_then_environment) {
    const fs::path dir = temp_dir("secrets");
    write_file(dir / "from-file", "file-value\n");
    write_file(dir / "crlf", "crlf-value\r\n");
    write_file(dir / "two-lines", "two\n\n");
    write_file(dir / "no-newline", "raw");
    write_file(dir / "both", "file-wins\n");
    const auto env = environment({{"RAPPORT_SECRET_FROM_ENV", "env-value"},
                                  {"RAPPORT_SECRET_BOTH", "env-loses"}})
                         .env;

    EXPECT_EQ(resolve_secret("from-file", dir, env).value->reveal(), "file-value");
    EXPECT_EQ(resolve_secret("crlf", dir, env).value->reveal(), "crlf-value");
    EXPECT_EQ(resolve_secret("two-lines", dir, env).value->reveal(), "two\n"); // one stripped
    EXPECT_EQ(resolve_secret("no-newline", dir, env).value->reveal(), "raw");
    EXPECT_EQ(resolve_secret("both", dir, env).value->reveal(), "file-wins");
    EXPECT_EQ(resolve_secret("from-env", dir, env).value->reveal(), "env-value");
    EXPECT_EQ(resolve_secret("from-env", std::nullopt, env).value->reveal(), "env-value");
    EXPECT_TRUE(resolve_secret("from-env", dir, env).error.empty());

    // The real environment is the default source.
    ::setenv("RAPPORT_SECRET_UNIT_TEST_SECRET", "process-value", 1);
    EXPECT_EQ(resolve_secret("unit-test-secret", std::nullopt).value->reveal(), "process-value");
    ::unsetenv("RAPPORT_SECRET_UNIT_TEST_SECRET");
}

TEST(config, missing_or_bad_secrets_name_the_secret_not_a_value) {
    const fs::path dir = temp_dir("missing-secrets");
    const auto env = environment({{"RAPPORT_SECRET_OTHER", "hunter2"}}).env;

    const auto missing = resolve_secret("alice-token", dir, env);
    EXPECT_FALSE(missing.value);
    EXPECT_EQ(missing.error, "secret 'alice-token' not found: no file " +
                                 (dir / "alice-token").string() +
                                 " and RAPPORT_SECRET_ALICE_TOKEN is not set");
    EXPECT_EQ(resolve_secret("alice-token", std::nullopt, env).error,
              "secret 'alice-token' not found: no secrets_dir (nor $CREDENTIALS_DIRECTORY) and "
              "RAPPORT_SECRET_ALICE_TOKEN is not set");

    write_file(dir / "empty", "\n");
    EXPECT_EQ(resolve_secret("empty", dir, env).error,
              "secret 'empty' is empty (file " + (dir / "empty").string() + ")");
    EXPECT_EQ(resolve_secret("blank", dir, environment({{"RAPPORT_SECRET_BLANK", ""}}).env).error,
              "secret 'blank' is empty (environment variable RAPPORT_SECRET_BLANK)");
    fs::create_directories(dir / "a-dir");
    EXPECT_EQ(
        resolve_secret("a-dir", dir, env).error,
        "secret 'a-dir' cannot be read from " + (dir / "a-dir").string() + ": it is a directory");
    EXPECT_EQ(missing.error.find("hunter2"), std::string::npos);
}

TEST(config, check_secrets_reports_each_missing_secret_at_its_key) {
    const fs::path dir = temp_dir("check-secrets");
    write_file(dir / "alice-token", "s3cr3t-alice\n");
    write_file(dir / "notify-hmac", "s3cr3t-notify\n");
    auto c = load_ok(contract_example);
    c.secrets_dir = dir;
    const auto env = environment({{"RAPPORT_SECRET_ACME_SITE_HMAC", "s3cr3t-acme"}}).env;

    const auto problems = check_secrets(c, env);
    std::vector<std::string> printed;
    for (const auto& d : problems) {
        printed.push_back(to_string(d));
    }
    EXPECT_EQ(printed, (std::vector<std::string>{
                           "/etc/rapport/rapport.yaml:13:3: error: secret 'approval-hmac' not "
                           "found: no file " +
                           (dir / "approval-hmac").string() +
                           " and RAPPORT_SECRET_APPROVAL_HMAC is not set"}));
    for (const auto& line : printed) {
        for (const char* value : {"s3cr3t-alice", "s3cr3t-notify", "s3cr3t-acme"}) {
            EXPECT_EQ(line.find(value), std::string::npos) << line;
        }
    }

    write_file(dir / "approval-hmac", "s3cr3t-approval");
    EXPECT_TRUE(check_secrets(c, env).empty());
    EXPECT_EQ(resolve_secret(c, c.accounts[0].secret.value(), env).value->reveal(), "s3cr3t-acme");

    std::vector<std::string> names;
    for (const secret_ref* ref : secret_refs(c)) {
        names.push_back(ref->name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"alice-token", "approval-hmac", "notify-hmac",
                                               "acme-site-hmac"}));
}

TEST(config, check_secrets_finds_approvers_sharing_a_token) {
    const auto c = load_ok(R"(playbooks: /p
approvers:
  - {name: alice, token_secret: alice-token, teams: [support]}
  - {name: bob, token_secret: bob-token, teams: [support]}
)");
    const auto env = environment({{"RAPPORT_SECRET_ALICE_TOKEN", "same-value"},
                                  {"RAPPORT_SECRET_BOB_TOKEN", "same-value"}})
                         .env;
    const auto problems = check_secrets(c, env);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(to_string(problems[0]),
              "/etc/rapport/rapport.yaml:4:17: error: approvers 'alice' and 'bob' have the same "
              "token (secrets 'alice-token' and 'bob-token'); a token must identify one approver");
}

// ---- the schema ------------------------------------------------------------------------------

// A committed file generated from the config table must be what the table generates now;
// RAPPORT_UPDATE_SCHEMA=1 rewrites it after a change to the table.
void expect_committed(const fs::path& committed, const std::string& generated) {
    if (const char* update = std::getenv("RAPPORT_UPDATE_SCHEMA"); update && *update == '1') {
        write_file(committed, generated);
    }
    std::ifstream in(committed, std::ios::binary);
    ASSERT_TRUE(in) << "missing " << committed;
    std::ostringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), generated)
        << committed << " is stale: run config_test with RAPPORT_UPDATE_SCHEMA=1 and commit it";
}

TEST(config, committed_json_schema_matches_the_generated_one) {
    expect_committed(
        fs::path(RAPPORT_SOURCE_DIR) / "config" / "schema" / "rapport.config.schema.json",
        config_json_schema());
}

TEST(config, committed_reference_matches_the_generated_one) {
    expect_committed(
        fs::path(RAPPORT_SOURCE_DIR) / "docs" / "configuration.md",
        "# rapportd configuration reference\n\n"
        "Every key of the config file (CONTRACT §2), generated from the same table the loader\n"
        "and config/schema/rapport.config.schema.json use. Unknown keys are errors.\n\n" +
            config_reference_markdown());
}

TEST(config, json_schema_describes_the_table) {
    const boost::json::value schema = boost::json::parse(config_json_schema());
    EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(schema.at("additionalProperties"), false);
    EXPECT_EQ(schema.at("required"), boost::json::array{"playbooks"});
    const auto& props = schema.at("properties");
    EXPECT_EQ(props.at("server").at("properties").at("max_body_bytes").at("default"), 1048576);
    EXPECT_EQ(props.at("server").at("properties").at("threads").at("maximum"), 64);
    EXPECT_EQ(props.at("log").at("properties").at("level").at("enum"),
              (boost::json::array{"debug", "info", "warning", "error"}));
    EXPECT_EQ(props.at("approval").at("properties").at("expire_after").at("default"), "72h");
    const auto& account = props.at("accounts").at("items");
    EXPECT_EQ(account.at("required"), (boost::json::array{"id", "platform"}));
    EXPECT_EQ(account.at("allOf").at(0).at("then").at("required"),
              (boost::json::array{"secret", "reply_url"}));
    EXPECT_EQ(account.at("properties").at("id").at("pattern"), "^[a-z0-9-]+$");
    EXPECT_NE(
        account.at("properties").at("secret").at("description").as_string().find("never the value"),
        boost::json::string::npos);
}

TEST(config, schema_table_is_consistent) {
    for (const auto& p : config_properties()) {
        SCOPED_TRACE(p.name);
        if (!p.default_json.empty()) {
            boost::system::error_code ec;
            (void)boost::json::parse(p.default_json, ec);
            EXPECT_FALSE(ec) << p.default_json;
        }
        EXPECT_EQ(p.is_secret, p.kind == value_kind::secret);
        if (p.kind == value_kind::integer) {
            EXPECT_TRUE(p.minimum && p.maximum);
        }
        if (p.kind == value_kind::choice) {
            EXPECT_FALSE(p.choices.empty());
        }
        // Every setting sits under a section that the table also lists.
        const auto dot = p.name.rfind('.');
        if (dot != std::string::npos) {
            std::string parent = p.name.substr(0, dot);
            if (parent.ends_with("[]")) {
                parent.resize(parent.size() - 2);
            }
            ASSERT_NE(find_config_property(parent), nullptr);
            const auto kind = find_config_property(parent)->kind;
            EXPECT_TRUE(kind == value_kind::section || kind == value_kind::section_list);
        }
        EXPECT_NE(config_reference_markdown().find("| `" + p.name + "` |"), std::string::npos);
    }
    EXPECT_EQ(find_config_property("nope"), nullptr);
    EXPECT_EQ(config_child_keys("server"),
              (std::vector<std::string_view>{"listen", "max_body_bytes", "threads"}));
    EXPECT_EQ(config_child_keys("accounts[]"), (std::vector<std::string_view>{"id",
                                                                              "platform",
                                                                              "secret",
                                                                              "reply_url",
                                                                              "idempotent",
                                                                              "sends_per_minute",
                                                                              "max_length",
                                                                              "api_base_url",
                                                                              "bot_token",
                                                                              "updates",
                                                                              "webhook_secret",
                                                                              "bot_username",
                                                                              "signing_secret",
                                                                              "bot_user_id",
                                                                              "approvals_channel",
                                                                              "app_secret",
                                                                              "verify_token",
                                                                              "access_token",
                                                                              "whatsapp_token",
                                                                              "page_id",
                                                                              "instagram_id",
                                                                              "consumer_key",
                                                                              "consumer_secret",
                                                                              "access_token_secret",
                                                                              "user_id"}));
    EXPECT_EQ(config_child_keys(""),
              (std::vector<std::string_view>{"server", "state", "playbooks", "secrets_dir", "log",
                                             "approvers", "approval", "guardrails", "accounts"}));
}

// The table's documented defaults are what a config without those keys gets.
TEST(config, schema_defaults_match_loaded_defaults) {
    const config c = load_ok("playbooks: /p\n");
    const auto def = [](std::string_view name) {
        return boost::json::parse(config_property_named(name).default_json);
    };
    EXPECT_EQ(def("server.listen"), boost::json::value(to_string(c.server.listen)));
    EXPECT_EQ(def("server.max_body_bytes").to_number<std::size_t>(), c.server.max_body_bytes);
    EXPECT_EQ(def("log.level"), boost::json::value(to_string(c.log.level)));
    EXPECT_EQ(def("approval.expire_after"), "72h");
    EXPECT_EQ(def("guardrails.max_sends_per_hour").to_number<std::int64_t>(),
              c.guardrails.max_sends_per_hour);
    EXPECT_EQ(def("approvers[].admin"), false);
    EXPECT_EQ(def("accounts[].idempotent"), false);
}

} // namespace
} // namespace rapport::daemon
