"""`epitrace keys`: the key that seals face vectors and evidence images at rest."""

from __future__ import annotations

import typer

from epitrace.cli.common import console, friendly_errors

app = typer.Typer(help="The encryption key of biometric data (face vectors, thumbnails).",
                  no_args_is_help=True)


@app.command("init")
def init(if_missing: bool = typer.Option(False, "--if-missing",
                                         help="Do nothing (and succeed) when a key is already configured.")) -> None:
    """Create the encryption key file (owner-readable only) and the audit log's HMAC key if missing.

    The audit key is home/secrets/audit.key.

    Keep it apart from backups of the database: either alone reveals nothing biometric.
    Losing it makes sealed face vectors and thumbnails unreadable.
    """
    from epitrace.config import get_settings
    from epitrace.privacy.keys import configured_source, init_audit_key, init_key

    settings = get_settings()
    with friendly_errors():
        audit_key = init_audit_key(settings)
    if audit_key is not None:
        console.print(f"wrote a new audit log key to {audit_key} (mode 600): keep it apart from the database")
    where = configured_source(settings)
    if where is not None:
        if if_missing:
            console.print(f"encryption key already configured ({where})")
            return
        with friendly_errors():
            raise FileExistsError(f"an encryption key is already configured ({where}); keep it")
    with friendly_errors():
        path = init_key(settings)
    console.print(f"wrote a new encryption key to {path} (mode 600): back it up somewhere safe")


@app.command("check")
def check() -> None:
    """Check that the configured key loads (and say where it comes from)."""
    from epitrace.config import get_settings
    from epitrace.privacy.keys import check_key

    with friendly_errors():
        source = check_key(get_settings())
    console.print(f"encryption key OK ({source})")
