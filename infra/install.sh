#!/usr/bin/env bash
# Installs deploy-agent on this machine (or into --root DIR). See infra/README.md.
set -euo pipefail

readonly SERVICE_USER=deploy-agent
readonly PACKAGE_NAME=deployctl
readonly PREFIX=/opt/deploy-agent
readonly CONFIG_DIR=/etc/deploy-agent
readonly UNIT_PATH=/etc/systemd/system/deploy-agent.service
readonly STORE_DROP_IN=/etc/systemd/system/deploy-agent.service.d/local-store.conf
readonly RELEASES_DIR=/var/lib/deploy-agent          # the unit's StateDirectory
readonly CONTROL_SOCKET=/run/deploy-agent/control.sock # inside the unit's RuntimeDirectory

usage() {
  cat <<'EOF'
Usage: install.sh --tarball FILE --store URL --port N [options]

Installs deploy-agent from a packed npm tarball into /opt/deploy-agent, creates
the deploy-agent system user, writes /etc/deploy-agent/config.json and installs,
enables and starts the systemd unit. Running it again with the same arguments
changes nothing; with other arguments it changes only what differs and restarts
the agent when something did.

Required:
  --tarball FILE           `npm pack` output, or infra/pack-agent.sh output (dependencies bundled)
  --store URL              release store: s3://BUCKET/PREFIX or an absolute directory (the
                           unit may then write there: the directory must be writable by deploy-agent)
  --port N                 port the app listens on, 1-65535

Options:
  --entry FILE             app entry file, relative to the release (agent default: server.js)
  --workers N|auto         workers to run, 1-256 or auto (agent default: auto)
  --instance-id ID         this instance's id (agent default: read from EC2 IMDSv2)
  --region REGION          AWS region of the bucket and the load balancer (default: the SDK's)
  --target-group-arn ARN   take this instance in and out of the target group; repeatable
  --max-unavailable N      instances of the fleet out of service at once, 1-1000 (needs --target-group-arn)
  --no-start               install and enable the unit, but do not start or restart it
  --root DIR               install into DIR instead of / (image builds, tests): creates no
                           user and changes no owners (run without --root on the machine for
                           that), enables the unit (the multi-user.target.wants link), starts nothing
  -h, --help               show this help

Environment: NPM (the npm command, default npm); npm's own npm_config_* settings apply.
Exit codes: 0 done, 2 bad arguments, 1 anything else.
EOF
}

fail() { printf 'install.sh: %s\n' "$1" >&2; exit "${2:-1}"; }
usage_error() { printf 'install.sh: %s\nRun install.sh --help for usage.\n' "$1" >&2; exit 2; }
say() { printf 'install.sh: %s\n' "$1"; }

# --- arguments ---------------------------------------------------------------

tarball='' store='' port='' entry='' workers='' instance_id='' region='' max_unavailable='' root=''
start=1
target_groups=()

need_value() { [[ $# -ge 2 && -n $2 ]] || usage_error "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --tarball) need_value "$@"; tarball=$2; shift 2 ;;
    --store) need_value "$@"; store=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --entry) need_value "$@"; entry=$2; shift 2 ;;
    --workers) need_value "$@"; workers=$2; shift 2 ;;
    --instance-id) need_value "$@"; instance_id=$2; shift 2 ;;
    --region) need_value "$@"; region=$2; shift 2 ;;
    --target-group-arn) need_value "$@"; target_groups+=("$2"); shift 2 ;;
    --max-unavailable) need_value "$@"; max_unavailable=$2; shift 2 ;;
    --root) need_value "$@"; root=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

