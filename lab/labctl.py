#!/usr/bin/env python3
"""labctl: the local lab of docker-in-docker nodes (stdlib only, runs before the venv).

Subcommands
  engine        make sure a Docker engine answers (installs Debian's docker.io as root)
  engine-stop   stop the dockerd `engine` started itself (by PID), and nothing else
  images        build the lab images that are missing or out of date (--bare: also the
                node image without Docker)
  up            engine + images + N nodes + Jenkins stand-in + inventory/lab/hosts.yml
  down          remove everything `up` made
  status        list lab containers
  nodes-up      create named nodes on a network (used by Molecule's create playbook)
  nodes-down    remove named nodes, their volumes and the network (Molecule's destroy)
  load          copy an image from the host engine into nodes
  standin       start the Jenkins stand-in container on a network

Every container, volume and network the lab makes carries the label
`fleet.lab=<name>` so `down` removes exactly what was made and nothing else.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STATE = os.path.join(HERE, ".state")
INVENTORY = os.path.join(ROOT, "inventory", "lab", "hosts.yml")

IMAGE_BASE = "fleet-lab/base:trixie"
IMAGE_NODE = "fleet-lab/node:latest"
IMAGE_REGISTRY = "fleet-lab/registry:2"
IMAGE_APP = "fleet-lab/app:1"
# A node without Docker (a fresh host for the docker_engine role); built on first use only.
IMAGE_BARE = "fleet-lab/bare:trixie"
# Images a node may ask for by short name (Molecule platform `image:`, nodes-up --image).
NODE_IMAGES = {"node": IMAGE_NODE, "bare": IMAGE_BARE}
PULLABLE_BASE = os.environ.get("LAB_BASE_IMAGE", "debian:trixie-slim")
PULLABLE_REGISTRY = os.environ.get("LAB_REGISTRY_IMAGE", "registry:2")
MIRROR = os.environ.get("LAB_DEBIAN_MIRROR", "http://deb.debian.org/debian")
LABEL = "fleet.lab"
DEFAULT_LAB = "fleet-lab"

# Flags that run systemd + dockerd in a container both here (no CAP_SYS_RESOURCE in
# the bounding set, so --privileged fails) and on a normal host. See
# ../shared/design/environment.md and docs/lab.md.
NODE_RUN_FLAGS = [
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined",
    "--security-opt", "apparmor=unconfined",
    "--security-opt", "systempaths=unconfined",
    "--cgroupns", "host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
]

STANDIN_PORT = 8080
STANDIN_JOBS = ["deploy-on-push=lab-token-123", "team/app-build=team-token-456"]
# The same jobs with a Generic Webhook Trigger (token in a header; the lab's default form).
STANDIN_GWT_JOBS = list(STANDIN_JOBS)

# Every command this tool runs is bounded, so no probe or step can hang the lab or CI.
# Seconds: the default for one command, a probe (asked again until its own deadline),
# and the long steps (package installs, image builds and transfers).
TIMEOUT = 180
PROBE_TIMEOUT = 15
LONG_TIMEOUT = 1200
# Where `engine` records the dockerd it started itself (PID and start time), so that
# `engine-stop` (.ci/run) stops exactly that process and nothing else.
ENGINE_MARKER = os.path.join(STATE, "dockerd-started-by-lab")

_T0 = time.monotonic()


# --------------------------------------------------------------------------- output


def say(msg):
    print("[lab %6.1fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def die(msg, code=1):
    print("lab: error: %s" % msg, file=sys.stderr, flush=True)
    sys.exit(code)


def run(cmd, check=True, capture=True, input=None, timeout=TIMEOUT, env=None):
    """Run a command for at most `timeout` seconds; on failure exit with its stderr (never
    a traceback). With check=False a command that times out answers like a failed one
    (returncode 124, as timeout(1) does), so a probe that hangs counts as "not yet"."""
    try:
        res = subprocess.run(cmd, input=input, capture_output=capture, text=True, timeout=timeout, env=env)
    except FileNotFoundError:
        die("%s is not installed" % cmd[0])
    except subprocess.TimeoutExpired:
        if not check:
            return subprocess.CompletedProcess(cmd, 124, "", "timed out after %ss" % timeout)
        die("timed out after %ss: %s" % (timeout, " ".join(cmd)))
    if check and res.returncode != 0:
        err = (res.stderr or res.stdout or "").strip() if capture else ""
        die("command failed (%d): %s\n%s" % (res.returncode, " ".join(cmd), err))
    return res


def docker(*args, **kw):
    return run(["docker"] + list(args), **kw)


def wait_until(what, probe, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        if probe():
            return
        if time.monotonic() > deadline:
            die("%s: not ready after %ss" % (what, timeout))
        time.sleep(interval)


# --------------------------------------------------------------------------- engine


def engine_answers():
    if not shutil.which("docker"):
        return False
    return run(["docker", "info", "--format", "{{.ServerVersion}}"], check=False,
               timeout=PROBE_TIMEOUT).returncode == 0


def cmd_engine(args):
    if engine_answers():
        say("engine: %s answers" % docker("info", "--format", "{{.ServerVersion}}").stdout.strip())
        return
    is_root = os.geteuid() == 0
    has_apt = shutil.which("apt-get") is not None
    if not (is_root and has_apt):
        die(
            "no Docker engine answers and I cannot install one here "
            "(need root on Debian/Ubuntu; root=%s, apt-get=%s). Install Docker Engine, "
            "start it, make `docker info` work for this user, then run again." % (is_root, has_apt)
        )
    if not shutil.which("dockerd"):
        say("engine: installing Debian's docker.io (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "docker.io"]):
            res = run(cmd, env=env, check=False, timeout=LONG_TIMEOUT)
            if res.returncode != 0:
                die("%s failed:\n%s" % (" ".join(cmd), res.stderr[-2000:]))
    if shutil.which("systemctl") and run(["systemctl", "is-system-running"], check=False,
                                         timeout=PROBE_TIMEOUT).stdout.strip() in (
        "running", "degraded",
    ):
        say("engine: starting docker.service")
        run(["systemctl", "start", "docker"])
    else:
        log = "/var/log/fleet-lab-dockerd.log"
        say("engine: starting dockerd in the background (log: %s)" % log)
        with open(log, "ab") as fh:
            proc = subprocess.Popen(["dockerd"], stdout=fh, stderr=fh, start_new_session=True)
        write_engine_marker(ENGINE_MARKER, proc.pid)
    wait_until("docker engine", engine_answers, 60)
    say("engine: %s answers" % docker("info", "--format", "{{.ServerVersion}}").stdout.strip())


def process_start_time(pid):
    """Start time of a process (clock ticks since boot, /proc/PID/stat field 22); None when
    it does not exist. With the PID it names one process: a PID reused later differs."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            stat = fh.read()
    except (OSError, ValueError):
        return None
    # the command name (field 2) is in parentheses and may contain spaces
    return stat.rsplit(")", 1)[1].split()[19]


