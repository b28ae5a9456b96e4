#!/usr/bin/env python3
"""Checks of everything under deploy/ (run by `make deploy-check`, which also runs from `make test`).

  dockerfile  hadolint (pinned), stage layout, runtime libraries against the binary's ldd, the
              HEALTHCHECK probe script against a local HTTP server
  compose     deploy/compose.yaml structure: services, volumes, networks, healthchecks, TLS on
              every hop, semcom commands; deploy/prometheus.yml targets = the daemons' --http ports
  k8s         kubernetes-validate --strict against Kubernetes K8S_VERSION for every manifest (and the
              Secrets make-secrets.sh writes), probes, scrape annotations, Services, the sharded sweep
  systemd     units parse, required keys, no restart loop on exit 2/78, env files match the units,
              systemd-analyze verify where it exists
  link        deploy/semcom-link.sh: bash -n, --help, a real 2-scene link with --relay-flags
  install     make install PREFIX=<tmp> INSTALL_BIN=<binary>; the installed binary finds its models
              from another directory (scenes, segment, generate); make uninstall leaves no file
  flags       every semcom subcommand and flag used by the files above (and by deploy/README.md's
              command lines) exists in the binary's --help

Side-port token (compose, k8s, systemd, README): every semcom command whose --http host is not
loopback must get SEMCOM_HTTP_TOKEN from its environment (the daemon exits 78 without one), from
a place that keeps it secret (a required ${VAR:?} in compose, a Secret in Kubernetes, the env file
for systemd), and no file may pass it as --http-token (visible in ps and in the manifests).

Needs no network once the tools are installed. The binary is $SEMCOM_BIN, else the newer of
.build/release/semcom and .build/debug/semcom; --no-binary skips what needs one (reported as SKIP).
Exit status: 0 when every check passed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import http.server
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.33.0"
TOOLS = Path(sys.executable).parent  # hadolint and kubernetes-validate live beside the venv's python
ROLES = ("sender", "relay", "receiver")
ROLE_SUBCOMMAND = {"sender": "send", "relay": "relay", "receiver": "receive"}
# Flags this deployment relies on that the 0.x binary gained for issue 15; named when missing.
NEW_FLAGS = {
    ("send",): {"--tls-cert", "--tls-key", "--tls-ca", "--tls-server-name", "--http"},
    ("relay",): {"--tls-cert", "--tls-key", "--tls-ca", "--tls-allow", "--forward-tls-cert", "--forward-tls-key",
                 "--forward-tls-ca", "--forward-tls-server-name", "--http"},
    ("receive",): {"--tls-cert", "--tls-key", "--tls-ca", "--tls-allow", "--http"},
    ("certs",): {"--out", "--names", "--hosts", "--days"},
    ("eval", "run"): {"--shard"},
    ("eval", "merge"): {"--out"},
}


# --------------------------------------------------------------------------------------------------
# Reporting

class Check:
    def __init__(self, name: str):
        self.name, self.failures, self.notes, self.skipped = name, [], [], None

    def fail(self, message: str):
        self.failures.append(message)

    def note(self, message: str):
        self.notes.append(message)

    def expect(self, condition, message: str):
        if not condition:
            self.fail(message)
        return bool(condition)


def run(cmd, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs)


def run_group(cmd, timeout) -> subprocess.CompletedProcess:
    """run(), in a process group of its own that is killed whole on timeout (the daemons a script
    started included); a timeout returns code 124."""
    process = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        out, _ = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(cmd, process.returncode, out, "")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        out, _ = process.communicate()
        return subprocess.CompletedProcess(cmd, 124, out, "")


def rel(path: Path) -> str:
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------------
# The binary's command-line interface, from its --help

class CLI:
    def __init__(self, binary: Path | None):
        self.binary = binary
        self._flags: dict[tuple, set | None] = {}
        self.uses: list[tuple[str, tuple, str]] = []  # (where, subcommand, flag)

    def flags(self, sub: tuple) -> set | None:
        """The long flags of `semcom SUB --help`, or None when SUB is not a subcommand."""
        if sub not in self._flags:
            result = run([self.binary, *sub, "--help"], timeout=30)
            text = result.stdout + result.stderr
            if not re.search(r"USAGE: semcom " + re.escape(" ".join(sub)) + r"(\s|$)", text):
                self._flags[sub] = None
            else:
                names = set()
                for line in text.splitlines():
                    m = re.match(r"^  (-\S.*?)(?:\s{2,}|$)", line)  # an option line: 2 spaces, then -x/--xy
                    if m:
                        names.update(re.findall(r"--[A-Za-z0-9][\w-]*", m.group(1)))
                self._flags[sub] = names
        return self._flags[sub]

    def record(self, where: str, argv: list[str]):
        """argv starts at the word after `semcom`: the subcommand, then its arguments."""
        if not argv:
            argv = ["<nothing>"]
        sub = (argv[0],)
        rest = argv[1:]
        if argv[0] == "eval":
            # `semcom eval` runs its default subcommand `run`; `semcom eval merge` merges shards.
            if rest[:1] in (["merge"], ["run"]):
                sub, rest = ("eval", rest[0]), rest[1:]
            else:
                sub = ("eval", "run")
        self.uses.append((where, sub, None))  # the subcommand itself
        for token in rest:
            if token == "--":
                break
            if token.startswith("--"):
                self.uses.append((where, sub, token.split("=", 1)[0]))

    def verify(self, check: Check):
        if self.binary is None:
            check.skipped = "no semcom binary"
            return
        missing: dict[tuple, dict[str, set]] = {}
        subs_missing: dict[tuple, set] = {}
        for where, sub, flag in self.uses:
            flags = self.flags(sub)
            if flags is None:
                subs_missing.setdefault(sub, set()).add(where)
            elif flag is not None and flag not in flags:
                missing.setdefault(sub, {}).setdefault(flag, set()).add(where)
        for sub, places in sorted(subs_missing.items()):
            check.fail(f"`semcom {' '.join(sub)}` is not a subcommand of {rel(self.binary)} "
                       f"(used in {', '.join(sorted(places))})")
        for sub, flags in sorted(missing.items()):
            for flag, places in sorted(flags.items()):
                new = " [new in issue 15]" if flag in NEW_FLAGS.get(sub, set()) else ""
                check.fail(f"`semcom {' '.join(sub)} {flag}` not in --help{new} (used in {', '.join(sorted(places))})")
        looked = sorted({(s, f) for _, s, f in self.uses if f is not None})
        check.note(f"{len(looked)} distinct subcommand flags checked against {rel(self.binary)} --help")
        absent_new = [f"{' '.join(s)} {f}" for s, fs in NEW_FLAGS.items() for f in sorted(fs)
                      if self.flags(s) is None or f not in self.flags(s)]
        if absent_new:
            check.note("flags of issue 15 the binary lacks: " + ", ".join(absent_new))


SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env"}


def semcom_commands(argv: list[str], implicit_semcom: bool) -> list[list[str]]:
    """The `semcom ...` command lines in an argv: the argv itself (after an implicit `semcom`
    entry point, or an explicit semcom path), or the simple commands of a `sh -c SCRIPT`."""
    if not argv:
        return []
    if argv[0] in SHELLS and "-c" in argv:
        script = argv[argv.index("-c") + 1]
        lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        words = list(lexer)
        commands, current = [], []
        for word in words + [";"]:
            if word and set(word) <= set(";&|()\n"):
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(word)
        found = []
        for command in commands:
            while command and command[0] in ("exec", "!", "then", "do", "else"):
                command = command[1:]
            if command and Path(command[0]).name == "semcom":
                found.append(command[1:])
        return found
    if Path(argv[0]).name == "semcom":
        return [argv[1:]]
    return [argv] if implicit_semcom else []


# --------------------------------------------------------------------------------------------------
# The side port's bearer token

TOKEN_VAR = "SEMCOM_HTTP_TOKEN"
HTTP_TOKEN_SECRET = ("semcom-http-token", "token")  # the Secret and key make-secrets.sh writes


def http_off_loopback(address: str) -> bool:
    """Whether `--http ADDRESS` listens off loopback, by the daemon's rule (127.*, ::1, localhost are
    loopback). A host still holding an unexpanded variable counts as off loopback."""
    host = address.rpartition(":")[0] if ":" in address else address
    host = host.strip("[]")
    return not (host in ("::1", "localhost") or host.startswith("127."))


def check_http_token(check: Check, where: str, argv: list[str], token: str | None) -> bool:
    """argv: a semcom command line (subcommand first); token: where SEMCOM_HTTP_TOKEN comes from in
    its environment, or None. True when its side port is off loopback (and so needs the token)."""
    values = flag_values(argv)
    check.expect("--http-token" not in values,
                 f"{where}: --http-token puts the token on the command line (ps, logs, manifests): "
                 f"give {TOKEN_VAR} in the environment instead")
    address = values.get("--http")
    if not address or not http_off_loopback(address):
        return False
    check.expect(token, f"{where}: --http {address} is not on loopback but {TOKEN_VAR} is not set in its "
                        f"environment (the daemon refuses to start, exit 78)")
    return True


# --------------------------------------------------------------------------------------------------
# Dockerfile

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        current += " " + stripped.rstrip("\\").strip() if current else stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            word, _, rest = current.partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def check_dockerfile(check: Check, binary: Path | None, cli: CLI):
    dockerfile = DEPLOY / "Dockerfile"
    hadolint = TOOLS / "hadolint"
    if check.expect(hadolint.exists(), f"{hadolint} missing: run `make deploy-check` (creates the venv)"):
        result = run([hadolint, "--no-color", "--failure-threshold", "info", dockerfile])
        check.expect(result.returncode == 0, "hadolint:\n" + (result.stdout + result.stderr).strip())
    text = dockerfile.read_text()
    instructions = dockerfile_instructions(text)
    stages: list[list[tuple[str, str]]] = []
    for word, args in instructions:
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, args))
    check.expect(len(stages) >= 2, "Dockerfile: expected a build stage and a runtime stage")
    if len(stages) < 2:
        return
    build, runtime = stages[0], stages[-1]
    check.expect(re.match(r"swift:\S+ AS \w+", build[0][1], re.I), f"build stage: FROM swift:… AS name, got {build[0][1]}")
    check.expect(re.match(r"debian:\S*slim", runtime[0][1]), f"runtime stage: FROM debian:…-slim, got {runtime[0][1]}")
    users = [a for w, a in runtime if w == "USER"]
    check.expect(users and users[-1].split(":")[0] not in ("0", "root"), "runtime stage: the last USER must not be root")
    health = [a for w, a in runtime if w == "HEALTHCHECK"]
    check.expect(health and "semcom-healthz" in health[-1], "runtime stage: HEALTHCHECK running semcom-healthz")
    copies = " ".join(a for w, a in runtime if w == "COPY")
    check.expect("deploy/docker/healthcheck.sh /usr/local/bin/semcom-healthz" in copies,
                 "runtime stage: COPY deploy/docker/healthcheck.sh /usr/local/bin/semcom-healthz")
    check.expect(re.search(r"--from=\w+ /staging/usr/local/ /usr/local/", copies),
                 "runtime stage: COPY --from=build the installed tree into /usr/local/")
    build_runs = " ".join(a for w, a in build if w == "RUN")
    check.expect("--static-swift-stdlib" in build_runs, "build stage: swift build --static-swift-stdlib")
    check.expect(re.search(r"make install INSTALL_BIN=\S+ PREFIX=/usr/local DESTDIR=/staging", build_runs),
                 "build stage: make install … PREFIX=/usr/local DESTDIR=/staging (models in /usr/local/share/semcom/models)")
    check.expect("COPY models models" in " ; ".join(f"{w} {a}" for w, a in build), "build stage: COPY models models")
    entry = [a for w, a in runtime if w == "ENTRYPOINT"]
    check.expect(entry and "/usr/local/bin/semcom" in entry[-1], "runtime ENTRYPOINT: /usr/local/bin/semcom")
    # Every path the build stage COPYs must survive .dockerignore.
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    for word, args in build:
        if word == "COPY" and "--from" not in args:
            pattern = args.split()[0]
            sources = [str(p.relative_to(ROOT)) for p in ROOT.glob(pattern)] if "*" in pattern else [pattern]
            check.expect(sources, f"Dockerfile: COPY {pattern} matches nothing")
            for source in sources:
                check.expect(dockerignore_keeps(dockerignore, source), f".dockerignore excludes {source}, which the Dockerfile copies")
    for source in ("deploy/docker/healthcheck.sh",):
        check.expect(dockerignore_keeps(dockerignore, source), f".dockerignore excludes {source}")
    check.expect(not dockerignore_keeps(dockerignore, ".build/release/semcom"), ".dockerignore must exclude .build/")

    # Runtime packages: each shared library the binary needs (ldd, the Swift runtime aside: it is
    # linked statically in the image) must come from a package the runtime stage installs, one they
    # depend on, or the slim base.
    runtime_run = " ".join(a for w, a in runtime if w == "RUN")
    m = re.search(r"apt-get install ((?:-\S+ )*)(.*?)(?:&&|$)", runtime_run)
    packages = set(m.group(2).split()) if m else set()
    check.expect(packages, "runtime stage: no apt-get install found")
    if binary is None or not shutil.which("ldd") or not shutil.which("dpkg"):
        check.note("runtime libraries not compared with ldd (no binary, ldd or dpkg here)")
    else:
        base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
        provided = set(base) | closure(packages)
        for soname, path in ldd(binary):
            if "/swift/" in path or soname.startswith(("linux-vdso", "ld-linux")):
                continue
            owner = dpkg_owner(path)
            check.expect(owner is None or owner in provided,
                         f"runtime stage: {soname} ({owner}) is not installed by the runtime stage ({' '.join(sorted(packages))})")
        check.note("runtime packages cover ldd of " + rel(binary))
    check_healthcheck_script(check)


def dockerignore_keeps(patterns: list[str], path: str) -> bool:
    """Enough of .dockerignore's semantics for this repository's file: the last matching line wins,
    a directory line matches everything below it."""
    import fnmatch
    keep = True
    path = path.rstrip("/")
    for raw in patterns:
        if raw.startswith("#"):
            continue
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes) or fnmatch.fnmatch(path, pattern):
            keep = negate
    return keep


def ldd(binary: Path) -> list[tuple[str, str]]:
    out = []
    for line in run(["ldd", binary]).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def dpkg_owner(path: str) -> str | None:
    for candidate in (os.path.realpath(path), path, path.replace("/lib/", "/usr/lib/", 1)):
        result = run(["dpkg", "-S", candidate])
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    return None


def closure(packages: set[str]) -> set[str]:
    seen, todo = set(), list(packages)
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        result = run(["dpkg-query", "-W", "-f=${Depends}", package])
        for alternative in result.stdout.split(","):
            for name in alternative.split("|"):
                name = name.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


def check_healthcheck_script(check: Check):
    script = DEPLOY / "docker" / "healthcheck.sh"
    if not check.expect(script.exists() and os.access(script, os.X_OK), f"{rel(script)} missing or not executable"):
        return
    check.expect(run(["bash", "-n", script]).returncode == 0, f"{rel(script)}: bash -n fails")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            code = {"/healthz": 200, "/readyz": 503}.get(self.path, 404)
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"x"}\n')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.handle_error = lambda *args: None  # the probe hangs up after the status line
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        ok = run([script, port], timeout=10)
        check.expect(ok.returncode == 0, f"semcom-healthz {port}: 200 on /healthz should pass ({ok.stderr.strip()})")
        check.expect(run([script, port, "/readyz"], timeout=10).returncode != 0, "semcom-healthz: 503 must fail")
        env = dict(os.environ, SEMCOM_HTTP_PORT=str(port))
        check.expect(run([script], timeout=10, env=env).returncode == 0, "semcom-healthz: SEMCOM_HTTP_PORT not used")
    finally:
        server.shutdown()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    check.expect(run([script, closed], timeout=10).returncode != 0, "semcom-healthz: a closed port must fail")


# --------------------------------------------------------------------------------------------------
# compose.yaml and prometheus.yml

def flag_values(argv: list[str]) -> dict[str, str]:
    """--name=value and --name value pairs (the value of the last occurrence)."""
    values = {}
    for i, token in enumerate(argv):
        if token.startswith("--"):
            if "=" in token:
                name, value = token.split("=", 1)
                values[name] = value
            elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                values[token] = argv[i + 1]
            else:
                values[token] = ""
    return values


def as_list(value) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def compose_token(check: Check, name: str, service: dict, base: Path) -> str | None:
    """Where a compose service's SEMCOM_HTTP_TOKEN comes from, or None (faults reported)."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # ["NAME=value", "NAME"]
        environment = {k: (v if sep else None) for k, sep, v in (str(e).partition("=") for e in environment)}
    if TOKEN_VAR in environment:
        value = environment[TOKEN_VAR]
        if value is None or str(value) == "":
            check.fail(f"compose: {name}: {TOKEN_VAR} has no value (unset on the host, the daemon gets none): "
                       f"use \"${{{TOKEN_VAR}:?message}}\"")
            return None
        value = str(value)
        m = re.fullmatch(r"\$\{(\w+)(:?[-?+])?([^}]*)\}", value)
        if m:
            check.expect(m.group(2) in (":?", "?") or (m.group(2) in (":-", "-") and m.group(3)),
                         f"compose: {name}: {TOKEN_VAR}: {value} is empty when {m.group(1)} is unset: "
                         f"use ${{{m.group(1)}:?message}} so that compose stops with that message")
            return f"${{{m.group(1)}}}"
        check.expect("$" in value, f"compose: {name}: {TOKEN_VAR} written into compose.yaml is no secret: "
                                   f"interpolate it (\"${{{TOKEN_VAR}:?message}}\")")
        return "literal"
    env_files = service.get("env_file") or []
    for entry in [env_files] if isinstance(env_files, (str, dict)) else env_files:
        file = base / (entry if isinstance(entry, str) else entry.get("path", ""))
        if file.is_file():
            try:
                if parse_env_file(file.read_text()).get(TOKEN_VAR):
                    return rel(file)
            except ValueError:
                pass
    return None


