"""Truth tables: who can reach whom, per probe. One immutable type for expected and observed tables.

The upstream e2e suite (test/e2e/network/netpol/truthtable.go) prints expected, observed and comparison
grids; we keep that picture and add the states it collapses: a refused connection and a failed probe are not
"blocked".

Rows are sources ("from"), columns are destinations ("to"), and there is one grid per probe (port, protocol).
"""

from __future__ import annotations

import enum
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property


class Protocol(enum.Enum):
    """The transport protocols NetworkPolicy knows (networking.k8s.io/v1 NetworkPolicyPort.protocol)."""

    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


@dataclass(frozen=True, order=True)
class Probe:
    """One connection attempt's target port and protocol; a truth table has one grid per probe."""

    port: int
    protocol: Protocol = Protocol.TCP

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol.value}"

    @classmethod
    def parse(cls, text: str) -> Probe:
        """``"80/TCP"`` or ``"80"`` (TCP) to a Probe; raises ValueError on anything else."""
        port_text, _, protocol_text = text.partition("/")
        return cls(int(port_text), Protocol(protocol_text.upper() or "TCP"))


class Cell(enum.Enum):
    """What one probe from a source to a destination found. The value is its one-letter grid symbol.

    Expected tables use ALLOWED and BLOCKED only. REFUSED and PROBE_ERROR exist so that an observed table can
    say what happened instead of collapsing every failure into "blocked" (a failed exec must never pass a deny
    test).
    """

    ALLOWED = "."
    BLOCKED = "X"  # dropped on the way: the connection timed out, or the network said "no route to host"
    REFUSED = "R"  # a RST/ICMP came back: rejected by a policy engine (kube-router REJECTs) or no listener
    PROBE_ERROR = "E"  # the probe itself failed (exec error, missing pod): no verdict about the network

    @classmethod
    def from_symbol(cls, symbol: str) -> Cell:
        for cell in cls:
            if cell.value == symbol:
                return cell
        raise ValueError(f"unknown cell symbol {symbol!r} (expected one of . X R E)")


LEGEND = ". allowed   X blocked (timeout)   R refused   E probe error   * differs from expected"

Grid = tuple[tuple[Cell, ...], ...]  # [source index][destination index]


@dataclass(frozen=True)
class CellDiff:
    """One cell where observed differs from expected."""

    probe: Probe
    source: str
    destination: str
    expected: Cell
    observed: Cell

    def describe(self) -> str:
        return (
            f"{self.source} -> {self.destination} on {self.probe}: "
            f"expected {self.expected.name}, observed {self.observed.name}{_WHY[self.observed]}"
        )


_WHY = {
    Cell.ALLOWED: "",
    Cell.BLOCKED: " (timed out or no route)",
    Cell.REFUSED: " (refused: a policy engine rejected it, or nothing listened on the port)",
    Cell.PROBE_ERROR: " (the probe failed; this says nothing about policy)",
}


