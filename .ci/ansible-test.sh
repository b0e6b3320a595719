#!/usr/bin/env bash
# ansible-test for the fleet.docker collection, as community collections' CI runs it:
# the collection and its dependency (community.docker, copied from the `ansible` bundle
# in the venv) side by side in a throwaway ansible_collections/ root.
#   .ci/ansible-test.sh sanity|units [extra ansible-test args]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: $0 sanity|units [args]}; shift
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
site=$(python3 -c 'import ansible_collections, os; print(os.path.dirname(ansible_collections.__path__[0]))' 2>/dev/null || true)
src=collections/ansible_collections/fleet/docker
root=$(mktemp -d /tmp/fleet-ansible-test.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/ansible_collections/fleet" "$root/ansible_collections/community"
# Copy what git tracks (plus uncommitted edits), not caches or build output.
tar -C "$src" --exclude=__pycache__ --exclude=tests/output --exclude='*.tar.gz' -cf - . \
  | { mkdir -p "$root/ansible_collections/fleet/docker"; tar -C "$root/ansible_collections/fleet/docker" -xf -; }
if [ -d "$site/ansible_collections/community/docker" ]; then
  cp -a "$site/ansible_collections/community/docker" "$root/ansible_collections/community/docker"
else
  echo "community.docker not found next to ansible-core (install requirements.txt: the ansible bundle)" >&2; exit 1
fi
# ansible-test bootstraps pip in its sanity venvs with a get-pip script it downloads from
# ci-files.testing.ansible.com (not reachable everywhere). It uses a cached copy first; this
# stand-in does the same job with the interpreter's own ensurepip + pip from PyPI.
for ver in $(python3 - <<'PY'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(" ".join(sorted(set(re.findall(r"pip='([0-9.]+)'", src)))))
PY
); do
  cache=~/.ansible/test/cache/get_pip_${ver//./_}.py
  if [ ! -f "$cache" ]; then
    mkdir -p "$(dirname "$cache")"
    cat > "$cache" <<'PY'
"""Stand-in for ansible-test's get-pip bootstrap: ensurepip, then pip installs the pinned pip."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
  fi
done
cd "$root/ansible_collections/fleet/docker"
start=$(date +%s)
case "$what" in
  sanity) ansible-test sanity --color no --python "$py" "$@" ;;
  units)  ansible-test units --color no --venv --python "$py" "$@" ;;
  *) echo "unknown: $what" >&2; exit 2 ;;
esac
echo "ansible-test $what (ansible-core $(python3 -c 'import ansible; print(ansible.__version__)'), Python $py) passed in $(( $(date +%s) - start ))s"