def process_name(pid):
    try:
        with open("/proc/%d/comm" % pid) as fh:
            return fh.read().strip()
    except OSError:
        return None


def write_engine_marker(path, pid):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump({"pid": pid, "start_time": process_start_time(pid), "name": process_name(pid)}, fh)
        fh.write("\n")


def stop_started_engine(path=ENGINE_MARKER, wait=60, sig=15):
    """Stop the dockerd `engine` started (recorded in `path`), only if that very process
    (same PID, same start time, same name) still runs; remove the marker in any case.
    Returns what it did: "none" (no marker), "gone" (the process had ended or the PID is
    another process now), "stopped", or "still running" (after `wait` seconds)."""
    try:
        with open(path) as fh:
            marker = json.load(fh)
        pid = int(marker["pid"])
    except FileNotFoundError:
        return "none"
    except (OSError, ValueError, KeyError, TypeError):
        os.remove(path)
        return "gone"
    verdict = "gone"
    if pid > 1 and process_start_time(pid) is not None and process_start_time(pid) == marker.get("start_time") \
            and process_name(pid) == marker.get("name"):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait
        verdict = "stopped"
        while process_start_time(pid) == marker.get("start_time"):
            if _reap(pid):
                break
            if time.monotonic() > deadline:
                verdict = "still running"
                break
            time.sleep(0.2)
    os.remove(path)
    return verdict


