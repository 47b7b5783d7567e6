/// Certificates for the TLS tests, made with the `openssl` command in a temporary folder.
#pragma once

#include <string>

#include "test_util.h"

namespace edgetier::tier_test {

struct TestCerts {
  std::string ca;           // the CA that signed the server and client certificates
  std::string server_cert;  // SAN IP:127.0.0.1, DNS:localhost
  std::string server_key;
  std::string client_cert;
  std::string client_key;
  std::string other_ca;  // an unrelated CA (the "wrong CA")
};

/// Writes the certificates and keys into `dir` (EC P-256, valid for a day); throws when
/// openssl fails.
TestCerts make_test_certs(const TempDir& dir);

/// Writes `name`.pem and `name`.key into `dir`: a server certificate signed by the CA of
/// make_test_certs (call it first) for the SANs in `san` ("IP:10.77.200.2,DNS:edge").
std::string make_server_cert(const TempDir& dir, const std::string& name, const std::string& san);

/// Writes `token` to `path` with `mode` and returns the path.
std::string write_token(const std::string& path, const std::string& token, int mode = 0600);

}  // namespace edgetier::tier_test
