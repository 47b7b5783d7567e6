/// The namespace backend: one network namespace and cgroup (CPU quota, memory limit) per tier,
/// a veth pair per link shaped both ways by tc (tbf, netem where the kernel has it). Needs root.
#include <unistd.h>

#include <algorithm>

#include "core/log.h"
#include "testbed/cgroups.h"
#include "testbed/links.h"
#include "testbed/local_backend.h"
#include "testbed/netns.h"

namespace edgetier::testbed {
namespace {

class NamespaceBackend : public LocalBackend {
 public:
  TestbedMode mode() const override { return TestbedMode::kNamespaces; }

 protected:
  Status check_preconditions() const override {
    if (::geteuid() == 0) return ok_status();
    return permission_denied(
        "the kernel testbed (namespaces, tc, cgroups) needs root; run as root or pass --userspace");
  }

  void plan_network(TestbedState* state) const override {
    for (auto& tier : state->tiers) tier.netns = netns_name(state->run_id, tier.name);
    for (size_t i = 0; i < state->links.size(); ++i) {
      LinkRecord& link = state->links[i];
      LinkDevices d = link_devices(state->run_id, static_cast<int>(i));
      link.from_addr = d.up_addr;
      link.to_addr = d.down_addr;
      link.devices = {d.up_dev, d.down_dev, d.up_ifb, d.down_ifb};
      link.shaping = "tc";
    }
  }

  Status create_network(const TestbedConfig& config, const UpOptions& options,
                        TestbedState* state) const override {
    CgroupLayout layout = detect_cgroup_layout();
    if (!layout.usable()) {
      return failed_precondition("cannot enforce CPU/memory limits: " + layout.problem +
                                 "; use --userspace to run without limits");
    }
    state->cpu_cgroup = std::string(cgroup_version_name(layout.cpu.version));
    state->memory_cgroup = std::string(cgroup_version_name(layout.memory.version));
    state->mtu = kLinkMtu;
    for (auto& tier : state->tiers) {
      LOG_INFO << "testbed " << state->run_id << ": namespace " << tier.netns;
      RETURN_IF_ERROR(create_netns(tier.netns));
      RETURN_IF_ERROR(check_cancel(options, "creating namespaces"));
    }
    for (auto& tier : state->tiers) {
      CgroupLimits limits{tier.cpus, config.cpu_period_us, tier.memory_bytes};
      ASSIGN_OR_RETURN(tier.cgroup,
                       create_cgroup(layout, cgroup_name(state->run_id, tier.name), limits));
      RETURN_IF_ERROR(write_state(options.state_dir, *state));
    }
    const bool wants_netem =
        std::any_of(config.links.begin(), config.links.end(),
                    [](const LinkSpec& l) { return l.emulates_delay_or_loss(); });
    bool netem = false;
    if (wants_netem) {
      ASSIGN_OR_RETURN(netem, netem_available(state->tiers.front().netns));
    }
    for (size_t i = 0; i < state->links.size(); ++i) {
      LinkRecord& link = state->links[i];
      LinkShape shape{link.rate_mbit, link.delay_ms, link.jitter_ms, link.loss_pct};
      link.delay_emulation = !shape.wants_netem() ? "none" : netem ? "netem" : "userspace";
      if (shape.wants_netem() && !netem) {
        state->warnings.push_back(
            "link " + link.name() + ": this kernel has no netem qdisc, so its delay/jitter/loss " +
            "are emulated in user space by the tiers' forwarders (delay_emulation=userspace)");
        LOG_WARN << state->warnings.back();
      }
      RETURN_IF_ERROR(write_state(options.state_dir, *state));
      LinkDevices d = link_devices(state->run_id, static_cast<int>(i));
      const std::string& up_ns = state->tiers[i].netns;
      const std::string& down_ns = state->tiers[i + 1].netns;
      LOG_INFO << "testbed " << state->run_id << ": link " << link.name() << " " << d.up_dev << " "
               << d.up_addr << " <-> " << d.down_dev << " " << d.down_addr << " at "
               << link.rate_mbit << " Mbit/s";
      RETURN_IF_ERROR(create_veth_link(d, up_ns, down_ns));
      RETURN_IF_ERROR(shape_link_end(up_ns, d.up_dev, d.up_ifb, shape, netem));
      RETURN_IF_ERROR(shape_link_end(down_ns, d.down_dev, d.down_ifb, shape, netem));
      RETURN_IF_ERROR(check_cancel(options, "creating links"));
    }
    // What the upstream neighbour dials: the downstream end of the link towards the client.
    for (size_t i = 0; i < state->tiers.size(); ++i) {
      std::string addr = i > 0 ? state->links[i - 1].to_addr
                               : (state->links.empty() ? "127.0.0.1" : state->links[0].from_addr);
      state->tiers[i].listen = addr + ":" + std::to_string(config.port);
    }
    return write_state(options.state_dir, *state);
  }

  Status reshape_network(const std::vector<LinkSpec>& links, TestbedState* state) const override {
    const bool wants_netem = std::any_of(links.begin(), links.end(), [](const LinkSpec& l) {
      return l.emulates_delay_or_loss();
    });
    bool netem = false;
    if (wants_netem && !state->tiers.empty()) {
      ASSIGN_OR_RETURN(netem, netem_available(state->tiers.front().netns));
    }
    const std::string refusal = reshape_refusal(state->links, links, netem);
    if (!refusal.empty()) return unimplemented("cannot re-shape the links in place: " + refusal);
    for (size_t i = 0; i < links.size(); ++i) {
      LinkRecord& link = state->links[i];
      const LinkSpec& next = links[i];
      link.rate_mbit = next.rate_mbit;
      link.delay_ms = next.delay_ms;
      link.jitter_ms = next.jitter_ms;
      link.loss_pct = next.loss_pct;
      link.delay_emulation = next.emulates_delay_or_loss() ? "netem" : "none";
      link.probe.reset();
      const LinkShape shape{link.rate_mbit, link.delay_ms, link.jitter_ms, link.loss_pct};
      const LinkDevices d = link_devices(state->run_id, static_cast<int>(i));
      LOG_INFO << "testbed " << state->run_id << ": link " << link.name() << " re-shaped to "
               << link.rate_mbit << " Mbit/s";
      RETURN_IF_ERROR(reshape_link_end(state->tiers[i].netns, d.up_dev, d.up_ifb, shape, netem));
      RETURN_IF_ERROR(
          reshape_link_end(state->tiers[i + 1].netns, d.down_dev, d.down_ifb, shape, netem));
    }
    return ok_status();
  }
};

}  // namespace

std::unique_ptr<TestbedBackend> make_namespace_backend() {
  return std::make_unique<NamespaceBackend>();
}

}  // namespace edgetier::testbed
