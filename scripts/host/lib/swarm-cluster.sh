# shellcheck shell=bash
# The swarm itself: the host's engine as manager (initialised by the lab, never
# taken over from another swarm), the workers joined, labelled and given the
# demo images. Sourced by swarm-lab.sh, never run.

# "<local node state> <control available> <node address> <cluster id>" of the host's engine.
host_swarm() {
  docker info -f '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeAddr}} {{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{end}}'
}

# True when the host's engine manages the swarm this lab initialised: the cluster
# id recorded after init, or, when init was interrupted before that record, a
# swarm advertised on the lab bridge's address.
host_runs_lab_swarm() {
  local state control addr cluster want
  read -r state control addr cluster <<<"$(host_swarm)"
  [[ $state == active && $control == true ]] || return 1
  want=$(state_get cluster_id)
  if [[ -n $want ]]; then
    [[ $cluster == "$want" ]]
  else
    [[ $(state_get swarm_initialised) == pending && $addr == "$(host_ip)" ]]
  fi
}

# Refuses, before anything is created, a host engine that belongs to another swarm.
check_host_swarm() {
  local state control addr cluster
  read -r state control addr cluster <<<"$(host_swarm)"
  case $state in
    inactive) return 0 ;;
    active)
      host_runs_lab_swarm && return 0
      if [[ $control == true ]]; then
        die "the host engine is already a manager of another swarm (cluster ${cluster:-?}), not one this lab made: the lab will not touch it. Leave that swarm first (docker swarm leave --force) if nothing uses it."
      fi
      die 'the host engine is already a worker in another swarm: the lab will not touch it. Leave that swarm first (docker swarm leave) if nothing uses it.'
      ;;
    *) die "the host engine's swarm state is '$state' (expected inactive): leave or repair that swarm first" ;;
  esac
}

ensure_manager() {
  step 'Manager (host engine)'
  if host_runs_lab_swarm; then
    if [[ -z $(state_get cluster_id) ]]; then
      state_set cluster_id "$(docker info -f '{{.Swarm.Cluster.ID}}')"
      state_set swarm_initialised 1
    fi
    info "already the manager of the lab swarm ($(state_get cluster_id))"
    return
  fi
  check_host_swarm
  local existed=0
  docker network inspect docker_gwbridge >/dev/null 2>&1 && existed=1
  state_set gwbridge_existed "$existed"
  state_set swarm_initialised pending
  docker swarm init --advertise-addr "$(host_ip)" --listen-addr "$(host_ip):2377" \
    --data-path-addr "$(host_ip)" --default-addr-pool "$LAB_SWARM_POOL" \
    --default-addr-pool-mask-length 24 >/dev/null
  local cluster
  cluster=$(docker info -f '{{.Swarm.Cluster.ID}}')
  state_set cluster_id "$cluster"
  state_set swarm_initialised 1
  info "swarm initialised on $(host_ip):2377 (cluster $cluster, overlay pool $LAB_SWARM_POOL)"
}

# Joins worker $1 unless it already belongs to the lab swarm; a worker left in
# some other swarm state (an earlier lab, a failed join) leaves it first.
join_node() {
  local n=$1 state nid token
  read -r state nid <<<"$(ndocker "$n" info -f '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}')"
  if [[ $state == active && -n $nid ]] && docker node inspect "$nid" >/dev/null 2>&1; then
    info "$n: already a worker ($nid)"
    return
  fi
  [[ $state == inactive ]] || ndocker "$n" swarm leave --force >/dev/null 2>&1 || true
  token=$(docker swarm join-token -q worker)
  ndocker "$n" swarm join --token "$token" --advertise-addr "$(node_ip "$n")" \
    --listen-addr "$(node_ip "$n"):2377" --data-path-addr "$(node_ip "$n")" "$(host_ip):2377" >/dev/null
  info "$n: joined as worker $(ndocker "$n" info -f '{{.Swarm.NodeID}}')"
}

# Node ids of the manager and the workers, one a line, manager first.
lab_node_ids() {
  docker info -f '{{.Swarm.NodeID}}'
  local n
  for n in "${NODES[@]}"; do ndocker "$n" info -f '{{.Swarm.NodeID}}'; done
}

# Removes node entries a rejoin left behind (down, and not one of ours now).
remove_stale_nodes() {
  local current id status
  current=$(lab_node_ids)
  while read -r id status; do
    [[ -n $id && $status == Down ]] || continue
    grep -qx "$id" <<<"$current" && continue
    docker node rm --force "$id" >/dev/null && info "removed stale node entry $id"
  done < <(docker node ls --format '{{.ID}} {{.Status}}')
}

label_nodes() {
  docker node update --label-add probe.lab=1 --label-add probe.lab.node=manager \
    "$(docker info -f '{{.Swarm.NodeID}}')" >/dev/null
  local n
  for n in "${NODES[@]}"; do
    docker node update --label-add probe.lab=1 --label-add "probe.lab.node=$n" \
      "$(ndocker "$n" info -f '{{.Swarm.NodeID}}')" >/dev/null
  done
  info 'labelled every node probe.lab=1 and probe.lab.node=<manager|worker name>'
}

