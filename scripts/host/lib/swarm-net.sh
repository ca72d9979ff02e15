# shellcheck shell=bash
# The swarm lab's network: one namespace per worker, a veth from each onto one
# bridge in the host's namespace, and the firewall rule that lets the bridged
# frames through Docker's FORWARD policy (DROP). Sourced by swarm-lab.sh, never run.

# --- address arithmetic ----------------------------------------------------------

ip_to_int() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  echo $(((a << 24) + (b << 16) + (c << 8) + d))
}

# True when CIDRs $1 and $2 share an address.
cidr_overlaps() {
  local a=${1%/*} alen=${1#*/} b=${2%/*} blen=${2#*/}
  [[ $1 == */* ]] || alen=32
  [[ $2 == */* ]] || blen=32
  local len=$((alen < blen ? alen : blen))
  local mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
  (($(($(ip_to_int "$a") & mask)) == $(($(ip_to_int "$b") & mask))))
}

# The host engine's own default-address-pools (daemon.json), one CIDR a line.
host_engine_pools() {
  [[ -f /etc/docker/daemon.json ]] || return 0
  grep -o '"base"[[:space:]]*:[[:space:]]*"[0-9./]*"' /etc/docker/daemon.json | grep -o '[0-9][0-9./]*' || true
}

# Refuses ranges that overlap each other, the host engine's pools, or any route
# this host already has (other than the lab bridge's own).
check_free_ranges() {
  local ours=("$LAB_SUBNET" "$LAB_SWARM_POOL" "$LAB_WORKER_POOL")
  local names=(PROBE_LAB_SUBNET PROBE_LAB_SWARM_POOL PROBE_LAB_WORKER_POOL)
  local i j taken dest
  for i in 0 1 2; do
    for ((j = i + 1; j < 3; j++)); do
      ! cidr_overlaps "${ours[$i]}" "${ours[$j]}" || die "${names[$i]} ${ours[$i]} overlaps ${names[$j]} ${ours[$j]}"
    done
    while read -r taken; do
      [[ -n $taken ]] || continue
      ! cidr_overlaps "${ours[$i]}" "$taken" ||
        die "${names[$i]} ${ours[$i]} overlaps the host engine's address pool $taken (/etc/docker/daemon.json)"
    done < <(host_engine_pools)
    while read -r dest; do
      [[ $dest =~ ^[0-9.]+(/[0-9]+)?$ ]] || continue
      ! cidr_overlaps "${ours[$i]}" "$dest" ||
        die "${names[$i]} ${ours[$i]} overlaps the route to $dest on this host; pick a free range"
    done < <(ip -4 route show | grep -v " dev $LAB_BRIDGE " | awk '{ print $1 }')
  done
}

# --- building ------------------------------------------------------------------

