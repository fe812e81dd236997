"""An OpenSSH server on 127.0.0.1 for the provisioning test: its own host key, its own config,
key-only login with a key made for the test. Stopped (by its pid) when the test ends."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.ops.demo import free_port

SSHD = "/usr/sbin/sshd"


@dataclass
class SshTarget:
    host: str
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    # For ssh's ControlPath: a Unix socket path must stay under 108 bytes.
    control_dir: Path


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kiosk-test",
                    "-f", str(path)], check=True, timeout=30)


@contextlib.contextmanager
def running_sshd(work: Path, timeout: float = 10.0) -> Iterator[SshTarget]:
    work.mkdir(parents=True, exist_ok=True)
    _keygen(work / "host_key")
    _keygen(work / "client_key")
    shutil.copy(work / "client_key.pub", work / "authorized_keys")
    port = free_port()
    host_pub = (work / "host_key.pub").read_text().split()
    (work / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (work / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {work / 'host_key'}",
        f"AuthorizedKeysFile {work / 'authorized_keys'}", f"PidFile {work / 'sshd.pid'}",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        "Subsystem sftp /usr/lib/openssh/sftp-server", "LogLevel ERROR", ""]))
    # sshd insists on its privilege-separation directory.
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = open(work / "sshd.log", "wb")
    control_dir: Path | None = None
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(work / "sshd_config")],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {(work / 'sshd.log').read_text()}")
            time.sleep(0.05)
        control_dir = Path(tempfile.mkdtemp(prefix="ssh-cm-"))
        yield SshTarget("127.0.0.1", port, pwd.getpwuid(os.getuid()).pw_name,
                        work / "client_key", work / "known_hosts", control_dir)
    finally:
        if control_dir:
            shutil.rmtree(control_dir, ignore_errors=True)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
