"""The pipeline in one place: load -> validate -> model -> resolve -> plan -> render -> lint.

``compile_taxonomy`` never writes and never prints; it returns the files it
would write and every diagnostic it found.  Stages after validation run only on
an error-free model, so a template never sees input the validator refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import evolution, lineage, migrations, rules
from .build import Built, build
from .diagnostics import Diagnostic, Sources
from .lint import lint
from .load import load
from .migrations import Previous
from .model import Taxonomy
from .plan import Artifact, PlanError
from .plan import database as plan_database
from .plan import jsonschema as plan_jsonschema
from .plan import kpis as plan_kpis
from .render import TEMPLATES, render
from .resolve import resolve
from .validate import check_structure


def plan_all(taxonomy: Taxonomy) -> list[Artifact]:
    """Every target's artifacts; the KPI layer is planned once and its cron jobs join 90_cron.sql."""
    kpi_artifacts, kpi_jobs = plan_kpis.plan(taxonomy)
    planned = sorted(c["name"] for a in kpi_artifacts for c in a.context.get("kpis", ()))
    if planned != sorted(k.sql_name for k in taxonomy.kpis):  # never drop a KPI while exiting 0
        raise PlanError("E903", f"generator bug: {len(taxonomy.kpis)} KPIs resolved but {len(planned)} planned "
                                f"({', '.join(sorted({k.sql_name for k in taxonomy.kpis} ^ set(planned)))})", None)
    return plan_jsonschema.plan(taxonomy) + plan_database.plan(taxonomy, extra_jobs=kpi_jobs) + kpi_artifacts


#: release time used when none is given (tests, no git): fixed so output stays reproducible
DEFAULT_RELEASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Compilation:
    files: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: Sources = field(default_factory=Sources)
    taxonomy: Taxonomy | None = None
    built: Built | None = None  # where each entity is written: evolution errors point into the YAML

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def analyse(taxonomy_dir: Path, display_base: Path | None = None) -> Compilation:
    """Load, validate, model and resolve; no output is planned."""
    loaded = load(taxonomy_dir, display_base)
    result = Compilation(diagnostics=list(loaded.diagnostics), sources=loaded.sources)
    structure = check_structure(loaded.documents)
    result.diagnostics.extend(structure.diagnostics)
    built = build(loaded.documents, structure, loaded.diagnostics)
    result.diagnostics.extend(rules.check(built))
    taxonomy, problems = resolve(built)
    result.diagnostics.extend(problems)
    if result.ok and len(taxonomy.kpis) != built.declared_kpi_entries:  # an entry was dropped with no error
        result.diagnostics.append(Diagnostic(
            "E903", f"generator bug: the kpis files declare {built.declared_kpi_entries} KPIs but "
                    f"{len(taxonomy.kpis)} were modelled; nothing is written rather than a KPI dropped"))
    result.taxonomy = taxonomy
    result.built = built
    return result


def kpi_files(built: Built | None) -> dict[str, str]:
    """``name@version`` -> the KPI's file inside the taxonomy folder (recorded in the lock)."""
    return {key: doc.rel for key, (doc, _path) in (built.kpi_docs.items() if built else ())}


def compile_taxonomy(taxonomy_dir: Path, *, previous: Previous | None = None,
                     release: datetime = DEFAULT_RELEASE, display_base: Path | None = None,
                     templates: Path = TEMPLATES) -> Compilation:
    """Everything generate would write, from the taxonomy and the previous output's history."""
    result = analyse(taxonomy_dir, display_base)
    if result.ok and result.taxonomy is not None and previous is not None:
        result.diagnostics.extend(evolution.check(result.taxonomy, previous.lock, result.built))
    if not result.ok or result.taxonomy is None:
        return result
    try:
        artifacts = plan_all(result.taxonomy)
    except PlanError as exc:
        result.diagnostics.append(Diagnostic(exc.code, exc.message, exc.span))
        return result
    files, problems = render(artifacts, templates)
    result.diagnostics.extend(problems)
    result.diagnostics.extend(lint(artifacts, files))
    if not result.ok:
        return result
    schema_files = {path.rsplit("/", 1)[1]: text for path, text in files.items()
                    if path.startswith("supabase/schemas/")}
    files.update(migrations.plan(previous or Previous(), schema_files,
                                 plan_database.plan_version(result.taxonomy), release,
                                 extra_lock=lineage.lock_entry(result.taxonomy)
                                 | evolution.lock_entry(result.taxonomy, kpi_files(result.built))))
    result.files = dict(sorted(files.items()))
    return result
