/// Tests for the /proc parsers: mountinfo escapes, cgroup lines and status sizes.
#include "core/procfs.h"

#include <gtest/gtest.h>

namespace edgetier {
namespace {

TEST(Procfs, UnescapesOctalInMountPoints) {
  EXPECT_EQ(unescape_mountinfo("/mnt/my\\040disk"), "/mnt/my disk");
  EXPECT_EQ(unescape_mountinfo("a\\011b\\134c\\012"), "a\tb\\c\n");
  EXPECT_EQ(unescape_mountinfo("plain\\0"), "plain\\0");  // too short: kept as is
  EXPECT_EQ(unescape_mountinfo("\\999"), "\\999");        // not octal
}

TEST(Procfs, ParsesAnEscapedCgroupMountPoint) {
  const std::string mountinfo =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "30 22 0:26 / /sys/fs/cgroup\\040v2 rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
      "31 22 0:27 /sub /tmp/cg\\040v1/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
      "garbage line\n";
  auto all = parse_mountinfo(mountinfo);
  ASSERT_EQ(all.size(), 3u);
  auto mounts = parse_cgroup_mounts(mountinfo);
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup v2");
  EXPECT_EQ(mounts[0].fs_type, "cgroup2");
  EXPECT_EQ(mounts[1].mount_point, "/tmp/cg v1/cpu");
  EXPECT_EQ(mounts[1].root, "/sub");
  EXPECT_TRUE(mounts[1].has_super_option("cpu"));
  EXPECT_FALSE(mounts[1].has_super_option("memory"));
  EXPECT_EQ(cgroup_dir_under_mount(mounts[1], "/sub/a/b"), "/tmp/cg v1/cpu/a/b");
  EXPECT_EQ(cgroup_dir_under_mount(mounts[1], "/other"), "");
  EXPECT_EQ(cgroup_dir_under_mount(mounts[0], "/"), "/sys/fs/cgroup v2");
}

TEST(Procfs, ParsesProcCgroupLines) {
  auto entries = parse_proc_cgroup("4:memory:/m\n3:cpu,cpuacct:/c\n0::/unified\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(proc_cgroup_path(entries, ""), "/unified");
  EXPECT_EQ(proc_cgroup_path(entries, "cpu"), "/c");
  EXPECT_EQ(proc_cgroup_path(entries, "memory"), "/m");
  EXPECT_EQ(proc_cgroup_path(entries, "pids"), "");
}

TEST(Procfs, ReadsStatusSizes) {
  const std::string status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
  EXPECT_EQ(proc_status_bytes(status, "VmRSS"), 1024 * 1024);
  EXPECT_EQ(proc_status_bytes(status, "VmHWM"), 2048 * 1024);
  EXPECT_EQ(proc_status_bytes(status, "VmSwap"), -1);
}

TEST(Procfs, CpuModelFromX86OrArmCpuinfo) {
  EXPECT_EQ(cpuinfo_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"),
            "AMD EPYC 7B13");
  // ARM boards name the board instead of the core.
  EXPECT_EQ(cpuinfo_model("processor\t: 0\nBogoMIPS\t: 108.00\nModel\t\t: Raspberry Pi 4 "
                          "Model B Rev 1.4\n"),
            "Raspberry Pi 4 Model B Rev 1.4");
  EXPECT_EQ(cpuinfo_model("processor\t: 0\n"), "");
  EXPECT_FALSE(read_cpu_model().empty());
  EXPECT_GT(read_memory_total_bytes(), 0);
}

TEST(Procfs, Int8DotProductSaturatesOnX86WithoutVnni) {
  // AMD EPYC (Zen 3): AVX2, no VNNI; ONNX Runtime's u8 x s8 kernels add pairs into 16 bits.
  EXPECT_TRUE(cpuinfo_int8_dot_saturates(
      "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 sse4_1 avx avx2 vaes\n"));
  // Skylake-SP: AVX-512 without VNNI saturates too.
  EXPECT_TRUE(cpuinfo_int8_dot_saturates("flags\t: sse2 avx2 avx512f avx512bw\n"));
  EXPECT_FALSE(cpuinfo_int8_dot_saturates("flags\t: sse2 avx2 avx512f avx512_vnni\n"));
  EXPECT_FALSE(cpuinfo_int8_dot_saturates("flags\t: sse2 avx2 avx_vnni\n"));
  // A flag whose name only contains "avx512_vnni" is not it.
  EXPECT_TRUE(cpuinfo_int8_dot_saturates("flags\t: sse2 avx2 avx512_vnnix\n"));
  // ARM lists Features (its dot products accumulate in 32 bits); no flags at all: not x86.
  EXPECT_FALSE(cpuinfo_int8_dot_saturates("processor\t: 0\nFeatures\t: fp asimd asimddp\n"));
  EXPECT_FALSE(cpuinfo_int8_dot_saturates(""));
  // This machine's answer is the one its own /proc/cpuinfo gives.
  EXPECT_EQ(this_cpu_int8_dot_saturates(),
            cpuinfo_int8_dot_saturates(read_proc_text("/proc/cpuinfo")));
}

}  // namespace
}  // namespace edgetier