def check_compose(check: Check, cli: CLI):
    path = DEPLOY / "compose.yaml"
    try:
        compose = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        check.fail(f"{rel(path)}: {error}")
        return
    services = compose.get("services") or {}
    for name in ("certs", *ROLES, "prometheus"):
        check.expect(name in services, f"compose: service {name} missing")
    volumes = set((compose.get("volumes") or {}).keys())
    networks = set((compose.get("networks") or {}).keys())
    names_issued: set[str] = set()
    listen_ports: dict[str, str] = {}
    http_ports: dict[str, str] = {}
    daemon_argv: dict[str, list[str]] = {}
    tokens_needed = 0
    for name, service in services.items():
        if not isinstance(service, dict):
            check.fail(f"compose: service {name} is not a mapping")
            continue
        image = service.get("image", "")
        for mount in service.get("volumes") or []:
            source = mount.split(":")[0] if isinstance(mount, str) else mount.get("source")
            if source.startswith((".", "/")):
                check.expect((path.parent / source).exists(), f"compose: {name} mounts {source}, which does not exist")
            else:
                check.expect(source in volumes, f"compose: {name} uses volume {source}, not under top-level volumes:")
        for network in service.get("networks") or []:
            check.expect(network in networks, f"compose: {name} uses network {network}, not under top-level networks:")
        for dependency, condition in (service.get("depends_on") or {}).items():
            check.expect(dependency in services, f"compose: {name} depends on unknown service {dependency}")
        if not image.startswith("semcom"):
            continue
        entrypoint = as_list(service.get("entrypoint"))
        command = as_list(service.get("command"))
        argv = entrypoint + command if entrypoint else command
        commands = semcom_commands(argv, implicit_semcom=not entrypoint)
        check.expect(commands, f"compose: {name} runs no semcom command")
        token = compose_token(check, name, service, path.parent)
        for c in commands:
            cli.record(f"compose.yaml:{name}", c)
            if check_http_token(check, f"compose: {name}", c, token):
                tokens_needed += 1
            if c and c[0] == "certs":
                names_issued |= set(flag_values(c).get("--names", "").split(","))
                check.expect(flag_values(c).get("--out") == "/etc/semcom/tls", "compose: certs must write /etc/semcom/tls")
        if name in ROLES:
            check.expect(service.get("healthcheck", {}).get("test") and not service["healthcheck"].get("disable"),
                         f"compose: {name} needs a healthcheck")
            test = " ".join(as_list(service.get("healthcheck", {}).get("test")))
            daemon = [c for c in commands if c and c[0] == ROLE_SUBCOMMAND[name]]
            if not check.expect(daemon, f"compose: {name} does not run `semcom {ROLE_SUBCOMMAND[name]}`"):
                continue
            argv = daemon[-1]
            daemon_argv[name] = argv
            values = flag_values(argv)
            http_ports[name] = values.get("--http", "").rpartition(":")[2]
            check.expect(values.get("--http", "").startswith("0.0.0.0:"), f"compose: {name} needs --http 0.0.0.0:PORT")
            check.expect(http_ports[name] in test.split() or f":{http_ports[name]}" in test,
                         f"compose: {name}'s healthcheck does not probe its --http port {http_ports[name]}")
            if "--listen" in values:
                listen_ports[name] = values["--listen"].rpartition(":")[2]
            mounts = [m for m in service.get("volumes") or [] if isinstance(m, str) and m.startswith("tls:")]
            check.expect(mounts and mounts[0].split(":")[1] == "/etc/semcom/tls", f"compose: {name} must mount tls at /etc/semcom/tls")
            deps = service.get("depends_on") or {}
            check.expect(deps.get("certs", {}).get("condition") == "service_completed_successfully",
                         f"compose: {name} must wait for certs (condition: service_completed_successfully)")
    # TLS on every hop, with the certificate files certs issues, and the hops pointing at services.
    tls_required = {
        "sender": ("--tls-cert", "--tls-key", "--tls-ca"),
        "relay": ("--tls-cert", "--tls-key", "--tls-ca", "--forward-tls-cert", "--forward-tls-key", "--forward-tls-ca"),
        "receiver": ("--tls-cert", "--tls-key", "--tls-ca"),
    }
    for role, flags in tls_required.items():
        values = flag_values(daemon_argv.get(role, []))
        for flag in flags:
            value = values.get(flag, "")
            if check.expect(value, f"compose: {role} lacks {flag} (TLS on every hop)"):
                stem = Path(value).stem
                check.expect(value.startswith("/etc/semcom/tls/") and (stem in names_issued or stem == "ca"),
                             f"compose: {role} {flag} {value} is not a file `semcom certs --names {','.join(sorted(names_issued))}` writes")
        if role in ("relay", "receiver"):
            check.expect(values.get("--tls-allow"), f"compose: {role} should limit client CNs (--tls-allow)")
    sender = flag_values(daemon_argv.get("sender", []))
    relay = flag_values(daemon_argv.get("relay", []))
    check.expect(sender.get("--connect") == f"relay:{listen_ports.get('relay')}", "compose: sender must --connect relay:<relay's listen port>")
    check.expect(relay.get("--forward") == f"receiver:{listen_ports.get('receiver')}", "compose: relay must --forward receiver:<receiver's listen port>")
    check.expect(set(ROLES) <= names_issued, f"compose: certs --names must include {','.join(ROLES)}")
    check.note(f"{tokens_needed} semcom commands with --http off loopback, each needing {TOKEN_VAR} in its environment")
    # Prometheus scrapes exactly the daemons' HTTP ports.
    prometheus = services.get("prometheus") or {}
    check.expect(str(prometheus.get("image", "")).startswith("prom/prometheus:"), "compose: prometheus image prom/prometheus:TAG")
    mounts = [m for m in prometheus.get("volumes") or [] if isinstance(m, str)]
    check.expect(any(m.startswith("./prometheus.yml:/etc/prometheus/prometheus.yml") for m in mounts),
                 "compose: prometheus must mount ./prometheus.yml at /etc/prometheus/prometheus.yml")
    try:
        config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    except yaml.YAMLError as error:
        check.fail(f"deploy/prometheus.yml: {error}")
        return
    targets = set()
    for job in config.get("scrape_configs") or []:
        check.expect(job.get("metrics_path", "/metrics") == "/metrics", f"prometheus.yml: job {job.get('job_name')} path")
        for static in job.get("static_configs") or []:
            targets |= set(static.get("targets") or [])
    expected = {f"{role}:{http_ports.get(role)}" for role in ROLES}
    check.expect(targets == expected, f"prometheus.yml targets {sorted(targets)} != the daemons' --http ports {sorted(expected)}")


