/// Token files, constant-time comparison, loopback detection, the listen rule and the checks
/// of certificate files.
#include "tier/security.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"
#include "tier/tls_fixtures.h"

namespace edgetier::tier {
namespace {

using tier_test::write_token;

TEST(Security, LoopbackAddresses) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1:0"));
  EXPECT_TRUE(is_loopback_address("127.1.2.3:8001"));
  EXPECT_TRUE(is_loopback_address("localhost:8001"));
  EXPECT_TRUE(is_loopback_address("[::1]:8001"));
  EXPECT_TRUE(is_loopback_address("[::ffff:127.0.0.1]:8001"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0:0"));
  EXPECT_FALSE(is_loopback_address("[::]:8001"));
  EXPECT_FALSE(is_loopback_address("10.77.0.2:50051"));
  EXPECT_FALSE(is_loopback_address("128.0.0.1:1"));
  EXPECT_FALSE(is_loopback_address("example.com:443"));
  EXPECT_FALSE(is_loopback_address("unix:/tmp/x.sock"));
}

TEST(Security, PlaintextOutsideLoopbackNeedsInsecure) {
  std::vector<std::string> exposed;
  EXPECT_TRUE(check_listen_security({"127.0.0.1:0", "unix:/tmp/a.sock"}, false, false, &exposed)
                  .ok());
  EXPECT_TRUE(exposed.empty());
  Status refused = check_listen_security({"127.0.0.1:0", "0.0.0.0:0"}, false, false, &exposed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("0.0.0.0:0"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("--tls-cert"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("--insecure"), std::string::npos) << refused.message();
  EXPECT_EQ(refused.message().find('\n'), std::string::npos);
  EXPECT_TRUE(check_listen_security({"0.0.0.0:0"}, true, false, &exposed).ok());
  EXPECT_TRUE(exposed.empty());
  EXPECT_TRUE(check_listen_security({"0.0.0.0:0", "127.0.0.1:1"}, false, true, &exposed).ok());
  EXPECT_EQ(exposed, std::vector<std::string>{"0.0.0.0:0"});
}

TEST(Security, TokensCompareByValue) {
  EXPECT_TRUE(tokens_equal("abc", "abc"));
  EXPECT_FALSE(tokens_equal("abc", "abd"));
  EXPECT_FALSE(tokens_equal("abc", "abcd"));
  EXPECT_FALSE(tokens_equal("", "a"));
}

TEST(Security, TokenFileMustBeOwnerOnlyAndHoldAToken) {
  TempDir dir;
  auto token = read_token_file(write_token(dir.file("ok"), "  s3cret-token\n"), "--token-file");
  ASSERT_TRUE(token.ok()) << token.status().to_string();
  EXPECT_EQ(*token, "s3cret-token");
  EXPECT_TRUE(read_token_file(write_token(dir.file("ro"), "t", 0400), "--token-file").ok());

  auto open = read_token_file(write_token(dir.file("open"), "t", 0644), "--token-file");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(open.status().message().find("0644"), std::string::npos);
  EXPECT_NE(open.status().message().find("chmod 600 " + dir.file("open")), std::string::npos);

  auto empty = read_token_file(write_token(dir.file("empty"), " \n"), "--token-file");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos);
  auto spaced = read_token_file(write_token(dir.file("spaced"), "two words"), "--token-file");
  EXPECT_FALSE(spaced.ok());
  auto missing = read_token_file(dir.file("missing"), "--token-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.file("missing")), std::string::npos);
}

TEST(Security, NewTokenFilesAreRandomAndOwnerOnly) {
  TempDir dir;
  ASSERT_TRUE(write_new_token_file(dir.file("a")).ok());
  ASSERT_TRUE(write_new_token_file(dir.file("b")).ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto a = read_token_file(dir.file("a"), "a");
  auto b = read_token_file(dir.file("b"), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_NE(*a, *b);
}

TEST(Security, CertificateFilesAreCheckedBeforeServing) {
  TempDir dir;
  const auto certs = tier_test::make_test_certs(dir);
  ServerSecurityFiles files;
  files.tls_cert = certs.server_cert;
  files.tls_key = certs.server_key;
  EXPECT_TRUE(load_server_security(files).ok());

  files.tls_key = certs.client_key;  // a key, but not this certificate's
  auto mismatch = load_server_security(files);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("is not the key of the certificate"),
            std::string::npos)
      << mismatch.status().message();

  files.tls_key = "";
  auto alone = load_server_security(files);
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.status().message().find("together"), std::string::npos);

  write_file(dir.file("junk.pem"), "not a certificate");
  ClientSecurityFiles client;
  client.tls_ca = dir.file("junk.pem");
  auto junk = load_client_security(client);
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("junk.pem"), std::string::npos);
  client.tls_ca = certs.ca;
  client.tls_cert = certs.client_cert;
  EXPECT_FALSE(load_client_security(client).ok());  // a certificate needs its key
  client.tls_key = certs.client_key;
  auto loaded = load_client_security(client);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->tls());
}

}  // namespace
}  // namespace edgetier::tier
