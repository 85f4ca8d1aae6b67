"""Secrets travel only to the system they open: a whole `sales-tracker run` against the
sandbox APIs and an IMAP server, with canary secrets, and a refused token after it, leave
none of them on disk, in Dagster's storage, in dbt's artifacts or on the console."""

from __future__ import annotations

import base64
import gzip
import time
from pathlib import Path
from urllib.parse import quote

from demo.sandbox import start_sandbox
from demo.world import generate_world
from demo.world.org import REP_EMAIL_DOMAIN
from demo.world.scales import WORLD_LAST_DAY
from ingest.settings import default_dbt_target_dir
from tests.support.cli import cli_env, home_with_pools, run_cli
from tests.support.mail_imap_server import HOST, mail_imap_server

# Characters a URL or a log formatter would escape, so an encoded copy is looked for too.
API_CANARY = "canary+Api/Tok3n=q8Vw"
REFUSED_CANARY = "canary+Refused/Tok3n=z4Hx"
IMAP_CANARY = "canary-Imap-Pw-k2Jt"


def encodings(secret: str) -> dict[str, bytes]:
    """The forms a leaked secret would take: as is, URL-quoted, base64 (also of HTTP basic
    auth's ``user:secret``, whatever the user)."""
    forms = {
        "plain": secret.encode(),
        "url-quoted": quote(secret, safe="").encode(),
        "base64": base64.b64encode(secret.encode()).rstrip(b"="),
    }
    # A ":secret" tail encodes to the same base64 characters only at some alignments: any
    # of the three shifts of the secret's own base64 would show.
    for shift in range(3):
        padded = base64.b64encode(b"x" * shift + b":" + secret.encode())
        forms[f"basic auth ({shift})"] = padded[4 : len(padded) - 4]
    return forms


def files_written(folders: list[Path], since: float) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and path.stat().st_mtime >= since
    )


def readable(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # dlt gzips its load packages
        return gzip.decompress(data)
    return data


def leaks(texts: dict[str, bytes], secrets: list[str]) -> list[str]:
    return [
        f"{form} of {secret!r} in {where}"
        for secret in secrets
        for form, needle in encodings(secret).items()
        for where, text in texts.items()
        if needle in text
    ]


def test_canary_secrets_reach_no_file_log_or_console(tmp_path: Path) -> None:
    started = time.time()
    world = generate_world(tmp_path / "world", "xs", seed=5, workers=1)
    maildir = sorted((world.mail_dir / "maildir").iterdir())[0]
    # The server's own files hold its user's password; they are not the tracker's.
    imap = mail_imap_server(tmp_path / "server" / "imap", "rep", IMAP_CANARY, maildir)
    state = tmp_path / "state"
    warehouse = state / "warehouse" / "sales.duckdb"
    imap.start()
    try:
        with start_sandbox(world.folder, token=API_CANARY) as sandbox:
            settings = {
                "hubspot_url": sandbox.base_url,
                "hubspot_token": API_CANARY,
                "stripe_url": sandbox.base_url,
                "stripe_key": API_CANARY,
                "imap_host": HOST,
                "imap_port": str(imap.port),
                "imap_user": "rep",
                "imap_password": IMAP_CANARY,
                "imap_tls": "false",
                "company_email_domains": REP_EMAIL_DOMAIN,
                "as_of_date": WORLD_LAST_DAY.isoformat(),
            }
            env = cli_env(home_with_pools(state), **settings)
            files = ["--files", str(world.files_dir), "--warehouse", str(warehouse)]
            run = run_cli(["run", *files], env)
            refused = run_cli(
                ["ingest", *files], {**env, "SALES_TRACKER_HUBSPOT_TOKEN": REFUSED_CANARY}
            )
    finally:
        imap.stop()

    assert run.returncode == 0, run.stderr[-3000:]
    assert "daily_refresh succeeded" in run.stdout
    assert refused.returncode != 0
    assert "SALES_TRACKER_HUBSPOT_TOKEN" in refused.stderr  # the error names what to fix

    written = files_written([state, default_dbt_target_dir()], since=started)
    assert warehouse in written and any(path.suffix == ".db" for path in written), written
    texts = {str(path): readable(path) for path in written}
    for name, process in (("run", run), ("refused ingest", refused)):
        texts[f"{name} stdout"] = process.stdout.encode()
        texts[f"{name} stderr"] = process.stderr.encode()

    assert leaks(texts, [API_CANARY, REFUSED_CANARY, IMAP_CANARY]) == []