# Waits up to $2 seconds until node $1 (an id) is Ready; prints how long it took.
wait_node_ready() {
  local id=$1 bound=$2 t0 i
  t0=$(now)
  for ((i = 0; i < bound * 2; i++)); do
    [[ $(docker node inspect -f '{{.Status.State}}' "$id" 2>/dev/null) == ready ]] && {
      elapsed "$t0"
      return
    }
    sleep 0.5
  done
  return 1
}

# Waits up to $2 seconds until worker $1 itself reports its swarm link active
# (the manager's view of a node can still say ready for a few seconds after
# it went away).
wait_worker_active() {
  local n=$1 bound=$2 i
  for ((i = 0; i < bound * 2; i++)); do
    [[ $(ndocker "$n" info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null) == active ]] && return 0
    sleep 0.5
  done
  return 1
}

join_workers() {
  step 'Workers join'
  local n
  for n in "${NODES[@]}"; do
    join_node "$n"
    wait_worker_active "$n" 60 || die "$n: its swarm link is not active after 60 s (see $(node_log "$n"))"
  done
  remove_stale_nodes
  label_nodes
  local id took
  while read -r id; do
    took=$(wait_node_ready "$id" 60) || die "node $id is not Ready after 60 s (see docker node ls)"
  done < <(lab_node_ids)
  info "every node is Ready (the last after $took)"
}

check_images() {
  local image
  for image in $LAB_IMAGES; do
    docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing on the host: run npm run setup-host"
  done
}

# Loads into worker $1 the lab images it lacks or holds in another version.
load_images() {
  local n=$1 image mine missing=() t0
  for image in $LAB_IMAGES; do
    mine=$(docker image inspect -f '{{.Id}}' "$image")
    [[ $(ndocker "$n" image inspect -f '{{.Id}}' "$image" 2>/dev/null) == "$mine" ]] || missing+=("$image")
  done
  if ((${#missing[@]} == 0)); then
    info "$n: images up to date"
    return
  fi
  t0=$(now)
  docker save "${missing[@]}" | timeout 300 docker -H "unix://$(node_sock "$n")" load -q >/dev/null
  info "$n: loaded ${missing[*]} in $(elapsed "$t0")"
}

print_nodes() {
  docker node ls --format 'table {{.ID}}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}' |
    sed 's/^/       /'
  local id
  for id in $(docker node ls -q); do
    docker node inspect -f '       {{.Description.Hostname}}: {{.Status.Addr}} role {{.Spec.Role}}, labels {{range $k, $v := .Spec.Labels}}{{$k}}={{$v}} {{end}}' "$id" | sed 's/ *$//'
  done
}

# --- removing ------------------------------------------------------------------

# Removes the services of the lab swarm while every node still runs, so each
# node stops its own tasks, and waits for the manager's task containers to go.
remove_services() {
  host_runs_lab_swarm || return 0
  local services i
  services=$(docker service ls -q)
  if [[ -n $services ]]; then
    # shellcheck disable=SC2086 # one id a word
    docker service rm $services >/dev/null || down_failed 'could not remove the lab services'
    info "removed $(wc -w <<<"$services") service(s)"
  fi
  for ((i = 0; i < 60; i++)); do
    [[ -z $(docker ps -aq --filter label=com.docker.swarm.service.id) ]] && return 0
    sleep 0.5
  done
  down_failed 'service containers are still on the host engine after 30 s'
}

# Takes the host engine out of the swarm only when the lab initialised it.
leave_manager() {
  step 'Manager (host engine)'
  if [[ -z $(state_get swarm_initialised) ]]; then
    info 'the lab did not initialise a swarm here: host engine left as is'
    return
  fi
  if host_runs_lab_swarm; then
    if docker swarm leave --force >/dev/null; then
      info 'left the lab swarm'
    else
      down_failed 'docker swarm leave --force failed on the host engine'
    fi
  fi
  if [[ $(host_swarm) != inactive* ]]; then
    warn 'the host engine is in a swarm that is not the lab one: left as is'
    return
  fi
  remove_gwbridge
}

# docker_gwbridge appears with the first swarm sandbox; the lab removes it when
# the host had none before (it may take a moment for the last endpoint to go).
remove_gwbridge() {
  [[ $(state_get gwbridge_existed) == 0 ]] || return 0
  local i
  for ((i = 0; i < 20; i++)); do
    docker network inspect docker_gwbridge >/dev/null 2>&1 || return 0
    if docker network rm docker_gwbridge >/dev/null 2>&1; then
      info 'removed docker_gwbridge'
      return 0
    fi
    sleep 0.5
  done
  down_failed 'docker_gwbridge could not be removed (an endpoint is still attached)'
}
