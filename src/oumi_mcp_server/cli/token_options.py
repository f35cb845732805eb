"""The bearer-token options `serve --http`, `dashboard` and `init --http` share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.http_token import TOKEN_ENV, HttpToken
from oumi_mcp_server.core.http_token import load as load_token

F = TypeVar("F", bound=Callable[..., Any])


def _refuse_token_value(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.BadParameter(
            "a token on the command line is visible to every user in `ps`. Put it in a file "
            f"(chmod 600) and pass --token-file FILE, or set {TOKEN_ENV}; with neither, the "
            "server uses the token it generated in its state folder.",
            ctx=ctx,
            param=param,
        )


def token_options(fn: F) -> F:
    """`--token-file PATH`, and `--token VALUE` refused with the way to do it instead."""
    fn = click.option(
        "--token",
        hidden=True,
        expose_value=False,
        callback=_refuse_token_value,
        help="Refused: use --token-file or OUMI_MCP_TOKEN.",
    )(fn)
    return click.option(
        "--token-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"File (mode 0600) holding the HTTP bearer token. Default: {TOKEN_ENV}, else a "
        "token generated once in the state folder.",
    )(fn)


def load(token_file: Path | None) -> HttpToken:
    """The token, or a clean CLI error saying what is wrong with it and how to fix it."""
    try:
        return load_token(token_file)
    except ServiceError as exc:
        raise click.ClickException(f"{exc.message} {exc.fix}") from None


def announce(token: HttpToken) -> None:
    """Say on stderr where the token is; never the token (stdout belongs to the protocol)."""
    made = "Generated a bearer token in" if token.created else "Bearer token from"
    click.echo(
        f"{made} {token.where}. HTTP clients send 'Authorization: Bearer <token>'; "
        "`oumi-mcp-server init <client> --http` writes it into a client's config.",
        err=True,
    )
