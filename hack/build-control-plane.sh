#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl (for the README
# quick-start test) from the k8s.io/kubernetes
# module (no network but the Go module proxy) and caches the binaries under
# $HOME/.cache/guardrail/control-plane/<version>/. The k8s.io/kubernetes
# go.mod points its staging modules at ./staging; a build from the module
# proxy needs each of them replaced by its published v0.X.Y.
#
#   hack/build-control-plane.sh            # prints the directory with the binaries
#   KUBE_VERSION=v1.37.2 hack/build-control-plane.sh
set -euo pipefail
version="${KUBE_VERSION:-v1.37.2}"
staging="v0.${version#v1.}"
out="${GUARDRAIL_CONTROL_PLANE_DIR:-$HOME/.cache/guardrail/control-plane/$version}"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/kubectl" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init guardrail.local/control-plane >/dev/null 2>&1
modfile=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -n "$modfile" ] || { echo "cannot download k8s.io/kubernetes@$version" >&2; exit 1; }
{
  echo "require k8s.io/kubernetes $version"
  grep -E '^\s*k8s.io/[a-z0-9-]+ => ./staging' "$modfile" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
} >> go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
GOFLAGS=-mod=mod go mod tidy >&2
for cmd in kube-apiserver kube-controller-manager kubectl; do
  [ -x "$out/$cmd" ] && continue
  echo "building $cmd $version (several minutes on 2 cores)" >&2
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
  mv "$out/$cmd.tmp" "$out/$cmd"
done
echo "$out"
