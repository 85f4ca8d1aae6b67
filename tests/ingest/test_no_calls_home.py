"""dlt's anonymous usage reports stay off unless the user turns them on."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.hand_world import write_hand_world

# A source built before its pipeline, as Dagster's definitions build them; then a load.
LOAD = """
import sys
from pathlib import Path
from ingest.crm import crm_source
from ingest.pipeline import make_pipeline
from ingest.settings import Settings

source = crm_source(Path(sys.argv[1]))
settings = Settings.from_env(env={}, warehouse_path=Path(sys.argv[2]))
make_pipeline(settings, "crm").run(source)
"""


@pytest.fixture
def telemetry_endpoint() -> Iterator[tuple[str, list[str]]]:
    """A local stand-in for dlt's telemetry endpoint, recording what is sent to it."""
    received: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()


def load(tmp_path: Path, endpoint: str, **env: str) -> None:
    export = write_hand_world(tmp_path / "crm")
    completed = subprocess.run(
        [sys.executable, "-c", LOAD, str(export), str(tmp_path / "sales.duckdb")],
        env={"PATH": "/usr/bin:/bin", "RUNTIME__DLTHUB_TELEMETRY_ENDPOINT": endpoint, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_a_load_sends_no_usage_report(tmp_path: Path, telemetry_endpoint) -> None:
    endpoint, received = telemetry_endpoint
    load(tmp_path, endpoint)
    assert received == []


def test_a_user_who_turns_reports_on_gets_them(tmp_path: Path, telemetry_endpoint) -> None:
    """The endpoint above would hear a report: the test before cannot pass for want of one."""
    endpoint, received = telemetry_endpoint
    load(tmp_path, endpoint, RUNTIME__DLTHUB_TELEMETRY="true")
    assert received
