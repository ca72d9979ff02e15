# Step 3 of setup-host: make sure a Docker engine answers, starting dockerd
# ourselves when there is none (hosts without systemd). Sourced after common.sh.

DAEMON_JSON=/etc/docker/daemon.json
# Hash of the daemon.json we last wrote: the file is "ours" while it still matches.
DAEMON_JSON_MARK=/etc/docker/.probe-daemon.json.sha256
DOCKERD_LOG=/var/log/probe-dockerd.log
DOCKERD_PID=/var/run/docker.pid

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Prints overlay2 when an overlay mount really works on /var/lib/docker's
# filesystem (it does not on top of another overlay), vfs otherwise.
pick_storage_driver() {
  modprobe overlay >/dev/null 2>&1 || true
  grep -qw overlay /proc/filesystems || {
    echo vfs
    return
  }
  local t
  mkdir -p /var/lib/docker
  t=$(mktemp -d /var/lib/docker/.probe-overlay-test.XXXXXX)
  mkdir "$t/lower" "$t/upper" "$t/work" "$t/merged"
  if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
    umount "$t/merged"
    echo overlay2
  else
    echo vfs
  fi
  rm -rf "$t"
}

# Writes daemon.json only when absent or still exactly what we wrote before.
write_daemon_json() {
  if [[ -e $DAEMON_JSON ]]; then
    if [[ ! -e $DAEMON_JSON_MARK ]] || [[ $(sha256sum <"$DAEMON_JSON") != "$(cat "$DAEMON_JSON_MARK")" ]]; then
      info "$DAEMON_JSON exists and is not ours: left as is"
      grep -q default-address-pools "$DAEMON_JSON" ||
        warn "$DAEMON_JSON has no default-address-pools: the engine runs out of networks after ~30 tenants"
      return
    fi
  fi
  local driver
  driver=$(pick_storage_driver)
  mkdir -p /etc/docker
  cat >"$DAEMON_JSON" <<JSON
{
  "default-address-pools": [{ "base": "10.201.0.0/16", "size": 24 }],
  "storage-driver": "$driver",
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" }
}
JSON
  sha256sum <"$DAEMON_JSON" >"$DAEMON_JSON_MARK"
  info "wrote $DAEMON_JSON (storage driver $driver)"
}

# Without systemd nothing mounts cgroups; dockerd cannot run containers without them.
ensure_cgroups() {
  awk '$3 == "cgroup" || $3 == "cgroup2" { found = 1 } END { exit !found }' /proc/mounts && return
  mount -t cgroup2 none /sys/fs/cgroup || die "no cgroup filesystem is mounted and mounting cgroup2 on /sys/fs/cgroup failed"
  info 'mounted cgroup2 on /sys/fs/cgroup'
}

start_dockerd() {
  if pidfile_alive "$DOCKERD_PID"; then
    info "dockerd (pid $(cat "$DOCKERD_PID")) is running but not answering yet: waiting"
    return
  fi
  write_daemon_json
  ensure_cgroups
  # No registry is needed: a swarm task uses the local image instead of asking a registry first.
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nohup dockerd --pidfile "$DOCKERD_PID" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  DOCKERD_STARTED=$!
  info "started dockerd (pid $DOCKERD_STARTED), log in $DOCKERD_LOG"
}

# True when the dockerd we started has already exited (bad config, no iptables...).
dockerd_died() {
  [[ -n ${DOCKERD_STARTED:-} ]] && ! kill -0 "$DOCKERD_STARTED" 2>/dev/null && ! pidfile_alive "$DOCKERD_PID"
}

ensure_engine() {
  step 'Docker engine'
  if engine_answers; then
    info 'already answering: left alone'
    return
  fi
  [[ $(id -u) -eq 0 ]] || die 'no Docker engine answers and starting dockerd needs root: run setup-host as root'
  local t0 i
  t0=$(now)
  start_dockerd
  for ((i = 0; i < 60; i++)); do
    if engine_answers; then
      info "answering after $(elapsed "$t0")"
      return
    fi
    dockerd_died && break
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  dockerd_died && die "dockerd exited right after start; see $DOCKERD_LOG"
  die "dockerd did not answer 'docker info' within 60 s; see $DOCKERD_LOG"
}
