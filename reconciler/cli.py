"""The command line: the only place that prints, picks exit codes and calls asyncio.run.

Exit codes (DESIGN.md): plan 0 no changes, 2 changes, 1 error; apply 0 done or nothing to do,
1 any failure, refusal or stale plan.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import click

from reconciler import __version__
from reconciler.cli_options import (
    connection_options, format_option, max_change_option, policies_option, tenant_option,
)
from reconciler.errors import ConfigError, CrosstenantError, GraphError, PlanError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)


def _guard(debug: bool, body: Callable[[], int]) -> int:
    """Run a command body; map the project's errors to messages and exit 1, never a traceback."""
    try:
        return body()
    except ConfigError as err:
        for diag in err.diagnostics:
            click.echo(str(diag), err=True)
        errors = sum(1 for d in err.diagnostics if d.severity == "error")
        where = "in the desired state" if any(d.location for d in err.diagnostics) else "in the configuration"
        _fail(f"{errors} problem{'s' if errors != 1 else ''} {where}; nothing was sent to any tenant.")
    except PlanError as err:
        for problem in err.problems:
            click.echo(problem, err=True)
        _fail("the plan could not be made; no changes were computed or applied.")
    except GraphError as err:
        _fail(f"Microsoft Graph: {err}. The plan was not computed from a partial read.")
    except CrosstenantError as err:
        _fail(str(err))
    except KeyboardInterrupt:
        _fail("interrupted; every step is check-then-act, so the next apply completes what is left.")
    except Exception:
        if debug:
            raise
        _fail("unexpected internal error; run again with --debug for the traceback.")
    return EXIT_ERROR


def _setup_logging(debug: bool) -> None:
    from reconciler.graph.redact import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    root = logging.getLogger("crosstenant")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    # The SDKs' own loggers: azure-identity warns "get_token failed" next to our own error and msal
    # logs token requests. Only --debug shows their warnings, and only through the redacting handler.
    for noisy in ("azure", "msal", "httpx", "httpcore"):
        sdk = logging.getLogger(noisy)
        sdk.setLevel(logging.WARNING)
        sdk.propagate = False
        sdk.handlers[:] = [handler] if debug else [logging.NullHandler()]