@dataclass(frozen=True)
class TruthTable:
    """Sources × destinations × probes → Cell. Build with ``from_function``, ``uniform`` or ``from_grids``."""

    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    probes: tuple[Probe, ...]
    grids: tuple[Grid, ...]  # one per probe, same order as ``probes``

    def __post_init__(self) -> None:
        if len(self.grids) != len(self.probes):
            raise ValueError(f"{len(self.probes)} probes but {len(self.grids)} grids")
        if len(set(self.probes)) != len(self.probes):
            raise ValueError("duplicate probes")
        for probe, grid in zip(self.probes, self.grids, strict=True):
            if len(grid) != len(self.sources) or any(len(row) != len(self.destinations) for row in grid):
                raise ValueError(f"grid for {probe} is not {len(self.sources)}x{len(self.destinations)}")

    # --- construction ---------------------------------------------------------------------------------------
    @classmethod
    def from_function(
        cls,
        sources: Sequence[str],
        destinations: Sequence[str],
        probes: Sequence[Probe],
        cell: Callable[[str, str, Probe], Cell],
    ) -> TruthTable:
        grids = tuple(
            tuple(tuple(cell(src, dst, probe) for dst in destinations) for src in sources) for probe in probes
        )
        return cls(tuple(sources), tuple(destinations), tuple(probes), grids)

    @classmethod
    def uniform(cls, pods: Sequence[str], probes: Sequence[Probe], state: Cell = Cell.ALLOWED) -> TruthTable:
        """Every pod to every pod in one state; the upstream start is ``NewReachability(pods, true)``."""
        return cls.from_function(pods, pods, probes, lambda _s, _d, _p: state)

    @classmethod
    def from_grids(cls, grids: Mapping[Probe, str]) -> TruthTable:
        """Parse text grids (the ``render_text`` shape without title or legend), one per probe.

        The first non-blank line names the destinations; each other line is a source followed by one symbol
        per destination. A trailing ``*`` (mismatch mark) is ignored, so a rendered grid parses back.
        """
        parsed = [(probe, _parse_grid(text)) for probe, text in grids.items()]
        if not parsed:
            raise ValueError("no grids")
        sources, destinations = parsed[0][1][0], parsed[0][1][1]
        for probe, (srcs, dsts, _) in parsed:
            if (srcs, dsts) != (sources, destinations):
                raise ValueError(f"grid for {probe} has different rows or columns than the first grid")
        return cls(sources, destinations, tuple(p for p, _ in parsed), tuple(g for _, (_, _, g) in parsed))

    # --- queries and derived tables -------------------------------------------------------------------------
    @cached_property
    def _positions(self) -> tuple[dict[Probe, int], dict[str, int], dict[str, int]]:
        return (
            {probe: i for i, probe in enumerate(self.probes)},
            {name: i for i, name in enumerate(self.sources)},
            {name: i for i, name in enumerate(self.destinations)},
        )

    def cell(self, source: str, destination: str, probe: Probe) -> Cell:
        """The state of one cell; KeyError names the unknown probe, source or destination."""
        probes, sources, destinations = self._positions
        return self.grids[probes[probe]][sources[source]][destinations[destination]]

    def cells(self) -> Iterable[tuple[Probe, str, str, Cell]]:
        for probe, grid in zip(self.probes, self.grids, strict=True):
            for src, row in zip(self.sources, grid, strict=True):
                for dst, state in zip(self.destinations, row, strict=True):
                    yield probe, src, dst, state

    def with_cells(
        self,
        state: Cell,
        *,
        sources: Iterable[str] | None = None,
        destinations: Iterable[str] | None = None,
        probes: Iterable[Probe] | None = None,
    ) -> TruthTable:
        """A copy with the selected cells set to ``state``; ``None`` selects all (upstream ``ExpectPeer``)."""
        src_set = set(self.sources if sources is None else sources)
        dst_set = set(self.destinations if destinations is None else destinations)
        probe_set = set(self.probes if probes is None else probes)
        for name in src_set - set(self.sources):
            raise ValueError(f"unknown source {name!r}")
        for name in dst_set - set(self.destinations):
            raise ValueError(f"unknown destination {name!r}")

        def pick(src: str, dst: str, probe: Probe) -> Cell:
            if src in src_set and dst in dst_set and probe in probe_set:
                return state
            return self.cell(src, dst, probe)

        return TruthTable.from_function(self.sources, self.destinations, self.probes, pick)

    def to_json(self) -> dict[str, object]:
        """``{"probes": [{"port", "protocol", "reachability": {src: {dst: bool | state}}}]}``.

        ALLOWED and BLOCKED become true/false (what the CLI promises for expected tables); the states an
        observed table may also hold are written as their lower-case names ("refused", "probe_error").
        """

        def value(state: Cell) -> bool | str:
            if state in (Cell.ALLOWED, Cell.BLOCKED):
                return state is Cell.ALLOWED
            return state.name.lower()

        return {
            "probes": [
                {
                    "port": probe.port,
                    "protocol": probe.protocol.value,
                    "reachability": {
                        src: {dst: value(state) for dst, state in zip(self.destinations, row, strict=True)}
                        for src, row in zip(self.sources, grid, strict=True)
                    },
                }
                for probe, grid in zip(self.probes, self.grids, strict=True)
            ]
        }


