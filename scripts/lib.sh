# Shared set-up for Switchyard's scripts: sourced, not run.
# Installs what is missing (Debian/Ubuntu) and sets up the Rust build cache.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# Everything Switchyard's scripts build or install outside the clone: the Rust
# target dir, the local control plane, tauri-driver, the test venv.
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
export SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the build needs (engine, CLI and the desktop app).
APT_PACKAGES=(build-essential pkg-config git mold curl file xdg-utils
    libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev libgtk-3-dev)
# ...and the tests: a display, a session bus, WebDriver for WebKit, a venv.
TEST_APT_PACKAGES=(xvfb xauth webkit2gtk-driver dbus at-spi2-core python3-venv
    gnome-keyring lintian rpm desktop-file-utils man-db prometheus)

install_missing_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them; install them by hand"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    say "installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_rust() {
    command -v cargo >/dev/null || die "cargo is not installed; install Rust with rustup (https://rustup.rs), then run this again"
    local v
    v="$(rustc --version | awk '{print $2}')"
    # Edition 2024 needs Rust 1.85; the code uses 1.89 features.
    if [ "$(printf '%s\n1.89.0\n' "$v" | sort -V | head -1)" != "1.89.0" ]; then
        die "Rust $v is too old; Switchyard needs 1.89 or newer (rustup update stable)"
    fi
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy
}

setup_build_env() {
    # Builds are slow on small machines: keep them outside the clone so a
    # fresh clone (and CI on the same machine) reuses them.
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SWITCHYARD_CACHE/target}"
    if command -v mold >/dev/null; then
        export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS:--C link-arg=-fuse-ld=mold}"
    fi
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
}

check_node() {
    if ! command -v npm >/dev/null; then
        install_missing_packages nodejs npm
    fi
    local v
    v="$(node --version | sed 's/^v//; s/\..*//')"
    [ "$v" -ge 20 ] || die "Node.js $(node --version) is too old; the UI's build tools need Node.js 20.19 or newer"
}

# Go builds the local Kubernetes control plane the tests use (never the product).
check_go() {
    if ! command -v go >/dev/null; then
        install_missing_packages golang-go
        # Debian's Go is older than the control plane needs; the go command
        # fetches the right toolchain through the module proxy.
        export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.26.8}"
    fi
}

# Builds the UI (ui/dist), which the desktop binary embeds.
build_ui() {
    say "building the UI"
    ( cd "$ROOT/ui" && install_ui_deps && npm run build )
}

# npm ci, only when the lockfile changed since the last install.
install_ui_deps() {
    if ! cmp -s package-lock.json node_modules/.switchyard-lock 2>/dev/null; then
        npm ci --no-audit --no-fund
        cp package-lock.json node_modules/.switchyard-lock
    fi
}

# Re-runs the calling script under scripts/reap, which stops every process
# the script left behind (by pid) when it ends, whether it passed, failed,
# errored or was interrupted. Call before starting anything.
run_under_reaper() {
    [ -n "${SWITCHYARD_REAPER:-}" ] && return 0
    command -v python3 >/dev/null || install_missing_packages python3
    export SWITCHYARD_REAPER=$$
    exec python3 "$ROOT/scripts/reap" "$0" "$@"
}

# require_binary PATH WHAT: fails with a clear message when a build that
# should have produced PATH did not.
require_binary() {
    [ -x "$1" ] || die "$2 is missing: expected the built binary at $1 (was its build step skipped?)"
}

# Installs tauri-driver (the WebDriver server for Tauri apps) into the
# Switchyard tool cache once, and puts it on PATH.
install_tauri_driver() {
    local root="$SWITCHYARD_CACHE/tools"
    if [ ! -x "$root/bin/tauri-driver" ]; then
        say "installing tauri-driver into $root (about 2 minutes, once)"
        cargo install --locked --root "$root" tauri-driver --version '^2'
    fi
    export PATH="$root/bin:$PATH"
}

prepare() {
    install_missing_packages "${APT_PACKAGES[@]}"
    check_rust
    check_node
    setup_build_env
}