# --------------------------------------------------------------------------------------------------
# Kubernetes

def load_manifests(paths: list[Path], check: Check) -> list[tuple[Path, dict]]:
    out = []
    for path in paths:
        try:
            for doc in yaml.safe_load_all(path.read_text()):
                if doc is not None:
                    out.append((path, doc))
        except yaml.YAMLError as error:
            check.fail(f"{rel(path)}: {error}")
    return out


def expand_k8s(token: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), token)


def check_k8s(check: Check, cli: CLI, binary: Path | None, tmp: Path):
    files = sorted((DEPLOY / "k8s").glob("*.yaml"))
    check.expect(files, "no manifests under deploy/k8s")
    secrets_dir = tmp / "k8s-secrets"
    script = DEPLOY / "k8s" / "make-secrets.sh"
    check.expect(run(["bash", "-n", script]).returncode == 0, f"{rel(script)}: bash -n fails")
    generated: list[Path] = []
    if binary is None:
        check.note("make-secrets.sh not run (no binary)")
    else:
        result = run([script, "--bin", binary, "--out", secrets_dir], timeout=60)
        if check.expect(result.returncode == 0, f"make-secrets.sh failed ({result.returncode}): "
                                                f"{(result.stdout + result.stderr).strip()[-600:]}"):
            generated = sorted(secrets_dir.glob("*.yaml"))
            check.expect(len(generated) == len(ROLES) + 1,
                         f"make-secrets.sh wrote {len(generated)} manifests, expected {len(ROLES) + 1} (TLS per role, token)")
    validator = TOOLS / "kubernetes-validate"
    if check.expect(validator.exists(), f"{validator} missing: run `make deploy-check`"):
        result = run([validator, "--strict", "--quiet", "-k", K8S_VERSION, *files, *generated], timeout=120)
        check.expect(result.returncode == 0, "kubernetes-validate --strict -k " + K8S_VERSION + ":\n"
                     + (result.stdout + result.stderr).strip())
    docs = load_manifests(files + generated, check)
    by_kind: dict[str, dict[str, dict]] = {}
    for path, doc in docs:
        by_kind.setdefault(doc.get("kind"), {})[doc.get("metadata", {}).get("name")] = doc
        if doc.get("kind") != "Namespace":
            check.expect(doc.get("metadata", {}).get("namespace") == "semcom", f"{rel(path)}: {doc.get('kind')} outside namespace semcom")
    secrets = set(by_kind.get("Secret", {}))
    if not generated:  # the names the script would write
        secrets = {f"semcom-tls-{role}" for role in ROLES} | {HTTP_TOKEN_SECRET[0]}
    else:
        token_secret = by_kind.get("Secret", {}).get(HTTP_TOKEN_SECRET[0])
        if check.expect(token_secret, f"make-secrets.sh wrote no Secret {HTTP_TOKEN_SECRET[0]}"):
            import base64
            encoded = (token_secret.get("data") or {}).get(HTTP_TOKEN_SECRET[1], "")
            value = base64.b64decode(encoded).decode(errors="replace") if encoded else ""
            check.expect(re.fullmatch(r"[0-9a-f]{64}", value),
                         f"Secret {HTTP_TOKEN_SECRET[0]}: key {HTTP_TOKEN_SECRET[1]} should hold 32 random bytes as hex, "
                         f"got {len(value)} characters")
    configmaps = by_kind.get("ConfigMap", {})
    claims = set(by_kind.get("PersistentVolumeClaim", {}))

    def pod_spec(doc):
        return doc["spec"]["template"]["spec"]

    def containers_env(doc, container) -> dict[str, str]:
        env = {}
        for source in container.get("envFrom") or []:
            if "secretRef" in source:
                continue  # values unknown here; the token's source is checked by k8s_token
            name = (source.get("configMapRef") or {}).get("name")
            if check.expect(name in configmaps, f"{doc['metadata']['name']}: envFrom ConfigMap {name} not defined"):
                env.update({source.get("prefix", "") + k: v for k, v in (configmaps[name].get("data") or {}).items()})
        for item in container.get("env") or []:
            env[item["name"]] = item.get("value", f"<{item['name']}>")
        return env

    def secret_has(name: str, key: str) -> bool:
        """Whether Secret NAME (one make-secrets.sh writes) has KEY; only the name when none was generated."""
        if name not in secrets:
            return False
        if not generated:
            return name != HTTP_TOKEN_SECRET[0] or key == HTTP_TOKEN_SECRET[1]
        secret = by_kind["Secret"][name]
        return key in (secret.get("data") or {}) or key in (secret.get("stringData") or {})

    def k8s_token(where: str, container) -> str | None:
        """Where a container's SEMCOM_HTTP_TOKEN comes from, or None (faults reported). env wins over envFrom."""
        for item in container.get("env") or []:
            if item["name"] != TOKEN_VAR:
                continue
            if "value" in item:
                check.fail(f"{where}: {TOKEN_VAR} written into the manifest is no secret: valueFrom.secretKeyRef "
                           f"{HTTP_TOKEN_SECRET[0]}/{HTTP_TOKEN_SECRET[1]}")
                return "literal" if item["value"] else None
            ref = (item.get("valueFrom") or {}).get("secretKeyRef")
            if not check.expect(ref, f"{where}: {TOKEN_VAR} must come from a Secret (valueFrom.secretKeyRef)"):
                return None
            ok = check.expect(secret_has(ref.get("name"), ref.get("key")),
                              f"{where}: {TOKEN_VAR} from Secret {ref.get('name')} key {ref.get('key')}, which "
                              f"make-secrets.sh does not write ({HTTP_TOKEN_SECRET[0]}/{HTTP_TOKEN_SECRET[1]})")
            ok &= check.expect(not ref.get("optional"), f"{where}: {TOKEN_VAR}'s secretKeyRef must not be optional")
            return f"Secret {ref.get('name')}" if ok else None
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix", "")
            if not TOKEN_VAR.startswith(prefix):
                continue
            key = TOKEN_VAR[len(prefix):]
            if "secretRef" in source:
                name = source["secretRef"].get("name")
                if secret_has(name, key) and not source["secretRef"].get("optional"):
                    return f"Secret {name}"
            elif "configMapRef" in source:
                name = source["configMapRef"].get("name")
                if key in ((configmaps.get(name) or {}).get("data") or {}):
                    check.fail(f"{where}: {TOKEN_VAR} from ConfigMap {name}: a ConfigMap is no secret")
                    return "configmap"
        return None

    workloads = [d for kind in ("Deployment", "Job") for d in by_kind.get(kind, {}).values()]
    tokens_needed = 0
    for doc in workloads:
        name = doc["metadata"]["name"]
        spec = pod_spec(doc)
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        for volume in volumes.values():
            if "secret" in volume:
                check.expect(volume["secret"]["secretName"] in secrets,
                             f"{name}: Secret {volume['secret']['secretName']} is not one make-secrets.sh writes ({sorted(secrets)})")
            if "persistentVolumeClaim" in volume:
                check.expect(volume["persistentVolumeClaim"]["claimName"] in claims, f"{name}: claim not defined")
        check.expect((spec.get("securityContext") or {}).get("runAsNonRoot") is True, f"{name}: runAsNonRoot")
        for container in (spec.get("initContainers") or []) + spec["containers"]:
            argv = as_list(container.get("command")) + as_list(container.get("args"))
            env = containers_env(doc, container)
            argv = [expand_k8s(token, env) for token in argv]
            check.expect(container.get("image", "").startswith("semcom:"), f"{name}/{container['name']}: image semcom:TAG")
            for mount in container.get("volumeMounts") or []:
                check.expect(mount["name"] in volumes, f"{name}/{container['name']}: volume {mount['name']} not defined")
            where = f"k8s/{name}/{container['name']}"
            token = k8s_token(where, container)
            for c in semcom_commands(argv, implicit_semcom=not container.get("command")):
                cli.record(where, c)
                if check_http_token(check, where, c, token):
                    tokens_needed += 1

    for doc in by_kind.get("Deployment", {}).values():
        name = doc["metadata"]["name"]
        template = doc["spec"]["template"]
        annotations = template["metadata"].get("annotations") or {}
        container = template["spec"]["containers"][0]
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
        argv = as_list(container.get("args"))
        http = flag_values(argv).get("--http", "")
        check.expect(http.startswith("0.0.0.0:") and str(ports.get("http")) == http.rpartition(":")[2],
                     f"{name}: containerPort `http` must be the --http port ({http})")
        check.expect(annotations.get("prometheus.io/scrape") == "true", f"{name}: prometheus.io/scrape: \"true\"")
        check.expect(annotations.get("prometheus.io/port") == str(ports.get("http")), f"{name}: prometheus.io/port = http port")
        check.expect(annotations.get("prometheus.io/path") == "/metrics", f"{name}: prometheus.io/path: /metrics")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            get = (container.get(probe) or {}).get("httpGet") or {}
            check.expect(get.get("path") == path and get.get("port") in ("http", ports.get("http")),
                         f"{name}: {probe} must GET {path} on the http port")
        for flag in ("--tls-cert", "--tls-key", "--tls-ca", "--tls-allow"):
            check.expect(flag in flag_values(argv), f"{name}: {flag} missing (TLS with client certificates)")
        service = by_kind.get("Service", {}).get(name)
        if check.expect(service, f"{name}: no Service of the same name"):
            selector = service["spec"].get("selector") or {}
            labels = template["metadata"].get("labels") or {}
            check.expect(selector and all(labels.get(k) == v for k, v in selector.items()), f"Service {name}: selector matches no pod")
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                check.expect(target in ports or target in ports.values(), f"Service {name}: targetPort {target} not a container port")
    check.note(f"{tokens_needed} containers with --http off loopback, each needing {TOKEN_VAR} from a Secret")
    receiver = by_kind.get("Deployment", {}).get("receiver")
    check.expect(receiver and receiver["spec"].get("replicas", 1) >= 2, "receiver Deployment: several replicas")
    relay = by_kind.get("Deployment", {}).get("relay")
    if relay:
        relay_args = as_list(relay["spec"]["template"]["spec"]["containers"][0].get("args"))
        check.expect(flag_values(relay_args).get("--forward", "").startswith("receiver:"), "relay: --forward receiver:PORT (the Service)")
        check.expect(relay["spec"]["template"]["spec"]["containers"][0].get("envFrom"), "relay: channel settings from a ConfigMap")

    # The sweep: an Indexed Job of N shards and a merge Job over shard-1 … shard-N.
    jobs = by_kind.get("Job", {})
    sweep = next((j for j in jobs.values() if j["spec"].get("completionMode") == "Indexed"
                  and "--shard" in " ".join(as_list(pod_spec(j)["containers"][0].get("args")))), None)
    if check.expect(sweep, "k8s: no Indexed Job running `semcom eval --shard`"):
        n = sweep["spec"].get("completions")
        script = " ".join(as_list(pod_spec(sweep)["containers"][0].get("args")))
        check.expect(f'/{n}"' in script or f"/{n} " in script, f"sweep: --shard K/{n} must match completions {n}")
        check.expect("JOB_COMPLETION_INDEX + 1" in script, "sweep: shard K = JOB_COMPLETION_INDEX + 1")
        claim_mounts = [m["mountPath"] for m in pod_spec(sweep)["containers"][0].get("volumeMounts") or []
                        if "persistentVolumeClaim" in {v["name"]: v for v in pod_spec(sweep)["volumes"]}.get(m["name"], {})]
        check.expect(claim_mounts and f"--out \"{claim_mounts[0]}/shard-$k\"" in script,
                     "sweep: --out must be <claim mount>/shard-K")
        merge = next((j for j in jobs.values() if "merge" in as_list(pod_spec(j)["containers"][0].get("args"))), None)
        if check.expect(merge, "k8s: no Job running `semcom eval merge`"):
            args = as_list(pod_spec(merge)["containers"][0].get("args"))
            shards = [a for a in args if "/shard-" in a]
            check.expect(shards == [f"{claim_mounts[0] if claim_mounts else '/results'}/shard-{k}" for k in range(1, (n or 0) + 1)],
                         f"merge: shard list {shards} != shard-1 … shard-{n}")
            waits = " ".join(" ".join(as_list(c.get("command")) + as_list(c.get("args")))
                             for c in pod_spec(merge).get("initContainers") or [])
            check.expect("shard.json" in waits and f"for k in {' '.join(str(k) for k in range(1, (n or 0) + 1))};" in waits,
                         f"merge: an init container must wait for shard-1 … shard-{n}/shard.json")


