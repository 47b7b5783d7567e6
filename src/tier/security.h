/// TLS and bearer tokens of tier servers and their clients: what a listener may expose, the
/// credentials of listeners and channels, token files, and the check every call passes first.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier::tier {

/// The metadata key a bearer token travels in ("authorization: Bearer <token>").
inline constexpr const char* kAuthorizationKey = "authorization";

/// The files a client is given to reach tiers (command-line flags, the testbed's state).
struct ClientSecurityFiles {
  std::string tls_ca;    // CA certificates the tiers' certificates chain to; set: TLS over TCP
  std::string tls_cert;  // client certificate and key, for tiers that require one
  std::string tls_key;
  std::string token;            // the control service's bearer token
  std::string inference_token;  // the inference service's, for tiers started with one
};

/// The same, read once: every channel (one per tier, one per next hop) shares it.
struct ClientSecurity {
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string token;
  std::string inference_token;
  bool tls() const { return !tls_ca_pem.empty(); }
};

Result<ClientSecurity> load_client_security(const ClientSecurityFiles& files);

/// What `edgetier serve` is given.
struct ServerSecurityFiles {
  std::string tls_cert;       // PEM certificate chain of the TCP listeners
  std::string tls_key;        // its private key
  std::string tls_client_ca;  // set: clients must present a certificate this CA signed
  std::string token;          // bearer token of the control service over TCP
  std::string inference_token;  // bearer token of the inference service over TCP (optional)
  bool insecure = false;        // allow plaintext TCP listeners outside loopback
};

struct ServerSecurity {
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
  std::string token;
  std::string inference_token;
  bool tls() const { return !tls_cert_pem.empty(); }
};

/// Reads and checks the files: the certificate must parse and match its key, token files must
/// be readable by their owner only and hold one token.
Result<ServerSecurity> load_server_security(const ServerSecurityFiles& files);

/// A bearer token from `path` (named `flag` in errors): refused when group or others may read
/// the file or when it holds no token; surrounding whitespace is dropped.
Result<std::string> read_token_file(const std::string& path, const std::string& flag);
/// Writes a fresh random token (64 hex digits) to `path`, mode 0600.
Status write_new_token_file(const std::string& path);
/// Compares in time independent of where the tokens differ.
bool tokens_equal(std::string_view a, std::string_view b);

bool is_unix_address(const std::string& address);
/// True for "127.x.x.x:PORT", "[::1]:PORT" and "localhost:PORT".
bool is_loopback_address(const std::string& address);
/// Refuses a plaintext TCP listener outside loopback unless `insecure`; returns the listeners
/// that `insecure` lets through in `*exposed` (the caller warns about them).
Status check_listen_security(const std::vector<std::string>& listen, bool tls, bool insecure,
                             std::vector<std::string>* exposed);

/// TLS for every TCP listener when the server has a certificate; unix sockets are plaintext
/// (their file mode guards them).
std::shared_ptr<grpc::ServerCredentials> listener_credentials(const std::string& address,
                                                              const ServerSecurity& security);
/// TLS to TCP addresses when a CA is given; unix sockets are always plaintext.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const std::string& address,
                                                              const ClientSecurity& security);

/// Adds "authorization: Bearer <token>" to the call (nothing for an empty token).
void add_bearer_token(grpc::ClientContext* context, const std::string& token);

enum class CallKind { kControl, kInference };

/// Whether a call may run. Calls over a unix socket always may (its mode is 0600). Over TCP a
/// control call needs the server's token (PERMISSION_DENIED when it has none, UNAUTHENTICATED
/// when the call's is missing or wrong); an inference call needs it only when the server has an
/// inference token. The message names `tier` and says how to get in.
grpc::Status authorize_call(const grpc::ServerContext& context, const ServerSecurity& security,
                            CallKind kind, const std::string& tier);

}  // namespace edgetier::tier