def _parse_grid(text: str) -> tuple[tuple[str, ...], tuple[str, ...], Grid]:
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty grid")
    destinations = tuple(lines[0])
    sources: list[str] = []
    rows: list[tuple[Cell, ...]] = []
    for fields in lines[1:]:
        if len(fields) != len(destinations) + 1:
            raise ValueError(f"row {fields[0]!r} has {len(fields) - 1} cells, expected {len(destinations)}")
        sources.append(fields[0])
        rows.append(tuple(Cell.from_symbol(symbol.rstrip("*")) for symbol in fields[1:]))
    return tuple(sources), destinations, tuple(rows)


# --- comparison ---------------------------------------------------------------------------------------------
def observed_table(expected: TruthTable, states: Mapping[tuple[str, str, Probe], Cell]) -> TruthTable:
    """The observed table, built in core from what the probes saw: probed cells from ``states``; unprobed
    cells (self pairs) copy the expectation."""

    def cell(src: str, dst: str, probe: Probe) -> Cell:
        return states.get((src, dst, probe), expected.cell(src, dst, probe))

    return TruthTable.from_function(expected.sources, expected.destinations, expected.probes, cell)


def diff(expected: TruthTable, observed: TruthTable) -> list[CellDiff]:
    """Every cell whose observed state does not satisfy the expected one (see :func:`satisfies`), in order."""
    if (expected.sources, expected.destinations) != (observed.sources, observed.destinations):
        raise ValueError("expected and observed tables have different sources or destinations")
    if set(expected.probes) != set(observed.probes):
        raise ValueError("expected and observed tables have different probes")
    return [
        CellDiff(probe, src, dst, state, observed.cell(src, dst, probe))
        for probe, src, dst, state in expected.cells()
        if not satisfies(state, observed.cell(src, dst, probe))
    ]


def satisfies(expected: Cell, observed: Cell) -> bool:
    """Whether an observed cell meets the expectation.

    Expected BLOCKED means "the connection must not open": a timeout (the policy engine dropped it) and a
    refusal (it rejected it: kube-router hard-codes REJECT, Calico can be set to) both meet it, because the
    harness's servers listen on every probed port, so a refusal is the policy's doing, not a missing
    listener. Expected ALLOWED is met only by ALLOWED. PROBE_ERROR never meets anything: a probe that did
    not run cannot pass a deny test (the false-positive trap called out in k8s#124424).
    """
    if expected is Cell.BLOCKED:
        return observed in (Cell.BLOCKED, Cell.REFUSED)
    return observed is expected


def describe_diff(differences: Sequence[CellDiff]) -> str:
    """Lines a person can act on, one per wrong cell, after a count."""
    if not differences:
        return "all cells as expected"
    lines = [f"{len(differences)} wrong cell(s):"]
    lines.extend(f"  {d.describe()}" for d in differences)
    return "\n".join(lines)


# --- text rendering -----------------------------------------------------------------------------------------
def _grid_lines(table: TruthTable, probe: Probe, symbol: Callable[[str, str, Cell], str]) -> list[str]:
    grid = table.grids[table.probes.index(probe)]
    name_width = max((len(name) for name in table.sources), default=0)
    col_width = max([len(name) for name in table.destinations] + [2])
    header = " " * name_width + " " + " ".join(name.center(col_width) for name in table.destinations)
    lines = [header.rstrip()]
    for src, row in zip(table.sources, grid, strict=True):
        cells = " ".join(
            symbol(src, dst, state).center(col_width)
            for dst, state in zip(table.destinations, row, strict=True)
        )
        lines.append(f"{src.ljust(name_width)} {cells}".rstrip())
    return lines


def _mismatch_keys(differences: Sequence[CellDiff] | None) -> set[tuple[Probe, str, str]]:
    return {(d.probe, d.source, d.destination) for d in differences or ()}