def _reap(pid):
    """Collect a child that exited (a zombie keeps its /proc entry); True when reaped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def cmd_engine_stop(args):
    verdict = stop_started_engine(wait=args.wait)
    say("engine-stop: %s" % {"none": "this tool started no dockerd", "gone": "the dockerd it started has ended",
                             "stopped": "stopped the dockerd it started",
                             "still running": "the dockerd it started did not stop in %ss" % args.wait}[verdict])
    if verdict == "still running":
        sys.exit(1)


# --------------------------------------------------------------------------- images


def image_label(image, key):
    res = docker("image", "inspect", "--format", "{{ index .Config.Labels \"%s\" }}" % key, image, check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def image_id(image):
    res = docker("image", "inspect", "--format", "{{.Id}}", image, check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def dir_hash(path, extra=""):
    h = hashlib.sha256(extra.encode())
    for dirpath, _, files in sorted(os.walk(path)):
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            h.update(os.path.relpath(full, path).encode())
            with open(full, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


def try_pull(image):
    return docker("pull", "-q", image, check=False, timeout=LONG_TIMEOUT).returncode == 0


def ensure_base():
    """The Debian base every lab image builds FROM."""
    if image_id(IMAGE_BASE):
        return IMAGE_BASE
    if try_pull(PULLABLE_BASE):
        say("images: base %s pulled" % PULLABLE_BASE)
        docker("tag", PULLABLE_BASE, IMAGE_BASE)
        return IMAGE_BASE
    say("images: %s cannot be pulled; making the base with debootstrap (about a minute)" % PULLABLE_BASE)
    if os.geteuid() != 0:
        die("debootstrap needs root; or make %s pullable" % PULLABLE_BASE)
    if not shutil.which("debootstrap"):
        if not shutil.which("apt-get"):
            die("debootstrap is missing and apt-get is not available to install it")
        run(["apt-get", "install", "-y", "-qq", "debootstrap"], timeout=LONG_TIMEOUT)
    with tempfile.TemporaryDirectory(prefix="fleet-lab-rootfs-") as root:
        t = time.monotonic()
        run(["debootstrap", "--variant=minbase", "trixie", root, MIRROR], timeout=LONG_TIMEOUT)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        try:
            imp = subprocess.run(["docker", "import", "-", IMAGE_BASE], stdin=tar.stdout, capture_output=True,
                                 text=True, timeout=LONG_TIMEOUT)
            tar.wait(timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            tar.kill()
            die("docker import of the debootstrap tree timed out after %ss" % LONG_TIMEOUT)
        if imp.returncode != 0 or tar.returncode != 0:
            die("docker import of the debootstrap tree failed: %s" % imp.stderr)
        say("images: base made by debootstrap in %.0fs" % (time.monotonic() - t))
    return IMAGE_BASE


def ensure_built(image, context, base):
    want = dir_hash(os.path.join(HERE, "images", context), extra=image_id(base) or "")
    if image_label(image, "fleet.lab.inputs") == want:
        return False
    say("images: building %s (inputs %s)" % (image, want))
    t = time.monotonic()
    res = run(
        ["docker", "build", "-q", "--build-arg", "BASE=%s" % base, "--label", "fleet.lab.inputs=%s" % want,
         "-t", image, os.path.join(HERE, "images", context)],
        check=False, timeout=LONG_TIMEOUT, env=dict(os.environ, DOCKER_BUILDKIT="0"),
    )
    if res.returncode != 0:
        die("building %s failed:\n%s" % (image, (res.stdout + res.stderr)[-3000:]))
    say("images: %s built in %.0fs" % (image, time.monotonic() - t))
    return True


def registry_image():
    """registry:2 where pullable (a normal host), otherwise the Debian-built stand-in."""
    if image_id(PULLABLE_REGISTRY) or (os.environ.get("LAB_TRY_PULL_REGISTRY", "1") == "1" and try_pull(PULLABLE_REGISTRY)):
        return PULLABLE_REGISTRY
    return IMAGE_REGISTRY


def cmd_images(args):
    t = time.monotonic()
    base = ensure_base()
    ensure_built(IMAGE_NODE, "node", base)
    ensure_built(IMAGE_APP, "app", base)
    if getattr(args, "bare", False):
        ensure_built(IMAGE_BARE, "bare", base)
    reg = registry_image()
    if reg == IMAGE_REGISTRY:
        ensure_built(IMAGE_REGISTRY, "registry", base)
    say("images: ready in %.0fs (node %s, registry %s, app %s)" % (time.monotonic() - t, IMAGE_NODE, reg, IMAGE_APP))
    return reg


# --------------------------------------------------------------------------- nodes


def ssh_key():
    key = os.path.join(STATE, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(STATE, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleet-lab", "-f", key])
    with open(key + ".pub") as fh:
        return key, fh.read().strip()


def ensure_network(network, lab):
    if docker("network", "inspect", network, check=False).returncode != 0:
        docker("network", "create", "--label", "%s=%s" % (LABEL, lab), network)


def container_ip(name, network):
    fmt = '{{ (index .NetworkSettings.Networks "%s").IPAddress }}' % network
    return docker("inspect", "--format", fmt, name).stdout.strip()


def node_ready(name, image=IMAGE_NODE):
    if image == IMAGE_BARE:  # no Docker in it: systemd up is ready
        probe = "systemctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)$'"
    else:
        probe = "systemctl is-active -q docker && docker info --format '{{.ServerVersion}}' >/dev/null"
    return run(["docker", "exec", name, "sh", "-c", probe], check=False, timeout=PROBE_TIMEOUT).returncode == 0


def parse_images(specs):
    """`name=image` pairs (image: a full name or a short one of NODE_IMAGES) -> {name: image}."""
    out = {}
    for spec in specs or []:
        name, sep, image = spec.partition("=")
        if not sep or not name or not image:
            die("--image wants NODE=IMAGE (IMAGE: %s or a full image name), got %r" % ("|".join(NODE_IMAGES), spec))
        out[name] = NODE_IMAGES.get(image, image)
    return out


def ensure_node_images(images):
    """Build the lab's own node images that nodes ask for and that are missing."""
    if IMAGE_BARE in images.values():
        ensure_built(IMAGE_BARE, "bare", ensure_base())


