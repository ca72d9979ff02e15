# shellcheck shell=bash
# The swarm lab's worker engines: one dockerd per worker, inside the worker's
# network namespace (nsenter --net, not `ip netns exec`, which remounts /sys and
# leaves dockerd without its devices cgroup) and its own UTS namespace, so the
# node carries the worker's name. Sourced by swarm-lab.sh, never run.

# True when process $1 exists and is not a zombie.
pid_alive() {
  [[ -n $1 ]] && kill -0 "$1" 2>/dev/null || return 1
  [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

pid_in() { [[ -s $1 ]] && tr -dc '0-9' <"$1"; }

node_pid() { pid_in "$(node_pidfile "$1")" || true; }

node_running() { pid_alive "$(node_pid "$1")"; }

node_answers() { timeout 5 docker -H "unix://$(node_sock "$1")" info >/dev/null 2>&1; }

# Closes every descriptor above stderr, so a daemon holds no pipe or lock of ours.
close_inherited_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd=${fd##*/}
    if ((fd > 2)) && [[ -e /proc/$BASHPID/fd/$fd ]]; then
      { exec {fd}>&-; } 2>/dev/null || true
    fi
  done
}

# The daemon.json of worker $1: its own address pool and the host's storage driver.
write_node_config() {
  local n=$1 driver
  driver=$(docker info -f '{{.Driver}}')
  cat >"$(node_config "$n")" <<JSON
{
  "default-address-pools": [{ "base": "$LAB_WORKER_POOL", "size": 24 }],
  "storage-driver": "$driver",
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "2" }
}
JSON
}

# Starts worker $1's dockerd, detached (own session, no inherited descriptors).
start_node_engine() {
  local n=$1
  mkdir -p "$LAB_DATA" "$LAB_RUN" "$(node_data_root "$n")"
  chmod 700 "$LAB_DATA" "$LAB_RUN"
  write_node_config "$n"
  # A clean environment; DOCKER_SERVICE_PREFER_OFFLINE_IMAGE stops the task
  # runner from trying a registry pull before it uses the loaded image.
  # shellcheck disable=SC2016 # $0 and $@ belong to the inner sh
  (
    close_inherited_fds
    exec env -i PATH="$PATH" LANG=C.UTF-8 DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nsenter --net="/run/netns/$n" unshare --uts -- \
      sh -c 'hostname "$0" && exec "$@"' "$n" \
      dockerd --config-file "$(node_config "$n")" \
      --data-root "$(node_data_root "$n")" --exec-root "$(node_exec_root "$n")" \
      --pidfile "$(node_pidfile "$n")" -H "unix://$(node_sock "$n")" \
      --iptables=false --bridge=none
  ) </dev/null >>"$(node_log "$n")" 2>&1 &
  STARTED_PID=$!
}

# Waits until worker $1's engine answers; fails early when the daemon died.
wait_node_engine() {
  local n=$1 t0 i
  t0=$(now)
  for ((i = 0; i < 120; i++)); do
    if node_answers "$n"; then
      info "$n: dockerd (pid $(node_pid "$n")) answers after $(elapsed "$t0"), log $(node_log "$n")"
      return
    fi
    if ((i > 4)) && ! node_running "$n" && ! pid_alive "${STARTED_PID:-}"; then
      tail -n 15 "$(node_log "$n")" >&2 || true
      die "$n: dockerd exited right after start; see $(node_log "$n")"
    fi
    sleep 0.5
  done
  tail -n 15 "$(node_log "$n")" >&2 || true
  die "$n: dockerd did not answer within 60 s; see $(node_log "$n")"
}

ensure_node_engine() {
  local n=$1
  if node_answers "$n"; then
    info "$n: dockerd (pid $(node_pid "$n")) is running"
    return
  fi
  if ! node_running "$n"; then
    start_node_engine "$n"
    info "$n: started dockerd (pid $STARTED_PID)"
  fi
  wait_node_engine "$n"
}

# Sends SIGTERM to worker $1's dockerd (it stops its containers and containerd),
# then SIGKILL after $2 seconds. Returns 1 when it is still alive after that.
stop_node_engine() {
  local n=$1 grace=${2:-30} pid i
  pid=$(node_pid "$n")
  if ! pid_alive "$pid"; then
    info "$n: dockerd is not running"
    return 0
  fi
  kill -TERM "$pid"
  for ((i = 0; i < grace * 4; i++)); do
    pid_alive "$pid" || break
    sleep 0.25
  done
  if pid_alive "$pid"; then
    warn "$n: dockerd (pid $pid) ignored SIGTERM for ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  ! pid_alive "$pid" || return 1
  info "$n: stopped dockerd (pid $pid)"
}

# After a hard stop: ends, by their pid files, the containers, shims and
# containerd the worker's dockerd started, then whatever still runs in the
# worker's namespace (only the lab starts processes there).
reap_node_leftovers() {
  local n=$1 root file pid left=()
  root=$(node_exec_root "$n")
  if [[ -d $root ]]; then
    while read -r file; do
      pid=$(pid_in "$file" || true)
      ! pid_alive "$pid" || left+=("$pid")
    done < <(find "$root" \( -name init.pid -o -name shim.pid -o -name containerd.pid \) 2>/dev/null)
  fi
  if netns_exists "$n"; then
    for pid in $(ip netns pids "$n" 2>/dev/null); do left+=("$pid"); done
  fi
  ((${#left[@]} > 0)) || return 0
  warn "$n: ending leftover processes ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
  sleep 1
}

# Unmounts whatever is still mounted below folder $1, deepest first.
unmount_below() {
  local mnt
  awk -v root="$1" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
}
