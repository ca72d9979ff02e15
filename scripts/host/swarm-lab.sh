#!/usr/bin/env bash
# Usage: swarm-lab.sh up | down | status | stop-node NODE | start-node NODE
# A real multi-node Docker Swarm on this one machine, for the swarm runtime's tests:
# the host's engine is the manager; each worker is its own dockerd in its own
# network namespace, cabled to a private bridge. Run as root, after setup-host.
#   up          builds the lab (or finishes building it) and prints the nodes; idempotent
#   down        removes everything the lab created; idempotent
#   status      the nodes and their state
#   stop-node N stops worker N's dockerd (its data stays), as a node failure
#   start-node N starts it again and waits until the node is Ready
# Settings (environment; `up` records them and later commands use the record):
#   PROBE_LAB_NODES "probe-w1 probe-w2"   PROBE_LAB_BRIDGE probe-br0
#   PROBE_LAB_SUBNET 10.203.0.0/24        PROBE_LAB_SWARM_POOL 10.202.0.0/16 (overlay networks)
#   PROBE_LAB_WORKER_POOL 10.204.0.0/16   PROBE_LAB_IMAGES "probe/demo-shop:1 probe/demo-redis:1"
# Services on the lab must use endpoint_mode: dnsrr and mode: host ports: the
# ingress routing mesh needs IPVS, which this kernel may lack.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# shellcheck source-path=SCRIPTDIR
source "$HERE/lib/common.sh"
source "$HERE/lib/swarm-state.sh"
source "$HERE/lib/swarm-net.sh"
source "$HERE/lib/swarm-node.sh"
source "$HERE/lib/swarm-cluster.sh"

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }

# One lab command at a time. The lock is this script itself, on fd 8, so it
# leaves no file behind; every daemon closes it (close_inherited_fds).
lock_lab() {
  exec 8<"$0"
  flock -w 300 8 || die 'another swarm-lab command has held the lock for 5 minutes'
}

preflight() {
  [[ $(id -u) -eq 0 ]] || die 'the swarm lab must run as root (namespaces, bridge, iptables, dockerd)'
  local tool missing=()
  for tool in ip iptables nsenter unshare setsid flock dockerd docker timeout; do
    have "$tool" || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (install iproute2, iptables, util-linux, docker.io)"
  timeout 10 docker info >/dev/null 2>&1 || die 'the host Docker engine does not answer: run npm run setup-host first'
}

# --- down ----------------------------------------------------------------------

DOWN_FAILURES=()
down_failed() {
  warn "$*"
  DOWN_FAILURES+=("$*")
}