netns_exists() { [[ -e /run/netns/$1 ]]; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

ensure_bridge() {
  if link_exists "$LAB_BRIDGE"; then
    info "bridge $LAB_BRIDGE exists"
  else
    ip link add "$LAB_BRIDGE" type bridge
    info "created bridge $LAB_BRIDGE"
  fi
  ip -4 addr show dev "$LAB_BRIDGE" | grep -q "inet $(host_ip)/24" ||
    ip addr add "$(host_ip)/24" dev "$LAB_BRIDGE"
  ip link set "$LAB_BRIDGE" up
}

# Namespace $1 with eth0 at its lab address, cabled to the bridge.
ensure_node_net() {
  local n=$1 veth ip
  veth=$(node_veth "$n")
  ip=$(node_ip "$n")
  netns_exists "$n" || ip netns add "$n"
  ip -n "$n" link set lo up
  if ! link_exists "$veth"; then
    ip -n "$n" link del eth0 >/dev/null 2>&1 || true
    ip link add "$veth" type veth peer name eth0 netns "$n"
  fi
  ip link set "$veth" master "$LAB_BRIDGE" up
  ip -n "$n" -4 addr show dev eth0 | grep -q "inet $ip/24" || ip -n "$n" addr add "$ip/24" dev eth0
  ip -n "$n" link set eth0 up
  # No default route: a worker reaches the lab /24 and nothing else, so an image
  # pull or a DNS query for the outside fails at once instead of leaking out.
  ip -n "$n" route del default >/dev/null 2>&1 || true
  info "$n: namespace, eth0 $ip/24 via $veth"
}

lab_rule() { echo "-i $LAB_BRIDGE -o $LAB_BRIDGE -m comment --comment probe-lab -j ACCEPT"; }

ensure_forwarding() {
  if [[ $(cat /proc/sys/net/ipv4/ip_forward) != 1 ]]; then
    [[ -n $(state_get ip_forward_was) ]] || state_set ip_forward_was 0
    echo 1 >/proc/sys/net/ipv4/ip_forward
    info 'enabled net.ipv4.ip_forward'
  fi
  iptables -S DOCKER-USER >/dev/null 2>&1 ||
    die "the host has no DOCKER-USER iptables chain: is the host engine running with iptables (npm run setup-host)?"
  local rule
  read -r -a rule <<<"$(lab_rule)"
  if iptables -C DOCKER-USER "${rule[@]}" 2>/dev/null; then
    info "DOCKER-USER accepts $LAB_BRIDGE <-> $LAB_BRIDGE"
  else
    iptables -I DOCKER-USER "${rule[@]}"
    info "DOCKER-USER: inserted an ACCEPT for $LAB_BRIDGE <-> $LAB_BRIDGE"
  fi
}

net_up() {
  step 'Network'
  # `ip netns add` makes /run/netns a mount point; down removes it when the lab made it.
  [[ -n $(state_get netns_dir_existed) ]] || state_set netns_dir_existed "$([[ -d /run/netns ]] && echo 1 || echo 0)"
  ensure_bridge
  local n
  for n in "${NODES[@]}"; do ensure_node_net "$n"; done
  ensure_forwarding
}

# --- removing ------------------------------------------------------------------

net_down() {
  step 'Network'
  local rule n veth removed=0
  read -r -a rule <<<"$(lab_rule)"
  while iptables -C DOCKER-USER "${rule[@]}" 2>/dev/null; do
    iptables -D DOCKER-USER "${rule[@]}" || {
      down_failed "could not delete the DOCKER-USER rule for $LAB_BRIDGE"
      break
    }
    removed=1
  done
  ((removed == 0)) || info "DOCKER-USER: removed the rule for $LAB_BRIDGE"
  for n in "${NODES[@]}"; do
    veth=$(node_veth "$n")
    if netns_exists "$n"; then
      if ip netns del "$n"; then info "removed namespace $n"; else down_failed "could not remove namespace $n"; fi
    fi
    if link_exists "$veth"; then
      ip link del "$veth" || down_failed "could not remove $veth"
    fi
  done
  if link_exists "$LAB_BRIDGE"; then
    if ip link del "$LAB_BRIDGE"; then info "removed bridge $LAB_BRIDGE"; else down_failed "could not remove bridge $LAB_BRIDGE"; fi
  fi
  remove_netns_dir
  if [[ $(state_get ip_forward_was) == 0 ]]; then
    echo 0 >/proc/sys/net/ipv4/ip_forward || down_failed 'could not restore net.ipv4.ip_forward=0'
    info 'restored net.ipv4.ip_forward=0'
  fi
}

# Unmounts and removes /run/netns when the lab created it and nothing else uses it.
remove_netns_dir() {
  [[ $(state_get netns_dir_existed) == 0 && -d /run/netns ]] || return 0
  if [[ -n $(ls -A /run/netns) ]]; then
    info '/run/netns holds other namespaces: left in place'
    return 0
  fi
  while awk '$2 == "/run/netns" { found = 1 } END { exit !found }' /proc/self/mounts; do
    umount /run/netns || break
  done
  if rmdir /run/netns; then info 'removed /run/netns'; else down_failed 'could not remove /run/netns'; fi
}
