# Step 1-2 of setup-host: find the missing Debian packages and install them.
# Sourced by setup-host.sh after common.sh.

# Prints the Debian packages whose commands are missing, one per line.
missing_packages() {
  have docker || echo docker.io
  have dockerd || echo docker.io
  { docker compose version >/dev/null 2>&1 || have docker-compose; } || echo docker-compose
  have nginx || echo nginx
  [[ -n $(redis_binary) ]] || echo redis-tools
  have iptables || echo iptables
}

# Installs packages without letting their maintainer scripts start services
# (nginx's postinst would start it on port 80; we start what we need ourselves).
apt_install() {
  local guard=/usr/sbin/policy-rc.d ours=0
  if [[ ! -e $guard ]]; then
    printf '#!/bin/sh\n# probe setup-host: no service starts during apt-get install\nexit 101\n' >"$guard"
    chmod 0755 "$guard"
    ours=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
  } >/var/log/probe-setup-apt.log 2>&1 || rc=$?
  if ((ours)); then rm -f "$guard"; fi
  ((rc == 0)) || {
    tail -n 20 /var/log/probe-setup-apt.log >&2
    die "apt-get install $* failed (exit $rc); full log in /var/log/probe-setup-apt.log"
  }
}

ensure_packages() {
  step 'Checking packages'
  local missing=()
  mapfile -t missing < <(missing_packages | sort -u)
  have node || die "node is missing: install Node.js >= 20.19 first (it runs the agent and goes into the demo image)"
  if ((${#missing[@]} == 0)); then
    info 'all present'
    return
  fi
  if [[ $(id -u) -ne 0 ]] || ! have apt-get; then
    die "missing packages: ${missing[*]}. Install them as root with: apt-get install -y ${missing[*]}"
  fi
  local t0
  t0=$(now)
  step "Installing ${missing[*]}"
  apt_install "${missing[@]}"
  info "installed in $(elapsed "$t0")"
}
