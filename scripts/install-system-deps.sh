#!/usr/bin/env bash
# Installs the Debian packages the test suite uses. Needs root (CI runs as root); a no-op when all
# packages are already present.
set -euo pipefail
packages=(
  python3 python3-grpcio python3-grpc-tools python3-protobuf python3-cryptography python3-pkg-resources
  python3-numpy python3-sklearn python3-xgboost python3-skimage python3-pil
  python3-openssl python3-toml openssl
  clang lld
  postgresql
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run this script as root to install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
