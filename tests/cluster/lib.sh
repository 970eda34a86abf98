# shellcheck shell=bash
# Shared settings and helpers for tests/cluster/{build,up,down,verify}.
# Sourced, never run. See tests/cluster/README.md.

CLUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Pinned versions (the go.mod/go.sum files under tools/ pin the same ones).
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
KWOK_VERSION=v0.8.0
# Bump to force a rebuild when the build recipe changes in a way that the
# hashed files (go.mod, go.sum, Go sources, patches) do not show.
BUILD_REV=1

# The binaries `build` produces, all in one bin directory.
CLUSTER_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd
  kwok kwokctl switchyard-podwatch)

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE_ROOT="${SWITCHYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}/cluster"
STATE_DIR="${SWITCHYARD_CLUSTER_STATE:-$CACHE_ROOT/state}"
# kwokctl's own home (KWOK_WORKDIR): clusters/<name>/{pids,logs,pki,etcd,...}
KWOK_HOME="$STATE_DIR/kwok"

# The environment the control plane (and so every command run through
# `kubectl exec`) starts with: nothing from the caller's environment.
# shellcheck disable=SC2034 # used by the scripts that source this file
CLUSTER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[tests/cluster] %s\n' "$*" >&2; }
die() {
  printf '[tests/cluster] ERROR: %s\n' "$*" >&2
  exit 1
}

# version_key: names the cache directory of one set of binaries. It changes
# whenever anything that goes into them changes.
version_key() {
  local h
  h=$(
    cd "$CLUSTER_ROOT" &&
      {
        echo "$BUILD_REV $K8S_VERSION $ETCD_VERSION $KWOK_VERSION"
        cat tools/k8s/go.mod tools/k8s/go.sum tools/k8s/etcd/*.go \
          tools/kwok/go.mod tools/kwok/go.sum tools/kwok/podwatch/*.go tools/kwok/patches/*.patch
      } | sha256sum | cut -c1-12
  )
  echo "k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${h}"
}

key_dir() { echo "$CACHE_ROOT/$(version_key)"; }

binaries_complete() { # DIR
  local b
  [[ -f "$1/.complete" ]] || return 1
  for b in "${CLUSTER_BINARIES[@]}"; do
    [[ -x "$1/bin/$b" ]] || return 1
  done
}

valid_cluster_name() {
  [[ "$1" =~ ^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$ ]]
}

pid_alive() { [[ -n "${1:-}" && -d "/proc/$1" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# pid_is_ours PID: the process runs one of our binaries (its executable lives
# in the cache dir) or was started from our state dir. Guards against
# killing an unrelated process that reused a recorded pid.
pid_is_ours() {
  local pid=$1 exe arg0
  pid_alive "$pid" || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  arg0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n1 || true)
  [[ "$exe" == "$CACHE_ROOT"/* || "$arg0" == "$STATE_DIR"/* || "$arg0" == "$CACHE_ROOT"/* ]]
}

# pids_under DIR...: processes whose working directory is inside one of the
# DIRs (control-plane components run in kwokctl's cluster dir; commands run
# through `kubectl exec` run in their pod's workspace dir).
pids_under() {
  local p cwd d
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
    for d in "$@"; do
      if [[ "$cwd" == "$d" || "$cwd" == "$d"/* ]]; then
        echo "$p"
        break
      fi
    done
  done
}

# stop_cluster NAME: stops every process `up` started for cluster NAME (by
# the pids recorded in the state dir, plus anything still running inside
# its directories, e.g. a background job left by `kubectl exec`) and removes
# the cluster's state. Safe when nothing runs.
stop_cluster() {
  local name=$1 cdir="$STATE_DIR/clusters/$1" kdir="$KWOK_HOME/clusters/$1"
  local -a pids=() groups=()
  local f pid i
  for f in "$cdir/podwatch.pid" "$kdir"/pids/*.pid; do
    [[ -f "$f" ]] || continue
    pid=$(tr -dc '0-9' <"$f")
    if pid_is_ours "$pid"; then
      pids+=("$pid")
      # Components run in their own session (setsid); kill the process group
      # too, so children of kwok-controller (exec'd commands) die with it.
      if [[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$pid" ]]; then
        groups+=("-$pid")
      fi
    fi
  done
  if ((${#pids[@]})); then
    log "stopping cluster '$name' (pids ${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    ((${#groups[@]})) && kill -TERM -- "${groups[@]}" 2>/dev/null || true
    # kube-apiserver takes ~15s to shut down gracefully; nothing here needs
    # that (the state is deleted next), so give everything 1s, then SIGKILL.
    for ((i = 0; i < 10; i++)); do
      local alive=0
      for pid in "${pids[@]}"; do pid_alive "$pid" && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    for pid in "${pids[@]}"; do pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
    ((${#groups[@]})) && kill -KILL -- "${groups[@]}" 2>/dev/null || true
  fi
  # Anything left running in the cluster's directories (e.g. a command that
  # `kubectl exec` started with setsid/nohup) goes too.
  local -a rest
  for i in 1 2 3; do
    mapfile -t rest < <(pids_under "$cdir" "$kdir")
    ((${#rest[@]})) || break
    log "killing leftover processes in cluster '$name' dirs: ${rest[*]}"
    kill -KILL "${rest[@]}" 2>/dev/null || true
    sleep 0.2
  done
  rm -rf "$cdir" "$kdir"
}

# list_clusters: names of clusters that have state.
list_clusters() {
  local d
  for d in "$STATE_DIR"/clusters/*/ "$KWOK_HOME"/clusters/*/; do
    [[ -d "$d" ]] && basename "$d"
  done | sort -u
}

# write_kubeconfig BIN [FIRST]: one kubeconfig with every cluster that is up,
# context name = cluster name; current-context FIRST (or the first one).
write_kubeconfig() {
  local bin=$1 first=${2:-} n list="" tmp
  local -a names=()
  for n in $(list_clusters); do
    [[ -f "$STATE_DIR/clusters/$n/kubeconfig" ]] || continue
    names+=("$n")
    list="${list:+$list:}$STATE_DIR/clusters/$n/kubeconfig"
  done
  if ((${#names[@]} == 0)); then
    rm -f "$STATE_DIR/kubeconfig"
    return 0
  fi
  [[ -n "$first" ]] || first=${names[0]}
  tmp="$STATE_DIR/kubeconfig.tmp.$$"
  KUBECONFIG="$list" "$bin/kubectl" config view --flatten >"$tmp"
  "$bin/kubectl" --kubeconfig "$tmp" config use-context "$first" >/dev/null
  chmod 600 "$tmp"
  mv -f "$tmp" "$STATE_DIR/kubeconfig"
}

# exec_clean CMD...: exec CMD with only stdin, stdout and stderr open. Every
# long-running process `up` starts goes through this, so that none of them
# keeps the caller's other descriptors (our lock, a CI runner's or a
# terminal tool's pipes) open after `up` returns.
exec_clean() {
  local fd
  for fd in "/proc/$BASHPID/fd"/*; do
    fd=${fd##*/}
    if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then
      eval "exec $fd>&-" 2>/dev/null || true
    fi
  done
  exec "$@"
}

# lock_state: one up/down at a time per state dir (fd 8 held until exit).
lock_state() {
  mkdir -p "$STATE_DIR"
  exec 8>"$STATE_DIR/.lock"
  if ! flock -w 900 8; then
    die "another tests/cluster up/down holds $STATE_DIR/.lock for 15 minutes; is one stuck? (see its pid with: fuser $STATE_DIR/.lock)"
  fi
}