# Every systemd in a node holds inotify instances of the host's root user; the kernel's
# default (128 per user) is exhausted by ~15 nodes, after which new nodes never boot.
INOTIFY_MINIMUM = {"fs/inotify/max_user_instances": 1024, "fs/inotify/max_user_watches": 524288}


def ensure_inotify_limits():
    for key, want in INOTIFY_MINIMUM.items():
        path = "/proc/sys/" + key
        try:
            with open(path) as fh:
                have = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if have >= want:
            continue
        if os.geteuid() != 0:
            say("warning: %s is %d; nodes may fail to boot beyond ~15 (as root: sysctl -w %s=%d)"
                % (key.replace("/", "."), have, key.replace("/", "."), want))
            continue
        try:
            with open(path, "w") as fh:
                fh.write(str(want))
            say("host: raised %s from %d to %d (systemd in every node needs inotify instances)"
                % (key.replace("/", "."), have, want))
        except OSError as exc:
            say("warning: cannot raise %s (%s); nodes may fail to boot beyond ~15" % (key.replace("/", "."), exc))


HOST_KEYS = "/etc/ssh/ssh_host_*_key.pub"


def known_hosts_path(lab):
    """The lab's own known_hosts file (the inventory points ssh at it)."""
    return os.path.join(STATE, "%s.known_hosts" % lab)


def known_hosts_lines(keys, ips):
    """known_hosts lines, one per host key of each node, for the address Ansible connects
    to (ansible_host). keys: {node: text of its *.pub files ("type base64 comment" lines)},
    read from the node itself."""
    lines = []
    for name in sorted(keys):
        found = [line.split() for line in keys[name].splitlines() if line.strip()]
        for parts in found or [[]]:
            if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
                die("node %s: %s holds no SSH public key: %r" % (name, HOST_KEYS, keys[name][:80]))
            lines.append("%s %s %s" % (ips[name], parts[0], parts[1]))
    return lines


def node_host_key(name):
    """The node's SSH host key, read over `docker exec` (not over the network, so no one
    in between can answer for the node), once sshd is up with it."""
    probe = "systemctl is-active -q ssh && cat %s" % HOST_KEYS
    wait_until("node %s (sshd with its host key)" % name,
               lambda: docker("exec", name, "sh", "-c", probe, check=False, timeout=PROBE_TIMEOUT).returncode == 0,
               60)
    return docker("exec", name, "sh", "-c", "cat %s" % HOST_KEYS).stdout.strip()


def write_known_hosts(path, keys, ips):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("# Generated by `lab/labctl.py up` from the nodes' own host keys.\n")
        fh.write("\n".join(known_hosts_lines(keys, ips)) + "\n")
    os.chmod(path, 0o644)