# Removes worker $1's containers (at once, not after their stop grace), takes it
# out of the swarm and stops its engine.
node_down() {
  local n=$1 ids
  if node_answers "$n"; then
    ids=$(ndocker "$n" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086 # one id a word
    [[ -z $ids ]] || ndocker "$n" rm -f $ids >/dev/null 2>&1 || true
    ndocker "$n" swarm leave --force >/dev/null 2>&1 || true
  fi
  stop_node_engine "$n" 30 || down_failed "$n: dockerd would not stop"
  reap_node_leftovers "$n"
  unmount_below "$(node_exec_root "$n")"
  unmount_below "$(node_data_root "$n")"
}

files_down() {
  step 'Files'
  local n dir
  for n in "${NODES[@]}"; do
    [[ -e $(node_log "$n") ]] || continue
    if [[ ${PROBE_LAB_KEEP_LOGS:-0} == 1 ]]; then
      info "kept $(node_log "$n")"
    else
      rm -f "$(node_log "$n")"
    fi
  done
  for dir in "$LAB_DATA" "$LAB_RUN"; do
    [[ -e $dir ]] || continue
    if [[ -n $(awk -v root="$dir" 'index($2, root) == 1' /proc/self/mounts) ]]; then
      down_failed "$dir still has mounts below it: left in place"
      continue
    fi
    if rm -rf --one-file-system "$dir"; then info "removed $dir"; else down_failed "could not remove $dir"; fi
  done
}

lab_down() {
  local t0 n
  t0=$(now)
  step 'Services'
  remove_services
  step 'Workers'
  for n in "${NODES[@]}"; do node_down "$n"; done
  leave_manager
  net_down
  files_down
  if ((${#DOWN_FAILURES[@]} > 0)); then
    die "the lab is not fully removed: ${DOWN_FAILURES[*]}"
  fi
  step "Lab removed in $(elapsed "$t0")"
}

# --- up ------------------------------------------------------------------------

# A failed `up` shows the workers' last log lines, then removes the half-built lab.
on_up_exit() {
  local code=$?
  trap - EXIT
  ((code != 0)) || return 0
  local n
  for n in "${NODES[@]}"; do
    [[ -s $(node_log "$n") ]] || continue
    warn "last lines of $(node_log "$n") (kept):"
    grep -v 'error reading the kernel parameter' "$(node_log "$n")" | tail -n 8 >&2 || true
  done
  warn 'up failed: removing the half-built lab'
  (PROBE_LAB_KEEP_LOGS=1 lab_down) || true
  exit "$code"
}

lab_up() {
  local t0 n
  t0=$(now)
  step 'Checks'
  check_host_swarm
  check_images
  [[ -f $LAB_STATE ]] || check_free_ranges
  # From here on a failure removes what was built; a refused check changes nothing.
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  save_settings
  info "nodes: manager $(host_ip) (host engine), ${NODES[*]} on $LAB_BRIDGE $LAB_SUBNET"
  net_up
  step 'Worker engines'
  for n in "${NODES[@]}"; do ensure_node_engine "$n"; done
  ensure_manager
  join_workers
  step 'Images'
  for n in "${NODES[@]}"; do load_images "$n"; done
  trap - EXIT INT TERM
  step 'Nodes'
  print_nodes
  step "Lab up in $(elapsed "$t0")"
}

# --- status, stop-node, start-node -----------------------------------------------

lab_status() {
  step 'Lab'
  if [[ ! -f $LAB_STATE ]]; then
    info 'down (no lab state)'
    return
  fi
  local n pid swarm
  for n in "${NODES[@]}"; do
    pid=$(node_pid "$n")
    if node_answers "$n"; then
      swarm=$(ndocker "$n" info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo '?')
      info "$n: $(node_ip "$n"), dockerd pid $pid running, swarm $swarm"
    elif netns_exists "$n"; then
      info "$n: $(node_ip "$n"), dockerd stopped"
    else
      info "$n: no namespace"
    fi
  done
  step 'Nodes'
  if host_runs_lab_swarm; then
    print_nodes
  else
    info "the host engine does not run the lab swarm (swarm: $(host_swarm))"
  fi
}

require_lab() {
  if [[ ! -f $LAB_STATE ]] || ! host_runs_lab_swarm; then die 'the lab is not up: run swarm-lab.sh up first'; fi
}

stop_node() {
  local n=$1
  node_index "$n" >/dev/null
  require_lab
  step "Stopping $n"
  stop_node_engine "$n" 30 || die "$n: dockerd would not stop"
  info 'its data root stays; start-node brings it back'
}

start_node() {
  local n=$1 t0 id took
  node_index "$n" >/dev/null
  require_lab
  netns_exists "$n" || die "$n has no network namespace: run swarm-lab.sh up"
  step "Starting $n"
  t0=$(now)
  ensure_node_engine "$n"
  id=$(ndocker "$n" info -f '{{.Swarm.NodeID}}')
  [[ -n $id ]] || die "$n came back outside the swarm: run swarm-lab.sh up to rejoin it"
  wait_worker_active "$n" 60 || die "$n: its swarm link is not active 60 s after its engine answered"
  took=$(wait_node_ready "$id" 60) || die "$n ($id) is not Ready 60 s after its engine answered"
  info "$n ($id) is back in the swarm and Ready (manager's view after $took more)"
  step "$n back in $(elapsed "$t0")"
}

# --- main ----------------------------------------------------------------------

main() {
  local cmd=${1:-}
  case $cmd in
    -h | --help | help)
      usage
      return
      ;;
    up | down | status) (($# == 1)) || die "$cmd takes no argument" ;;
    stop-node | start-node) (($# == 2)) || die "usage: swarm-lab.sh $cmd NODE" ;;
    '') die 'usage: swarm-lab.sh up|down|status|stop-node NODE|start-node NODE' ;;
    *) die "unknown command '$cmd' (expected up, down, status, stop-node or start-node)" ;;
  esac
  preflight
  lock_lab
  load_settings
  case $cmd in
    up) lab_up ;;
    down) lab_down ;;
    status) lab_status ;;
    stop-node) stop_node "$2" ;;
    start-node) start_node "$2" ;;
  esac
}

main "$@"
