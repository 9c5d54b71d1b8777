"""``socctl keys``: signing keys for appraisals and approvals, and the workspace's trust store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from socctl.cli.context import state
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, console, emit, emit_document
from socctl.i18n import headers, t
from socctl.storage.yamlio import dump_yaml
from socctl.trust import Role, load_trust
from socctl.trust.enroll import new_key
from socctl.trust.keys import PASSPHRASE_ENV
from socctl.trust.store import TrustedKey

app = typer.Typer(
    help="Signing keys for appraisals and approvals: new, list, show.", no_args_is_help=True
)


def _row(key: TrustedKey) -> dict[str, Any]:
    entry = key.entry
    return {
        "slug": key.slug,
        "person": entry.person,
        "organisation": entry.organisation,
        "roles": [str(role) for role in entry.roles],
        "fingerprint": entry.fingerprint,
        "added": entry.added.isoformat(),
    }


@app.command("new")
def new(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="The person's full name, e.g. 'Nguyễn Văn An'."),
    org: str = typer.Option(..., "--org", help="The person's organisation."),
    role: list[Role] = typer.Option(..., "--role", help="A role the key signs for (repeatable)."),
    out: Path | None = typer.Option(
        None, "--out", help="Private key file (default: ~/.config/socctl/keys/<slug>.pem)."
    ),
    slug: str | None = typer.Option(
        None, "--slug", help="Name of the key (default: from --name, e.g. nguyen-van-an)."
    ),
) -> None:
    """Make an Ed25519 key pair: the private key stays outside the workspace (mode 0600,
    encrypted when SOCCTL_KEY_PASSPHRASE is set); the public key goes to trust/<slug>.yaml."""
    made = new_key(
        state(ctx).workspace(),
        person=name,
        organisation=org,
        roles=role,
        today=date.today(),
        out=out,
        slug=slug,
    )
    lang = state(ctx).terminal_lang()
    lines = [
        t("keys.new.trust_file", lang, path=made.trust_file),
        t("keys.new.fingerprint", lang, fingerprint=made.entry.fingerprint),
        t("keys.new.private_key", lang, path=made.private_key),
    ]
    if not made.encrypted:
        lines.append(t("keys.new.unencrypted", lang, env=PASSPHRASE_ENV))
    console().print("\n".join(lines), markup=False)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """The workspace's trusted keys: person, organisation, roles, fingerprint."""
    app_state = state(ctx)
    rows = [_row(key) for key in load_trust(app_state.workspace()).all()]
    lang = app_state.terminal_lang()
    columns = ["slug", "person", "organisation", "roles", "fingerprint", "added"]
    title = t("keys.list.title", lang)
    emit(rows, fmt, output, columns, title=title, headers=headers(lang, "key"))


@app.command("show")
def show(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Key name (slug) or fingerprint."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (YAML) or json."),
) -> None:
    """One trusted key, with its public key."""
    found = load_trust(state(ctx).workspace()).get(key)
    data = _row(found) | {"public_key": found.entry.public_key, "file": str(found.path)}
    if fmt in (Format.json, Format.ndjson):
        emit_document(data, fmt)
    else:
        typer.echo(dump_yaml(data), nl=False)
