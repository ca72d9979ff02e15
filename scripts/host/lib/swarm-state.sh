# shellcheck shell=bash
# The swarm lab's settings, paths and state file. Sourced by swarm-lab.sh after
# common.sh, never run.

LAB_DATA=/var/lib/probe-lab
LAB_RUN=/run/probe-lab
LAB_STATE=$LAB_RUN/state
LAB_LOG_PREFIX=/var/log/probe-lab-

# --- the state file: key=value lines, rewritten atomically ---------------------

state_get() {
  [[ -f $LAB_STATE ]] || return 0
  sed -n "s/^$1=//p" "$LAB_STATE" | tail -n 1
}

state_set() {
  mkdir -p "$LAB_RUN"
  chmod 700 "$LAB_RUN"
  {
    [[ ! -f $LAB_STATE ]] || grep -v "^$1=" "$LAB_STATE" || true
    printf '%s=%s\n' "$1" "$2"
  } >"$LAB_STATE.tmp"
  mv "$LAB_STATE.tmp" "$LAB_STATE"
}

# --- settings ------------------------------------------------------------------

# shellcheck disable=SC2034 # the other swarm-*.sh read these
# Reads the settings from the environment; once a lab is up, the state file's
# copy wins, so `down` removes what `up` made even when the environment changed.
load_settings() {
  LAB_NODES=${PROBE_LAB_NODES:-probe-w1 probe-w2}
  LAB_BRIDGE=${PROBE_LAB_BRIDGE:-probe-br0}
  LAB_SUBNET=${PROBE_LAB_SUBNET:-10.203.0.0/24}
  LAB_SWARM_POOL=${PROBE_LAB_SWARM_POOL:-10.202.0.0/16}
  LAB_WORKER_POOL=${PROBE_LAB_WORKER_POOL:-10.204.0.0/16}
  LAB_IMAGES=${PROBE_LAB_IMAGES:-probe/demo-shop:1 probe/demo-redis:1}
  local key var saved
  for key in nodes bridge subnet swarm_pool worker_pool; do
    var=LAB_${key^^}
    saved=$(state_get "$key")
    [[ -n $saved ]] || continue
    if [[ $saved != "${!var}" ]]; then
      info "the lab was built with $key '$saved': using that, not '${!var}'"
      printf -v "$var" '%s' "$saved"
    fi
  done
  validate_settings
}

validate_settings() {
  local n
  read -r -a NODES <<<"$LAB_NODES"
  ((${#NODES[@]} >= 1)) || die 'PROBE_LAB_NODES is empty'
  for n in "${NODES[@]}"; do
    [[ $n =~ ^[a-z][a-z0-9-]{0,14}$ ]] ||
      die "node name '$n' must be a lower-case name of at most 15 characters (it names a network namespace)"
  done
  [[ $LAB_BRIDGE =~ ^[a-z][a-z0-9-]{0,10}$ ]] ||
    die "bridge name '$LAB_BRIDGE' must be a lower-case name of at most 11 characters"
  [[ $LAB_SUBNET =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/24$ ]] ||
    die "PROBE_LAB_SUBNET '$LAB_SUBNET' must be a /24 such as 10.203.0.0/24"
  LAB_PREFIX=${BASH_REMATCH[1]}
  ((${#NODES[@]} <= 200)) || die 'at most 200 worker nodes fit in the lab /24'
  local pool
  for pool in "$LAB_SWARM_POOL" "$LAB_WORKER_POOL"; do
    [[ $pool =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/(1[0-9]|2[0-4]|[89])$ ]] ||
      die "address pool '$pool' must be an IPv4 CIDR between /8 and /24"
  done
}

# Records the settings the lab is being built with (the first `up` only).
save_settings() {
  state_set nodes "$LAB_NODES"
  state_set bridge "$LAB_BRIDGE"
  state_set subnet "$LAB_SUBNET"
  state_set swarm_pool "$LAB_SWARM_POOL"
  state_set worker_pool "$LAB_WORKER_POOL"
}

# --- per-node names and paths --------------------------------------------------

host_ip() { echo "$LAB_PREFIX.1"; }

node_index() {
  local i
  for i in "${!NODES[@]}"; do
    if [[ ${NODES[$i]} == "$1" ]]; then
      echo $((i + 1))
      return
    fi
  done
  die "'$1' is not a lab node (nodes: ${NODES[*]})"
}

node_ip() { echo "$LAB_PREFIX.$(($(node_index "$1") + 1))"; }
node_veth() { echo "${LAB_BRIDGE}v$(node_index "$1")"; }
node_sock() { echo "$LAB_RUN/$1.sock"; }
node_pidfile() { echo "$LAB_RUN/$1.pid"; }
node_config() { echo "$LAB_RUN/$1.json"; }
node_exec_root() { echo "$LAB_RUN/$1"; }
node_data_root() { echo "$LAB_DATA/$1"; }
node_log() { echo "$LAB_LOG_PREFIX$1.log"; }

# docker against worker $1's engine, bounded so a hung engine cannot hang the lab.
ndocker() {
  local n=$1
  shift
  timeout 60 docker -H "unix://$(node_sock "$n")" "$@"
}
