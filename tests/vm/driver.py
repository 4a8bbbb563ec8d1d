"""driver.py — a small VM test driver in the vocabulary of the NixOS test
driver, for systems booted with `sigil boot` (imported by tests/vm/*.py).

    t = Test("kv", global_timeout=600)     # TAP output, a global timeout
    m = t.machine("kv", disk, forwards=[(hostport, guestport)], agent=port)
    m.start()                              # sigil boot DISK, console captured
    m.wait_for_console_text(r"Ready", 60)  # a regex on the console so far
    out = m.succeed("cat /data/x")         # a command run by the test agent
    m.shutdown()                           # clean stop (SIGTERM: ctrl-alt-del)
    t.ok(cond, "name"); t.is_(got, want, "name"); t.waited(m, regex, s, "name")
    t.run(main)                            # main(t); the plan; logs kept on failure

A machine is one `sigil boot` process: its stdout (the guest's serial
console) and stderr are appended to files in the test's work directory
and read from there, so nothing is lost and nothing blocks. The test agent
(tests/vm/agent.c) is a child of the system under test reached through a
forward: `succeed` sends one command line to 127.0.0.1:AGENT and reads the
exit status line and the output.

The global timeout (SIGALRM) fails the test wherever it is: every machine
still running is killed. When the test fails for any reason, each
machine's full console (and sigil boot's stderr) is kept in KEEP_DIR
($SIGIL_BUILD/test-logs by default) and its last lines are shown as TAP
comments.

Only 127.0.0.1 is ever connected to; sigil boot runs QEMU's user network
restricted, with the forwards bound to 127.0.0.1.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class VMError(Exception):
    pass


class Timeout(VMError):
    pass


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Machine:
    def __init__(self, test, name, disk, forwards=(), agent=None, args=()):
        self.test = test
        self.name = name
        self.disk = disk
        self.forwards = list(forwards)   # (host port, guest port)
        self.agent = agent               # host port reaching the agent, or None
        self.args = list(args)
        self.proc = None
        self.boots = 0
        self.console_path = os.path.join(test.work, name + ".console")
        self.stderr_path = os.path.join(test.work, name + ".stderr")
        self.mark = 0                    # console offset where this boot began

    # ---- the vocabulary -------------------------------------------------
    def start(self):
        """Boots the disk (again, after a shutdown); returns at once."""
        if self.proc and self.proc.poll() is None:
            raise VMError("%s: already running" % self.name)
        argv = [self.test.sigil, "boot", "--timeout", str(self.test.global_timeout)]
        for h, g in self.forwards:
            argv += ["--forward", "%d:%d" % (h, g)]
        argv += self.args + [self.disk]
        self.boots += 1
        with open(self.console_path, "ab") as f:
            f.write(("\n=== %s: boot %d: %s\n" % (self.name, self.boots, " ".join(argv))).encode())
            self.mark = f.tell()
        out = open(self.console_path, "ab")
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.close()
        err.close()
        self.started = time.monotonic()
        self.test.running.append(self)

    def console(self):
        """The console of the current (or last) boot, as text."""
        with open(self.console_path, "rb") as f:
            f.seek(self.mark)
            return f.read().decode("utf-8", "replace").replace("\r\n", "\n")

    def wait_for_console_text(self, regex, timeout=60):
        """Waits until a line of this boot's console matches regex; returns
        the match. Timeout when it does not within `timeout` seconds, or
        VMError when the machine stops first."""
        rx = re.compile(regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.console())
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.console())
                if m:
                    return m
                raise VMError("%s stopped (sigil boot exit %d) before the console showed /%s/"
                              % (self.name, self.proc.returncode, regex))
            if time.monotonic() > deadline:
                raise Timeout("%s: /%s/ not on the console after %d s" % (self.name, regex, timeout))
            time.sleep(0.1)

    def execute(self, cmd, timeout=60):
        """Runs cmd through the test agent: (status, output). Retries while
        the agent is not up yet (refused, or the forward closed at once
        because the child is not running)."""
        if self.agent is None:
            raise VMError("%s has no test agent" % self.name)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise VMError("%s stopped (sigil boot exit %d)" % (self.name, self.proc.returncode))
            try:
                with socket.create_connection(("127.0.0.1", self.agent), timeout=10) as s:
                    s.sendall(cmd.encode() + b"\n")
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                head, sep, out = data.partition(b"\n")
                if sep and head.strip().isdigit():
                    return int(head), out.decode("utf-8", "replace")
                last = "no status line (%d bytes)" % len(data)
            except OSError as e:
                last = str(e)
            time.sleep(0.3)
        raise Timeout("%s: the agent did not answer `%s` in %d s: %s" % (self.name, cmd, timeout, last))

    def succeed(self, cmd, timeout=60):
        """Runs cmd through the test agent; its output, or VMError when its
        status is not 0."""
        status, out = self.execute(cmd, timeout)
        if status != 0:
            raise VMError("%s: `%s` exited %d: %s" % (self.name, cmd, status, out.strip()[:400]))
        return out

    def shutdown(self, timeout=60):
        """Stops the guest cleanly (sigil boot turns SIGTERM into
        ctrl-alt-delete: sigil-init stops the children and powers off);
        returns sigil boot's exit status, the system's."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_for_shutdown(timeout)

    def wait_for_shutdown(self, timeout=60):
        """Waits for the guest to power off by itself; sigil boot's status."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Timeout("%s did not power off in %d s" % (self.name, timeout))
        if self in self.test.running:
            self.test.running.remove(self)
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in self.test.running:
            self.test.running.remove(self)

    def keep_logs(self, keep_dir):
        for path in (self.console_path, self.stderr_path):
            if os.path.exists(path):
                dst = os.path.join(keep_dir, "vm-%s-%s" % (self.test.name, os.path.basename(path)))
                shutil.copyfile(path, dst)
                print("# kept %s" % dst)
        with open(self.console_path, "rb") as f:
            tail = f.read().decode("utf-8", "replace").replace("\r\n", "\n").splitlines()[-25:]
        for line in tail:
            print("#   | " + line)


class Test:
    """TAP output and the machines of one test."""

    def __init__(self, name, global_timeout=600):
        self.name = name
        self.global_timeout = global_timeout
        build = os.environ.get("SIGIL_BUILD")
        if not build:
            sys.exit("SIGIL_BUILD is not set")
        self.build = build
        self.top = os.environ.get("SIGIL_TOP") or os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))
        self.sigil = os.path.join(build, "bin", "sigil")
        self.keep_dir = os.environ.get("KEEP_DIR") or os.path.join(build, "test-logs")
        self.work = tempfile.mkdtemp(prefix="sigil-vm.", dir=os.environ.get("TMPDIR") or "/tmp")
        self.n = 0
        self.failed = 0
        self.running = []
        self.machines = []
        signal.signal(signal.SIGALRM, self._alarm)
        signal.alarm(global_timeout)

    def _alarm(self, *_):
        raise Timeout("the global timeout (%d s) passed" % self.global_timeout)

    def machine(self, name, disk, **kw):
        m = Machine(self, name, disk, **kw)
        self.machines.append(m)
        return m

    def ok(self, cond, name):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
        return cond

    def is_(self, got, want, name):
        good = self.ok(got == want, name)
        if not good:
            print("#   got:  %r\n#   want: %r" % (got, want), flush=True)
        return good

    def waited(self, m, regex, timeout, name):
        """One check: m's console shows regex within timeout seconds."""
        try:
            m.wait_for_console_text(regex, timeout)
            return self.ok(True, name)
        except VMError as e:
            return self.ok(False, "%s: %s" % (name, e))

    def skip(self, why, name):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def run(self, body):
        """Runs body(self); a VMError or Timeout (the global one too) is one
        failure naming it. Then the plan; the logs kept on any failure; the
        exit status."""
        try:
            body(self)
        except VMError as e:
            self.ok(False, "the test ran to its end: %s" % e)
        finally:
            signal.alarm(0)
            for m in list(self.running):
                m.kill()
        print("1..%d" % self.n, flush=True)
        if self.failed:
            os.makedirs(self.keep_dir, exist_ok=True)
            for m in self.machines:
                m.keep_logs(self.keep_dir)
        shutil.rmtree(self.work, ignore_errors=True)
        sys.exit(1 if self.failed else 0)
