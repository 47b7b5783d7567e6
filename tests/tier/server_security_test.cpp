/// A tier server exposed over TCP: TLS (server and mutual), the control token, the inference
/// token, owner-only unix sockets, the model root, and TLS with a token between two tiers.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "proto/edgetier_control.grpc.pb.h"
#include "test_util.h"
#include "tier/client.h"
#include "tier/server.h"
#include "tier/tier_fixtures.h"
#include "tier/tls_fixtures.h"

namespace edgetier::tier {
namespace {

using tier_test::write_token;

constexpr int64_t kDeadlineMs = 20000;

std::unique_ptr<TierServer> serve(const ServeOptions& options) {
  auto server = TierServer::start(options);
  EXPECT_TRUE(server.ok()) << server.status().to_string();
  return server.ok() ? std::move(server).value() : nullptr;
}

ServeOptions options_for(const std::string& tier, std::vector<std::string> listen) {
  ServeOptions options;
  options.tier_name = tier;
  options.listen = std::move(listen);
  options.intra_op_threads = 1;
  return options;
}

std::unique_ptr<TierClient> connect(const std::string& address, const ClientSecurity& security) {
  TierClientOptions options;
  options.security = security;
  auto client = TierClient::connect(address, options);
  EXPECT_TRUE(client.ok());
  return std::move(client).value();
}

// One part taking "input" [1,3,16,16], saved in `dir`.
std::string one_part(const TempDir& dir) {
  return tier_test::save_parts(tier_test::split_chain(1), dir.path()).front();
}

control::LoadModelRequest load_by_path(const std::string& name, const std::string& path) {
  control::LoadModelRequest load;
  load.set_model_name(name);
  load.set_skip_warmup(true);
  load.add_parts()->set_path(path);
  return load;
}

Result<InferResult> infer(TierClient& client, const std::string& model) {
  return client.infer(model, {tier_test::random_tensor("input", {1, 3, 16, 16}, 3)}, kDeadlineMs);
}

// The raw gRPC code of a Shutdown call (TierClient folds UNAUTHENTICATED into its own codes).
grpc::Status raw_shutdown(const std::string& address, const std::string& token,
                          const ClientSecurity& security = {}) {
  auto stub = control::TierControl::NewStub(make_channel(address, 1 << 20, security));
  grpc::ClientContext context;
  context.set_deadline(deadline_after_ms(kDeadlineMs));
  add_bearer_token(&context, token);
  control::ShutdownRequest request;
  control::ShutdownResponse response;
  return stub->Shutdown(&context, request, &response);
}

TEST(ServerSecurity, TlsInferenceWorksPlaintextAndWrongCaFail) {
  TempDir dir;
  const auto certs = tier_test::make_test_certs(dir);
  ServeOptions options = options_for("edge", {"127.0.0.1:0", "unix:" + dir.file("edge.sock")});
  options.security.tls_cert = certs.server_cert;
  options.security.tls_key = certs.server_key;
  options.model_root = dir.path();
  auto server = serve(options);
  ASSERT_TRUE(server);
  const std::string tcp = server->addresses()[0];
  const std::string port = tcp.substr(tcp.rfind(':') + 1);

  // Loaded over the unix socket (plaintext, no token: its file mode guards it).
  auto local = connect(server->addresses()[1], {});
  ASSERT_TRUE(local->load_model(load_by_path("m", one_part(dir))).ok());

  ClientSecurity tls;
  tls.tls_ca_pem = read_file(certs.ca);
  for (const std::string& address : {tcp, "localhost:" + port}) {
    auto client = connect(address, tls);
    auto result = infer(*client, "m");
    ASSERT_TRUE(result.ok()) << address << ": " << result.status().to_string();
    EXPECT_EQ(result->outputs.size(), 1u);
  }

  auto plaintext = connect(tcp, {});
  auto refused = infer(*plaintext, "m");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().to_string();

  ClientSecurity wrong;
  wrong.tls_ca_pem = read_file(certs.other_ca);
  auto stranger = connect(tcp, wrong);
  auto untrusted = infer(*stranger, "m");
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), StatusCode::kUnavailable) << untrusted.status().to_string();
  // The server is unharmed.
  EXPECT_TRUE(infer(*connect(tcp, tls), "m").ok());
}

TEST(ServerSecurity, MutualTlsNeedsAClientCertificate) {
  TempDir dir;
  const auto certs = tier_test::make_test_certs(dir);
  ServeOptions options = options_for("edge", {"127.0.0.1:0", "unix:" + dir.file("edge.sock")});
  options.security = {certs.server_cert, certs.server_key, certs.ca, "", "", false};
  options.model_root = dir.path();
  auto server = serve(options);
  ASSERT_TRUE(server);
  ASSERT_TRUE(connect(server->addresses()[1], {})->load_model(load_by_path("m", one_part(dir))).ok());

  ClientSecurityFiles files;
  files.tls_ca = certs.ca;
  auto anonymous = load_client_security(files);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_FALSE(infer(*connect(server->addresses()[0], *anonymous), "m").ok());
  files.tls_cert = certs.client_cert;
  files.tls_key = certs.client_key;
  auto identified = load_client_security(files);
  ASSERT_TRUE(identified.ok()) << identified.status().to_string();
  auto result = infer(*connect(server->addresses()[0], *identified), "m");
  EXPECT_TRUE(result.ok()) << result.status().to_string();
}