def render_text(
    table: TruthTable, differences: Sequence[CellDiff] | None = None, *, legend: bool = True
) -> str:
    """One grid per probe: rows = from, columns = to; cells listed in ``differences`` get a ``*``."""
    marked = _mismatch_keys(differences)
    blocks: list[str] = []
    for probe in table.probes:

        def symbol(src: str, dst: str, state: Cell, probe: Probe = probe) -> str:
            return state.value + ("*" if (probe, src, dst) in marked else "")

        blocks.append("\n".join([f"{probe}  (rows: from, columns: to)", *_grid_lines(table, probe, symbol)]))
    if legend:
        blocks.append(LEGEND)
    return "\n\n".join(blocks)


def side_by_side(expected: TruthTable, observed: TruthTable) -> str:
    """Per probe: expected, observed (wrong cells marked ``*``) and diff grids; then the wrong cells."""
    differences = diff(expected, observed)
    marked = _mismatch_keys(differences)
    blocks: list[str] = []
    for probe in expected.probes:
        wrong = sum(1 for d in differences if d.probe == probe)

        def plain(_src: str, _dst: str, state: Cell) -> str:
            return state.value

        def observed_symbol(src: str, dst: str, state: Cell, probe: Probe = probe) -> str:
            return state.value + ("*" if (probe, src, dst) in marked else "")

        def compare(src: str, dst: str, _state: Cell, probe: Probe = probe) -> str:
            return "*" if (probe, src, dst) in marked else "."

        columns = [
            ["expected", *_grid_lines(expected, probe, plain)],
            ["observed", *_grid_lines(observed, probe, observed_symbol)],
            ["diff", *_grid_lines(expected, probe, compare)],
        ]
        widths = [max(len(line) for line in column) for column in columns]
        title = (
            f"{probe}: {len(expected.sources) * len(expected.destinations) - wrong} correct, {wrong} wrong"
        )
        rows = [
            "    ".join(
                column[i].ljust(width) for column, width in zip(columns, widths, strict=True)
            ).rstrip()
            for i in range(len(columns[0]))
        ]
        blocks.append("\n".join([title, *rows]))
    blocks.append(LEGEND + "   diff: . same, * wrong")
    blocks.append(describe_diff(differences))
    return "\n\n".join(blocks)


# --- HTML rendering (self-contained, for Allure attachments) ------------------------------------------------
_CSS = """
table.nc-tt{border-collapse:collapse;font-family:monospace;margin:0 0 1em 0}
table.nc-tt th,table.nc-tt td{border:1px solid #ccc;padding:2px 6px;text-align:center}
table.nc-tt caption{font-weight:bold;text-align:left}
td.allowed{background:#e6f4ea} td.blocked{background:#fce8e6}
td.refused{background:#fef7e0} td.probe_error{background:#e8eaed}
td.mismatch{outline:3px solid #d93025;font-weight:bold}
""".strip()


def render_html(table: TruthTable, differences: Sequence[CellDiff] | None = None) -> str:
    """Self-contained HTML: a table per probe; mismatches outlined, with the expected state in the title."""
    expected_of = {(d.probe, d.source, d.destination): d.expected for d in differences or ()}
    parts = [f"<style>{_CSS}</style>"]
    for probe, grid in zip(table.probes, table.grids, strict=True):
        parts.append(
            f'<table class="nc-tt"><caption>{html.escape(str(probe))} (rows: from, columns: to)</caption>'
        )
        parts.append(
            "<tr><th>from \\ to</th>"
            + "".join(f"<th>{html.escape(dst)}</th>" for dst in table.destinations)
            + "</tr>"
        )
        for src, row in zip(table.sources, grid, strict=True):
            cells = []
            for dst, state in zip(table.destinations, row, strict=True):
                classes = state.name.lower()
                title = f"{src} -> {dst}: {state.name}"
                expected = expected_of.get((probe, src, dst))
                if expected is not None:
                    classes += " mismatch"
                    title += f" (expected {expected.name})"
                cells.append(f'<td class="{classes}" title="{html.escape(title)}">{state.value}</td>')
            parts.append(f"<tr><th>{html.escape(src)}</th>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append(f"<p>{html.escape(LEGEND)}</p>")
    return "\n".join(parts)
