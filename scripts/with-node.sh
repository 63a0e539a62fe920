#!/bin/sh
# Runs the given command with Node >= 22 first on PATH.
# The project needs Node 22.19+ (undici 8, vitest 5, native TypeScript). When the node on PATH is
# older, Node 24 is installed once from the npm registry package node-<platform>-<arch>@24 into a
# cache outside the repository and used from there.
set -e
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  cache="${NPP_TEMPORAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/npp-temporal}/node24"
  pkg=$(node -p 'process.platform + "-" + process.arch' 2>/dev/null || echo linux-x64)
  bin="$cache/node_modules/node-$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    echo "with-node: node $(node -v 2>/dev/null) is older than 22; installing node-$pkg@24 into $cache" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-package-lock --loglevel=error "node-$pkg@24" >&2
  fi
  PATH="$bin:$PATH"
  export PATH
fi
[ $# -eq 0 ] || exec "$@"
