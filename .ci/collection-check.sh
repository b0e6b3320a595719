#!/usr/bin/env bash
# The collection as users get it: `ansible-galaxy collection build` a tarball, install it
# (without dependencies: Galaxy is not reachable everywhere) into a fresh collections path
# next to community.docker from the `ansible` bundle, and have ansible-doc render every
# module from there (ansible-doc exits 0 on some doc errors, so the output is checked too).
set -euo pipefail
cd "$(dirname "$0")/.."
src=collections/ansible_collections/fleet/docker
tmp=$(mktemp -d /tmp/fleet-collection.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ansible-galaxy collection build "$src" --output-path "$tmp/dist" >/dev/null
tarball=$(ls "$tmp"/dist/fleet-docker-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) entries)"
if tar -tzf "$tarball" | grep -E '(__pycache__|tests/output|\.pyc$)'; then
  echo "the tarball carries build or cache files (see above)" >&2; exit 1
fi
# Only the fresh path (and the bundle's site-packages, for community.docker): not ./collections.
printf '[defaults]\n' > "$tmp/ansible.cfg"
export ANSIBLE_CONFIG="$tmp/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$tmp/collections"
ansible-galaxy collection install --no-deps -p "$tmp/collections" "$tarball" >/dev/null
cd "$tmp"
modules=$(ansible-doc -t module -l fleet.docker | awk '{print $1}')
count=$(echo "$modules" | wc -w)
[ "$count" -ge 9 ] || { echo "ansible-doc lists only $count fleet.docker modules: $modules" >&2; exit 1; }
for m in $modules; do
  out=$(ansible-doc "$m" 2>&1) || { echo "$out" >&2; echo "ansible-doc $m failed" >&2; exit 1; }
  case "$out" in
    *"$tmp/collections/ansible_collections/fleet/docker/plugins/modules/"*) ;;
    *) echo "$out" | head -5 >&2; echo "ansible-doc $m did not render from the installed tarball" >&2; exit 1 ;;
  esac
  if echo "$out" | grep -qiE '^\[?(ERROR|WARNING)'; then echo "$out" >&2; exit 1; fi
done
echo "tarball installs; ansible-doc renders all $count modules from it: $(echo $modules | tr '\n' ' ')"