# --------------------------------------------------------------------------------------------------
# systemd

def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            sections.setdefault(current, [])
            continue
        if current is None or "=" not in stripped:
            raise ValueError(f"line {number}: {stripped!r}")
        key, _, value = stripped.partition("=")
        sections[current].append((key.strip(), value.strip()))
    return sections


def parse_env_file(text: str) -> dict[str, str]:
    env = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", stripped)
        if not m:
            raise ValueError(f"line {number}: {stripped!r}")
        words = shlex.split(m.group(2)) if m.group(2) else [""]
        env[m.group(1)] = " ".join(words) if len(words) > 1 or '"' in m.group(2) else m.group(2)
    return env


def parse_environment(values: list[str]) -> dict[str, str]:
    env = {}
    for value in values:
        for assignment in shlex.split(value):
            name, _, v = assignment.partition("=")
            env[name] = v
    return env


KNOWN_KEYS = {
    "Unit": {"Description", "Documentation", "After", "Wants", "Requires", "StartLimitIntervalSec", "StartLimitBurst"},
    "Service": {"Type", "NotifyAccess", "Environment", "EnvironmentFile", "ExecStart", "KillSignal", "TimeoutStopSec", "LimitNOFILE",
                "Restart", "RestartSec", "RestartPreventExitStatus", "User", "Group", "WorkingDirectory",
                "StateDirectory", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "ReadWritePaths",
                "ReadOnlyPaths"},
    "Install": {"WantedBy"},
}


