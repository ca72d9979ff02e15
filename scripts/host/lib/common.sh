# Shared helpers for the host scripts: step lines, loud failures, small checks.
# Sourced, never run.

# A progress line in the style every host script uses.
step() { printf -- '-----> %s\n' "$*"; }

# A detail line under a step.
info() { printf -- '       %s\n' "$*"; }

warn() { printf -- ' !     %s\n' "$*" >&2; }

# Stops the script with one clear message on stderr.
die() {
  printf -- ' !     error: %s\n' "$*" >&2
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Debian's Redis server binary ships in redis-tools (as redis-check-rdb; the
# redis-server package only adds a symlink plus a host service we do not want).
# Prints its path, or nothing when neither name is installed.
redis_binary() {
  if have redis-server; then command -v redis-server; elif have redis-check-rdb; then command -v redis-check-rdb; fi
}

# True when the pid stored in file $1 names a live process.
pidfile_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# Seconds (with milliseconds) since the epoch, for timings in step lines.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