def give_machine_id(name):
    """A machine-id of its own for a created node, before it boots: the image has one baked in,
    which would make every node look like a clone of the others (the swarm role's join
    preflight refuses hosts that share /etc/machine-id, as it should for cloned VMs)."""
    with tempfile.NamedTemporaryFile("w", prefix="fleet-lab-machine-id-", delete=False) as fh:
        fh.write(uuid.uuid4().hex + "\n")
    try:
        os.chmod(fh.name, 0o444)
        docker("cp", fh.name, "%s:/etc/machine-id" % name)
    finally:
        os.unlink(fh.name)


def start_nodes(names, network, lab, pubkey=None, images=None):
    """Create (or keep) systemd+dockerd nodes; returns {name: ip}. Idempotent.

    images: {name: image} for nodes that run another image than the node image
    (e.g. IMAGE_BARE, a host without Docker)."""
    images = images or {}
    ensure_inotify_limits()
    ensure_network(network, lab)
    ensure_node_images(images)
    for name in names:
        state = docker("inspect", "--format", "{{.State.Status}}", name, check=False)
        if state.returncode == 0:
            if state.stdout.strip() != "running":
                docker("start", name)
            continue
        docker("volume", "create", "--label", "%s=%s" % (LABEL, lab), "%s-docker" % name)
        docker("create", "--name", name, "--hostname", name, "--network", network,
               "--label", "%s=%s" % (LABEL, lab), *NODE_RUN_FLAGS,
               "-v", "%s-docker:/var/lib/docker" % name, images.get(name, IMAGE_NODE), "/sbin/init")
        give_machine_id(name)
        docker("start", name)
    for name in names:
        image = images.get(name, IMAGE_NODE)
        wait_until("node %s (systemd%s)" % (name, " + dockerd" if image != IMAGE_BARE else ""),
                   lambda n=name, i=image: node_ready(n, i), 90)
        if pubkey:
            docker("exec", "-i", name, "sh", "-c",
                   "cat > /home/ops/.ssh/authorized_keys && chown ops:ops /home/ops/.ssh/authorized_keys "
                   "&& chmod 0600 /home/ops/.ssh/authorized_keys", input=pubkey + "\n")
    return {name: container_ip(name, network) for name in names}


def load_image(image, nodes):
    """docker save on the host, docker load in each node that lacks the image."""
    want = image_id(image)
    if not want:
        die("image %s is not on the host engine (run `labctl images`)" % image)
    todo = [n for n in nodes
            if docker("exec", n, "docker", "image", "inspect", "--format", "{{.Id}}", image,
                      check=False).stdout.strip() != want]
    if not todo:
        return
    with tempfile.NamedTemporaryFile(prefix="fleet-lab-img-", suffix=".tar") as tar:
        docker("save", "-o", tar.name, image, timeout=LONG_TIMEOUT)
        for node in todo:
            with open(tar.name, "rb") as fh:
                try:
                    res = subprocess.run(["docker", "exec", "-i", node, "docker", "load", "-q"], stdin=fh,
                                         capture_output=True, timeout=LONG_TIMEOUT)
                except subprocess.TimeoutExpired:
                    die("loading %s into %s timed out after %ss" % (image, node, LONG_TIMEOUT))
            if res.returncode != 0:
                die("loading %s into %s failed: %s" % (image, node, res.stderr.decode(errors="replace")))


def remove_labelled(lab):
    flt = "label=%s=%s" % (LABEL, lab)
    ids = docker("ps", "-aq", "--filter", flt).stdout.split()
    if ids:
        docker("rm", "-f", "-v", *ids)
    vols = docker("volume", "ls", "-q", "--filter", flt).stdout.split()
    if vols:
        docker("volume", "rm", "-f", *vols)
    nets = docker("network", "ls", "-q", "--filter", flt).stdout.split()
    if nets:
        docker("network", "rm", *nets)
    return len(ids), len(vols), len(nets)


def start_standin(name, network, lab, jobs, gwt_jobs=()):
    if docker("inspect", name, check=False).returncode != 0:
        cmd = ["run", "-d", "--name", name, "--network", network, "--label", "%s=%s" % (LABEL, lab),
               "-v", "%s:/opt/jenkins_standin.py:ro" % os.path.join(HERE, "jenkins_standin.py"),
               "--entrypoint", "python3", IMAGE_NODE, "/opt/jenkins_standin.py",
               "--bind", "0.0.0.0", "--port", str(STANDIN_PORT)]
        for job in jobs:
            cmd += ["--job", job]
        for job in gwt_jobs:
            cmd += ["--gwt-job", job]
        docker(*cmd)
    ip = container_ip(name, network)

    def answers():
        probe = "import urllib.request as u; u.urlopen('http://127.0.0.1:%d/_standin/builds', timeout=2)" % STANDIN_PORT
        return docker("exec", name, "python3", "-c", probe, check=False, timeout=PROBE_TIMEOUT).returncode == 0

    wait_until("Jenkins stand-in", answers, 30)
    return "http://%s:%d" % (ip, STANDIN_PORT)