def expand_systemd(argv: list[str], env: dict[str, str]) -> tuple[list[str], set[str]]:
    out, used = [], set()
    for token in argv:
        m = re.fullmatch(r"\$(\w+)", token)
        if m:  # $VAR alone: split at whitespace, zero or more words
            used.add(m.group(1))
            out += env.get(m.group(1), "").split()
            continue
        for name in re.findall(r"\$\{(\w+)\}", token):
            used.add(name)
        out.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), token))
    return out, used


def check_systemd(check: Check, cli: CLI):
    for role, sub in ROLE_SUBCOMMAND.items():
        unit_path = DEPLOY / "systemd" / f"semcom-{role}.service"
        env_path = DEPLOY / "systemd" / f"{role}.env.example"
        if not check.expect(unit_path.exists() and env_path.exists(), f"{rel(unit_path)} or {rel(env_path)} missing"):
            continue
        try:
            unit = parse_unit(unit_path.read_text())
            example = parse_env_file(env_path.read_text())
        except ValueError as error:
            check.fail(f"{rel(unit_path)} / {rel(env_path)}: cannot parse: {error}")
            continue
        where = rel(unit_path)
        check.expect(set(unit) == {"Unit", "Service", "Install"}, f"{where}: sections {sorted(unit)}")
        for section, pairs in unit.items():
            for key, _ in pairs:
                check.expect(key in KNOWN_KEYS.get(section, set()), f"{where}: unexpected key {key}= in [{section}]")
        service = {}
        for key, value in unit.get("Service", []):
            service.setdefault(key, []).append(value)
        unit_section = dict(unit.get("Unit", []))
        one = lambda key: (service.get(key) or [""])[-1]
        check.expect(one("Type") == "notify", f"{where}: Type=notify")
        check.expect(one("Restart") == "on-failure", f"{where}: Restart=on-failure")
        check.expect({"2", "78"} <= set(one("RestartPreventExitStatus").split()), f"{where}: RestartPreventExitStatus=2 78")
        check.expect(unit_section.get("StartLimitIntervalSec") and unit_section.get("StartLimitBurst"),
                     f"{where}: StartLimitIntervalSec= and StartLimitBurst= in [Unit]")
        check.expect(one("EnvironmentFile").lstrip("-") == f"/etc/semcom/{role}.env", f"{where}: EnvironmentFile=/etc/semcom/{role}.env")
        check.expect(one("User") == "semcom", f"{where}: User=semcom")
        check.expect(dict(unit.get("Install", [])).get("WantedBy") == "multi-user.target", f"{where}: WantedBy=multi-user.target")
        exec_start = shlex.split(one("ExecStart"))
        if not check.expect(exec_start[:2] == ["/usr/local/bin/semcom", sub],
                            f"{where}: ExecStart must run /usr/local/bin/semcom {sub} (make install rewrites the path)"):
            continue
        defaults = parse_environment(service.get("Environment", []))
        for label, env in (("defaults", defaults), ("env example", {**defaults, **example})):
            argv, used = expand_systemd(exec_start[1:], env)
            cli.record(f"{where} ({label})", argv)
            values = flag_values(argv)
            check.expect("--http" in values and values["--http"], f"{where} ({label}): --http HOST:PORT")
            check_http_token(check, f"{where} ({label})", argv, env.get(TOKEN_VAR) or None)
        # The example offers the token, and says when it is needed (EnvironmentFile= exports it).
        if check.expect(TOKEN_VAR in example, f"{rel(env_path)}: no {TOKEN_VAR}= line (required when SEMCOM_HTTP is off loopback)"):
            lines = env_path.read_text().splitlines()
            at = next(i for i, line in enumerate(lines) if line.startswith(f"{TOKEN_VAR}="))
            comment = []
            for line in reversed(lines[:at]):
                if not line.startswith("#"):
                    break
                comment.insert(0, line)
            check.expect(re.search(r"loopback", " ".join(comment)),
                         f"{rel(env_path)}: the comment above {TOKEN_VAR}= should say it is required off loopback")
        check.expect(not any(k == TOKEN_VAR or k.startswith(TOKEN_VAR + "=")
                             for v in service.get("Environment", []) for k in shlex.split(v)),
                     f"{where}: {TOKEN_VAR} in Environment= is readable by every user (systemctl show): "
                     f"keep it in {one('EnvironmentFile').lstrip('-')}")
        _, used = expand_systemd(exec_start[1:], {})
        undefined = used - set(defaults) - set(example)
        check.expect(not undefined, f"{where}: ExecStart uses {sorted(undefined)}, set neither by Environment= nor by {rel(env_path)}")
        # Variables the binary reads from its environment itself (EnvironmentFile= exports them).
        read_by_semcom = {"SEMCOM_HTTP_TOKEN", "SEMCOM_MODELS"}
        unused = set(example) - used - read_by_semcom
        check.expect(not unused, f"{rel(env_path)}: {sorted(unused)} not used by {where}")
        for name, value in example.items():
            if name in defaults and not name.endswith("_FLAGS") and name not in ("SEMCOM_LISTEN", "SEMCOM_FORWARD", "SEMCOM_HTTP"):
                check.expect(value == defaults[name], f"{rel(env_path)}: {name}={value} but the unit's default is {defaults[name]}"
                             " (the example promises the defaults)")
        if role != "sender":
            tls = flag_values(example.get("SEMCOM_TLS_FLAGS", "").split())
            check.expect({"--tls-cert", "--tls-key", "--tls-ca"} <= set(tls), f"{rel(env_path)}: TLS example incomplete")
    relay_example = parse_env_file((DEPLOY / "systemd" / "relay.env.example").read_text())
    relay_flags = set(flag_values(expand_systemd(
        shlex.split(dict(parse_unit((DEPLOY / "systemd" / "semcom-relay.service").read_text())["Service"])["ExecStart"])[1:],
        {**parse_environment([v for k, v in parse_unit((DEPLOY / "systemd" / "semcom-relay.service").read_text())["Service"]
                              if k == "Environment"]), **relay_example})[0]))
    if cli.binary is not None and cli.flags(("relay",)) is not None:
        # The channel is one of --snr / --psnr; the token comes from SEMCOM_HTTP_TOKEN in the environment
        # (not the command line); HTTPS flags go in SEMCOM_HTTP_TLS_FLAGS, empty in the example.
        # A schedule goes in SEMCOM_SCHEDULE_FLAGS, empty in the example too.
        skip = {"--help", "--snr", "--psnr", "--http-token", "--http-tls-cert", "--http-tls-key", "--http-tls-ca",
                "--snr-schedule", "--schedule-interpolation", "--schedule-loop"}
        absent = sorted(cli.flags(("relay",)) - relay_flags - skip)
        check.expect(not absent, f"relay unit + relay.env.example do not set every relay option: {absent}")
        check.expect(relay_flags & {"--snr", "--psnr"}, "relay unit: --snr or --psnr")


