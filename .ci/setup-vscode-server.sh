#!/usr/bin/env bash
# Installs the server build of VS Code (npm package `code-server@4.100.3`, i.e. VS Code 1.100.3)
# into a cache folder outside the repository, for the integration tests
# (test/integration/run-in-server.ts). Works offline: only the npm registry and Debian's
# packages are needed. Recipe: docs in /work/shared/design/testing-vscode-offline.md.
#
#   .ci/setup-vscode-server.sh            # install (or reuse) and print the install path
#
# Environment:
#   ORCHESTRATE_VSCODE_CACHE   cache root (default: $HOME/.cache/orchestrate)
#   ORCHESTRATE_SKIP_APT=1     do not install missing Debian packages
#
# Idempotent: a finished install leaves a marker file and later runs return at once.
# The install is built in a temporary folder and moved into place at the end, so an
# interrupted run never leaves a half-installed copy that looks finished.
set -euo pipefail

VERSION=4.100.3
CACHE_ROOT="${ORCHESTRATE_VSCODE_CACHE:-$HOME/.cache/orchestrate}"
DEST="$CACHE_ROOT/code-server-$VERSION"
MARKER="$DEST/.orchestrate-installed"
# The native modules the extension host and the server load (kerberos is skipped: it needs
# libkrb5-dev and is only used for proxy authentication).
NATIVE_MODULES=(@parcel/watcher @vscode/spdlog native-watchdog node-pty @vscode/deviceid)

log() { echo "[setup-vscode-server] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

start=$(date +%s)

# --- Debian packages: chromium (driven by playwright-core), ripgrep (VS Code's search) ---------
apt_install() {
  [ "${ORCHESTRATE_SKIP_APT:-}" = 1 ] && die "missing Debian packages: $* (ORCHESTRATE_SKIP_APT=1)"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "missing Debian packages ($*) and not root; install them first"
    sudo=(sudo)
  fi
  log "apt-get install $*"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
if [ ! -f "$MARKER" ]; then
  # Only needed to build the native modules.
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
fi
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# --- code-server -------------------------------------------------------------------------------
if [ -f "$MARKER" ]; then
  log "code-server $VERSION already installed ($(cat "$MARKER"))"
  echo "$DEST"
  exit 0
fi

command -v node >/dev/null 2>&1 || die "node not found"
command -v npm >/dev/null 2>&1 || die "npm not found"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || die "code-server $VERSION requires Node 20 (found $(node --version))"

mkdir -p "$CACHE_ROOT"
# Serialise concurrent installs into the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.code-server-$VERSION.lock"
  flock 9
  if [ -f "$MARKER" ]; then
    log "code-server $VERSION installed by a concurrent run"
    echo "$DEST"
    exit 0
  fi
fi

# node-gyp must not download Node's headers (no internet): point it at the local ones.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ -f "$node_prefix/include/node/node.h" ]; then
    export npm_config_nodedir="$node_prefix"
  else
    log "warning: no Node headers under $node_prefix/include/node; node-gyp may try to download them"
  fi
fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-pty's build script runs `npx node-gyp`; do not let npx stop to ask.
export npm_config_yes=true

STAGE="$DEST.partial.$$"
rm -rf "$STAGE"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"
cd "$STAGE"
echo '{ "name": "orchestrate-code-server", "private": true }' > package.json

# 1. The package itself, without its postinstall (which needs --unsafe-perm as root, builds
#    kerberos and downloads ripgrep).
log "npm install code-server@$VERSION (1/6)"
npm install --ignore-scripts --no-save --loglevel=error code-server@"$VERSION" >&2

CS="$STAGE/node_modules/code-server"
VS="$CS/lib/vscode"
[ -f "$CS/out/node/entry.js" ] || die "code-server entry point missing after install"

# 2. VS Code's own dependencies (what postinstall.sh would do), again without scripts.
log "npm install in lib/vscode (2/6)"
(cd "$VS" && npm install --omit=dev --ignore-scripts --loglevel=error >&2)
# Built-in extensions' shared dependency (TypeScript for the JS/TS language features).
(cd "$VS/extensions" && npm install --omit=dev --ignore-scripts --loglevel=error >&2 \
  && node postinstall.mjs >/dev/null)

# 3. Debian's ripgrep instead of the binary @vscode/ripgrep would download.
log "ripgrep from $(command -v rg) (3/6)"
mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"
chmod +x "$VS/node_modules/@vscode/ripgrep/bin/rg"

# 4. Native modules.
log "npm rebuild ${NATIVE_MODULES[*]} (4/6)"
(cd "$VS" && npm rebuild --loglevel=error "${NATIVE_MODULES[@]}" >&2)

# 5. The links postinstall.sh makes.
log "links (5/6)"
ln -sfn node_modules "$VS/node_modules.asar"
(cd "$VS/bin/remote-cli" && ln -sfn code-linux.sh code-server)
(cd "$VS/bin/helpers" && ln -sfn browser-linux.sh browser.sh)

# 6. code-server's own native dependency (password hashing), hoisted into $STAGE/node_modules.
log "npm rebuild argon2 (6/6)"
npm rebuild --loglevel=error argon2 >&2

# Check: the native modules load and the server starts far enough to print its version.
(cd "$VS" && node -e '
  for (const m of ["@vscode/spdlog", "native-watchdog", "node-pty", "@parcel/watcher", "@vscode/deviceid"]) require(m);
') || die "a native module failed to load"
# (code-server writes a default config file and logs under XDG folders: keep them in $STAGE.)
version_out=$(XDG_CONFIG_HOME="$STAGE/.xdg/config" XDG_DATA_HOME="$STAGE/.xdg/data" \
  node "$CS/out/node/entry.js" --version 2>&1 | tail -n1)
rm -rf "$STAGE/.xdg"
case "$version_out" in
  "$VERSION"*) ;;
  *) die "code-server --version printed: $version_out" ;;
esac

echo "code-server $version_out; node $(node --version); installed $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$STAGE/.orchestrate-installed"
rm -rf "$DEST"
mv "$STAGE" "$DEST"
trap - EXIT

log "installed code-server $VERSION in $DEST ($(($(date +%s) - start))s)"
echo "$DEST"
