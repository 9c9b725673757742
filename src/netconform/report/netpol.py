"""A NetworkPolicy step verdict for a reader: plain text (terminal, failure message) and HTML (the report).

Both read the same :class:`~netconform.core.netpol.cases.verdict.StepVerdict`; neither judges. The HTML is
inline (the test's description in Allure, not a click-away attachment): a grid per probe, expected / observed
/ diff side by side, each cell coloured *and* carrying a symbol so the page reads in greyscale and on paper,
and the wrong cells listed with the ``kubectl exec`` line that repeats them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from netconform.core.netpol.cases.verdict import KnownDeviation, StepOutcome, StepVerdict
from netconform.core.truthtable import LEGEND, Cell, CellDiff, Probe, TruthTable, side_by_side

LOOPBACK_NOTE = (
    "self pairs (x/a -> x/a, ...) are not probed: loopback is implementation-defined for NetworkPolicy "
    "(kubernetes#95879); their cells show the expectation"
)


# --- compact cell lists -------------------------------------------------------------------------------------
def compact_probes(probes: Iterable[Probe]) -> str:
    """``80/TCP 81/TCP 80/UDP 81/UDP`` -> "80,81/TCP,UDP"; a set that is not a full product is listed."""
    unique = sorted(set(probes), key=lambda p: (p.protocol.value, p.port))
    ports = sorted({p.port for p in unique})
    protocols = sorted({p.protocol.value for p in unique})
    if len(ports) * len(protocols) == len(unique):
        return f"{','.join(map(str, ports))}/{','.join(protocols)}"
    return ", ".join(str(p) for p in unique)


def compact_cells(cells: Sequence[CellDiff]) -> str:
    """Cells in a few words: "z/c -> z/a,z/b on 80,81/TCP,UDP" (groups joined by "; ")."""
    probes_of: dict[tuple[str, str], set[Probe]] = {}
    for cell in cells:
        probes_of.setdefault((cell.source, cell.destination), set()).add(cell.probe)
    # Sources with the same probes to the same destinations form one group.
    by_source: dict[tuple[str, str], list[str]] = {}
    for (source, destination), probes in probes_of.items():
        by_source.setdefault((source, compact_probes(probes)), []).append(destination)
    by_targets: dict[tuple[str, str], list[str]] = {}
    for (source, probes_text), destinations in by_source.items():
        by_targets.setdefault((",".join(destinations), probes_text), []).append(source)
    return "; ".join(
        f"{','.join(sources)} -> {destinations} on {probes_text}"
        for (destinations, probes_text), sources in by_targets.items()
    )


def _states(cells: Sequence[CellDiff]) -> str:
    pairs = sorted({(c.expected.name, c.observed.name) for c in cells})
    return "; ".join(f"expected {e}, observed {o}" for e, o in pairs)


def known_paragraph(known: KnownDeviation) -> str:
    """One line per deviation: its id, reason and link, and the cells it covers compactly."""
    return f"{known.deviation.describe()}; covers {_covers(known)}"


def known_line(known: KnownDeviation) -> str:
    """What a test's known-deviation status says: the id, link and cells, not the reason. The reason is a
    paragraph (the mechanism, where it was read, what was measured); repeated on every XFAIL line of the
    terminal summary it buried the cells. It stays in each step's attachment (``known_paragraph``). Opens
    with ``id:``, as ``core.run.summary.known_deviation_ids`` reads it."""
    return f"{known.deviation.id}: covers {_covers(known)} ({known.deviation.link})"


def _covers(known: KnownDeviation) -> str:
    cells = known.cells
    where = f"{compact_cells(cells)}: {_states(cells)}" if cells else "whole protocol not probed"
    return f"{len(cells)} cell(s): {where}"


# --- text ---------------------------------------------------------------------------------------------------
def _head(verdict: StepVerdict) -> str:
    plan, step = verdict.plan, verdict.step_plan
    case = plan.case
    if verdict.outcome is StepOutcome.FAIL:
        outcome = f"FAIL: {len(verdict.wrong)} wrong cell(s)"
    elif verdict.outcome is StepOutcome.KNOWN:
        covered = sum(len(k.cells) for k in verdict.known)
        outcome = f"KNOWN DEVIATION: {covered} cell(s) differ as declared"
    else:
        outcome = "PASS: 0 wrong cells"
    also = ""
    if verdict.wrong and verdict.known:
        also = f" (and {sum(len(k.cells) for k in verdict.known)} known deviation(s))"
    return (
        f"case {case.id} [{plan.mode.value}] step {step.index + 1}/{len(plan.steps)} ({step.name}): "
        f"{case.title}\n{outcome} of {verdict.probed} probed{also}"
    )


def verdict_text(verdict: StepVerdict) -> str:
    """The whole verdict as terminal text: head, the three grids per probe, wrong cells and deviations."""
    lines = [_head(verdict), side_by_side(verdict.expected, verdict.observed), LOOPBACK_NOTE]
    lines.append(
        f"probes: {len(verdict.attempts)}, retried: {verdict.retried}, most attempts for one cell: "
        f"{verdict.most_attempts}"
    )
    if verdict.wrong:
        wrong = ["wrong cells, how to reproduce them, and what the policies say:"]
        for cell in verdict.wrong:
            wrong.append(f"- {cell.cell.describe()}")
            wrong.append(f"  reproduce: {cell.reproduce}")
            wrong.append(f"  usually means: {cell.hint}")
            if cell.explanation:
                wrong.extend(f"    {line}" for line in cell.explanation.splitlines())
        if any(c.explanation is None for c in verdict.wrong):
            explained = sum(c.explanation is not None for c in verdict.wrong)
            wrong.append(f"(explained the first {explained}; `netconform policy explain` does the rest)")
        lines.append("\n".join(wrong))
    if verdict.known:
        known = ["known deviations (declared; reported, not passed):"]
        for k in verdict.known:
            known.append(f"- known deviation {known_paragraph(k)}")
            known.append(f"  reproduce (first cell): {k.reproduce[0]}")
        lines.append("\n".join(known))
    if verdict.stale:
        lines.append(
            "declared for this case but not seen in this step (fixed, or another step): "
            + ", ".join(d.id for d in verdict.stale)
        )
    return "\n\n".join(lines)


def failure_message(verdict: StepVerdict, limit: int = 10) -> str:
    """A failing step in a few lines: the test's title in words with the count (the terminal's worst-findings
    line and the report's message), then each wrong cell with its ``kubectl exec`` line. The grids and the
    policies' reasoning are in :func:`verdict_text` (printed by the suite) and :func:`verdict_html`."""
    step = verdict.step_plan
    outcome = _head(verdict).splitlines()[1]
    lines = [
        f"{verdict.plan.title}: {outcome} (step {step.index + 1}/{len(verdict.plan.steps)}: {step.name})"
    ]
    for cell in verdict.wrong[:limit]:
        lines.append(f"- {cell.cell.describe()}")
        lines.append(f"  reproduce: {cell.reproduce}")
    if len(verdict.wrong) > limit:
        lines.append(f"... and {len(verdict.wrong) - limit} more wrong cell(s) in the verdict")
    lines.append("(expected, observed and diff grids, and what the policies say: the verdict)")
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------------------------
# Allure 3 shows a test's description HTML as its own document (an iframe), so one <style> block per verdict
# serves every cell: short classes keep a 4-probe verdict near 25 kB instead of 200 kB of inline styles.
_CSS = (
    ".nc-grid{border-collapse:collapse;margin:0 1em .5em 0}"
    ".nc-grid caption{text-align:left;font-weight:bold}"
    ".nc-grid td,.nc-grid th{border:1px solid #bbb;padding:1px 6px;text-align:center;font-family:monospace}"
    ".nc-grid td.a{background:#e6f4ea}.nc-grid td.b{background:#fce8e6}.nc-grid td.r{background:#fef7e0}"
    ".nc-grid td.e{background:#e8eaed}.nc-grid td.s{background:#fff;color:#999}"
    ".nc-grid td.w{outline:3px solid #d93025;outline-offset:-3px;font-weight:bold;background:#f6aea9}"
    ".nc-probes{display:flex;flex-wrap:wrap}.nc-verdict code{font-size:smaller}"
)
_CLASS = {Cell.ALLOWED: "a", Cell.BLOCKED: "b", Cell.REFUSED: "r", Cell.PROBE_ERROR: "e"}