TEST(ServerSecurity, ControlOverTcpNeedsTheTokenAndWrongOnesLeaveTheServerUp) {
  TempDir dir;
  ServeOptions options = options_for("edge", {"127.0.0.1:0", "unix:" + dir.file("edge.sock")});
  options.security.token = write_token(dir.file("control.token"), "right-token\n");
  options.model_root = dir.path();
  auto server = serve(options);
  ASSERT_TRUE(server);
  const std::string tcp = server->addresses()[0];

  for (const std::string& token : {std::string(), std::string("wrong-token"),
                                   std::string("right-token-but-longer")}) {
    const grpc::Status status = raw_shutdown(tcp, token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << "'" << token << "': " << status.error_message();
    EXPECT_NE(status.error_message().find("--token-file"), std::string::npos);
  }
  ClientSecurity wrong;
  wrong.token = "wrong-token";
  auto loaded = connect(tcp, wrong)->load_model(load_by_path("m", one_part(dir)));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find("edge: wrong bearer token"), std::string::npos)
      << loaded.status().message();
  EXPECT_FALSE(connect(tcp, wrong)->health().ok());
  EXPECT_FALSE(connect(tcp, wrong)->unload("").ok());

  // Still serving: inference over TCP needs no token here, the unix socket none at all.
  EXPECT_TRUE(connect(tcp, {})->wait_until_live(2000).ok());
  auto health = connect(server->addresses()[1], {})->health();
  ASSERT_TRUE(health.ok()) << health.status().to_string();
  EXPECT_EQ(health->state(), "serving");

  ClientSecurity right;
  right.token = "right-token";
  auto client = connect(tcp, right);
  ASSERT_TRUE(client->load_model(load_by_path("m", one_part(dir))).ok());
  EXPECT_TRUE(infer(*client, "m").ok());
  EXPECT_TRUE(raw_shutdown(tcp, "right-token").ok());
}

TEST(ServerSecurity, WithoutATokenFileTheControlServiceIsNotOnTcp) {
  TempDir dir;
  auto server = serve(options_for("edge", {"127.0.0.1:0", "unix:" + dir.file("edge.sock")}));
  ASSERT_TRUE(server);
  const grpc::Status status = raw_shutdown(server->addresses()[0], "anything");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_message().find("--token-file"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("unix:"), std::string::npos) << status.error_message();
  EXPECT_TRUE(connect(server->addresses()[0], {})->wait_until_live(2000).ok());
  // The unix socket is owner-only, and control calls over it need no token.
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("edge.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(connect(server->addresses()[1], {})->health().ok());
  EXPECT_TRUE(raw_shutdown(server->addresses()[1], "").ok());
}

TEST(ServerSecurity, InferenceTokenIsRequiredOverTcpWhenGiven) {
  TempDir dir;
  ServeOptions options = options_for("edge", {"127.0.0.1:0", "unix:" + dir.file("edge.sock")});
  options.security.inference_token = write_token(dir.file("infer.token"), "infer-token");
  options.model_root = dir.path();
  auto server = serve(options);
  ASSERT_TRUE(server);
  ASSERT_TRUE(connect(server->addresses()[1], {})->load_model(load_by_path("m", one_part(dir))).ok());
  auto anonymous = infer(*connect(server->addresses()[0], {}), "m");
  ASSERT_FALSE(anonymous.ok());
  EXPECT_NE(anonymous.status().message().find("--inference-token-file"), std::string::npos)
      << anonymous.status().message();
  EXPECT_FALSE(connect(server->addresses()[0], {})->wait_until_live(500).ok());
  ClientSecurity security;
  security.inference_token = "infer-token";
  EXPECT_TRUE(infer(*connect(server->addresses()[0], security), "m").ok());
  EXPECT_TRUE(infer(*connect(server->addresses()[1], {}), "m").ok());
}

TEST(ServerSecurity, TokenFilesOthersMayReadOrEmptyOnesStopTheStart) {
  TempDir dir;
  ServeOptions options = options_for("edge", {"127.0.0.1:0"});
  options.security.token = write_token(dir.file("open.token"), "t", 0644);
  auto open = TierServer::start(options);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos);
  options.security.token = write_token(dir.file("empty.token"), "");
  auto empty = TierServer::start(options);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos);
}

