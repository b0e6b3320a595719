#!/usr/bin/env python3
"""Controller matrix, current leg: the project on ansible 14 (ansible-core 2.21) and Python 3.13.

This host has Python 3.11, where pip resolves ansible-core 2.19 at most, so the current
controller runs in a container of the lab's trixie image (Python 3.13):

  1. wheels: the host downloads ansible 14.x + pytest for Python 3.13 into a cache
     outside the repository (MATRIX_WHEELS, default ~/.cache/fleet/wheels/py3.13); a
     complete cache is used offline, otherwise pip fetches what is missing;
  2. image: fleet-lab/controller:trixie = the node image + python3-venv (built when
     missing or when the node image changed; the build reaches Debian's mirror);
  3. lab: a small lab (MATRIX_NODES=3: one manager, two workers; name mtx-lab) reached
     over SSH as the `ops` user, like real hosts;
  4. in the controller (same paths as here, so the lab inventory's key path holds):
     a venv installed offline from the wheels, then the unit tests, ansible-doc of every
     module and role, site.yml, site.yml again (changed=0), the removal runbook for one
     worker, checked against `docker node ls` on the manager.

`lab/matrix.py --ansible-test` instead runs `ansible-test sanity` and `units` of the
collection (.ci/ansible-test.sh) with ansible-core 2.21 in such a controller, no lab: the
host also downloads the wheels ansible-test's own sanity/unit venvs install (its pinned
requirement files, for Python PY) and the controller's pip reads only those.

Prints each step's figures and the versions it ran; exits non-zero at the first failure.
MATRIX_KEEP=1 keeps the lab and the controller for debugging.
"""

import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = os.environ.get("MATRIX_PYTHON", "3.13")
ANSIBLE = os.environ.get("MATRIX_ANSIBLE", "ansible>=14,<15")
EXTRA = ["pytest>=8"]
WHEELS = os.path.expanduser(os.environ.get("MATRIX_WHEELS", "~/.cache/fleet/wheels/py" + PY))
LAB = os.environ.get("MATRIX_LAB", "mtx-lab")
CONTROLLER = os.environ.get("MATRIX_CONTROLLER", "mtx-controller")
NODES = int(os.environ.get("MATRIX_NODES", "3"))
IMAGE_NODE = "fleet-lab/node:latest"
IMAGE_CONTROLLER = "fleet-lab/controller:trixie"
STATE = os.path.join(HERE, ".state", LAB)
INVENTORY = os.path.join(STATE, "hosts.yml")
VENV = "/opt/ansible"

_T0 = time.monotonic()


def say(msg):
    print("[matrix %6.1fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def run(cmd, check=True, capture=False, **kw):
    res = subprocess.run(cmd, text=True, capture_output=capture, **kw)
    if check and res.returncode != 0:
        if capture:
            sys.stderr.write(res.stdout[-4000:] + res.stderr[-4000:])
        raise SystemExit("matrix: failed (%d): %s" % (res.returncode, " ".join(cmd)[:300]))
    return res


# --------------------------------------------------------------------------- host side


def wheels():
    """Wheels for Python PY in WHEELS: offline from the cache when complete, else from PyPI."""
    os.makedirs(WHEELS, exist_ok=True)
    base = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--python-version", PY,
            "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
            "--platform", "manylinux_2_28_x86_64", "-d", WHEELS, ANSIBLE] + EXTRA
    offline = run(base + ["--no-index", "--find-links", WHEELS], check=False, capture=True)
    if offline.returncode == 0:
        return "cache"
    run(base, capture=True)
    return "downloaded"


def image_id(image):
    res = run(["docker", "image", "inspect", "--format", "{{.Id}}", image], check=False, capture=True)
    return res.stdout.strip() if res.returncode == 0 else ""


