/// Test certificates through the openssl command line.
#include "tier/tls_fixtures.h"

#include <sys/stat.h>

#include <cstdlib>
#include <stdexcept>

namespace edgetier::tier_test {
namespace {

void run(const std::string& command, const TempDir& dir) {
  const std::string log = dir.file("openssl.log");
  const std::string full = "cd '" + dir.path() + "' && " + command + " >>'" + log + "' 2>&1";
  if (std::system(full.c_str()) != 0) {
    throw std::runtime_error("openssl failed: " + command + "\n" + read_file(log));
  }
}

// A CA (self-signed, CA:TRUE) named `name`.
void make_ca(const std::string& name, const TempDir& dir) {
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj '/CN=" + name + "' -keyout " + name + ".key -out " + name + ".pem "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
      dir);
}

// A leaf certificate `name` signed by `ca`, with the extensions in `ext`.
void make_leaf(const std::string& name, const std::string& ca, const std::string& ext,
               const TempDir& dir) {
  write_file(dir.file(name + ".ext"), ext);
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + name +
          "' -keyout " + name + ".key -out " + name + ".csr",
      dir);
  run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
          ".key -CAcreateserial -days 1 -out " + name + ".pem -extfile " + name + ".ext",
      dir);
}

}  // namespace

TestCerts make_test_certs(const TempDir& dir) {
  make_ca("ca", dir);
  make_ca("other-ca", dir);
  make_leaf("server", "ca",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", dir);
  make_leaf("client", "ca", "extendedKeyUsage=clientAuth\n", dir);
  return {dir.file("ca.pem"),     dir.file("server.pem"), dir.file("server.key"),
          dir.file("client.pem"), dir.file("client.key"), dir.file("other-ca.pem")};
}

std::string make_server_cert(const TempDir& dir, const std::string& name, const std::string& san) {
  make_leaf(name, "ca", "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\n", dir);
  return dir.file(name + ".pem");
}

std::string write_token(const std::string& path, const std::string& token, int mode) {
  write_file(path, token);
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
  return path;
}

}  // namespace edgetier::tier_test
