#!/usr/bin/env bash
## Installs edgetier's build/run dependencies idempotently: Debian packages and ONNX Runtime
## (headers from Debian trixie's libonnxruntime-dev, library from npm's onnxruntime-node),
## pinned and sha256-verified, into the git-ignored folder third_party/ort; and the Vega charting
## libraries the HTML report inlines (npm, pinned, sha256-verified) into third_party/vega.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
ort_dir="${EDGETIER_DEPS_DIR:-$root/third_party}/ort"

# Debian packages the build, the tests and the testbed need.
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libonnx-dev protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev libboost-math-dev libssl-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 iptables procps ccache
)
# Extra packages only the tests need: a headless browser for the report test, Debian's
# torch and torchvision to export the public architectures the quick zoo tests run
# (scripts/export_torchvision.py, run with /usr/bin/python3), Debian's grpcio and grpc-tools for
# the independent KServe v2 server the foreign-tier tests run (tests/tier/kserve), and clang with its libFuzzer and
# sanitizer runtimes for `make fuzz`.
if [[ "${EDGETIER_WITH_TEST_DEPS:-0}" == 1 ]]; then
  packages+=(chromium python3-torch python3-torchvision python3-grpcio python3-grpc-tools clang-14 libclang-rt-14-dev)
fi

ORT_HDR_DEB_VERSION="1.21.0+dfsg-1"
ORT_HDR_DEB_SHA256="14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08"
ORT_NPM_VERSION="1.30.0"
ORT_SO_SHA256="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"

log() { printf 'setup-deps: %s\n' "$*"; }
die() { printf 'setup-deps: error: %s\n' "$*" >&2; exit 1; }

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "not root and no sudo; install: ${packages[*]}"
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "all ${#packages[@]} Debian packages already installed; nothing to install"
else
  log "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm may come from Debian or from a Node.js distribution; only install Debian's when absent.
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends npm
fi

sha_ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

# --- Vega charting libraries for the HTML report (inlined into every report, so it works offline).
# Pinned npm tarballs, sha256-verified, kept in the git-ignored third_party/vega together with the
# minified browser bundles CMake embeds into the binary. Nothing is fetched when they are present.
vega_dir="${EDGETIER_DEPS_DIR:-$root/third_party}/vega"
vega_pkgs=(
  "vega 5.33.0 7b61f992d1a1e196e7f2eeb3d6176e5694949d0d4bbfea237a842d523dd6e1f3"
  "vega-lite 5.23.0 e4cbfdd8f6f1abe381c59cd558fd6a559c12b1496bfdf2e0c3295263a40fe4da"
  "vega-embed 6.29.0 ecf1ee709c2bac9e0a4ead6908114b05b62c71493e10a8a4308109bb070f8eb1"
)
mkdir -p "$vega_dir"
for entry in "${vega_pkgs[@]}"; do
  read -r name version sha <<<"$entry"
  tgz="$vega_dir/$name-$version.tgz"
  if sha_ok "$tgz" "$sha" && [[ -f "$vega_dir/$name.min.js" ]]; then
    log "$name@$version already in $vega_dir; nothing to fetch"
    continue
  fi
  if ! sha_ok "$tgz" "$sha"; then
    log "fetching $name@$version from npm"
    (cd "$vega_dir" && npm pack --silent "$name@$version" >/dev/null)
    sha_ok "$tgz" "$sha" || die "sha256 mismatch for $tgz (expected $sha)"
  fi
  tar -xzf "$tgz" -O "package/build/$name.min.js" > "$vega_dir/$name.min.js.tmp"
  mv "$vega_dir/$name.min.js.tmp" "$vega_dir/$name.min.js"
done

if [[ -n "${EDGETIER_ORT_ROOT:-}" ]]; then
  log "using ONNX Runtime from EDGETIER_ORT_ROOT=$EDGETIER_ORT_ROOT; not fetching"
  exit 0
fi

hdr="$ort_dir/include/onnxruntime_cxx_api.h"
lib="$ort_dir/lib/libonnxruntime.so.1"
if [[ -f "$hdr" ]] && sha_ok "$lib" "$ORT_SO_SHA256"; then
  log "ONNX Runtime already in $ort_dir (headers ${ORT_HDR_DEB_VERSION}, library ${ORT_NPM_VERSION}); nothing to fetch"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$ort_dir/include" "$ort_dir/lib"

# Headers: download the trixie .deb without adding trixie to the system's sources.
log "fetching libonnxruntime-dev ${ORT_HDR_DEB_VERSION} headers from Debian trixie"
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
echo "deb http://deb.debian.org/debian trixie main" > "$work/trixie.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/trixie.list" -o "Dir::Etc::SourceParts=/nonexistent"
          -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
          -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" download "libonnxruntime-dev=${ORT_HDR_DEB_VERSION}" >/dev/null)
deb="$(ls "$work"/libonnxruntime-dev_*.deb)"
sha_ok "$deb" "$ORT_HDR_DEB_SHA256" || die "sha256 mismatch for $deb (expected $ORT_HDR_DEB_SHA256)"
dpkg -x "$deb" "$work/deb"
hdr_src="$(dirname "$(find "$work/deb" -name onnxruntime_cxx_api.h | head -n1)")"
[[ -d "$hdr_src" ]] || die "onnxruntime_cxx_api.h not found in $deb"
cp -r "$hdr_src"/. "$ort_dir/include/"

# Library: the official build shipped inside npm's onnxruntime-node (no install scripts run).
log "fetching onnxruntime-node@${ORT_NPM_VERSION} from npm"
(cd "$work" && npm pack --silent "onnxruntime-node@${ORT_NPM_VERSION}" >/dev/null)
tar -xzf "$work/onnxruntime-node-${ORT_NPM_VERSION}.tgz" -C "$work" package/bin/napi-v6/linux/x64
so="$work/package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
sha_ok "$so" "$ORT_SO_SHA256" || die "sha256 mismatch for $so (expected $ORT_SO_SHA256)"
cp "$so" "$lib"
ln -sf libonnxruntime.so.1 "$ort_dir/lib/libonnxruntime.so"
log "ONNX Runtime ready in $ort_dir"