def controller_image():
    node = image_id(IMAGE_NODE)
    if not node:
        run([sys.executable, os.path.join(HERE, "labctl.py"), "images"])
        node = image_id(IMAGE_NODE)
    have = run(["docker", "image", "inspect", "--format", '{{ index .Config.Labels "fleet.lab.from" }}',
                IMAGE_CONTROLLER], check=False, capture=True)
    if have.returncode == 0 and have.stdout.strip() == node:
        return "present"
    dockerfile = ("FROM %s\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                  "--no-install-recommends python3-venv openssh-client && rm -rf /var/lib/apt/lists/*\n"
                  'LABEL fleet.lab.from="%s"\nCMD ["sleep", "infinity"]\n' % (IMAGE_NODE, node))
    run(["docker", "build", "-q", "-t", IMAGE_CONTROLLER, "-"], input=dockerfile, capture=True)
    return "built"


def copy_project(container=CONTROLLER, lab_state=True):
    """The working tree (no venv, no git, no other labs' state) into the controller at ROOT."""
    excludes = ["--exclude=./.venv", "--exclude=./.git", "--exclude=./lab/.state", "--exclude=*/__pycache__",
                "--exclude=./collections/ansible_collections/fleet/docker/tests/output"]
    tar = subprocess.Popen(["tar", "-C", ROOT] + excludes + ["-cf", "-", "."], stdout=subprocess.PIPE)
    run(["docker", "exec", "-i", container, "sh", "-c", "mkdir -p %s && tar -C %s -xf -" % (ROOT, ROOT)],
        stdin=tar.stdout, capture=True)
    if tar.wait() != 0:
        raise SystemExit("matrix: tar of the project failed")
    if not lab_state:
        return
    # the lab's key, its nodes' host keys and inventory (paths as written into the inventory)
    tar = subprocess.Popen(["tar", "-C", ROOT, "-cf", "-", "lab/.state/id_ed25519", "lab/.state/id_ed25519.pub",
                            "lab/.state/%s.known_hosts" % LAB, os.path.relpath(STATE, ROOT)], stdout=subprocess.PIPE)
    run(["docker", "exec", "-i", container, "tar", "-C", ROOT, "-xf", "-"], stdin=tar.stdout, capture=True)
    tar.wait()


def host_main():
    durations = {}

    def timed(name, fn):
        t = time.monotonic()
        out = fn()
        durations[name] = time.monotonic() - t
        say("%s: %s in %.1fs" % (name, out, durations[name]))
        return out

    lab = ["--name", LAB, "--network", LAB, "--nodes", str(NODES), "--managers", "1", "--inventory", INVENTORY]
    try:
        timed("wheels for Python %s (%s)" % (PY, WHEELS), wheels)
        timed("controller image %s" % IMAGE_CONTROLLER, controller_image)
        timed("lab %s (%d nodes)" % (LAB, NODES),
              lambda: run([sys.executable, os.path.join(HERE, "labctl.py"), "up"] + lab, capture=True) and "up")

        def start():
            run(["docker", "rm", "-f", CONTROLLER], check=False, capture=True)
            run(["docker", "run", "-d", "--name", CONTROLLER, "--network", LAB, "--label", "fleet.lab=%s" % LAB,
                 "-v", "%s:/wheels:ro" % WHEELS, IMAGE_CONTROLLER, "sleep", "infinity"], capture=True)
            copy_project()
            return "started"

        timed("controller %s" % CONTROLLER, start)
        t = time.monotonic()
        res = subprocess.run(["docker", "exec", "-e", "MATRIX_LAB=%s" % LAB, "-w", ROOT, CONTROLLER, "python3",
                              "lab/matrix.py", "--inside"], text=True)
        durations["in the controller"] = time.monotonic() - t
        if res.returncode != 0:
            raise SystemExit("matrix: the current-controller leg FAILED")
    finally:
        if os.environ.get("MATRIX_KEEP") != "1":
            run(["docker", "rm", "-f", CONTROLLER], check=False, capture=True)
            run([sys.executable, os.path.join(HERE, "labctl.py"), "down"] + lab, check=False, capture=True)
    say("current leg passed in %.0fs" % (time.monotonic() - _T0))


