"""A private PostgreSQL cluster on loopback, used when NORTHSTAR_DATABASE_URL does not answer."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
from pathlib import Path

import asyncpg

from infra.settings import Settings


def server_bin_dir() -> Path | None:
    """Where initdb/pg_ctl live, newest major version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_major, reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path else None


def _major(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except ValueError:
        return 0


def install_server() -> Path:
    """Install Debian's postgresql package (needs root) and return its bin folder."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env)
    found = server_bin_dir()
    if found is None:
        raise RuntimeError("postgresql was installed but no pg_ctl was found")
    return found


async def answers(dsn: str, timeout: float = 3.0) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


class PostgresCluster:
    """initdb/pg_ctl wrapper; runs the server as the `postgres` OS user when we are root."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.var_dir / "pg"
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "postgres.log"

    def _as_server_user(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def _bin(self, name: str) -> str:
        folder = server_bin_dir() or install_server()
        return str(folder / name)

    def _prepare_folders(self) -> None:
        for folder in (self.root, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
            # The server user must be able to reach var/ through the checkout's folders.
            for parent in self.root.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    raise PermissionError(
                        f"{parent} is not traversable by the postgres user; "
                        "set NORTHSTAR_VAR_DIR to a folder it can reach"
                    )
                if parent == Path("/"):
                    break

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        if self.initialised():
            return
        self._prepare_folders()
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.settings.pg_password.get_secret_value() + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        pwfile.chmod(0o600)
        try:
            subprocess.run(
                self._as_server_user(
                    [
                        self._bin("initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        self.settings.pg_user,
                        f"--pwfile={pwfile}",
                        "--auth-local=peer",
                        "--auth-host=scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _no_trust(self) -> bool:
        """Clusters made before ADR 0015 let any local user in through the socket without a
        password (`trust`): such lines become `peer` (the OS user must be the role). True if
        the file changed (the server must reload it)."""
        hba = self.data / "pg_hba.conf"
        lines = hba.read_text().splitlines(keepends=True)
        fixed = [
            line.replace("trust", "peer")
            if line.split()[:1] == ["local"] and line.split()[-1:] == ["trust"]
            else line
            for line in lines
        ]
        if fixed == lines:
            return False
        hba.write_text("".join(fixed))
        return True

    def running(self) -> bool:
        if not self.initialised():
            return False
        status = subprocess.run(
            self._as_server_user([self._bin("pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
        )
        return status.returncode == 0

    def start(self) -> None:
        """Idempotent: init if needed, start if stopped, create the database, wait until ready."""
        self.init()
        if self._no_trust() and self.running():
            subprocess.run(
                self._as_server_user([self._bin("pg_ctl"), "-D", str(self.data), "reload"]),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        if not self.running():
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.settings.pg_port} "
                f"-c unix_socket_directories={self.sockets} -c max_connections=200"
            )
            subprocess.run(
                self._as_server_user(
                    [
                        self._bin("pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.log),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        asyncio.run(self._ensure_database())

    async def _ensure_database(self) -> None:
        admin_dsn = self.settings.owner_dsn.rsplit("/", 1)[0] + "/postgres"
        conn = await asyncpg.connect(admin_dsn, timeout=10)
        try:
            exists = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", self.settings.pg_database
            )
            if not exists:
                await conn.execute(f'CREATE DATABASE "{self.settings.pg_database}"')
        finally:
            await conn.close()

    def stop(self, mode: str = "fast") -> bool:
        if not self.running():
            return False
        subprocess.run(
            self._as_server_user(
                [
                    self._bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    mode,
                    "-w",
                    "stop",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return True
