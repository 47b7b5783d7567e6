/// veth/ifb/tc link emulation through iproute2's `ip` and `tc`.
#include "testbed/links.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "testbed/command.h"

namespace edgetier::testbed {
namespace {

std::string fixed(double value, int decimals = 3) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  std::string text = out.str();
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

std::vector<std::string> tc(const std::string& netns, std::vector<std::string> args) {
  std::vector<std::string> argv = {"tc"};
  if (!netns.empty()) {
    argv.push_back("-n");
    argv.push_back(netns);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> ip(const std::string& netns, std::vector<std::string> args) {
  std::vector<std::string> argv = {"ip"};
  if (!netns.empty()) {
    argv.push_back("-n");
    argv.push_back(netns);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> tbf_args(const TbfParams& p) {
  return {"tbf",
          "rate",
          std::to_string(p.rate_bit) + "bit",
          "burst",
          std::to_string(p.burst_bytes),
          "limit",
          std::to_string(p.limit_bytes)};
}

}  // namespace

TbfBurstRule tbf_burst_rule(int mtu) {
  const int64_t frame = mtu + 18;  // Ethernet header + VLAN tag room
  return {2 * frame, 1.0};
}

TbfParams tbf_params(double rate_mbit, int mtu) {
  TbfParams p;
  p.rate_bit = static_cast<int64_t>(std::llround(rate_mbit * 1e6));
  const double bytes_per_s = rate_mbit * 1e6 / 8.0;
  const int64_t frame = mtu + 18;
  const TbfBurstRule rule = tbf_burst_rule(mtu);
  p.burst_bytes =
      std::max<int64_t>(rule.min_bytes, static_cast<int64_t>(bytes_per_s * rule.ms * 1e-3));
  p.limit_bytes =
      p.burst_bytes + std::max<int64_t>(8 * frame, static_cast<int64_t>(bytes_per_s * 0.1));
  return p;
}

LinkDevices link_devices(std::string_view run_id, int index) {
  LinkDevices d;
  std::string base = "et" + std::string(run_id) + "l" + std::to_string(index);
  d.up_dev = base + "a";
  d.down_dev = base + "b";
  d.up_ifb = base + "ai";
  d.down_ifb = base + "bi";
  d.up_addr = "10.77." + std::to_string(index) + ".1";
  d.down_addr = "10.77." + std::to_string(index) + ".2";
  return d;
}

Status create_veth_link(const LinkDevices& d, const std::string& up_netns,
                        const std::string& down_netns, int mtu) {
  RETURN_IF_ERROR(run_checked({"ip", "link", "add", d.up_dev, "netns", up_netns, "mtu",
                               std::to_string(mtu), "type", "veth", "peer", "name", d.down_dev,
                               "netns", down_netns, "mtu", std::to_string(mtu)}));
  const std::string prefix = "/" + std::to_string(d.prefix_len);
  RETURN_IF_ERROR(run_checked(ip(up_netns, {"addr", "add", d.up_addr + prefix, "dev", d.up_dev})));
  RETURN_IF_ERROR(
      run_checked(ip(down_netns, {"addr", "add", d.down_addr + prefix, "dev", d.down_dev})));
  RETURN_IF_ERROR(run_checked(ip(up_netns, {"link", "set", d.up_dev, "up"})));
  return run_checked(ip(down_netns, {"link", "set", d.down_dev, "up"}));
}

std::vector<std::vector<std::string>> shaping_commands(const std::string& netns,
                                                       const std::string& dev,
                                                       const std::string& ifb,
                                                       const LinkShape& shape, bool use_netem,
                                                       int mtu) {
  const TbfParams tbf = tbf_params(shape.rate_mbit, mtu);
  std::vector<std::vector<std::string>> cmds;
  if (use_netem && shape.wants_netem()) {
    std::vector<std::string> netem = {"qdisc",  "add", "dev",   dev,     "root",
                                      "handle", "1:",  "netem", "limit", "100000"};
    if (shape.delay_ms > 0 || shape.jitter_ms > 0) {
      netem.insert(netem.end(), {"delay", fixed(shape.delay_ms) + "ms"});
      if (shape.jitter_ms > 0) netem.push_back(fixed(shape.jitter_ms) + "ms");
    }
    if (shape.loss_pct > 0) netem.insert(netem.end(), {"loss", fixed(shape.loss_pct) + "%"});
    cmds.push_back(tc(netns, netem));
    std::vector<std::string> child = {"qdisc", "add", "dev", dev, "parent", "1:1", "handle", "10:"};
    auto args = tbf_args(tbf);
    child.insert(child.end(), args.begin(), args.end());
    cmds.push_back(tc(netns, child));
  } else {
    std::vector<std::string> root = {"qdisc", "add", "dev", dev, "root", "handle", "1:"};
    auto args = tbf_args(tbf);
    root.insert(root.end(), args.begin(), args.end());
    cmds.push_back(tc(netns, root));
  }
  cmds.push_back(tc(netns, {"qdisc", "add", "dev", dev, "handle", "ffff:", "ingress"}));
  // u32 "match everything": matchall is not built into every kernel, u32 is.
  cmds.push_back(
      tc(netns, {"filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all", "u32", "match",
                 "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb}));
  std::vector<std::string> ifb_root = {"qdisc", "add", "dev", ifb, "root", "handle", "1:"};
  auto args = tbf_args(tbf);
  ifb_root.insert(ifb_root.end(), args.begin(), args.end());
  cmds.push_back(tc(netns, ifb_root));
  return cmds;
}

Status shape_link_end(const std::string& netns, const std::string& dev, const std::string& ifb,
                      const LinkShape& shape, bool use_netem, int mtu) {
  if (shape.rate_mbit <= 0) return invalid_argument("link rate must be > 0 Mbit/s on " + dev);
  RETURN_IF_ERROR(
      run_checked(ip(netns, {"link", "add", ifb, "mtu", std::to_string(mtu), "type", "ifb"})));
  RETURN_IF_ERROR(run_checked(ip(netns, {"link", "set", ifb, "up"})));
  for (const auto& cmd : shaping_commands(netns, dev, ifb, shape, use_netem, mtu)) {
    RETURN_IF_ERROR(run_checked(cmd));
  }
  return ok_status();
}

Status reshape_link_end(const std::string& netns, const std::string& dev, const std::string& ifb,
                        const LinkShape& shape, bool use_netem, int mtu) {
  if (shape.rate_mbit <= 0) return invalid_argument("link rate must be > 0 Mbit/s on " + dev);
  RETURN_IF_ERROR(run_checked(tc(netns, {"qdisc", "del", "dev", dev, "root"})));
  RETURN_IF_ERROR(run_checked(tc(netns, {"qdisc", "del", "dev", dev, "ingress"})));
  RETURN_IF_ERROR(run_checked(tc(netns, {"qdisc", "del", "dev", ifb, "root"})));
  for (const auto& cmd : shaping_commands(netns, dev, ifb, shape, use_netem, mtu)) {
    RETURN_IF_ERROR(run_checked(cmd));
  }
  return ok_status();
}

Result<bool> netem_available(const std::string& netns) {
  ASSIGN_OR_RETURN(CommandOutput r,
                   run_command(tc(netns, {"qdisc", "add", "dev", "lo", "root", "handle",
                                          "1:", "netem", "delay", "1ms"})));
  if (r.exit_code != 0) return false;
  RETURN_IF_ERROR(run_checked(tc(netns, {"qdisc", "del", "dev", "lo", "root"})));
  return true;
}

Result<std::vector<std::string>> list_interfaces(const std::string& netns) {
  ASSIGN_OR_RETURN(std::string out, run_checked_output(ip(netns, {"-o", "link", "show"})));
  std::vector<std::string> names;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    // "5: eta1b2c3l0a@if4: <BROADCAST,..." -> "eta1b2c3l0a"
    size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    size_t end = line.find_first_of(":@", colon + 2);
    if (end == std::string::npos) continue;
    names.push_back(line.substr(colon + 2, end - colon - 2));
  }
  return names;
}

Result<std::string> show_qdiscs(const std::string& netns, const std::string& dev) {
  return run_checked_output(tc(netns, {"qdisc", "show", "dev", dev}));
}

Status delete_interface(const std::string& netns, const std::string& name) {
  ASSIGN_OR_RETURN(auto names, list_interfaces(netns));
  if (std::find(names.begin(), names.end(), name) == names.end()) return ok_status();
  return run_checked(ip(netns, {"link", "del", name}));
}

}  // namespace edgetier::testbed