def ansible_test_wheels():
    """Wheels for ansible-test's pinned sanity/unit requirements (read from the ansible-core wheel)."""
    import glob
    import zipfile

    core = sorted(glob.glob(os.path.join(WHEELS, "ansible_core-*.whl")))
    if not core:
        raise SystemExit("matrix: no ansible-core wheel in %s" % WHEELS)
    target = WHEELS + "-ansible-test"
    os.makedirs(target, exist_ok=True)
    tmp = os.path.join(target, ".requirements")
    os.makedirs(tmp, exist_ok=True)
    pip_version = ""
    with zipfile.ZipFile(core[-1]) as whl:
        for name in whl.namelist():
            base = os.path.basename(name)
            if name.startswith("ansible_test/_data/requirements/") and base.endswith(".txt") \
                    and (base.startswith("sanity.") or base in ("units.txt", "ansible.txt", "ansible-test.txt")) \
                    and base != "sanity.pslint.txt":
                with open(os.path.join(tmp, base), "wb") as fh:
                    fh.write(whl.read(name))
            elif name == "ansible_test/_internal/python_requirements.py":
                found = re.search(r"pip='([0-9.]+)'", whl.read(name).decode())
                pip_version = found.group(1) if found else ""
    # a stamp of the requirement files whose wheels are all here skips ~10 pip resolutions
    import hashlib

    digest = hashlib.sha256(("pip==%s\n" % pip_version).encode())
    for req in sorted(os.listdir(tmp)):
        with open(os.path.join(tmp, req), "rb") as fh:
            digest.update(req.encode() + b"\0" + fh.read())
    stamp = os.path.join(target, ".complete")
    if os.path.exists(stamp) and open(stamp).read().strip() == digest.hexdigest():
        return "%s (cache)" % target
    got = []
    for req in sorted(os.listdir(tmp)):
        base = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--python-version", PY,
                "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
                "--platform", "manylinux_2_28_x86_64", "-d", target, "-r", os.path.join(tmp, req)]
        if run(base + ["--no-index", "--find-links", target], check=False, capture=True).returncode != 0:
            run(base, capture=True)
            got.append(req)
    extra = ["pip==" + pip_version] if pip_version else ["pip"]
    extra += ["cryptography"]  # tests/unit/requirements.txt
    base = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--python-version", PY,
            "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64", "-d",
            target] + extra
    if run(base + ["--no-index", "--find-links", target], check=False, capture=True).returncode != 0:
        run(base, capture=True)
    with open(stamp, "w") as fh:
        fh.write(digest.hexdigest() + "\n")
    return "%s (%s)" % (target, "downloaded for " + ", ".join(got) if got else "cache")


def ansible_test_main():
    """ansible-test sanity + units with the current ansible-core in a controller container (no lab)."""
    name = CONTROLLER + "-at"
    try:
        say("wheels: %s" % wheels())
        say("ansible-test wheels: %s" % ansible_test_wheels())
        say("controller image: %s" % controller_image())
        run(["docker", "rm", "-f", name], check=False, capture=True)
        run(["docker", "run", "-d", "--name", name, "--label", "fleet.lab=%s" % LAB, "-v", "%s:/wheels:ro" % WHEELS,
             "-v", "%s-ansible-test:/wheels-at:ro" % WHEELS, IMAGE_CONTROLLER, "sleep", "infinity"], capture=True)
        copy_project(name, lab_state=False)
        res = subprocess.run(["docker", "exec", "-w", ROOT, name, "python3", "lab/matrix.py", "--inside-ansible-test"],
                             text=True)
        if res.returncode != 0:
            raise SystemExit("matrix: ansible-test on the current controller FAILED")
    finally:
        if os.environ.get("MATRIX_KEEP") != "1":
            run(["docker", "rm", "-f", name], check=False, capture=True)
    say("ansible-test on the current controller passed in %.0fs" % (time.monotonic() - _T0))


# --------------------------------------------------------------------------- controller side


def install_venv():
    run(["python3", "-m", "venv", VENV], capture=True)
    # --no-compile: byte-compiling the bundle's ~100 collections would double the install time
    run([VENV + "/bin/pip", "install", "-q", "--no-compile", "--disable-pip-version-check", "--no-index", "--find-links",
         "/wheels", ANSIBLE] + EXTRA, capture=True)
    out = run([VENV + "/bin/python", "-c", "import ansible, sys; from importlib.metadata import version; "
               "print('Python %d.%d.%d' % sys.version_info[:3], 'ansible', version('ansible'), "
               "'ansible-core', ansible.__version__)"], capture=True).stdout.strip()
    cd = json.load(open(os.path.join(VENV, "lib", "python" + PY, "site-packages", "ansible_collections",
                                     "community", "docker", "MANIFEST.json")))["collection_info"]["version"]
    return "%s community.docker %s" % (out, cd)


def inside_ansible_test():
    t = time.monotonic()
    say("venv from the wheels (offline): %s in %.1fs" % (install_venv(), time.monotonic() - t))
    # ansible-test's own venvs: pip reads only the wheels the host downloaded (no index here)
    with open("/etc/pip.conf", "w") as fh:
        fh.write("[global]\nno-index = true\nfind-links = /wheels-at\n")
    env = dict(os.environ, PATH=VENV + "/bin:" + os.environ["PATH"])
    for what in ("sanity", "units"):
        t = time.monotonic()
        res = subprocess.run([".ci/ansible-test.sh", what], env=env, text=True, capture_output=True)
        tail = [line for line in res.stdout.splitlines() if line.startswith(("ERROR", "FATAL", "ansible-test "))]
        if res.returncode != 0:
            print(res.stdout[-8000:] + res.stderr[-4000:])
            raise SystemExit("matrix: ansible-test %s failed" % what)
        say("ansible-test %-6s %6.1fs  %s" % (what, time.monotonic() - t, tail[-1] if tail else "ok"))


