/// Emulated links between tier namespaces: a veth pair with private addresses, each end shaped
/// with tbf on egress and, through an ifb device, on ingress (as the study did); netem adds
/// delay/jitter/loss where the kernel has it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

/// MTU of our veth and ifb devices: large frames keep header overhead (~0.7%) out of the
/// achieved payload rate while tbf bursts stay small (GSO packets are split by tbf).
constexpr int kLinkMtu = 9000;

struct LinkShape {
  double rate_mbit = 0;  // each direction
  double delay_ms = 0;   // one way
  double jitter_ms = 0;
  double loss_pct = 0;
  bool wants_netem() const { return delay_ms > 0 || jitter_ms > 0 || loss_pct > 0; }
};

struct TbfParams {
  int64_t rate_bit = 0;  // bits per second
  int64_t burst_bytes = 0;
  int64_t limit_bytes = 0;  // queue length in bytes (includes the burst)
};
/// The bucket rule: max(min_bytes, ms of data at the rate). The store records it with each link
/// so that the planner knows the bucket at rates that were never measured.
struct TbfBurstRule {
  int64_t min_bytes = 0;
  double ms = 0;
};
TbfBurstRule tbf_burst_rule(int mtu = kLinkMtu);  // {2 frames, 1 ms}
/// Bucket of tbf_burst_rule, queue of max(100 ms at the rate, 8 frames) on top.
TbfParams tbf_params(double rate_mbit, int mtu = kLinkMtu);

/// Device names and addresses of link number `index` of run `run_id`: the upstream end
/// "et<run>l<i>a" (10.77.<i>.1), the downstream end "et<run>l<i>b" (10.77.<i>.2), and their ifb
/// devices "et<run>l<i>ai" / "et<run>l<i>bi" (all <= 15 characters for a 6-character run id).
struct LinkDevices {
  std::string up_dev;
  std::string down_dev;
  std::string up_ifb;
  std::string down_ifb;
  std::string up_addr;
  std::string down_addr;
  int prefix_len = 24;
};
LinkDevices link_devices(std::string_view run_id, int index);

/// Creates the veth pair directly inside the two namespaces (nothing appears in the root
/// namespace), sets the MTU, addresses and brings both ends up.
Status create_veth_link(const LinkDevices& devices, const std::string& up_netns,
                        const std::string& down_netns, int mtu = kLinkMtu);

/// The tc commands (argument vectors) that shape one end `dev` in `netns`: root tbf (or netem
/// with a tbf child when `use_netem`), an ingress qdisc with a u32 catch-all filter redirecting
/// to `ifb`, and a tbf on `ifb`. Delay/jitter/loss are applied on egress only, once per direction.
std::vector<std::vector<std::string>> shaping_commands(const std::string& netns,
                                                       const std::string& dev,
                                                       const std::string& ifb,
                                                       const LinkShape& shape, bool use_netem,
                                                       int mtu = kLinkMtu);
/// Creates `ifb` in `netns` and runs shaping_commands.
Status shape_link_end(const std::string& netns, const std::string& dev, const std::string& ifb,
                      const LinkShape& shape, bool use_netem, int mtu = kLinkMtu);

/// Replaces the shaping of an end shape_link_end made (its ifb stays): the old root and
/// ingress qdiscs of `dev` and the root of `ifb` are deleted, then shaping_commands run again.
Status reshape_link_end(const std::string& netns, const std::string& dev, const std::string& ifb,
                        const LinkShape& shape, bool use_netem, int mtu = kLinkMtu);

/// Whether `tc qdisc add ... netem` works: tried on the loopback of `netns` and removed again.
Result<bool> netem_available(const std::string& netns);

/// Interface names in `netns` (empty: the current namespace), without the "@peer" suffix.
Result<std::vector<std::string>> list_interfaces(const std::string& netns);
/// Qdisc lines of `dev` in `netns` (`tc qdisc show dev`), for checks and status.
Result<std::string> show_qdiscs(const std::string& netns, const std::string& dev);
/// `ip link del NAME` in `netns` (empty: current); OK when it does not exist.
Status delete_interface(const std::string& netns, const std::string& name);

}  // namespace edgetier::testbed
