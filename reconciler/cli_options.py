"""Shared click options: the policy folder and the Graph connection overrides."""

from __future__ import annotations

from pathlib import Path

import click

policies_option = click.option(
    "-p", "--policies", "policies", type=click.Path(path_type=Path, file_okay=False),
    default="policies", show_default=True, envvar="CROSSTENANT_POLICIES",
    help="Folder of desired-state YAML, read recursively (env CROSSTENANT_POLICIES).",
)


def connection_options(f):
    """--graph-url / --authority / --ca-bundle: beat the CROSSTENANT_* variables and the YAML."""
    f = click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False),
                     help="CA bundle to trust for Graph and the authority (env CROSSTENANT_CA_BUNDLE).")(f)
    f = click.option("--authority", help="OAuth authority URL for every tenant (env CROSSTENANT_AUTHORITY).")(f)
    f = click.option("--graph-url", help="Graph base URL for every tenant (env CROSSTENANT_GRAPH_URL).")(f)
    return f


max_change_option = click.option(
    "--max-change-share", type=click.FloatRange(0.0, 1.0), default=0.3, show_default=True,
    envvar="CROSSTENANT_MAX_CHANGE_SHARE",
    help="A plan that updates or deletes more than this share of the managed objects is unsafe "
         "(when there are at least 10; env CROSSTENANT_MAX_CHANGE_SHARE).",
)

tenant_option = click.option(
    "--tenant", "tenants", multiple=True, metavar="ALIAS",
    help="Only plan or apply what lives in this tenant (repeatable).",
)

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
)
