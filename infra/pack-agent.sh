#!/usr/bin/env bash
# Packs deploy-agent as one self-contained npm tarball: the `npm pack` output with
# its production dependencies bundled (bundleDependencies), so install.sh can
# install it on an instance that cannot reach the npm registry, e.g. from the
# release bucket. Run in a checkout after `npm ci && npm run build`.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: infra/pack-agent.sh [--out DIR]

Writes DIR/deploy-agent-<version>.tgz (default DIR: the current directory) and
prints its path as the last line. The production dependencies come from this
checkout's node_modules (as `npm ci` installed them from package-lock.json).
The tarball is reproducible: sorted entries, fixed owners and times.
EOF
}

fail() { printf 'pack-agent.sh: %s\n' "$1" >&2; exit "${2:-1}"; }

out=$PWD
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) [[ $# -ge 2 ]] || fail '--out needs a directory' 2; out=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" 2 ;;
  esac
done
[[ -d $out ]] || fail "--out: '$out' is not a directory" 2
out=$(cd "$out" && pwd -P)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"
[[ -f dist/agent/main.js ]] || fail 'dist/agent/main.js is missing: run npm run build first'
[[ -d node_modules ]] || fail 'node_modules is missing: run npm ci first'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The package exactly as npm publishes it (the "files" of package.json), in $work/package.
packed=$(npm pack --ignore-scripts --silent --pack-destination "$work")
tar -xzf "$work/$packed" -C "$work"
rm "$work/$packed"

# 2. Its production dependency tree, copied as installed (top-level dirs keep their nesting).
prod_tree=$(npm ls --omit=dev --all --parseable) || fail 'npm ls found missing or invalid dependencies: run npm ci'
while IFS= read -r dir; do
  [[ -n $dir ]] || continue
  mkdir -p "$work/package/$(dirname "$dir")"
  cp -a "$repo/$dir" "$work/package/$dir"
done < <(printf '%s\n' "$prod_tree" | sed -n "s#^$repo/##p" | awk -F/ '$1 == "node_modules" { print ($2 ~ /^@/) ? $1 "/" $2 "/" $3 : $1 "/" $2 }' | sort -u)

# 3. Declare them bundled, so npm installs them from the tarball instead of the registry.
node -e '
  const fs = require("node:fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.bundleDependencies = Object.keys(pkg.dependencies ?? {});
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$work/package/package.json"
version=$(node -p 'require(process.argv[1]).version' "$work/package/package.json")

# 4. A reproducible tarball: npm's own fixed mtime, root owner, sorted entries, no gzip timestamp.
target=$out/deploy-agent-$version.tgz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='1985-10-26 08:15:00Z' \
  -C "$work" -cf - package | gzip -n -9 >"$target.tmp"
mv -f "$target.tmp" "$target"
printf '%s\n' "$target"
