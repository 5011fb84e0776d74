#!/usr/bin/env bash
# Builds or tests vminitd, the guest's PID 1, from Debian's Go packages (GOPATH mode, no module
# downloads, static binary).
#
#   build.sh OUTFILE   build the static binary to OUTFILE (skipped when nothing changed), for
#                      GOARCH (default: the host's; e.g. GOARCH=arm64 cross-builds)
#   build.sh --test    go vet + go test ./...
#
# Works from any directory: every path is derived from this script's location.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(dirname "$here")"
proto_dir="$module/src/main/proto"
gopath="$module/target/gopath"
src="$gopath/src/vminitd"
state="$module/target/vminitd-build"
system_gopath=/usr/share/gocode

usage() { echo "usage: build.sh OUTFILE | build.sh --test" >&2; exit 2; }
[[ $# -eq 1 && -n "$1" ]] || usage
mode=build
out=""
if [[ "$1" == "--test" ]]; then mode=test; else out="$1"; fi

missing=""
for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
for pkg in google.golang.org/grpc google.golang.org/protobuf/proto golang.org/x/sys/unix; do
  [[ -d "$system_gopath/src/$pkg" ]] || missing="$missing $pkg"
done
if [[ -n "$missing" ]]; then
  echo "vminitd: cannot build (missing:$missing); install the Debian packages: golang-go golang-google-grpc-dev golang-google-protobuf-dev protoc-gen-go protoc-gen-go-grpc golang-golang-x-sys-dev protobuf-compiler" >&2
  exit 1
fi

# Everything Go and the generator see, in a stable order: the input of the up-to-date check.
inputs() {
  (cd "$here" && find . -type f \( -name '*.go' -o -name 'build.sh' \) | LC_ALL=C sort | xargs sha256sum)
  (cd "$proto_dir" && sha256sum agent.proto)
  go version
  protoc --version
  echo "GOARCH=${GOARCH:-}"
}

if [[ "$mode" == build ]]; then
  case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
  mkdir -p "$state"
  stamp="$(inputs | sha256sum | cut -d' ' -f1) $out"
  stamp_file="$state/stamp-$(basename "$out")"
  if [[ -x "$out" && -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
    exit 0
  fi
fi

# Sync the sources into the private GOPATH and generate the protocol package there.
rm -rf "$src"
mkdir -p "$src"
(cd "$here" && find . -type f -name '*.go' -print0 | while IFS= read -r -d '' f; do
  mkdir -p "$src/$(dirname "$f")"
  cp -p "$f" "$src/$f"
done)
protoc -I "$proto_dir" --go_out="$gopath/src" --go-grpc_out="$gopath/src" "$proto_dir/agent.proto"

export GO111MODULE=off
export GOPATH="$gopath:$system_gopath"
export GOCACHE="$module/target/gocache"
export CGO_ENABLED=0
export GOFLAGS=
cd "$src"

if [[ "$mode" == test ]]; then
  go vet ./...
  out_log="$(mktemp)"
  trap 'rm -f "$out_log"' EXIT
  if ! go test -count=1 ./... >"$out_log" 2>&1; then
    cat "$out_log" >&2
    exit 1
  fi
  exit 0
fi

mkdir -p "$(dirname "$out")"
go build -trimpath -ldflags '-s -w' -o "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "$stamp" >"$stamp_file"
