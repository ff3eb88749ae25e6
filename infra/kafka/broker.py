"""Start, stop and inspect a real single-node Apache Kafka broker run from Maven jars."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import uuid
from pathlib import Path
from string import Template

from aiokafka.admin import AIOKafkaAdminClient

from infra.procs import port_open, read_pid, stop_pid, wait_until
from infra.settings import Settings

HERE = Path(__file__).resolve().parent


class KafkaBroker:
    """A local KRaft broker whose jars, config, data and logs live under ``var/kafka``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.var_dir / "kafka"
        self.libs = self.root / "libs"
        self.data = self.root / "data"
        self.logs = self.root / "logs"
        self.config = self.root / "server.properties"
        self.pid_file = self.root / "kafka.pid"
        host, port = settings.kafka_bootstrap.rsplit(":", 1)
        self.host, self.port = host, int(port)

    def ensure_jars(self) -> None:
        if self.libs.is_dir() and any(self.libs.glob("kafka_2.13-*.jar")):
            return
        subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(HERE / "pom.xml"),
                "dependency:copy-dependencies",
                f"-Dlibs.dir={self.libs}",
            ],
            check=True,
        )

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.settings.kafka_heap}",
            "-Xms256m",
            f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.logs}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]

    def render_config(self) -> None:
        template = Template((HERE / "server.properties").read_text())
        self.config.write_text(
            template.substitute(
                broker_port=self.port,
                controller_port=self.settings.kafka_controller_port,
                log_dirs=self.data,
            )
        )

    def format_storage(self) -> None:
        if (self.data / "meta.properties").exists():
            return
        cluster_id = "-"
        while cluster_id.startswith("-"):  # one id in 64 would read as an option (as Kafka's own
            # `random-uuid` avoids too): the storage tool then refuses to format
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.config),
                "--ignore-formatted",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def start(self, timeout: float = 90.0) -> int | None:
        """Idempotent: returns the running broker's pid, starting one if needed; None when a
        broker we did not start (docker compose, say) already answers on the bootstrap address."""
        running = self.pid()
        if running is not None:
            self.wait_ready(timeout)
            return running
        if port_open(self.host, self.port) and self.ready():
            return None
        for folder in (self.root, self.data, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self.ensure_jars()
        self.render_config()
        self.format_storage()
        with open(self.logs / "stdout.log", "ab") as out:
            proc = subprocess.Popen(
                self._java("kafka.Kafka", str(self.config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        self.wait_ready(timeout)
        return proc.pid

    def ready(self) -> bool:
        async def probe() -> bool:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.settings.kafka_bootstrap, request_timeout_ms=3000
            )
            try:
                await admin.start()
                await admin.list_topics()
                # Consumer groups and the relay's transactions need their coordinators, which
                # answer only once the internal topics exist and are loaded.
                await admin.find_coordinator("northstar-readiness", 0)
                await admin.find_coordinator("northstar-readiness", 1)
                return True
            except Exception:
                return False
            finally:
                await admin.close()

        return asyncio.run(probe())

    def wait_ready(self, timeout: float) -> None:
        def up() -> bool:
            if self.pid() is None:
                raise RuntimeError(f"Kafka exited during start; see {self.logs}/server.log")
            return port_open(self.host, self.port) and self.ready()

        wait_until(up, timeout, f"Kafka on {self.settings.kafka_bootstrap}", step=0.5)

    def stop(self) -> bool:
        return stop_pid(self.pid_file, timeout=60.0)