# An integer from $2 to $3 (no sign, no leading zeros, at most 7 digits).
in_range() { [[ $1 =~ ^[1-9][0-9]{0,6}$ ]] && ((10#$1 >= $2 && 10#$1 <= $3)); }

[[ -n $tarball ]] || usage_error '--tarball is required (the output of npm pack or infra/pack-agent.sh)'
[[ -f $tarball && -r $tarball ]] || usage_error "--tarball: cannot read '$tarball'"
[[ -n $store ]] || usage_error '--store is required (s3://BUCKET/PREFIX or an absolute directory)'
s3_store='^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()/-]*)?$'
dir_store='^(file://)?/[A-Za-z0-9._@+/-]*$'
[[ $store =~ $s3_store || $store =~ $dir_store ]] ||
  usage_error "--store: expected s3://BUCKET/PREFIX or an absolute directory, got '$store'"
[[ -n $port ]] || usage_error '--port is required (the port the app listens on)'
in_range "$port" 1 65535 || usage_error "--port: expected a whole number from 1 to 65535, got '$port'"
if [[ -n $entry ]]; then
  [[ $entry =~ ^[A-Za-z0-9_@][A-Za-z0-9_@.+/-]*$ && ! $entry =~ (^|/)\.\.(/|$) ]] ||
    usage_error "--entry: expected a relative path inside the release (no '..', no leading '/'), got '$entry'"
fi
if [[ -n $workers && $workers != auto ]]; then
  in_range "$workers" 1 256 || usage_error "--workers: expected 'auto' or a whole number from 1 to 256, got '$workers'"
fi
if [[ -n $instance_id ]]; then
  [[ $instance_id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || usage_error "--instance-id: expected an id like i-0123456789abcdef0, got '$instance_id'"
fi
if [[ -n $region ]]; then
  [[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$ ]] || usage_error "--region: expected a region like eu-west-1, got '$region'"
fi
for arn in ${target_groups[@]+"${target_groups[@]}"}; do
  [[ $arn =~ ^arn:aws(-[a-z]+)*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$ ]] ||
    usage_error "--target-group-arn: expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID, got '$arn'"
done
if [[ -n $max_unavailable ]]; then
  [[ ${#target_groups[@]} -gt 0 ]] || usage_error '--max-unavailable needs --target-group-arn (it bounds instances out of a load balancer)'
  in_range "$max_unavailable" 1 1000 || usage_error "--max-unavailable: expected a whole number from 1 to 1000, got '$max_unavailable'"
fi
if [[ -n $root ]]; then
  [[ -d $root ]] || usage_error "--root: '$root' is not a directory"
  root=$(cd "$root" && pwd -P)
  [[ $root != / ]] || root=''
fi

npm_cmd=${NPM:-npm}
command -v node >/dev/null || fail 'node is not on PATH: install Node.js 24 (or 22) first'
command -v "$npm_cmd" >/dev/null || fail "'$npm_cmd' is not on PATH: install npm (or set NPM to its command)"
if [[ -z $root ]]; then
  [[ $(id -u) -eq 0 ]] || fail 'run as root (it creates a user and writes /opt, /etc), or use --root DIR'
  # The agent bin starts `#!/usr/bin/env -S node <V8 flags>` (agent/lifecycle/node-flags.ts).
  /usr/bin/env -S true 2>/dev/null ||
    fail '/usr/bin/env has no -S (the agent bin needs it to pass its V8 flags to node): install GNU coreutils 8.30 or later'
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' ||
    fail "deploy-agent needs Node.js 22 or later (24 recommended), found $(node --version)"
fi

changed=0
note_change() { changed=1; say "$1"; }

# Temporary files sit next to their targets (so mv is atomic) and go away however the script ends.
tmp_files=()
trap 'rm -f ${tmp_files[@]+"${tmp_files[@]}"}' EXIT
# Sets $tmp (not printed: a $(...) subshell could not add to tmp_files).
temp_next_to() { tmp=$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX"); tmp_files+=("$tmp"); }

# Moves $1 over $2 when their contents differ (put_changed=1); sets mode $3 and, outside --root, owner $4.
put_changed=0
put_file() {
  local source=$1 target=$2 mode=$3 owner=$4
  put_changed=0
  if [[ -f $target ]] && cmp -s "$source" "$target"; then
    rm -f "$source"
    say "unchanged: ${target#"$root"}"
  else
    put_changed=1
    chmod "$mode" "$source"
    [[ -n $root ]] || chown "$owner" "$source"
    mv -f "$source" "$target"
    note_change "wrote ${target#"$root"}"
  fi
  chmod "$mode" "$target"
  [[ -n $root ]] || chown "$owner" "$target"
}

# --- 1. the service user -----------------------------------------------------

if [[ -n $root ]]; then
  say "--root: not creating user $SERVICE_USER and not changing owners (run without --root on the machine)"
else
  if ! getent group "$SERVICE_USER" >/dev/null; then
    groupadd --system "$SERVICE_USER"
    note_change "created group $SERVICE_USER"
  fi
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    nologin=$(command -v nologin || echo /usr/sbin/nologin)
    useradd --system --gid "$SERVICE_USER" --home-dir "$RELEASES_DIR" --no-create-home --shell "$nologin" \
      --comment 'deploy-agent (deployctl)' "$SERVICE_USER"
    note_change "created user $SERVICE_USER"
  fi
fi

# --- 2. the agent ------------------------------------------------------------

prefix=$root$PREFIX
sha=$(sha256sum "$tarball" | cut -d' ' -f1)
marker=$prefix/.installed-tarball.sha256
bin=$prefix/node_modules/.bin/deploy-agent
if [[ -f $marker && $(<"$marker") == "$sha" && -x $bin ]]; then
  say "unchanged: agent in $PREFIX (tarball sha256 ${sha:0:12})"
else
  install -d -m 0755 "$prefix"
  [[ -f $prefix/package.json ]] ||
    printf '{\n  "description": "deploy-agent, installed by infra/install.sh",\n  "private": true\n}\n' >"$prefix/package.json"
  # A name per content, so npm sees an upgrade as a new dependency spec.
  local_tarball=deploy-agent-${sha:0:12}.tgz
  install -m 0644 "$tarball" "$prefix/$local_tarball"
  (cd "$prefix" && "$npm_cmd" install --prefix "$prefix" --omit=dev --ignore-scripts --no-audit --no-fund \
    --loglevel=warn "./$local_tarball") || fail "npm install of $tarball into $PREFIX failed (see above)"
  [[ -x $bin ]] || fail "$tarball has no deploy-agent bin: is it the $PACKAGE_NAME package?"
  find "$prefix" -maxdepth 1 -name 'deploy-agent-*.tgz' ! -name "$local_tarball" -delete
  printf '%s\n' "$sha" >"$marker"
  note_change "installed the agent in $PREFIX (tarball sha256 ${sha:0:12})"
fi

# --- 3. the config -----------------------------------------------------------

install -d -m 0755 "$root$CONFIG_DIR"
temp_next_to "$root$CONFIG_DIR/config.json"
config_tmp=$tmp
# JSON is written by node from the environment: no value is ever spliced into code.
DA_STORE=$store DA_PORT=$port DA_ENTRY=$entry DA_WORKERS=$workers DA_INSTANCE_ID=$instance_id \
  DA_REGION=$region DA_MAX_UNAVAILABLE=$max_unavailable DA_RELEASES_DIR=$RELEASES_DIR DA_SOCKET=$CONTROL_SOCKET \
  DA_TARGET_GROUPS=$(printf '%s\n' ${target_groups[@]+"${target_groups[@]}"}) \
  node -e '
    const e = process.env;
    const app = { port: Number(e.DA_PORT) };
    if (e.DA_ENTRY) app.entry = e.DA_ENTRY;
    if (e.DA_WORKERS) app.workers = e.DA_WORKERS === "auto" ? "auto" : Number(e.DA_WORKERS);
    const config = { store: e.DA_STORE, app };
    if (e.DA_REGION && e.DA_STORE.startsWith("s3://")) config.s3 = { region: e.DA_REGION };
    config.releasesDir = e.DA_RELEASES_DIR;
    if (e.DA_INSTANCE_ID) config.instanceId = e.DA_INSTANCE_ID;
    const arns = e.DA_TARGET_GROUPS.split("\n").filter(Boolean);
    if (arns.length > 0) {
      config.loadBalancer = { targetGroupArns: arns };
      if (e.DA_MAX_UNAVAILABLE) config.loadBalancer.maxUnavailable = Number(e.DA_MAX_UNAVAILABLE);
      if (e.DA_REGION) config.loadBalancer.region = e.DA_REGION;
    }
    config.control = { socket: e.DA_SOCKET };
    process.stdout.write(JSON.stringify(config, null, 2) + "\n");
  ' >"$config_tmp"
put_file "$config_tmp" "$root$CONFIG_DIR/config.json" 0640 "root:$SERVICE_USER"

# --- 4. the unit -------------------------------------------------------------

# The unit comes from the installed package, so it always matches the agent.
unit_source=$prefix/node_modules/$PACKAGE_NAME/infra/systemd/deploy-agent.service
[[ -f $unit_source ]] || fail "the installed package has no infra/systemd/deploy-agent.service: rebuild the tarball"
install -d -m 0755 "$(dirname "$root$UNIT_PATH")"
temp_next_to "$root$UNIT_PATH"
unit_tmp=$tmp
cp "$unit_source" "$unit_tmp"
put_file "$unit_tmp" "$root$UNIT_PATH" 0644 root:root
unit_changed=$put_changed

# A directory store gets status reports and locks written into it, and the unit makes
# everything but its own directories read-only (ProtectSystem=strict): open it with a drop-in.
drop_in=$root$STORE_DROP_IN
if [[ $store == s3://* ]]; then
  if [[ -f $drop_in ]]; then
    rm -f "$drop_in"
    rmdir "$(dirname "$drop_in")" 2>/dev/null || true
    unit_changed=1
    note_change "removed ${STORE_DROP_IN} (the store is no longer a directory)"
  fi
else
  install -d -m 0755 "$(dirname "$drop_in")"
  temp_next_to "$drop_in"
  drop_in_tmp=$tmp
  printf '# Written by install.sh: the release store is a directory the agent writes to.\n[Service]\nReadWritePaths=-%s\n' \
    "${store#file://}" >"$drop_in_tmp"
  put_file "$drop_in_tmp" "$drop_in" 0644 root:root
  [[ $put_changed -eq 0 ]] || unit_changed=1
fi

# --- 5. systemd --------------------------------------------------------------

if [[ -n $root ]]; then
  # What `systemctl --root enable` does for this unit (WantedBy=multi-user.target), without
  # needing systemctl on the machine that builds the image.
  wants_link=$root/etc/systemd/system/multi-user.target.wants/deploy-agent.service
  if [[ -L $wants_link && $(readlink "$wants_link") == "$UNIT_PATH" ]]; then
    say 'unchanged: deploy-agent.service is enabled'
  else
    install -d -m 0755 "$(dirname "$wants_link")"
    ln -sfn "$UNIT_PATH" "$wants_link"
    note_change 'enabled deploy-agent.service'
  fi
  say 'systemd is not running here (--root): nothing was started'
elif ! command -v systemctl >/dev/null; then
  say 'systemctl not found: the unit is installed but not enabled; run: systemctl enable --now deploy-agent'
elif [[ ! -d /run/systemd/system ]]; then
  # Offline: symlinks only. /run/systemd/system exists only when systemd is PID 1.
  if [[ $(systemctl --root=/ is-enabled deploy-agent.service 2>/dev/null || true) == enabled ]]; then
    say 'unchanged: deploy-agent.service is enabled'
  else
    systemctl --root=/ enable deploy-agent.service
    note_change 'enabled deploy-agent.service'
  fi
  say 'systemd is not running here (image build or container): nothing was started'
else
  [[ $unit_changed -eq 0 ]] || systemctl daemon-reload
  if [[ $(systemctl is-enabled deploy-agent.service 2>/dev/null || true) != enabled ]]; then
    systemctl enable deploy-agent.service
    note_change 'enabled deploy-agent.service'
  fi
  if [[ $start -eq 0 ]]; then
    say '--no-start: not starting or restarting deploy-agent'
  elif ! systemctl is-active --quiet deploy-agent.service; then
    systemctl start deploy-agent.service
    note_change 'started deploy-agent.service'
  elif [[ $changed -eq 1 ]]; then
    systemctl restart deploy-agent.service
    say 'restarted deploy-agent.service (something changed)'
  fi
fi

if [[ $changed -eq 1 ]]; then say 'done'; else say 'done: nothing changed'; fi
