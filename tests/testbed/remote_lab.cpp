/// The remote lab: namespaces on a bridge, certificates, tokens and `edgetier serve` per tier.
#include "testbed/remote_lab.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace edgetier::testbed::testing {
namespace {

std::string device_ns_suffix() { return "dev"; }

// Runs a shell command; false (with the command in `error`) when it fails.
bool sh(const std::string& command, std::string* error) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) == 0) return true;
  *error = "failed: " + command;
  return false;
}

pid_t spawn(const std::string& netns, const std::vector<std::string>& args,
            const std::string& out_path, const std::string& err_path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<std::string> all = {"ip", "netns", "exec", netns, EDGETIER_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("ip", argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

int wait_exit(pid_t pid, int timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (true) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -SIGKILL;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string RemoteLab::ip(const std::string& tier) {
  if (tier == "mobile") return "10.77.200.1";
  if (tier == "edge") return "10.77.200.2";
  if (tier == "cloud") return "10.77.200.3";
  return "10.77.200.10";  // the device the runner is on
}

RemoteLab::RemoteLab() : prefix_("etlab" + std::to_string(::getpid() % 100000)) {
  try {
    certs_ = tier_test::make_test_certs(dir_);
    for (const char* tier : kTiers) {
      tier_test::make_server_cert(dir_, tier, "IP:" + ip(tier));
      tier_test::write_token(token_file(tier), std::string("token-of-") + tier + "-0123456789");
    }
  } catch (const std::exception& e) {
    error_ = e.what();
    return;
  }
  std::filesystem::create_directories(model_root());
  const std::string hub = prefix_ + "-hub";
  namespaces_.push_back(hub);
  if (!sh("ip netns add " + hub, &error_) ||
      !sh("ip -n " + hub + " link add br0 type bridge", &error_) ||
      !sh("ip -n " + hub + " link set br0 up", &error_)) {
    return;
  }
  const std::vector<std::string> members = {"mobile", "edge", "cloud", device_ns_suffix()};
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string ns = netns(members[i]);
    const std::string host_end = prefix_ + "h" + std::to_string(i);
    const std::string tier_end = prefix_ + "t" + std::to_string(i);
    namespaces_.push_back(ns);
    if (!sh("ip netns add " + ns, &error_) || !sh("ip -n " + ns + " link set lo up", &error_) ||
        !sh("ip link add " + host_end + " type veth peer name " + tier_end, &error_) ||
        !sh("ip link set " + host_end + " netns " + hub, &error_) ||
        !sh("ip link set " + tier_end + " netns " + ns, &error_) ||
        !sh("ip -n " + hub + " link set " + host_end + " master br0 up", &error_) ||
        !sh("ip -n " + ns + " addr add " + ip(members[i]) + "/24 dev " + tier_end, &error_) ||
        !sh("ip -n " + ns + " link set " + tier_end + " up", &error_)) {
      return;
    }
  }
}

RemoteLab::~RemoteLab() {
  for (auto& [tier, pids] : pids_) {
    for (pid_t pid : pids) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  for (const auto& ns : namespaces_)
    (void)std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
}

pid_t RemoteLab::start_tier(const std::string& tier, const std::vector<std::string>& extra,
                            int port, const std::string& name) {
  const std::string label = name.empty() ? tier : name;
  std::vector<std::string> args = {"serve",
                                   "--tier",
                                   label,
                                   "--listen",
                                   address(tier, port),
                                   "--threads",
                                   "1",
                                   "--tls-cert",
                                   dir_.file(tier + ".pem"),
                                   "--tls-key",
                                   dir_.file(tier + ".key"),
                                   "--tls-client-ca",
                                   certs_.ca,
                                   "--token-file",
                                   token_file(tier),
                                   "--model-root",
                                   model_root(),
                                   "--next-hop-tls-ca",
                                   certs_.ca,
                                   "--next-hop-tls-cert",
                                   certs_.client_cert,
                                   "--next-hop-tls-key",
                                   certs_.client_key};
  args.insert(args.end(), extra.begin(), extra.end());
  const std::string log = dir_.file(label + "-" + std::to_string(port) + ".serve.log");
  pid_t pid = spawn(netns(tier), args, log, log + ".err");
  pids_[tier].push_back(pid);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    if (read_file(log).find("READY") != std::string::npos) return pid;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "tier " + label + " did not print READY: " + read_file(log + ".err");
  return -1;
}

void RemoteLab::start_all() {
  for (const char* tier : kTiers) {
    if (start_tier(tier) < 0) return;
  }
}

void RemoteLab::kill_tier(const std::string& tier) {
  for (pid_t pid : pids_[tier]) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  pids_[tier].clear();
}

std::string RemoteLab::tiers_yaml_list() const {
  std::string out = "tiers:\n";
  for (const char* tier : kTiers) {
    out += "  - {name: " + std::string(tier) + ", address: " + address(tier) +
           ", token_file: " + std::string(tier) +
           ".token, tls: {ca: ca.pem, cert: client.pem, key: client.key}}\n";
  }
  return out;
}

std::string RemoteLab::spec_tiers_map(const std::string& indent) const {
  std::string out;
  for (const char* tier : kTiers) {
    out += indent + tier + ": {address: " + address(tier) + ", token_file: " + tier +
           ".token, tls: {ca: ca.pem, cert: client.pem, key: client.key}}\n";
  }
  return out;
}

pid_t RemoteLab::spawn_on_device(const std::vector<std::string>& args,
                                 const std::string& label) const {
  return spawn(netns(device_ns_suffix()), args, dir_.file(label + ".out"),
               dir_.file(label + ".err"));
}

CommandResult RemoteLab::run_on_device(const std::vector<std::string>& args, int timeout_s) const {
  static int counter = 0;
  const std::string label = "cmd" + std::to_string(++counter);
  CommandResult result;
  result.exit_code = wait_exit(spawn_on_device(args, label), timeout_s);
  result.out = read_file(dir_.file(label + ".out"));
  result.err = read_file(dir_.file(label + ".err"));
  return result;
}

}  // namespace edgetier::testbed::testing
