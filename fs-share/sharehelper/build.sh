#!/usr/bin/env bash
# Builds sharehelper, fs-share's static helper that starts virtiofsd (see main.go), from Debian's
# Go (standard library only; GOPATH mode, no module downloads).
#
#   build.sh OUTFILE   build the static binary to OUTFILE
#   build.sh --test    gofmt check + go vet
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(dirname "$here")"
[[ $# -eq 1 && -n "$1" ]] || { echo "usage: build.sh OUTFILE | build.sh --test" >&2; exit 2; }
command -v go >/dev/null 2>&1 || { echo "sharehelper: cannot build: install the Debian package golang-go" >&2; exit 1; }
export GO111MODULE=off GOPATH="$module/target/gopath" GOCACHE="$module/target/gocache" CGO_ENABLED=0 GOFLAGS=
cd "$here"
if [[ "$1" == "--test" ]]; then
  unformatted="$(gofmt -l .)"
  [[ -z "$unformatted" ]] || { echo "sharehelper: not gofmt'ed: $unformatted" >&2; exit 1; }
  go vet .
  exit 0
fi
out="$1"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
mkdir -p "$(dirname "$out")"
go build -trimpath -ldflags '-s -w' -o "$out.tmp" .
mv -f "$out.tmp" "$out"