def _grid_html(
    title: str, table: TruthTable, probe: Probe, wrong: set[tuple[Probe, str, str]], *, diff: bool = False
) -> str:
    grid = table.grids[table.probes.index(probe)]
    head = "".join(f"<th>{html.escape(d)}</th>" for d in table.destinations)
    rows = []
    for source, row in zip(table.sources, grid, strict=True):
        cells = []
        for destination, state in zip(table.destinations, row, strict=True):
            if (probe, source, destination) in wrong:
                symbol = "✗" if diff else f"{state.value}!"
                tip = html.escape(f"{source} -> {destination} {probe}: {state.name} (wrong)")
                cells.append(f'<td class="w" title="{tip}">{symbol}</td>')
            elif diff:
                cells.append('<td class="s">·</td>')
            else:
                cells.append(f'<td class="{_CLASS[state]}">{state.value}</td>')
        rows.append(f"<tr><th>{html.escape(source)}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="nc-grid"><caption>{html.escape(title)}</caption>'
        f"<tr><th>from \\ to</th>{head}</tr>{''.join(rows)}</table>"
    )


def verdict_html(verdict: StepVerdict) -> str:
    """One step's verdict as inline HTML: head, grids per probe, wrong cells, known deviations."""
    step = verdict.step_plan
    wrong_keys = {(c.cell.probe, c.cell.source, c.cell.destination) for c in verdict.wrong}
    known_keys = {(c.probe, c.source, c.destination) for k in verdict.known for c in k.cells}
    marked = wrong_keys | known_keys
    colour = {StepOutcome.PASS: "#188038", StepOutcome.FAIL: "#d93025", StepOutcome.KNOWN: "#b06000"}
    head = _head(verdict).replace("\n", " — ")
    parts = [
        f'<section class="nc-verdict" data-outcome="{verdict.outcome.value}"><style>{_CSS}</style>',
        f'<h3 style="color:{colour[verdict.outcome]};margin:0.3em 0">'
        f"Step {step.index + 1}: {html.escape(step.name)} — {verdict.outcome.value.upper()}</h3>",
        f'<p style="margin:0.2em 0">{html.escape(head)}</p>',
    ]
    clean = []
    for probe in verdict.expected.probes:
        wrong_here = sum(1 for key in marked if key[0] == probe)
        if not wrong_here:  # its grids would only repeat the expectation: one line says it
            clean.append(probe)
            continue
        grids = [
            _grid_html("expected", verdict.expected, probe, set()),
            _grid_html("observed", verdict.observed, probe, marked),
            _grid_html("diff", verdict.expected, probe, marked, diff=True),
        ]
        parts.append(
            f'<div class="nc-probe"><div style="font-weight:bold">{html.escape(str(probe))}: '
            f"{wrong_here} wrong</div>"
            f'<div class="nc-probes">{"".join(grids)}</div></div>'
        )
    if clean:
        parts.append(f"<p><b>{html.escape(compact_probes(clean))}</b>: every cell as expected</p>")
    parts.append(
        f'<p style="font-size:smaller">{html.escape(LEGEND)}; ! / ✗ wrong cell (red outline). '
        f"{html.escape(LOOPBACK_NOTE)}</p>"
    )
    if verdict.wrong:
        items = "".join(
            f'<li class="nc-wrong-cell">{html.escape(c.cell.describe())}<br>'
            f"<code>{html.escape(c.reproduce)}</code><br><small>usually means: {html.escape(c.hint)}</small>"
            + (f"<pre>{html.escape(c.explanation)}</pre>" if c.explanation else "")
            + "</li>"
            for c in verdict.wrong
        )
        parts.append(f"<h4>Wrong cells ({len(verdict.wrong)})</h4><ul>{items}</ul>")
    if verdict.known:
        parts.append(known_html(verdict.known))
    parts.append("</section>")
    return "\n".join(parts)


