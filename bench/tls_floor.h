/// The CPU floor of TLS for one payload: OpenSSL's record layer alone, in this process, between
/// two endpoints over memory BIOs (the path gRPC's TLS takes, without its transport around it).
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace edgetier::bench {

/// One sample per repeat, in ms.
struct TlsFloor {
  std::string cipher;              // negotiated between OpenSSL's default client and server
  std::vector<double> encrypt_ms;  // SSL_write of the payload and reading its records off the BIO
  std::vector<double> decrypt_ms;  // feeding those records in and SSL_read of the payload
};

namespace detail {

inline std::string ssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char text[256] = "no OpenSSL error queued";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  return what + ": " + text;
}

// Moves every byte `from` has written into `to`'s read BIO.
inline void pump(BIO* from, BIO* to, std::vector<unsigned char>& scratch) {
  for (int n; (n = BIO_read(from, scratch.data(), static_cast<int>(scratch.size()))) > 0;)
    BIO_write(to, scratch.data(), n);
}

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

}  // namespace detail

/// Encrypting and decrypting `payload` `repeats` times in a TLS session (certificate and key PEM
/// files as the tier's), each side timed apart: what a TLS hop costs in CPU at least, whatever
/// the transport does around it.
inline Result<TlsFloor> measure_tls_floor(const std::string& cert_path, const std::string& key_path,
                                          const std::string& payload, int repeats) {
  using detail::ssl_error;
  std::unique_ptr<SSL_CTX, detail::SslDeleter> server_ctx(SSL_CTX_new(TLS_server_method()));
  std::unique_ptr<SSL_CTX, detail::SslDeleter> client_ctx(SSL_CTX_new(TLS_client_method()));
  if (!server_ctx || !client_ctx) return internal_error(ssl_error("SSL_CTX_new"));
  if (SSL_CTX_use_certificate_chain_file(server_ctx.get(), cert_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(server_ctx.get(), key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    return invalid_argument(ssl_error("TLS floor: " + cert_path + " / " + key_path));
  if (SSL_CTX_load_verify_locations(client_ctx.get(), cert_path.c_str(), nullptr) != 1)
    return invalid_argument(ssl_error("TLS floor: CA " + cert_path));
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, detail::SslDeleter> client(SSL_new(client_ctx.get()));
  std::unique_ptr<SSL, detail::SslDeleter> server(SSL_new(server_ctx.get()));
  // Each SSL owns its two memory BIOs (network in, network out); pump() is the wire.
  BIO* client_in = BIO_new(BIO_s_mem());
  BIO* client_out = BIO_new(BIO_s_mem());
  BIO* server_in = BIO_new(BIO_s_mem());
  BIO* server_out = BIO_new(BIO_s_mem());
  SSL_set_bio(client.get(), client_in, client_out);
  SSL_set_bio(server.get(), server_in, server_out);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  std::vector<unsigned char> scratch(1 << 16);
  // One handshake step of `ssl`, then its output onto the wire; false on a handshake error.
  bool client_done = false, server_done = false;
  auto step = [&](SSL* ssl, bool* done, BIO* out, BIO* peer_in) {
    if (!*done) {
      const int r = SSL_do_handshake(ssl);
      if (r == 1)
        *done = true;
      else if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ)
        return false;
    }
    detail::pump(out, peer_in, scratch);
    return true;
  };
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    if (!step(client.get(), &client_done, client_out, server_in))
      return internal_error(ssl_error("TLS floor: client handshake"));
    if (!step(server.get(), &server_done, server_out, client_in))
      return internal_error(ssl_error("TLS floor: server handshake"));
  }
  if (!client_done || !server_done) return internal_error("TLS floor: the handshake did not end");

  // As gRPC's frame protector does: records of up to 16 KiB (its buffer of 16,384 B less 100
  // for the record's overhead), each drained off the BIO as it is made; on the way in, a
  // record's worth of bytes at a time, read out in 8 KiB pieces (its staging buffers).
  constexpr size_t kPlainPerRecord = 16384 - 100, kCipherPerFeed = 16384 + 512, kStaging = 8192;
  TlsFloor floor{SSL_get_cipher_name(client.get()), {}, {}};
  std::vector<unsigned char> records, plain(payload.size());
  records.reserve(payload.size() + payload.size() / 64 + 4096);
  for (int i = 0; i < repeats; ++i) {
    records.clear();
    Stopwatch encrypt;
    for (size_t at = 0; at < payload.size(); at += kPlainPerRecord) {
      const int n = static_cast<int>(std::min(kPlainPerRecord, payload.size() - at));
      if (SSL_write(client.get(), payload.data() + at, n) != n)
        return internal_error(ssl_error("TLS floor: SSL_write"));
      for (int got;
           (got = BIO_read(client_out, scratch.data(), static_cast<int>(scratch.size()))) > 0;)
        records.insert(records.end(), scratch.begin(), scratch.begin() + got);
    }
    floor.encrypt_ms.push_back(encrypt.elapsed_ms());

    Stopwatch decrypt;
    size_t got = 0;
    for (size_t at = 0; at < records.size(); at += kCipherPerFeed) {
      BIO_write(server_in, records.data() + at,
                static_cast<int>(std::min(kCipherPerFeed, records.size() - at)));
      for (int n; got < plain.size();) {
        n = SSL_read(server.get(), plain.data() + got,
                     static_cast<int>(std::min(kStaging, plain.size() - got)));
        if (n > 0) {
          got += static_cast<size_t>(n);
          continue;
        }
        if (SSL_get_error(server.get(), n) == SSL_ERROR_WANT_READ) break;
        return internal_error(ssl_error("TLS floor: SSL_read"));
      }
    }
    floor.decrypt_ms.push_back(decrypt.elapsed_ms());
    if (got != plain.size() || std::memcmp(plain.data(), payload.data(), payload.size()) != 0)
      return internal_error("TLS floor: the payload did not survive the round trip");
  }
  return floor;
}

}  // namespace edgetier::bench