# --------------------------------------------------------------------------- lab up/down


def lab_names(n_nodes, n_managers, prefix=""):
    """Node (= container = inventory host) names: mgr1.., wrk1..; other labs than the
    default one prefix them with the lab name so several labs can share an engine."""
    if n_managers < 1 or n_managers > n_nodes:
        die("managers must be between 1 and the node count (%d); got %d" % (n_nodes, n_managers))
    managers = ["%smgr%d" % (prefix, i) for i in range(1, n_managers + 1)]
    workers = ["%swrk%d" % (prefix, i) for i in range(1, n_nodes - n_managers + 1)]
    return managers, workers


def write_inventory(path, managers, workers, ips, key, registry_img, jenkins_url, known_hosts):
    def hosts(names):
        return "\n".join("            %s: {ansible_host: %s}" % (n, ips[n]) for n in names) or ""

    workers_block = ("        swarm_workers:\n          hosts:\n%s\n" % hosts(workers)) if workers else \
        "        swarm_workers:\n          hosts: {}\n"
    text = (
        "---\n"
        "# Generated by `lab/labctl.py up`; `make lab-down` removes it. Edit the lab's\n"
        "# settings in inventory/lab/group_vars/, not here.\n"
        "all:\n"
        "  vars:\n"
        "    ansible_user: ops\n"
        "    ansible_become: true\n"
        "    ansible_ssh_private_key_file: %s\n"
        "    # host keys are checked against the ones the lab read from its nodes\n"
        "    ansible_ssh_common_args: -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes\n"
        "    docker_registry_image: %s\n"
        "    docker_registry_jenkins_url: %s\n"
        "  children:\n"
        "    docker_hosts:\n"
        "      children:\n"
        "        swarm_managers:\n"
        "          hosts:\n"
        "%s\n"
        "%s"
        "    registry:\n"
        "      hosts:\n"
        "        %s:\n"
    ) % (key, known_hosts, registry_img, jenkins_url, hosts(managers), workers_block, managers[0])
    inv_dir = os.path.dirname(os.path.abspath(path))
    os.makedirs(inv_dir, exist_ok=True)
    lab_vars = os.path.join(ROOT, "inventory", "lab", "group_vars")
    if inv_dir != os.path.dirname(INVENTORY) and not os.path.exists(os.path.join(inv_dir, "group_vars")):
        os.symlink(lab_vars, os.path.join(inv_dir, "group_vars"))  # the lab's settings apply to every lab
    with open(path, "w") as fh:
        fh.write(text)


def cmd_up(args):
    t0 = time.monotonic()
    cmd_engine(args)
    registry_img = cmd_images(args)
    prefix = "" if args.name == DEFAULT_LAB else args.name + "-"
    managers, workers = lab_names(args.nodes, args.managers, prefix)
    names = managers + workers
    key, pub = ssh_key()
    say("nodes: starting %d (%s)" % (len(names), ", ".join(names)))
    t = time.monotonic()
    ips = start_nodes(names, args.network, args.name, pubkey=pub)
    say("nodes: up in %.1fs" % (time.monotonic() - t))
    known_hosts = known_hosts_path(args.name)
    write_known_hosts(known_hosts, {n: node_host_key(n) for n in names}, ips)
    say("nodes: host keys recorded in %s" % os.path.relpath(known_hosts, ROOT))
    t = time.monotonic()
    load_image(IMAGE_APP, names)
    load_image(registry_img, managers[:1])
    say("nodes: images loaded in %.1fs" % (time.monotonic() - t))
    jenkins = start_standin("%s-jenkins" % args.name, args.network, args.name, STANDIN_JOBS, STANDIN_GWT_JOBS)
    say("jenkins stand-in: %s (jobs: %s)" % (jenkins, ", ".join(j.split("=")[0] for j in STANDIN_JOBS)))
    write_inventory(args.inventory, managers, workers, ips, key, registry_img, jenkins, known_hosts)
    say("inventory: %s" % os.path.relpath(args.inventory, ROOT))
    say("lab up in %.1fs" % (time.monotonic() - t0))