def passed_html(verdict: StepVerdict) -> str:
    """A passing step in one line: a clean table's grids would only repeat the expectation (and 189 tests of
    grids would make the single-file report heavy)."""
    step = verdict.step_plan
    return (
        f'<section class="nc-verdict" data-outcome="pass"><p style="margin:0.2em 0">'
        f'<b style="color:#188038">Step {step.index + 1}: {html.escape(step.name)} — PASS</b>: '
        f"{verdict.probed} cells probed as the engine expects ({compact_probes(verdict.expected.probes)}); "
        f"{verdict.retried} retried, at most {verdict.most_attempts} attempt(s) for one cell</p></section>"
    )


def known_html(known: Sequence[KnownDeviation]) -> str:
    """One paragraph per declared deviation, with its link."""
    paragraphs = []
    for k in known:
        dev = k.deviation
        covers = f"{compact_cells(k.cells)} ({_states(k.cells)})" if k.cells else "the whole protocol"
        paragraphs.append(
            f'<p class="nc-known"><b>Known deviation {html.escape(dev.id)}</b>: {html.escape(dev.reason)} '
            f'<a href="{html.escape(dev.link)}">{html.escape(dev.link)}</a><br>'
            f"covers {len(k.cells)} cell(s): {html.escape(covers)}"
            + (f"<br><code>{html.escape(k.reproduce[0])}</code>" if k.reproduce else "")
            + "</p>"
        )
    return "<h4>Known deviations</h4>" + "".join(paragraphs)