def inside_main():
    sys.path.insert(0, HERE)
    from runner import run_playbook  # noqa: E402 (stdlib only; shared with e2e.py)

    os.environ["PATH"] = VENV + "/bin:" + os.environ["PATH"]
    os.environ.pop("ANSIBLE_COLLECTIONS_PATH", None)

    def step(title, fn):
        t = time.monotonic()
        detail = fn()
        say("%-44s %6.1fs  %s" % (title, time.monotonic() - t, detail or "ok"))

    def units():
        res = run(["pytest", "-q", "-p", "no:cacheprovider", "collections/ansible_collections/fleet/docker/tests/unit",
                   "lab/tests"], check=False, capture=True)
        if res.returncode != 0:
            sys.stdout.write(res.stdout[-6000:])
            raise SystemExit("matrix: unit tests failed on the current controller")
        return res.stdout.strip().splitlines()[-1]

    def docs():
        # one ansible-doc call per plugin type (each start costs seconds); every name must render
        env = dict(os.environ, ANSIBLE_NOCOLOR="1")
        listed = run(["ansible-doc", "-t", "module", "-l", "fleet.docker"], capture=True, env=env).stdout.split()
        modules = [m for m in listed if m.startswith("fleet.docker.")]
        if len(modules) < 9:
            raise SystemExit("matrix: ansible-doc lists only %s" % modules)
        out = run(["ansible-doc"] + modules, capture=True, env=env)
        missing = [m for m in modules if not re.search(r"^> MODULE %s " % re.escape(m), out.stdout, re.M)]
        roles = sorted(d for d in os.listdir("roles") if os.path.isdir(os.path.join("roles", d, "meta")))
        out_roles = run(["ansible-doc", "-t", "role", "-r", "roles"] + roles, capture=True, env=env)
        missing += [r for r in roles if not re.search(r"^> ROLE:? \*?%s\*? " % re.escape(r), out_roles.stdout, re.M)]
        # (ansible-core 2.21 warns about its own internal _protomatter collection: not ours)
        errors = [line for line in (out.stderr + out_roles.stderr).splitlines()
                  if "ERROR" in line or ("WARNING" in line and "_protomatter" not in line)]
        if missing or errors:
            raise SystemExit("matrix: ansible-doc did not render %s: %s" % (missing, errors))
        return "%d modules, %d roles" % (len(modules), len(roles))

    inv_dir = os.path.dirname(INVENTORY)

    def playbook(title, path, *extra, changed_zero=False):
        def go():
            res = run_playbook(inv_dir, path, *extra)
            good = res.ok and (not changed_zero or res.total("changed") == 0)
            if not good:
                print(res.output[-8000:])
                raise SystemExit("matrix: %s FAILED (changed=%d)" % (title, res.total("changed")))
            return "tasks=%d changed=%d" % (res.tasks, res.total("changed"))
        step(title, go)

    step("venv from the wheels (offline)", install_venv)
    step("unit tests", units)
    step("ansible-doc of every module and role", docs)
    playbook("site.yml: converge", "site.yml")
    playbook("site.yml again: changed=0", "site.yml", changed_zero=True)
    leaving = "%s-wrk%d" % (LAB, NODES - 1)
    playbook("removal runbook: %s" % leaving, "playbooks/swarm_remove_node.yml", "-e", "swarm_remove_nodes=" + leaving)

    def gone():
        manager = "%s-mgr1" % LAB
        out = run(["ansible", "-i", inv_dir, manager, "-m", "ansible.builtin.command", "-a",
                   "docker node ls --format json"], capture=True,
                  env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))).stdout
        listed = [json.loads(line)["Hostname"] for line in out.splitlines() if line.startswith("{")]
        if leaving in listed or len(listed) != NODES - 1:
            raise SystemExit("matrix: after the removal docker node ls lists %s" % listed)
        return "docker node ls: %s" % ", ".join(listed)

    step("removed node is gone (docker node ls)", gone)


if __name__ == "__main__":
    if "--inside" in sys.argv:
        inside_main()
    elif "--inside-ansible-test" in sys.argv:
        inside_ansible_test()
    elif "--ansible-test" in sys.argv:
        ansible_test_main()
    else:
        host_main()