def cmd_down(args):
    counts = remove_labelled(args.name)
    for path in (args.inventory, known_hosts_path(args.name)):
        if os.path.exists(path):
            os.remove(path)
    say("lab down: removed %d containers, %d volumes, %d networks" % counts)


def cmd_status(args):
    print(docker("ps", "-a", "--filter", "label=%s=%s" % (LABEL, args.name),
                 "--format", "table {{.Names}}\t{{.Status}}\t{{.Image}}").stdout, end="")


def cmd_nodes_up(args):
    images = parse_images(args.image)
    unknown = sorted(set(images) - set(args.names))
    if unknown:
        die("--image names nodes that are not being started: %s" % ", ".join(unknown))
    ips = start_nodes(args.names, args.network, args.lab, images=images)
    with_docker = [n for n in args.names if images.get(n, IMAGE_NODE) != IMAGE_BARE]
    for image in args.load or []:
        if with_docker:
            load_image(image, with_docker)  # nodes without Docker have nowhere to load it
    if args.instance_config:
        conf = [{"instance": n, "address": n, "connection": "community.docker.docker", "ip": ips[n]}
                for n in args.names]
        with open(args.instance_config, "w") as fh:
            json.dump(conf, fh, indent=2)
    print(json.dumps(ips))


def cmd_nodes_down(args):
    counts = remove_labelled(args.lab)
    say("removed %d containers, %d volumes, %d networks" % counts)


def cmd_load(args):
    load_image(args.image, args.nodes)


def cmd_standin(args):
    print(start_standin(args.container, args.network, args.lab, args.job or STANDIN_JOBS,
                        args.gwt_job if args.gwt_job is not None else STANDIN_GWT_JOBS))


def main(argv=None):
    p = argparse.ArgumentParser(prog="labctl", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    lab_default = os.environ.get("LAB_NAME", DEFAULT_LAB)

    def add(name, fn, **kw):
        sp = sub.add_parser(name, **kw)
        sp.set_defaults(fn=fn)
        return sp

    add("engine", cmd_engine)
    sp = add("engine-stop", cmd_engine_stop, help="stop the dockerd `engine` started, and only that one")
    sp.add_argument("--wait", type=int, default=60, help="seconds to wait for it to exit")
    sp = add("images", cmd_images)
    sp.add_argument("--bare", action="store_true", help="also build %s (a node without Docker)" % IMAGE_BARE)
    for name, fn in (("up", cmd_up), ("down", cmd_down), ("status", cmd_status)):
        sp = add(name, fn)
        sp.add_argument("--name", default=lab_default)
        sp.add_argument("--network", default=os.environ.get("LAB_NETWORK", lab_default))
        sp.add_argument("--nodes", type=int, default=int(os.environ.get("LAB_NODES", "4")))
        sp.add_argument("--managers", type=int, default=int(os.environ.get("LAB_MANAGERS", "3")))
        sp.add_argument("--inventory", default=os.environ.get("LAB_INVENTORY", INVENTORY),
                        help="where `up` writes (and `down` removes) the hosts file")
    sp = add("nodes-up", cmd_nodes_up)
    sp.add_argument("--lab", required=True, help="label value grouping these nodes")
    sp.add_argument("--network", required=True)
    sp.add_argument("--load", action="append", help="image to copy into every node that has Docker")
    sp.add_argument("--image", action="append",
                    help="NODE=IMAGE: run NODE from another image (%s, or a full name)" % "|".join(NODE_IMAGES))
    sp.add_argument("--instance-config", help="write Molecule's instance config here")
    sp.add_argument("names", nargs="+")
    sp = add("nodes-down", cmd_nodes_down)
    sp.add_argument("--lab", required=True)
    sp = add("load", cmd_load)
    sp.add_argument("image")
    sp.add_argument("nodes", nargs="+")
    sp = add("standin", cmd_standin)
    sp.add_argument("--lab", required=True)
    sp.add_argument("--network", required=True)
    sp.add_argument("--container", required=True)
    sp.add_argument("--job", action="append", help="NAME=TOKEN (repeatable)")
    sp.add_argument("--gwt-job", action="append", help="NAME=TOKEN, a Generic Webhook Trigger job (repeatable)")
    args = p.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