def systemd_verify(check: Check, unit_dir: Path):
    if not shutil.which("systemd-analyze"):
        check.note("systemd-analyze not here: units checked by the Python parser only")
        return
    for unit in sorted(unit_dir.glob("*.service")):
        result = run(["systemd-analyze", "verify", "--man=no", unit], timeout=60)
        text = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                         if "/etc/semcom/" not in line and "Failed to load" not in line.replace("EnvironmentFile", ""))
        bad = [line for line in text.splitlines() if re.search(r"Unknown|Invalid|Failed|not executable|Missing|bad", line, re.I)]
        check.expect(result.returncode == 0 and not bad,
                     f"systemd-analyze verify {unit.name} (installed): rc {result.returncode}\n" + "\n".join(bad or [text]))


def record_readme(cli: CLI, check: Check):
    """The semcom command lines of deploy/README.md's sh blocks (backslash continuations joined); a
    command with --http off loopback needs SEMCOM_HTTP_TOKEN set (export, or NAME=value before it)
    earlier in its block."""
    text = (DEPLOY / "README.md").read_text()
    for number, block in enumerate(re.findall(r"```sh\n(.*?)```", text, re.S), 1):
        token = None
        for line in block.replace("\\\n", " ").splitlines():
            if re.match(rf"\s*(export\s+)?{TOKEN_VAR}=\S", line):
                token = "export"
            m = re.match(rf"\s*(sudo\s+)?((?:\w+=\S*\s+)*)((\S*/)?semcom\s.*)", line)
            if m:
                prefixed = token or (f"{TOKEN_VAR}=" in m.group(2) and "prefix")
                for command in semcom_commands(["sh", "-c", m.group(3)], implicit_semcom=False):
                    cli.record("deploy/README.md", command)
                    check_http_token(check, f"deploy/README.md (sh block {number})", command, prefixed or None)


