"""The command line: the only place that prints or exits.

Exit codes: 0 success, 1 taxonomy errors or stale output, 2 usage errors.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from . import emit
from .changes import markdown, summarise
from .compiler import DEFAULT_RELEASE, Compilation, analyse, compile_taxonomy
from .diagnostics import render_all
from .load import load_previous
from .migrations import Previous

_taxonomy = click.option("--taxonomy", "taxonomy", default="taxonomy", show_default=True,
                         type=click.Path(file_okay=False, path_type=Path), help="Folder of the tracking plan.")
_out = click.option("--out", "out", default="generated", show_default=True,
                    type=click.Path(file_okay=False, path_type=Path), help="Folder of the generated files.")


def _release_time() -> datetime:
    """When a new migration is stamped: SOURCE_DATE_EPOCH, else the last commit's time, else a fixed date.

    Never the wall clock, so the same checkout always generates the same files.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], capture_output=True, text=True,
                                   check=True, timeout=10).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            epoch = None
    if epoch is None or not epoch.isdigit():
        return DEFAULT_RELEASE
    return datetime.fromtimestamp(int(epoch), tz=UTC)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Compiling builds millions of objects that live until the end (nodes, catalog, texts), and the
    cyclic collector's default thresholds walk them again and again: about a seventh of ``check``'s
    time on 1,000 events. With rarer collections the garbage of a cycle waits longer (a CLI run is
    short); nothing else changes. The thresholds are restored, for callers in a longer process."""
    old = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _compile_or_exit(taxonomy: Path, out: Path, *, wrote_nothing: bool,
                     previous: Previous | None = None, accept_edited_history: bool = False) -> Compilation:
    """Compile against the history in ``out``; print every diagnostic; exit 1 on errors."""
    previous = previous if previous is not None else load_previous(out)
    with _few_collections():
        result = compile_taxonomy(taxonomy, previous=previous, release=_release_time(),
                                  accept_edited_history=accept_edited_history)
    _report(result, wrote_nothing=wrote_nothing)
    if not result.ok:
        sys.exit(1)
    return result


def _report(result: Compilation, *, wrote_nothing: bool) -> None:
    if result.diagnostics:
        click.echo(render_all(result.diagnostics, result.sources, wrote_nothing=wrote_nothing), err=True, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="trackgen")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile the YAML tracking plan into SQL, JSON Schemas, TypeScript and docs."""
    if ctx.invoked_subcommand is None:  # a missing command is a usage error (exit 2), not success
        raise click.UsageError("missing command: one of validate, generate, check, diff", ctx)


@main.command()
@_taxonomy
def validate(taxonomy: Path) -> None:
    """Check the taxonomy and print every problem; writes nothing."""
    result = analyse(taxonomy)
    _report(result, wrote_nothing=False)
    if not result.ok:
        sys.exit(1)
    tax = result.taxonomy
    click.echo(f"ok: {len(tax.events)} events in {len(tax.tiers)} tiers, {len(tax.kpis)} KPIs")


@main.command()
@_taxonomy
@_out
@click.option("--accept-edited-history", is_flag=True,
              help="Record the current digests of released migrations (a reviewed repair; see docs/architecture.md).")
def generate(taxonomy: Path, out: Path, accept_edited_history: bool) -> None:
    """Rewrite the output folder from the taxonomy: all files or none."""
    result = _compile_or_exit(taxonomy, out, wrote_nothing=True, accept_edited_history=accept_edited_history)
    changes = emit.compare(out, result.files)
    emit.write(out, result.files)
    click.echo(f"wrote {len(result.files)} files to {out} ({len(changes)} changed)")


@main.command()
@_taxonomy
@_out
def check(taxonomy: Path, out: Path) -> None:
    """Fail (exit 1) when the output folder is not what generate would write."""
    result = _compile_or_exit(taxonomy, out, wrote_nothing=False)
    changes = emit.compare(out, result.files)
    if not changes:
        click.echo(f"{out} is up to date ({len(result.files)} files)")
        return
    for change in changes:
        click.echo(f"{change.status}: {out.as_posix()}/{change.path}", err=True)
    for change in changes[:10]:
        click.echo(change.diff, err=True, nl=False)
    if len(changes) > 10:
        click.echo(f"... and {len(changes) - 10} more files", err=True)
    click.echo(f"{out} is stale: {len(changes)} files differ; run `make generate` and commit the result", err=True)
    sys.exit(1)


@main.command()
@_taxonomy
@_out
@click.option("--markdown", "as_markdown", is_flag=True,
              help="Print the summary as Markdown for a pull request, linking the generated docs.")
def diff(taxonomy: Path, out: Path, as_markdown: bool) -> None:
    """Summarise what generate would change: events and KPIs against the lock, then files."""
    previous = load_previous(out)
    result = _compile_or_exit(taxonomy, out, wrote_nothing=False, previous=previous)
    changes = summarise(result.taxonomy, previous.lock)
    verbs = {"missing": "add", "extra": "remove", "changed": "change"}
    files = [(verbs[d.status], d.path) for d in emit.compare(out, result.files)]
    if as_markdown:
        click.echo(markdown(changes, files, f"{out.as_posix()}/docs"), nl=False)
        return
    for change in changes:
        click.echo(change.line())
    for verb, path in files:
        click.echo(f"{verb} file {path}")
    click.echo(f"{len(files)} files would change")


if __name__ == "__main__":
    main()