TEST(ServerSecurity, NonLoopbackPlaintextNeedsInsecure) {
  auto refused = TierServer::start(options_for("edge", {"0.0.0.0:0"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("without TLS"), std::string::npos);
  ServeOptions insecure = options_for("edge", {"0.0.0.0:0"});
  insecure.security.insecure = true;
  EXPECT_TRUE(serve(insecure));

  const auto cli = run_edgetier("serve --tier edge --listen 0.0.0.0:0");
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.err.find("refusing to listen on 0.0.0.0:0 without TLS"), std::string::npos)
      << cli.err;
  EXPECT_EQ(std::count(cli.err.begin(), cli.err.end(), '\n'), 1) << cli.err;
}

// What LoadModel says about a path, with the path itself taken out.
std::string refusal(TierClient& client, const std::string& path) {
  auto loaded = client.load_model(load_by_path("m", path));
  if (loaded.ok()) return "loaded";
  std::string message = loaded.status().message();
  const size_t at = message.find(path);
  if (at != std::string::npos) message.replace(at, path.size(), "PATH");
  return std::string(status_code_name(loaded.status().code())) + ": " + message;
}

TEST(ServerSecurity, PathsOnlyInsideTheModelRootAndTheSameAnswerForMissingAndOutside) {
  TempDir root, outside;
  const std::string inside_part = one_part(root);
  const std::string outside_part = one_part(outside);
  std::filesystem::create_symlink(outside_part, root.file("link.onnx"));
  std::filesystem::create_directories(root.file("sub"));

  ServeOptions options = options_for("edge", {"unix:" + root.file("edge.sock")});
  options.model_root = root.path();
  auto server = serve(options);
  ASSERT_TRUE(server);
  auto client = connect(server->addresses()[0], {});
  EXPECT_EQ(refusal(*client, inside_part), "loaded");
  EXPECT_EQ(refusal(*client, "part0.onnx"), "loaded");  // relative to the root
  EXPECT_EQ(refusal(*client, root.file("sub/../part0.onnx")), "loaded");

  const std::string missing = refusal(*client, outside.file("missing.onnx"));
  EXPECT_NE(missing.find("inside the model root"), std::string::npos) << missing;
  for (const std::string& path :
       {outside_part, root.file("link.onnx"), root.file("../" + std::filesystem::path(
                                                                 outside.path()).filename().string() +
                                                             "/part0.onnx"),
        root.file("missing.onnx"), root.file("sub"), std::string("/etc/passwd")}) {
    EXPECT_EQ(refusal(*client, path), missing) << path;
  }

  // Without a root, no path is taken at all; bytes still are.
  auto no_root = serve(options_for("cloud", {"unix:" + root.file("cloud.sock")}));
  ASSERT_TRUE(no_root);
  auto cloud = connect(no_root->addresses()[0], {});
  const std::string off = refusal(*cloud, inside_part);
  EXPECT_NE(off.find("PERMISSION_DENIED"), std::string::npos) << off;
  EXPECT_NE(off.find("--model-root"), std::string::npos) << off;
  EXPECT_EQ(refusal(*cloud, outside.file("missing.onnx")), off);
  control::LoadModelRequest bytes;
  bytes.set_model_name("m");
  bytes.set_skip_warmup(true);
  bytes.add_parts()->set_bytes(read_file(inside_part));
  EXPECT_TRUE(cloud->load_model(bytes).ok());
}

TEST(ServerSecurity, ForwardsToATlsNextHopWithItsInferenceToken) {
  TempDir dir;
  const auto certs = tier_test::make_test_certs(dir);
  const auto paths = tier_test::save_parts(tier_test::split_chain(2), dir.path());
  ServeOptions edge_options = options_for("edge", {"127.0.0.1:0", "unix:" + dir.file("e.sock")});
  edge_options.security.tls_cert = certs.server_cert;
  edge_options.security.tls_key = certs.server_key;
  edge_options.security.inference_token = write_token(dir.file("infer.token"), "hop-token");
  edge_options.model_root = dir.path();
  auto edge = serve(edge_options);
  ASSERT_TRUE(edge);
  ServeOptions mobile_options = options_for("mobile", {"unix:" + dir.file("m.sock")});
  mobile_options.model_root = dir.path();
  mobile_options.next_hop_security.tls_ca = certs.ca;
  mobile_options.next_hop_security.inference_token = dir.file("infer.token");
  auto mobile = serve(mobile_options);
  ASSERT_TRUE(mobile);

  ASSERT_TRUE(connect(edge->addresses()[1], {})->load_model(load_by_path("m", paths[1])).ok());
  control::LoadModelRequest first = load_by_path("m", paths[0]);
  first.set_next_hop(edge->addresses()[0]);
  first.set_next_hop_name("edge");
  auto client = connect(mobile->addresses()[0], {});
  ASSERT_TRUE(client->load_model(first).ok());
  auto result = infer(*client, "m");
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->breakdown.hops.size(), 2u);
  EXPECT_EQ(result->breakdown.hops[1].tier, "edge");
  auto health = client->health(2000);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->models(0).next_hop_state(), "live");
}

}  // namespace
}  // namespace edgetier::tier