# --------------------------------------------------------------------------------------------------
# semcom-link.sh

def check_link(check: Check, binary: Path | None, tmp: Path):
    script = DEPLOY / "semcom-link.sh"
    check.expect(run(["bash", "-n", script]).returncode == 0, "semcom-link.sh: bash -n fails")
    help_text = run([script, "--help"]).stdout
    for option in ("--relay-flags", "--receiver-flags", "--no-relay", "--input"):
        check.expect(option in help_text, f"semcom-link.sh --help does not mention {option}")
    check.expect(run([script, "--bogus"]).returncode == 2, "semcom-link.sh: an unknown argument must exit 2")
    if binary is None:
        check.note("link not run (no binary)")
        return
    scenes = tmp / "link" / "scenes"
    result = run([binary, "scenes", "--count", "2", "--out", scenes])
    if not check.expect(result.returncode == 0, f"semcom scenes: {result.stderr.strip()}"):
        return
    result = run_group([script, "--bin", binary, "--input", scenes, "--snr", "12", "--encoding", "digital",
                        "--no-generate", "--relay-flags", "--modulation qpsk", "--relay-flags", "--code conv:1/2",
                        "--receiver-flags", "--denoiser none", "--", "--window", "2"], timeout=60)
    logs = tmp / "link" / "logs"
    if check.expect(result.returncode == 0, f"semcom-link.sh link failed ({result.returncode}):\n{result.stdout[-1500:]}"):
        relay_log = (logs / "relay.log").read_text()
        check.expect("qpsk" in relay_log and "conv" in relay_log,
                     "semcom-link.sh: --relay-flags did not reach the relay (no qpsk/conv in relay.log)")
        check.expect("acknowledged=2" in result.stdout, "semcom-link.sh: the 2 frames were not acknowledged")
        maps = list((tmp / "link" / "received").glob("*/*.labels.png"))  # OUT/ORIGIN/NAME.labels.png
        check.expect(len(maps) == 2, f"semcom-link.sh: {len(maps)} maps received, expected 2")

    # The same link with TLS on both hops, configured as the systemd examples and compose.yaml do:
    # client certificates, CN allow-lists, server names = roles.
    pki = tmp / "link-tls" / "pki"
    result = run([binary, "certs", "--out", pki, "--names", ",".join(ROLES)])
    if not check.expect(result.returncode == 0, f"semcom certs failed: {(result.stdout + result.stderr).strip()[-500:]}"):
        return
    for name in ("ca.crt", "ca.key", *(f"{r}.{e}" for r in ROLES for e in ("crt", "key"))):
        check.expect((pki / name).exists(), f"semcom certs did not write {name}")
    tls = lambda role: f"--tls-cert {pki}/{role}.crt --tls-key {pki}/{role}.key --tls-ca {pki}/ca.crt"
    out = tmp / "link-tls" / "received"
    result = run_group([script, "--bin", binary, "--input", scenes, "--out", out, "--psnr", "10", "--no-generate",
                        "--receiver-flags", tls("receiver") + " --tls-allow relay",
                        "--relay-flags", tls("relay") + " --tls-allow sender",
                        "--relay-flags", f"--forward-tls-cert {pki}/relay.crt --forward-tls-key {pki}/relay.key "
                                         f"--forward-tls-ca {pki}/ca.crt --forward-tls-server-name receiver",
                        "--", *tls("sender").split(), "--tls-server-name", "relay"], timeout=30)
    ok = result.returncode == 0 and "acknowledged=2" in result.stdout and len(list(out.glob("*/*.labels.png"))) == 2
    check.expect(ok, f"semcom-link.sh with TLS on both hops did not deliver the 2 frames (exit {result.returncode}"
                     f"{', timed out after 30 s' if result.returncode == 124 else ''}):\n" + result.stdout[-1200:])


# --------------------------------------------------------------------------------------------------
# make install / uninstall

def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if not p.is_dir())


