# Step 4 of setup-host: install probe's nginx snippet, validate, start or reload.
# Sourced after common.sh; needs ROOT (the repository folder).

NGINX_VHOST_DIR=/etc/nginx/probe.d
NGINX_SNIPPET=/etc/nginx/conf.d/probe.conf
NGINX_PID=/run/nginx.pid

# Installs the snippet when it differs; if nginx -t then fails, puts the previous
# one back (or removes ours) so a later reload does not trip over it.
install_snippet() {
  if cmp -s "$ROOT/config/nginx/probe.conf" "$NGINX_SNIPPET"; then
    info "$NGINX_SNIPPET is up to date"
    return
  fi
  local backup=
  if [[ -e $NGINX_SNIPPET ]]; then
    backup=$(mktemp /tmp/probe-nginx-snippet.XXXXXX)
    cp -p "$NGINX_SNIPPET" "$backup"
  fi
  install -m 0644 "$ROOT/config/nginx/probe.conf" "$NGINX_SNIPPET"
  local out
  if ! out=$(nginx -t 2>&1); then
    if [[ -n $backup ]]; then mv "$backup" "$NGINX_SNIPPET"; else rm -f "$NGINX_SNIPPET"; fi
    printf '%s\n' "$out" >&2
    die "nginx -t rejects the configuration with the new $NGINX_SNIPPET (see above); previous state restored"
  fi
  [[ -z $backup ]] || rm -f "$backup"
  info "installed $NGINX_SNIPPET (includes $NGINX_VHOST_DIR/*.conf)"
}

# Starts the daemonised nginx and waits for the pid file its master writes a moment later.
start_nginx() {
  nginx 9>&- || die "nginx failed to start; see /var/log/nginx/error.log"
  local i
  for ((i = 0; i < 50; i++)); do
    pidfile_alive "$NGINX_PID" && break
    sleep 0.1
  done
  pidfile_alive "$NGINX_PID" || die "nginx started but $NGINX_PID names no live process; see /var/log/nginx/error.log"
  info "started (pid $(cat "$NGINX_PID"))"
}

ensure_nginx() {
  step 'nginx'
  [[ $(id -u) -eq 0 ]] || die 'configuring nginx needs root: run setup-host as root'
  install -d -m 0755 "$NGINX_VHOST_DIR"
  install_snippet
  local out
  out=$(nginx -t 2>&1) || {
    printf '%s\n' "$out" >&2
    die "nginx -t rejects the configuration (see above); nginx was left as it was"
  }
  if pidfile_alive "$NGINX_PID"; then
    out=$(nginx -s reload 2>&1) || die "nginx -s reload failed: $out"
    info "running (pid $(cat "$NGINX_PID")): reloaded"
  else
    start_nginx
  fi
}
