#!/usr/bin/env python3
"""How fast does `smimekit fetch` take a mailbox, against mpop, fetchmail and curl?

Usage (as root: it mounts a tmpfs and a loop-mounted ext4 file system):

    cmake --build build --target smimekit bench_pop3_server bench_measure -j2
    sudo python3 tests/bench/fetch_bench.py [BUILD_DIR] [--repeat 3] [--json-out FILE]
        [--clients smimekit,mpop,fetchmail,curl] [--fs tmpfs,ext4]
        [--small 2000] [--large 20] [--pop3s] [--image-dir DIR] [--image-size-mib 2048]

BUILD_DIR (default build/) must hold tools/smimekit/smimekit, tests/bench/bench_pop3_server
and tests/bench/bench_measure; this script builds nothing. mpop and fetchmail are needed
only here: `apt-get install mpop fetchmail` when they are missing.

What it does: bench_pop3_server starts a private Dovecot on 127.0.0.1 (POP3 with STLS, the
demo server certificate) and fills the maildrop of user "bench" with 2,000 signed messages
of about 6 KB and 20 of about 1 MB. One untimed mpop fetch warms Dovecot's index and the
page cache. Then, in each of REPEAT rounds, every client fetches the whole maildrop into a
fresh Maildir on the tmpfs and on the ext4 file system (clients take turns within a round,
so that a noisy neighbour hurts all of them alike). Every client checks the server
certificate against certs/demo/root.pem and keeps the messages on the server:

  smimekit   smimekit fetch pop3://bench@127.0.0.1:PORT --starttls ... --anchor root.pem:
             fetches, opens (verifies) every message, delivers in batches with grouped syncs
  mpop       pipelining auto, delivery maildir (one fsync per message), a fresh UIDL file
  fetchmail  keep, fetchall, STLS required, an MDA writing each message into new/ (no fsync)
  curl       one process, URL globbing pop3://127.0.0.1:PORT/[1-N], --ssl-reqd, -o new/#1
             (no fsync)

--pop3s connects every client with implicit TLS to Dovecot's POP3S port instead, as a
control: the testbed passes its STLS port through a relay in bench_pop3_server (so that
Dovecot does not take 127.0.0.1 for a trusted local client), and the POP3S port has none.

After each smimekit and mpop fetch, a second run into the same Maildir finds nothing new:
that is the login floor (connect, STLS, login, UIDL, QUIT).

Each figure is the best of REPEAT runs (the least disturbed one). bench_measure runs each
client and takes its wall time (fork to exit) and its peak RSS: ru_maxrss from wait4(), which
also covers the client's own children (fetchmail's MDA), reported as the highest of the runs;
the floor of that figure, the launcher's own size, is printed (about 1 MiB). Ratios compare
figures measured in this same run, since these machines are shared and noisy: "smimekit
speed-up" is the client's best seconds divided by smimekit's on the same file system (>1:
smimekit is faster). smimekit's own JSON summary
splits its time into opening (verifying) and the rest, so fetching with and without opening
are reported separately.

Every credential goes into a mode-0600 file or the environment, never onto a command line.
Everything is undone on exit, also on Ctrl-C or SIGTERM: file systems unmounted, the loop
device freed, the image and the work directory removed, the server stopped.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENTS = ("smimekit", "mpop", "fetchmail", "curl")
FILE_SYSTEMS = ("tmpfs", "ext4")
RUN_TIMEOUT = 600  # seconds; a client slower than this has failed
MEASURE = None  # bench_measure of the build directory

PROG = "fetch_bench"


def fail(message, hint=None, code=1):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    if hint:
        print(f"{PROG}: hint: {hint}", file=sys.stderr)
    sys.exit(code)


def note(message):
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(
        prog="fetch_bench.py",
        description="Fetch one mailbox with smimekit, mpop, fetchmail and curl, on tmpfs "
        "and ext4, and compare (see the top of this file).")
    p.add_argument("build_dir", nargs="?", default=os.path.join(SOURCE_DIR, "build"),
                   help="the CMake build directory (default: build/ of the source tree)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    p.add_argument("--json-out", help="write every raw number here as JSON")
    p.add_argument("--clients", default=",".join(CLIENTS),
                   help="comma-separated subset of " + ",".join(CLIENTS))
    p.add_argument("--fs", default=",".join(FILE_SYSTEMS),
                   help="comma-separated subset of " + ",".join(FILE_SYSTEMS))
    p.add_argument("--small", type=int, default=2000, help="messages of about 6 KB")
    p.add_argument("--large", type=int, default=20, help="messages of about 1 MB")
    p.add_argument("--pop3s", action="store_true",
                   help="connect with implicit TLS to the POP3S port instead of STLS (a control: "
                   "the STLS port goes through the testbed's relay, the POP3S port does not)")
    p.add_argument("--image-dir", default=None,
                   help="where the ext4 image file goes (default: the work directory in $TMPDIR)")
    p.add_argument("--image-size-mib", type=int, default=2048,
                   help="size of the sparse ext4 image")
    args = p.parse_args()
    args.clients = [c for c in args.clients.split(",") if c]
    args.fs = [f for f in args.fs.split(",") if f]
    for c in args.clients:
        if c not in CLIENTS:
            fail(f"unknown client '{c}'", "choose from " + ", ".join(CLIENTS), 64)
    for f in args.fs:
        if f not in FILE_SYSTEMS:
            fail(f"unknown file system '{f}'", "choose from " + ", ".join(FILE_SYSTEMS), 64)
    if "smimekit" not in args.clients:
        fail("--clients must include smimekit: every ratio is taken against it", None, 64)
    if args.repeat < 1:
        fail("--repeat must be at least 1", None, 64)
    return args


def check_prerequisites(args):
    global MEASURE
    smimekit = os.path.join(args.build_dir, "tools", "smimekit", "smimekit")
    server = os.path.join(args.build_dir, "tests", "bench", "bench_pop3_server")
    MEASURE = os.path.join(args.build_dir, "tests", "bench", "bench_measure")
    for path in (smimekit, server, MEASURE):
        if not os.access(path, os.X_OK):
            fail(f"{path} is missing",
                 f"build it first: cmake --build {args.build_dir} --target smimekit "
                 "bench_pop3_server bench_measure -j2", 66)
    packages = {"mpop": "mpop", "fetchmail": "fetchmail", "curl": "curl"}
    missing = [packages[c] for c in args.clients if c in packages and not shutil.which(c)]
    if "ext4" in args.fs:
        for tool, package in (("mkfs.ext4", "e2fsprogs"), ("mount", "mount"),
                              ("umount", "mount"), ("losetup", "mount")):
            if not shutil.which(tool):
                missing.append(package)
    if "mpop" not in args.clients and not shutil.which("mpop"):
        missing.append("mpop")  # the warm-up fetch uses mpop
    if missing:
        fail("missing programs for the benchmark: " + ", ".join(sorted(set(missing))),
             "apt-get install " + " ".join(sorted(set(missing))), 69)
    if os.geteuid() != 0 and "ext4" in args.fs:
        fail("the ext4 measurement mounts a loop device, which needs root",
             "run it with sudo, or give --fs tmpfs", 77)
    return smimekit, server


class Cleanup:
    """Undo actions, run last-in first-out, each at most once, whatever happened."""

    def __init__(self):
        self.actions = []

    def push(self, description, action):
        self.actions.append((description, action))

    def run(self):
        while self.actions:
            description, action = self.actions.pop()
            try:
                action()
            except Exception as e:  # keep undoing the rest
                note(f"cleanup: cannot {description}: {e}")


def run_quiet(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stdout.strip()}")
    return r.stdout


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def make_maildir(path):
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(path, sub), mode=0o700)


def count_messages(maildir):
    n = 0
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        if os.path.isdir(d):
            n += sum(1 for e in os.scandir(d) if e.is_file())
    return n


def mount_file_systems(args, work, cleanup):
    roots = {}
    if "tmpfs" in args.fs:
        mnt = os.path.join(work, "tmpfs")
        os.mkdir(mnt, 0o700)
        if os.geteuid() == 0:
            run_quiet(["mount", "-t", "tmpfs", "-o", "size=4g,mode=0700", "smimekit-bench", mnt])
            cleanup.push(f"unmount {mnt}", lambda mnt=mnt: run_quiet(["umount", mnt]))
        else:
            # Without root, a directory on the tmpfs of /dev/shm does as well.
            mnt = tempfile.mkdtemp(prefix="smimekit-fetch-bench-", dir="/dev/shm")
            cleanup.push(f"remove {mnt}", lambda mnt=mnt: shutil.rmtree(mnt))
        roots["tmpfs"] = mnt
    if "ext4" in args.fs:
        image_dir = args.image_dir or work
        image = os.path.join(image_dir, f"smimekit-fetch-bench-{os.getpid()}.ext4")
        with open(image, "wb") as f:
            f.truncate(args.image_size_mib * 1024 * 1024)
        cleanup.push(f"remove {image}", lambda image=image: os.unlink(image))
        # Initialize inode tables and journal now, so no lazy-init thread writes during runs.
        run_quiet(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                   image])
        mnt = os.path.join(work, "ext4")
        os.mkdir(mnt, 0o700)
        run_quiet(["mount", "-t", "ext4", "-o", "loop", image, mnt])
        # A loop device set up by mount -o loop is freed by umount (autoclear).
        cleanup.push(f"unmount {mnt}", lambda mnt=mnt: run_quiet(["umount", mnt]))
        os.chmod(mnt, 0o700)
        roots["ext4"] = mnt
    return roots


def start_server(server, args, work, password, cleanup):
    env = dict(os.environ, SMIMEKIT_BENCH_PASSWORD=password)
    note(f"generating and delivering {args.small} + {args.large} signed messages ...")
    t = time.perf_counter()
    proc = subprocess.Popen(
        [server, "--certs", os.path.join(SOURCE_DIR, "certs", "demo"),
         "--small", str(args.small), "--large", str(args.large),
         "--work-dir", os.path.join(work, "server")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)

    def stop():
        proc.stdin.close()  # the server's signal to stop
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=30)

    cleanup.push("stop the POP3 server", stop)
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        fail(f"bench_pop3_server exited ({proc.returncode}) without starting", None, 70)
    info = json.loads(line)
    note(f"server on 127.0.0.1:{info['port']} with {info['messages']} messages, "
         f"{info['bytes'] / 2**20:.1f} MiB, ready after {time.perf_counter() - t:.1f} s")
    return info


class Clients:
    """How each client is set up and run; configuration files hold the password (mode 0600)."""

    def __init__(self, smimekit, work, port, messages, password, pop3s):
        self.smimekit = smimekit
        self.work = work
        self.conf = os.path.join(work, "conf")
        os.mkdir(self.conf, 0o700)
        self.port = port
        self.pop3s = pop3s  # implicit TLS instead of STLS
        self.messages = messages
        self.password = password
        self.ca = os.path.join(SOURCE_DIR, "certs", "demo", "root.pem")
        self.serial = 0
        self.env = dict(os.environ, SMIMEKIT_BENCH_PASSWORD=password)

    def _private(self, name):
        self.serial += 1
        return os.path.join(self.conf, f"{self.serial:04}-{name}")

    def smimekit_cmd(self, maildir):
        scheme, mode = ("pop3s", "--tls") if self.pop3s else ("pop3", "--starttls")
        return [self.smimekit, "fetch", f"{scheme}://bench@127.0.0.1:{self.port}", mode,
                "--cacert", self.ca, "--maildir", maildir, "--pass",
                "env:SMIMEKIT_BENCH_PASSWORD", "--json", "--anchor", self.ca]

    def mpop_cmd(self, maildir, uidls=None):
        rc = self._private("mpoprc")
        uidls = uidls or self._private("mpop-uidls")
        write_private(rc, "\n".join([
            "defaults",
            "account bench",
            "host 127.0.0.1",
            f"port {self.port}",
            "tls on",
            "tls_starttls " + ("off" if self.pop3s else "on"),
            f"tls_trust_file {self.ca}",
            "user bench",
            f"password {self.password}",
            "auth on",
            "pipelining auto",
            "keep on",
            f"uidls_file {uidls}",
            f"delivery maildir {maildir}",
            "",
        ]))
        return ["mpop", "-C", rc, "--quiet", "bench"], uidls

    def fetchmail_cmd(self, maildir):
        home = self._private("fetchmail-home")
        os.mkdir(home, 0o700)
        rc = os.path.join(home, "fetchmailrc")
        user = os.environ.get("USER") or os.environ.get("LOGNAME") or "root"
        new = os.path.join(maildir, "new")
        write_private(rc, "\n".join([
            "set no syslog",
            "set no bouncemail",
            f"poll 127.0.0.1 service {self.port} protocol POP3",
            f'  user "bench" there with password "{self.password}" is "{user}" here',
            # Without "ssl", an sslproto makes STLS mandatory.
            ("  ssl" if self.pop3s else "") + '  sslproto "tls1.2+" sslcertck',
            f'  sslcertfile "{self.ca}"',
            '  sslcommonname "localhost"',
            "  keep fetchall",
            f'  mda "cat > $(mktemp -p {new} fm.XXXXXXXXXX)"',
            "",
        ]))
        cmd = ["fetchmail", "-f", rc, "--idfile", os.path.join(home, "idfile"),
               "--nodetach", "--nosyslog", "--silent"]
        return cmd, dict(self.env, FETCHMAILHOME=home)

    def curl_cmd(self, maildir):
        config = self._private("curlrc")
        write_private(config, "\n".join([
            "silent",
            "show-error",
            "ssl-reqd",
            f'cacert = "{self.ca}"',
            f'user = "bench:{self.password}"',
            f'url = "{"pop3s" if self.pop3s else "pop3"}://127.0.0.1:{self.port}/'
            f'[1-{self.messages}]"',
            f'output = "{os.path.join(maildir, "new")}/#1"',
            "",
        ]))
        return ["curl", "-K", config]


current_child = None


def measure(cmd, env, log):
    """Runs CMD under bench_measure; returns (seconds, peak RSS in KiB, exit code, stdout,
    stderr). Measured from Python, every child's ru_maxrss would include the interpreter's
    own size: see bench_measure.cpp."""
    global current_child
    out_path, err_path, result_path = log + ".out", log + ".err", log + ".result"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        current_child = subprocess.Popen([MEASURE, str(RUN_TIMEOUT), result_path, *cmd],
                                         env=env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err)
        current_child.wait()
        current_child = None
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path) as f:
        stderr = f.read()
    try:
        with open(result_path) as f:
            seconds, rss_kib, code = f.read().split()
    except (OSError, ValueError):
        return float("nan"), 0, 70, stdout, stderr + "\nbench_measure reported nothing"
    return float(seconds), int(rss_kib), int(code), stdout, stderr


def run_one(clients, client, fs, root, rep, logs, again_of=None):
    """One measurement; returns its record. AGAIN_OF: the record of the fetch to repeat."""
    name = f"{client}-{fs}-{rep}" + ("-again" if again_of else "")
    maildir = again_of["maildir"] if again_of else os.path.join(root, name)
    if not again_of:
        make_maildir(maildir)
    env = clients.env
    uidls = None
    if client == "smimekit":
        cmd = clients.smimekit_cmd(maildir)
    elif client == "mpop":
        cmd, uidls = clients.mpop_cmd(maildir, again_of and again_of["uidls"])
    elif client == "fetchmail":
        cmd, env = clients.fetchmail_cmd(maildir)
    else:
        cmd = clients.curl_cmd(maildir)
    os.sync()  # what the last run left in the page cache is not written on this one's time
    seconds, rss_kib, code, stdout, stderr = measure(cmd, env, os.path.join(logs, name))
    record = {"client": client, "fs": fs, "round": rep, "again": bool(again_of),
              "seconds": seconds, "max_rss_kib": rss_kib, "exit_code": code,
              "messages": count_messages(maildir), "maildir": maildir, "uidls": uidls}
    if client == "smimekit" and code == 0:
        try:
            record["summary"] = json.loads(stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            record["summary"] = None
    if code != 0:
        note(f"{name}: {cmd[0]} exited with {code}: {stderr.strip()[-2000:]}")
    return record


def remove_maildir(record):
    shutil.rmtree(record["maildir"], ignore_errors=True)
    os.sync()


def best(records):
    ok = [r for r in records if r["ok"]]
    return min(ok, key=lambda r: r["seconds"]) if ok else None


def mib(kib):
    return kib / 1024.0


def report(args, info, records, floor_kib):
    n = info["messages"]
    rounds = args.repeat
    print()
    print(f"smimekit fetch benchmark: {n} messages ({args.small} of ~6 KB, {args.large} of "
          f"~1 MB; {info['bytes'] / 2**20:.1f} MiB) from Dovecot on 127.0.0.1 over "
          + ("POP3S (implicit TLS)" if args.pop3s else "STLS"))
    print(f"each figure: best of {rounds} run(s); peak RSS: highest of the runs; "
          "ratio = client seconds / smimekit seconds (>1: smimekit faster)")
    print(f"peak RSS includes a floor of {mib(floor_kib):.1f} MiB (the launcher's own size)")
    print()
    header = (f"{'client':<10} {'fs':<6} {'seconds':>9} {'messages/s':>11} "
              f"{'peak RSS MiB':>13} {'smimekit speed-up':>18}")
    print(header)
    print("-" * len(header))
    table = {}
    for fs in args.fs:
        sk = best([r for r in records if r["client"] == "smimekit" and r["fs"] == fs
                   and not r["again"]])
        for client in args.clients:
            mine = [r for r in records if r["client"] == client and r["fs"] == fs
                    and not r["again"]]
            b = best(mine)
            if b is None:
                print(f"{client:<10} {fs:<6} {'failed':>9}")
                continue
            rss = max(r["max_rss_kib"] for r in mine if r["ok"])
            ratio = b["seconds"] / sk["seconds"] if sk else None
            table.setdefault(fs, {})[client] = {
                "seconds": b["seconds"], "messages_per_second": n / b["seconds"],
                "peak_rss_mib": mib(rss), "smimekit_speedup": ratio}
            ratio_text = f"{ratio:.2f}x" if ratio is not None else "-"
            print(f"{client:<10} {fs:<6} {b['seconds']:>9.3f} {n / b['seconds']:>11.0f} "
                  f"{mib(rss):>13.1f} {ratio_text:>18}")
    print()

    print(f"second run, nothing new (login, UIDL, QUIT; best of {rounds}):")
    again = {}
    for fs in args.fs:
        for client in ("smimekit", "mpop"):
            b = best([r for r in records if r["client"] == client and r["fs"] == fs
                      and r["again"]])
            if b:
                again.setdefault(fs, {})[client] = {"seconds": b["seconds"]}
        parts = [f"{c} {v['seconds'] * 1000:.1f} ms" for c, v in again.get(fs, {}).items()]
        if "smimekit" in again.get(fs, {}) and "mpop" in again.get(fs, {}):
            ratio = again[fs]["smimekit"]["seconds"] / again[fs]["mpop"]["seconds"]
            parts.append(f"smimekit/mpop {ratio:.2f}")
        print(f"  {fs:<6} " + ", ".join(parts))
    print()

    print("smimekit: fetch and open vs fetch alone (its own JSON summary, of the best run):")
    split = {}
    for fs in args.fs:
        b = best([r for r in records if r["client"] == "smimekit" and r["fs"] == fs
                  and not r["again"]])
        s = b and b.get("summary")
        if not s:
            continue
        total, opening = s["seconds"]["total"], s["seconds"]["opening"]
        delivering = s["seconds"]["delivering"]
        fetch_only = total - opening
        split[fs] = {"wall": b["seconds"], "total": total, "opening": opening,
                     "delivering": delivering, "fetch_without_opening": fetch_only,
                     "valid": s.get("valid"), "fetched": s.get("fetched"),
                     "mechanism": s.get("mechanism")}
        print(f"  {fs:<6} fetch+open {total:.3f} s ({n / total:.0f} msg/s), opening "
              f"{opening:.3f} s, delivering {delivering:.3f} s, fetch without opening "
              f"{fetch_only:.3f} s ({n / fetch_only:.0f} msg/s); process wall "
              f"{b['seconds']:.3f} s; {s.get('valid')} of {s.get('fetched')} valid, login "
              f"{s.get('mechanism')}")
    print()

    print("aims (ratios from this run):")
    for fs, goal, wanted in (("tmpfs", "at least mpop's speed", 1.0),
                             ("ext4", "several times faster than mpop (taken as >= 3x)", 3.0)):
        row = table.get(fs, {})
        if "mpop" in row and row["mpop"]["smimekit_speedup"] is not None:
            r = row["mpop"]["smimekit_speedup"]
            print(f"  {fs:<6} {goal}: {r:.2f}x -> {'met' if r >= wanted else 'NOT met'}")
    for fs, v in again.items():
        if "smimekit" in v and "mpop" in v:
            r = v["smimekit"]["seconds"] / v["mpop"]["seconds"]
            print(f"  {fs:<6} second run at the login floor (mpop's second run): "
                  f"{r:.2f}x mpop's time -> {'met' if r <= 1.25 else 'NOT met'} "
                  "(within 25%)")
    return {"table": table, "second_run": again, "smimekit_split": split,
            "rss_floor_kib": floor_kib}


def main():
    args = parse_args()
    smimekit, server = check_prerequisites(args)
    cleanup = Cleanup()

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        work = tempfile.mkdtemp(prefix="smimekit-fetch-bench-")
        # Dovecot's unprivileged processes must reach the server's Maildirs below.
        os.chmod(work, 0o711)
        cleanup.push(f"remove {work}", lambda: shutil.rmtree(work))
        logs = os.path.join(work, "logs")
        os.mkdir(logs, 0o700)
        password = secrets.token_hex(16)
        info = start_server(server, args, work, password, cleanup)
        roots = mount_file_systems(args, work, cleanup)
        port = info["pop3s_port"] if args.pop3s else info["port"]
        clients = Clients(smimekit, work, port, info["messages"], password, args.pop3s)
        n = info["messages"]

        # Warm-up, untimed: Dovecot builds its index and caches sizes on the first session.
        warm = os.path.join(work, "warm-up")
        make_maildir(warm)
        cmd, _ = clients.mpop_cmd(warm)
        _, _, code, _, stderr = measure(cmd, clients.env, os.path.join(logs, "warm-up"))
        if code != 0 or count_messages(warm) != n:
            fail(f"the warm-up fetch with mpop failed ({code}): {stderr.strip()}")
        shutil.rmtree(warm)
        # The floor of every peak-RSS figure: what a client forked by bench_measure starts with.
        _, floor_kib, _, _, _ = measure(["true"], clients.env, os.path.join(logs, "floor"))

        records = []
        for rep in range(1, args.repeat + 1):
            for fs in args.fs:
                for client in args.clients:
                    r = run_one(clients, client, fs, roots[fs], rep, logs)
                    r["ok"] = r["exit_code"] == 0 and r["messages"] == n
                    if r["exit_code"] == 0 and r["messages"] != n:
                        note(f"{client} on {fs} delivered {r['messages']} of {n} messages")
                    records.append(r)
                    note(f"round {rep}: {client:<9} {fs:<5} {r['seconds']:7.3f} s "
                         f"{mib(r['max_rss_kib']):6.1f} MiB {r['messages']} messages"
                         + ("" if r["ok"] else "  FAILED"))
                    if client in ("smimekit", "mpop") and r["ok"]:
                        a = run_one(clients, client, fs, roots[fs], rep, logs, again_of=r)
                        a["ok"] = a["exit_code"] == 0 and a["messages"] == n
                        records.append(a)
                        note(f"round {rep}: {client:<9} {fs:<5} {a['seconds']:7.3f} s "
                             "second run, nothing new" + ("" if a["ok"] else "  FAILED"))
                    remove_maildir(r)

        summary = report(args, info, records, floor_kib)
        if args.json_out:
            for r in records:
                r.pop("maildir", None)
                r.pop("uidls", None)
            with open(args.json_out, "w") as f:
                json.dump({"mailbox": info, "repeat": args.repeat, "clients": args.clients,
                           "file_systems": args.fs, "runs": records, **summary}, f, indent=2)
                f.write("\n")
            note(f"raw numbers written to {args.json_out}")
        failed = [r for r in records if not r["ok"]]
        return 1 if failed else 0
    finally:
        if current_child is not None and current_child.returncode is None:
            current_child.kill()
        cleanup.run()


if __name__ == "__main__":
    sys.exit(main())