def check_install(check: Check, binary: Path | None, tmp: Path):
    if binary is None:
        check.skipped = "no semcom binary"
        return
    prefix = tmp / "prefix"
    make = ["make", "-C", ROOT, "--no-print-directory"]
    env = {k: v for k, v in os.environ.items() if k not in ("SEMCOM_MODELS", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = run([*make, "install", f"PREFIX={prefix}", f"INSTALL_BIN={binary}"], timeout=120, env=env)
    if not check.expect(result.returncode == 0, f"make install failed:\n{(result.stdout + result.stderr)[-2000:]}"):
        return
    models = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "models").glob("*/*"))
    expected = {"bin/semcom", "share/bash-completion/completions/semcom", "share/zsh/site-functions/_semcom",
                "share/fish/vendor_completions.d/semcom.fish"}
    expected |= {f"share/semcom/{m}" for m in models}
    expected |= {f"share/semcom/systemd/{p.name}" for p in (DEPLOY / "systemd").iterdir()
                 if p.suffix == ".service" or p.name.endswith(".env.example")}
    installed = {str(p.relative_to(prefix)) for p in files_under(prefix)}
    check.expect(installed == expected, f"make install: unexpected files {sorted(installed - expected)}, "
                                        f"missing {sorted(expected - installed)}")
    installed_bin = prefix / "bin" / "semcom"
    check.expect(os.access(installed_bin, os.X_OK), "make install: bin/semcom not executable")
    for shell_file in ("share/bash-completion/completions/semcom", "share/zsh/site-functions/_semcom",
                       "share/fish/vendor_completions.d/semcom.fish"):
        path = prefix / shell_file
        check.expect(path.exists() and "semcom" in path.read_text(), f"make install: {shell_file} empty")
    if (prefix / "share/bash-completion/completions/semcom").exists():
        check.expect(run(["bash", "-n", prefix / "share/bash-completion/completions/semcom"]).returncode == 0,
                     "bash completion: bash -n fails")
    for unit in (prefix / "share/semcom/systemd").glob("*.service"):
        text = unit.read_text()
        check.expect(f"{prefix}/bin/semcom " in text and "/usr/local/" not in text,
                     f"make install: {unit.name} does not run {prefix}/bin/semcom, or still names /usr/local/")
    systemd_verify(check, prefix / "share/semcom/systemd")

    # The installed binary finds PREFIX/share/semcom/models from anywhere: nothing else on the way.
    work = tmp / "elsewhere"
    work.mkdir()
    for folder in [work, *work.parents, *installed_bin.parents]:
        check.expect(not (folder / "models").exists(), f"{folder}/models exists: the model search test would be meaningless")
    result = run([installed_bin, "scenes", "--count", "1", "--out", "scene"], cwd=work, env=env)
    if check.expect(result.returncode == 0, f"installed semcom scenes failed: {result.stderr.strip()}"):
        image = next((work / "scene" / "images").glob("*.png"))
        labels = work / "scene" / "labels" / image.name
        result = run([installed_bin, "segment", image, "--out", "segmented.png"], cwd=work, env=env)
        check.expect(result.returncode == 0 and (work / "segmented.png").exists(),
                     f"installed semcom segment (segmenter from PREFIX/share/semcom/models) failed: {result.stderr.strip()[-500:]}")
        result = run([installed_bin, "generate", "--labels", labels, "--out", "generated.png", "--steps", "1"],
                     cwd=work, env=env, timeout=120)
        check.expect(result.returncode == 0 and (work / "generated.png").exists(),
                     f"installed semcom generate (generator from PREFIX/share/semcom/models) failed: {result.stderr.strip()[-500:]}")
        # Control: the same binary without the installed models must not find any.
        alone = tmp / "alone" / "bin"
        alone.mkdir(parents=True)
        shutil.copy2(installed_bin, alone / "semcom")
        result = run([alone / "semcom", "segment", image, "--out", "control.png"], cwd=work, env=env)
        check.expect(result.returncode != 0, "control: a binary without share/semcom/models still found a model; "
                                             "the model test proves nothing")

    result = run([*make, "uninstall", f"PREFIX={prefix}"], timeout=60, env=env)
    check.expect(result.returncode == 0, f"make uninstall failed:\n{(result.stdout + result.stderr)[-2000:]}")
    left = files_under(prefix)
    check.expect(not left, f"make uninstall left {[str(p.relative_to(prefix)) for p in left]}")
    check.expect(not (prefix / "share/semcom").exists(), "make uninstall left share/semcom/")

    # DESTDIR: files under DESTDIR/PREFIX, units naming PREFIX/bin/semcom.
    dest = tmp / "dest"
    result = run([*make, "install", "PREFIX=/opt/semcom", f"DESTDIR={dest}", f"INSTALL_BIN={binary}"], timeout=120, env=env)
    if check.expect(result.returncode == 0, f"make install DESTDIR= failed:\n{(result.stdout + result.stderr)[-1500:]}"):
        unit = dest / "opt/semcom/share/semcom/systemd/semcom-relay.service"
        check.expect(unit.exists() and "ExecStart=/opt/semcom/bin/semcom relay" in unit.read_text(),
                     "make install DESTDIR=…: units must name PREFIX/bin/semcom, without DESTDIR")
        run([*make, "uninstall", "PREFIX=/opt/semcom", f"DESTDIR={dest}"], timeout=60, env=env)
        check.expect(not files_under(dest), "make uninstall DESTDIR=…: files left")


# --------------------------------------------------------------------------------------------------

def find_binary() -> Path | None:
    if os.environ.get("SEMCOM_BIN"):
        return Path(os.environ["SEMCOM_BIN"]).resolve()
    candidates = [p for p in (ROOT / ".build/release/semcom", ROOT / ".build/debug/semcom") if p.exists()]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-binary", action="store_true", help="skip the checks that need a semcom binary")
    parser.add_argument("--only", help="comma-separated subset: dockerfile,compose,k8s,systemd,link,install,flags "
                        "(flags checks what the selected checks use)")
    options = parser.parse_args()
    binary = None if options.no_binary else find_binary()
    if binary is None and not options.no_binary:
        print("check_deploy: no semcom binary (.build/{release,debug}/semcom or $SEMCOM_BIN): build it first, "
              "or pass --no-binary", file=sys.stderr)
        return 1
    cli = CLI(binary)
    selected = set(options.only.split(",")) if options.only else None
    checks = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="semcom-deploy-check-") as directory:
        tmp = Path(directory)
        steps = [
            ("dockerfile", lambda c: check_dockerfile(c, binary, cli)),
            ("compose", lambda c: check_compose(c, cli)),
            ("k8s", lambda c: check_k8s(c, cli, binary, tmp)),
            ("systemd", lambda c: check_systemd(c, cli)),
            ("link", lambda c: check_link(c, binary, tmp)),
            ("install", lambda c: check_install(c, binary, tmp)),
            ("flags", lambda c: (record_readme(cli, c), cli.verify(c))),
        ]
        for name, step in steps:
            if selected and name not in selected:
                continue
            check = Check(name)
            checks.append(check)
            t = time.monotonic()
            try:
                step(check)
            except Exception as error:  # a crash is a failure of that check, with its cause
                check.fail(f"{type(error).__name__}: {error}")
            status = "SKIP" if check.skipped else ("FAIL" if check.failures else "ok")
            print(f"{status:4} {name:10} {time.monotonic() - t:5.1f} s" + (f"  ({check.skipped})" if check.skipped else ""))
            for message in check.failures:
                print("       - " + message.replace("\n", "\n         "))
            for message in check.notes:
                print("       · " + message)
            sys.stdout.flush()
    failed = [c.name for c in checks if c.failures]
    print(f"deploy-check: {len(checks) - len(failed)} of {len(checks)} passed in {time.monotonic() - start:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
