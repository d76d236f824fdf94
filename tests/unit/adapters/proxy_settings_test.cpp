// HTTPS_PROXY and NO_PROXY parsing: which hosts go through the proxy, and what it is told.
#include "adapters/common/proxy_settings.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace rapport::adapters {
namespace {

TEST(proxy_settings, a_proxy_url_gives_host_port_and_basic_credentials) {
    auto p = parse_https_proxy("http://proxy.corp.example:3128");
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->host, "proxy.corp.example");
    EXPECT_FALSE(p->host_is_address);
    EXPECT_EQ(p->port, "3128");
    EXPECT_EQ(p->authority, "proxy.corp.example:3128");
    EXPECT_EQ(p->authorization, "");

    p = parse_https_proxy(" HTTP://user:p%40ss@10.0.0.1:8080/ ");
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->host, "10.0.0.1");
    EXPECT_TRUE(p->host_is_address);
    EXPECT_EQ(p->authority, "10.0.0.1:8080");
    EXPECT_EQ(p->authorization, "Basic dXNlcjpwQHNz"); // user:p@ss

    p = parse_https_proxy("proxy.corp.example:3128"); // no scheme: http, as curl reads it
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->authority, "proxy.corp.example:3128");

    p = parse_https_proxy("http://proxy.corp.example"); // the http:// default port
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->port, "80");

    p = parse_https_proxy("http://[fd00::3]:3128");
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->host, "fd00::3");
    EXPECT_TRUE(p->host_is_address);
    EXPECT_EQ(p->authority, "[fd00::3]:3128");

    p = parse_https_proxy("http://token@10.0.0.1.proxy.example:3128"); // a name, not 10.0.0.1
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->host, "10.0.0.1.proxy.example");
    EXPECT_FALSE(p->host_is_address);
    EXPECT_EQ(p->authorization, "Basic dG9rZW46"); // token:
}

TEST(proxy_settings, unusable_proxy_urls_are_refused_without_repeating_them) {
    for (const std::string url :
         {"https://u:secret@proxy:3128", "socks5://u:secret@proxy:1080", "http://u:secret@:3128",
          "http://u:secret@proxy:0", "http://u:secret@proxy:65536", "http://u:secret@proxy:x1",
          "http://u:secret%zz@proxy:3128", "http://u:secret@[fd00::3:3128", "http://u:secret@",
          "http://u:secret@pro xy:3128", ""}) {
        const auto p = parse_https_proxy(url);
        ASSERT_FALSE(p) << url;
        EXPECT_EQ(p.error().find("secret"), std::string::npos) << p.error();
    }
    EXPECT_NE(parse_https_proxy("socks5://proxy:1080").error().find("socks5://"),
              std::string::npos);
}

TEST(proxy_settings, no_proxy_names_cover_their_subdomains) {
    for (const std::string spec : {"example.com", ".example.com", "*.example.com", "EXAMPLE.COM.",
                                   "other.org, example.com:8443"}) {
        const no_proxy_list list(spec);
        EXPECT_TRUE(list.excludes("example.com")) << spec;
        EXPECT_TRUE(list.excludes("api.example.com")) << spec;
        EXPECT_TRUE(list.excludes("A.B.Example.Com.")) << spec;
        EXPECT_FALSE(list.excludes("badexample.com")) << spec;
        EXPECT_FALSE(list.excludes("example.com.evil.net")) << spec;
        EXPECT_FALSE(list.excludes("example.org")) << spec;
    }
    EXPECT_TRUE(no_proxy_list("*").excludes("anything.example"));
    EXPECT_TRUE(no_proxy_list("a.example, *").excludes("10.1.2.3"));
    EXPECT_FALSE(no_proxy_list("").excludes("example.com"));
    EXPECT_FALSE(no_proxy_list(" , ,").excludes("example.com"));
}

TEST(proxy_settings, no_proxy_addresses_and_networks_match_addresses) {
    const no_proxy_list list("192.168.1.5, 10.0.0.0/8, 172.16.0.0/12, [fd00::]/8, ::2, [::3]:443");
    EXPECT_TRUE(list.excludes("192.168.1.5"));
    EXPECT_FALSE(list.excludes("192.168.1.50"));
    EXPECT_TRUE(list.excludes("10.200.3.4"));
    EXPECT_FALSE(list.excludes("11.0.0.1"));
    EXPECT_TRUE(list.excludes("172.31.255.255"));
    EXPECT_FALSE(list.excludes("172.32.0.1"));
    EXPECT_TRUE(list.excludes("fd12:3456::1"));
    EXPECT_FALSE(list.excludes("fe80::1"));
    EXPECT_TRUE(list.excludes("0:0::2"));
    EXPECT_TRUE(list.excludes("::3"));
    // Addresses do not match as name suffixes, nor names as addresses.
    EXPECT_FALSE(no_proxy_list("0.0.1").excludes("10.0.0.1"));
    EXPECT_FALSE(no_proxy_list("10.0.0.0/8").excludes("10.example.com"));
}

TEST(proxy_settings, loopback_and_excluded_hosts_bypass_the_proxy) {
    proxy_settings s;
    EXPECT_FALSE(s.applies_to("api.example.com")); // no proxy at all
    s.proxy = *parse_https_proxy("http://proxy:3128");
    s.no_proxy = no_proxy_list("internal.example");
    EXPECT_TRUE(s.applies_to("api.example.com"));
    EXPECT_TRUE(s.applies_to("10.1.2.3"));
    EXPECT_FALSE(s.applies_to("hooks.internal.example"));
    for (const char* loopback : {"localhost", "LocalHost", "127.0.0.1", "127.8.9.10", "::1"}) {
        EXPECT_FALSE(s.applies_to(loopback)) << loopback;
    }
}

TEST(proxy_settings, options_win_over_the_environment_and_empty_means_none) {
    // Only values given here: the environment of the test run must not matter.
    auto s = load_proxy_settings(std::string("http://proxy:3128"), std::string(".corp"));
    ASSERT_TRUE(s.proxy);
    EXPECT_EQ(s.proxy->authority, "proxy:3128");
    EXPECT_FALSE(s.applies_to("git.corp"));
    s = load_proxy_settings(std::string(), std::string());
    EXPECT_FALSE(s.proxy);
    try {
        (void)load_proxy_settings(std::string("ftp://u:pw@proxy"), std::string());
        ADD_FAILURE() << "accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("proxy option"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace rapport::adapters