class _Commands(click.Group):
    """click's group, but a usage error exits 1: 2 is plan's "there are changes"."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.ClickException as err:
            err.show()
            sys.exit(EXIT_ERROR)
        except click.Abort:
            _fail("aborted.")
            sys.exit(EXIT_ERROR)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crosstenant")
@click.option("--debug", is_flag=True, help="Log Graph requests (ids, timings; never tokens) and show tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """GitOps for Entra ID cross-tenant access settings and cross-tenant synchronization."""
    ctx.obj = {"debug": debug}
    _setup_logging(debug)


def _settings(tenants: tuple[str, ...], graph_url, authority, ca_bundle, max_change_share: float):
    from reconciler.engine import RunSettings
    from reconciler.graph.connection import Overrides
    from reconciler.safety import SafetyLimits

    overrides = Overrides.from_env(graph_url=graph_url, authority=authority, ca_bundle=ca_bundle)
    limits = SafetyLimits(max_change_fraction=max_change_share)
    return RunSettings(overrides=overrides, tenants=tenants, limits=limits)


def _load(policies: Path, tenants: tuple[str, ...] = (), *, show_warnings: bool = False):
    """Load and compile; offline commands show the warnings, the others carry them in the plan."""
    from reconciler.engine import load

    compiled = load(policies)
    unknown = sorted(set(tenants) - set(compiled.tenants))
    if unknown:
        raise CrosstenantError(f"--tenant names no declared tenant: {', '.join(unknown)}")
    if show_warnings:
        for warning in compiled.warnings:
            label = "Note" if warning.severity == "note" else "Warning"
            click.secho(f"{label}: {warning}", fg="yellow" if label == "Warning" else None, err=True)
    return compiled


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _render(plan_json: dict[str, Any], fmt: str) -> str:
    from reconciler import render

    if fmt == "json":
        return render.render_json(plan_json)
    if fmt == "markdown":
        return render.render_markdown(plan_json)
    return render.render_text(plan_json, color=sys.stdout.isatty())


@main.command()
@policies_option
@click.pass_obj
def validate(obj: dict, policies: Path) -> None:
    """Load and compile the desired state offline (no Graph call)."""

    def body() -> int:
        compiled = _load(policies, show_warnings=True)
        click.echo(
            f"Valid: {_count(len(compiled.tenants), 'tenant')}, {_count(len(compiled.links), 'link')}, "
            f"{_count(len(compiled.resources), 'resource')} in {policies}."
        )
        return EXIT_OK

    sys.exit(_guard(obj["debug"], body))


@main.command()
@policies_option
@tenant_option
@format_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the plan (JSON) here.")
@max_change_option
@connection_options
@click.pass_obj
def plan(obj: dict, policies: Path, tenants, fmt: str, out: Path | None, max_change_share: float,
         graph_url, authority, ca_bundle) -> None:
    """Diff the desired state against the live tenants; exit 2 when there are changes."""
    from reconciler import engine

    def body() -> int:
        compiled = _load(policies, tenants)
        settings = _settings(tenants, graph_url, authority, ca_bundle, max_change_share)
        result = asyncio.run(engine.plan_run(compiled, settings))
        data = result.to_json()
        click.echo(_render(data, fmt))
        if out:
            out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return EXIT_CHANGES if result.changes else EXIT_OK

    sys.exit(_guard(obj["debug"], body))


@main.command()
@click.argument("planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@policies_option
@tenant_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Apply an unsafe plan (deletes, prunes, large changes).")
@max_change_option
@connection_options
@click.pass_obj
def apply(obj: dict, planfile: Path | None, policies: Path, tenants, auto_approve: bool, force: bool,
          max_change_share: float, graph_url, authority, ca_bundle) -> None:
    """Plan again (or check PLANFILE is not stale), show it, and carry it out in order."""
    from reconciler import engine
    from reconciler.errors import StalePlanError
    from reconciler.render import render_apply_report_text

    saved = None  # the reviewed plan, when PLANFILE is given

    def approve(plan) -> bool:
        data = plan.to_json()
        if saved is not None and saved.checksum != data["checksum"]:
            click.echo(_render(data, "text"))
            raise StalePlanError(
                f"the saved plan {planfile} is stale: the tenants or the desired state changed since it was "
                "made (or it was applied already). Review the new plan above and plan again."
            )
        if not plan.changes:
            return False
        click.echo(_render(data, "text"))
        plan.raise_if_unsafe(force=force)
        if auto_approve or saved is not None:
            return True
        if not sys.stdin.isatty():
            raise CrosstenantError("no terminal to confirm on: pass --auto-approve (or apply a saved plan file)")
        return click.confirm(f"Apply {len(plan.changes)} change(s)?", default=False)

    def on_start(change) -> None:
        click.echo(f"  {change.action:>7} {change.address} ...")

    def on_done(outcome) -> None:
        mark = {"applied": ("ok", "green"), "failed": ("FAILED", "red"), "skipped": ("skipped", "yellow")}
        word, colour = mark[outcome.status]
        detail = f": {outcome.error or outcome.reason}" if outcome.status != "applied" else ""
        click.secho(f"  {word:>7} {outcome.address}{detail}", fg=colour)

    def body() -> int:
        nonlocal saved
        saved = _read_plan(planfile) if planfile else None
        compiled = _load(policies, tenants)
        settings = _settings(tenants, graph_url, authority, ca_bundle, max_change_share)
        result, report = asyncio.run(
            engine.apply_run(compiled, settings, approve=approve, on_start=on_start, on_done=on_done)
        )
        if not result.changes:
            click.echo("Nothing to do.")
            return EXIT_OK
        if report is None:
            click.echo("Apply cancelled; nothing was changed.")
            return EXIT_ERROR
        click.echo(render_apply_report_text(report.to_json()))
        return EXIT_OK if report.ok else EXIT_ERROR

    sys.exit(_guard(obj["debug"], body))


def _read_plan(planfile: Path):
    """A saved plan, checked: its format version and its checksum (an edited file is refused)."""
    from reconciler.plan import Plan

    try:
        data = json.loads(planfile.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise CrosstenantError(f"{planfile} is not a saved plan (plan --out FILE writes one): {err}") from None
    if not isinstance(data, dict) or "checksum" not in data:
        raise CrosstenantError(f"{planfile} is not a saved plan (plan --out FILE writes one)")
    return Plan.from_json(data)


@main.command()
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option
@click.pass_obj
def show(obj: dict, planfile: Path, fmt: str) -> None:
    """Render a saved plan."""

    def body() -> int:
        click.echo(_render(_read_plan(planfile).to_json(), fmt))
        return EXIT_OK

    sys.exit(_guard(obj["debug"], body))


@main.command()
@policies_option
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text", show_default=True)
@click.pass_obj
def topology(obj: dict, policies: Path, fmt: str) -> None:
    """The links that the topologies and links declare, expanded (offline)."""

    def body() -> int:
        from reconciler.render.topology import render_topology_mermaid, render_topology_text

        compiled = _load(policies, show_warnings=True)
        render = render_topology_mermaid if fmt == "mermaid" else render_topology_text
        click.echo(render(compiled.links).rstrip("\n"))
        return EXIT_OK

    sys.exit(_guard(obj["debug"], body))


@main.command()
@click.pass_obj
def schema(obj: dict) -> None:
    """Print the JSON Schema of the desired-state YAML (for editors and CI)."""

    def body() -> int:
        from reconciler.model import json_schema

        click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))
        return EXIT_OK

    sys.exit(_guard(obj["debug"], body))


@main.group()
def emulator() -> None:
    """The local Microsoft Graph emulator."""


@emulator.command("serve")
@click.option("--port", type=int, default=8443, show_default=True, help="0 picks a free port.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path), default=".emulator",
              show_default=True, help="Folder for the SQLite state, CA and keys.")
@click.option("--seed", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Seed YAML of tenants, apps, users and groups (used when the state is empty).")
@click.pass_obj
def emulator_serve(obj: dict, port: int, state_dir: Path, seed: Path | None) -> None:
    """Serve Graph and the OAuth authority over HTTPS on 127.0.0.1."""

    def body() -> int:
        from reconciler.emulator.server import serve

        try:
            serve(port=port, state_dir=state_dir, seed=seed, announce=lambda line: click.echo(line))
        except (OSError, ValueError) as err:  # port in use, a bad seed, an unwritable state folder
            raise CrosstenantError(f"the emulator could not start: {err}") from None
        return EXIT_OK

    sys.exit(_guard(obj["debug"], body))
