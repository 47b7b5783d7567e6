/// TLS credentials (checked with OpenSSL before gRPC sees them), token files, call checks.
#include "tier/security.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/files.h"
#include "core/sha256.h"

namespace edgetier::tier {
namespace {

Result<std::string> read_pem(const std::string& path, const std::string& flag) {
  auto bytes = read_file_bytes(path);
  if (!bytes.ok()) return bytes.status().with_context(flag);
  if (bytes->find("-----BEGIN ") == std::string::npos) {
    return invalid_argument(flag + " '" + path + "' holds no PEM block (-----BEGIN ...)");
  }
  return bytes;
}

// The first certificate of a PEM chain, or null.
X509* parse_certificate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* parse_private_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

Status check_certificate(const std::string& pem, const std::string& what) {
  X509* cert = parse_certificate(pem);
  if (cert == nullptr) return invalid_argument(what + " holds no readable PEM certificate");
  X509_free(cert);
  return ok_status();
}

// gRPC fails with a bare "could not listen" on a bad pair; say which file is wrong instead.
Status check_key_pair(const std::string& cert_pem, const std::string& key_pem,
                      const std::string& cert_file, const std::string& key_file) {
  X509* cert = parse_certificate(cert_pem);
  if (cert == nullptr)
    return invalid_argument("--tls-cert '" + cert_file + "' holds no readable PEM certificate");
  EVP_PKEY* key = parse_private_key(key_pem);
  if (key == nullptr) {
    X509_free(cert);
    return invalid_argument("--tls-key '" + key_file +
                            "' holds no readable PEM private key (an unencrypted one is needed)");
  }
  const bool match = X509_check_private_key(cert, key) == 1;
  EVP_PKEY_free(key);
  X509_free(cert);
  if (!match) {
    return invalid_argument("--tls-key '" + key_file + "' is not the key of the certificate in " +
                            "--tls-cert '" + cert_file + "'");
  }
  return ok_status();
}

// "HOST:PORT" -> HOST ("[::1]:0" -> "::1").
std::string host_of(const std::string& address) {
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    return close == std::string::npos ? address : address.substr(1, close - 1);
  }
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

grpc::Status refuse(grpc::StatusCode code, const std::string& tier, const std::string& message) {
  return grpc::Status(code, tier + ": " + message);
}

}  // namespace

Result<std::string> read_token_file(const std::string& path, const std::string& flag) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return not_found(flag + " '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return invalid_argument(flag + " '" + path + "' is not a file");
  if ((st.st_mode & 0077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return permission_denied(flag + " '" + path + "' is mode " + mode +
                             "; a token file must be readable by its owner only: chmod 600 " +
                             path);
  }
  ASSIGN_OR_RETURN(std::string text, read_file_bytes(path));
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return invalid_argument(flag + " '" + path + "' is empty; write a token into it, e.g. " +
                            "`openssl rand -hex 32 > " + path + "`");
  }
  const size_t last = text.find_last_not_of(" \t\r\n");
  std::string token = text.substr(first, last - first + 1);
  for (unsigned char c : token) {
    // It travels as an HTTP/2 header value: printable ASCII without spaces.
    if (c < 0x21 || c > 0x7e) {
      return invalid_argument(flag + " '" + path + "' must hold one token of printable " +
                              "characters without spaces");
    }
  }
  return token;
}

Status write_new_token_file(const std::string& path) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return internal_error("cannot draw random bytes for the token in '" + path + "'");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return write_file_atomic(path, token + "\n", 0600);
}

bool tokens_equal(std::string_view a, std::string_view b) {
  // Digests have one length, so neither the length nor the first difference shows in the time.
  const std::string da = sha256_hex(a), db = sha256_hex(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

Result<ClientSecurity> load_client_security(const ClientSecurityFiles& files) {
  ClientSecurity security;
  if (files.tls_cert.empty() != files.tls_key.empty()) {
    return invalid_argument("give --tls-cert and --tls-key together (the client certificate " +
                            std::string("and its key)"));
  }
  if (!files.tls_cert.empty() && files.tls_ca.empty()) {
    return invalid_argument("--tls-cert needs --tls-ca: the CA that signed the tiers' " +
                            std::string("certificates"));
  }
  if (!files.tls_ca.empty()) {
    ASSIGN_OR_RETURN(security.tls_ca_pem, read_pem(files.tls_ca, "--tls-ca"));
    RETURN_IF_ERROR(check_certificate(security.tls_ca_pem, "--tls-ca '" + files.tls_ca + "'"));
  }
  if (!files.tls_cert.empty()) {
    ASSIGN_OR_RETURN(security.tls_cert_pem, read_pem(files.tls_cert, "--tls-cert"));
    ASSIGN_OR_RETURN(security.tls_key_pem, read_pem(files.tls_key, "--tls-key"));
    RETURN_IF_ERROR(
        check_key_pair(security.tls_cert_pem, security.tls_key_pem, files.tls_cert, files.tls_key));
  }
  if (!files.token.empty()) {
    ASSIGN_OR_RETURN(security.token, read_token_file(files.token, "--token-file"));
  }
  if (!files.inference_token.empty()) {
    ASSIGN_OR_RETURN(security.inference_token,
                     read_token_file(files.inference_token, "--inference-token-file"));
  }
  return security;
}

Result<ServerSecurity> load_server_security(const ServerSecurityFiles& files) {
  ServerSecurity security;
  if (files.tls_cert.empty() != files.tls_key.empty()) {
    return invalid_argument("serve: give --tls-cert and --tls-key together");
  }
  if (!files.tls_client_ca.empty() && files.tls_cert.empty()) {
    return invalid_argument("serve: --tls-client-ca needs --tls-cert and --tls-key (client " +
                            std::string("certificates are checked inside TLS)"));
  }
  if (!files.tls_cert.empty()) {
    ASSIGN_OR_RETURN(security.tls_cert_pem, read_pem(files.tls_cert, "--tls-cert"));
    ASSIGN_OR_RETURN(security.tls_key_pem, read_pem(files.tls_key, "--tls-key"));
    RETURN_IF_ERROR(
        check_key_pair(security.tls_cert_pem, security.tls_key_pem, files.tls_cert, files.tls_key));
  }
  if (!files.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(security.tls_client_ca_pem, read_pem(files.tls_client_ca, "--tls-client-ca"));
    RETURN_IF_ERROR(check_certificate(security.tls_client_ca_pem,
                                      "--tls-client-ca '" + files.tls_client_ca + "'"));
  }
  if (!files.token.empty()) {
    ASSIGN_OR_RETURN(security.token, read_token_file(files.token, "--token-file"));
  }
  if (!files.inference_token.empty()) {
    ASSIGN_OR_RETURN(security.inference_token,
                     read_token_file(files.inference_token, "--inference-token-file"));
  }
  return security;
}

bool is_unix_address(const std::string& address) { return address.rfind("unix:", 0) == 0; }

bool is_loopback_address(const std::string& address) {
  if (is_unix_address(address)) return false;
  const std::string host = host_of(address);
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

Status check_listen_security(const std::vector<std::string>& listen, bool tls, bool insecure,
                             std::vector<std::string>* exposed) {
  exposed->clear();
  for (const auto& address : listen) {
    if (tls || is_unix_address(address) || is_loopback_address(address)) continue;
    if (!insecure) {
      return failed_precondition(
          "serve: refusing to listen on " + address + " without TLS (anyone who reaches it " +
          "could read requests and control the tier); give --tls-cert and --tls-key, listen on " +
          "127.0.0.1 or unix:/path, or pass --insecure on a network you trust");
    }
    exposed->push_back(address);
  }
  return ok_status();
}

std::shared_ptr<grpc::ServerCredentials> listener_credentials(const std::string& address,
                                                              const ServerSecurity& security) {
  if (is_unix_address(address) || !security.tls()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      security.tls_client_ca_pem.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = security.tls_client_ca_pem;
  options.pem_key_cert_pairs.push_back({security.tls_key_pem, security.tls_cert_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const std::string& address,
                                                              const ClientSecurity& security) {
  if (is_unix_address(address) || !security.tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.tls_ca_pem;
  options.pem_private_key = security.tls_key_pem;
  options.pem_cert_chain = security.tls_cert_pem;
  return grpc::SslCredentials(options);
}

void add_bearer_token(grpc::ClientContext* context, const std::string& token) {
  if (!token.empty()) context->AddMetadata(kAuthorizationKey, "Bearer " + token);
}

grpc::Status authorize_call(const grpc::ServerContext& context, const ServerSecurity& security,
                            CallKind kind, const std::string& tier) {
  const bool control = kind == CallKind::kControl;
  const std::string& expected = control ? security.token : security.inference_token;
  if (!control && expected.empty()) return grpc::Status::OK;
  // gRPC names a unix-socket peer "unix:..." (the socket is mode 0600: only its owner connects).
  if (context.peer().rfind("unix:", 0) == 0) return grpc::Status::OK;
  if (expected.empty()) {
    return refuse(grpc::StatusCode::PERMISSION_DENIED, tier,
                  "the control service is not exposed over TCP; start `edgetier serve` with "
                  "--token-file FILE (mode 0600) and send its token (--token-file), or use the "
                  "tier's unix:/path listener");
  }
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(kAuthorizationKey);
  static constexpr std::string_view kBearer = "Bearer ";
  const std::string flag = control ? "--token-file" : "--inference-token-file";
  if (it == metadata.end()) {
    return refuse(grpc::StatusCode::UNAUTHENTICATED, tier,
                  std::string(control ? "control" : "inference") +
                      " calls over TCP need a bearer token; pass the tier's " + flag);
  }
  const std::string_view value(it->second.data(), it->second.size());
  const bool ok = value.substr(0, kBearer.size()) == kBearer &&
                  tokens_equal(value.substr(kBearer.size()), expected);
  if (!ok) {
    return refuse(grpc::StatusCode::UNAUTHENTICATED, tier,
                  "wrong bearer token; pass the file the tier was started with as " + flag);
  }
  return grpc::Status::OK;
}

}  // namespace edgetier::tier
