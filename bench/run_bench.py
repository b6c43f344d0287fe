"""The speed targets, each printed as a ratio with its target and whether it is met on this machine (issue 14).

    python bench/run_bench.py [--rounds N] [--full]

1. the default run with the PDF against Schemathesis ``st run`` (defaults) on the same mock, wall time, and the
   run's CPU (the PDF worker's included), with the CPU of the same run without the PDF beside it and the floor
   that any PDF sets: the run without it plus the PDF worker writing a one-page document;
2. schema validation as the checks do it, in items/s, against the ceiling ``orjson.loads`` + ``jsonschema_rs`` on
   the same bytes, for the bundled document (OpenAPI 3.1) and the same document as 3.0 (as an official ``--spec``
   file may be);
3. ``--api all`` (every profile) against the single-profile run;
4. CPU at ``--mock-size 1000`` against 100 (``--full``: and a run over 100 000 items, wall time, median of the rounds;
   and the peak RSS of the paging checks over 100 000 items, ``bench/memory_bench.py``);
5. ``client-check --scenario all`` with the reference client, wall time (reported; no target); and the mock's
   throughput against Stoplight Prism's (``prism mock``, defaults) on the same request, with ``wrk`` at 1 and 16
   connections, where both are installed (``PRISM`` may name Prism's command), with the stack's ceiling beside it:
   a server with no application on the same event loop and parser (``bench/bare_server.py``).

Ratios compare measurements made in this one session, rounds alternating, medians compared, so a busy moment of the
machine hits both sides alike; the machine's load is printed first, and the package's bytecode is compiled first
as ``pip install`` compiles it. A fixed pure-Python loop is timed first as the machine's yardstick: the absolute
targets (seconds) hold on a machine as fast as the one issue 14 was measured on, and this machine's speed varies
from session to session by more than a factor of two. So the absolute rows also print their target at this session's
speed: scaled by ``st run``'s CPU here against its CPU when the issue was filed (the same program on the same
mock; 4.16 s then, from the issue's figures). A row is judged against the target as issued.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROWS: list[tuple[str, str, str, bool | None]] = []  # (what, measured, target, met)


# st run's CPU when issue 14 was filed, from its figures: the default run's 3.04 s CPU was 0.73 of it.
ISSUE_ST_CPU = 3.04 / 0.73


def scaled(target: float, slower: float | None) -> str:
    """An absolute target in this session's terms: what it asks of a machine ``slower`` times as slow as the one
    the issue measured on (context for the reader; a row is judged against the target as issued)."""
    return "" if slower is None else f"; the target at this machine's speed today: {target * slower:.1f} s"


def row(what: str, measured: str, target: str, met: bool | None) -> None:
    ROWS.append((what, measured, target, met))
    state = "" if met is None else ("met" if met else "NOT met")
    print(f"  {what}: {measured}  (target {target}) {state}", flush=True)


def load() -> str:
    with open("/proc/loadavg") as f:
        one, five, *_ = f.read().split()
    return f"load average {one} (1 min), {five} (5 min); {os.cpu_count()} CPUs"


def yardstick() -> str:
    """The machine's speed today: the CPU of a fixed pure-Python loop (median of 3). Absolute targets (seconds)
    depend on it, and this machine's speed varies from session to session (Schemathesis' ``st run`` on the same mock
    took ~4.9 s when issue 14 was filed, 7.0 s on 2026-12-02, 12.4 s on 2026-12-03)."""
    def once() -> float:
        start, total = time.process_time(), 0
        for i in range(10_000_000):
            total += i
        return time.process_time() - start

    return f"a fixed pure-Python loop (10 million additions) took {statistics.median(once() for _ in range(3)):.2f} s"


def compile_package() -> str:
    """Compile the package's bytecode as ``pip install`` does: a checkout run under ``PYTHONDONTWRITEBYTECODE``
    (or never run since a change) would compile every changed module on every run, a cost no installed copy has
    and that Schemathesis' installed files do not pay either."""
    import compileall

    import conformance

    compileall.compile_dir(str(Path(conformance.__file__).parent), quiet=1)
    unset = "" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "un"
    return f"compiled for the package (PYTHONDONTWRITEBYTECODE is {unset}set here)"


def timed(command: list[str], **kwargs: Any) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall s, CPU s of the child and everything it started, the process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    kwargs.setdefault("text", True)
    proc = subprocess.run(command, capture_output=True, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def alternate(rounds: int, sides: dict[str, Callable[[], tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of each side over ``rounds``, the sides' order alternating round by round."""
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    names = list(sides)
    for n in range(rounds):
        for name in names if n % 2 == 0 else reversed(names):
            got[name].append(sides[name]())
    return {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for name, v in got.items()}


def run_cli(tmp: Path, *args: str) -> tuple[float, float]:
    wall, cpu, proc = timed([sys.executable, "-m", "conformance", "run", "--quiet", *args, "--out",
                             str(tmp / f"run-{os.urandom(4).hex()}")])
    if proc.returncode not in (0, 1, 5):
        raise SystemExit(f"run {' '.join(args)} ended with {proc.returncode}: {proc.stdout[-400:]}{proc.stderr[-400:]}")
    return wall, cpu


# -- 1. the default run against st run ----------------------------------------------------------------------------
def serve_mock(tmp: Path) -> tuple[subprocess.Popen[str], str, str]:
    """``mock serve`` (Trekkpålegg) in its own process: (the process, its origin, a token of its kid client)."""
    from conformance.maskinporten import MaskinportenClient, SigningCredential
    from conformance.maskinporten.certs import load_private_key

    creds = tmp / f"creds-{os.urandom(4).hex()}"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "mock", "serve", "--api", "trekkpaalegg",
                             "--port", "0", "--token-lifetime", "3600", "--credentials-dir", str(creds)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    try:
        text = "".join(lines)
        origin = re.search(r"issuer:\s+(\S+)", text).group(1).rstrip("/")  # type: ignore[union-attr]
        client_id, kid = re.search(r"kid:\s+client id (\S+), kid (\S+),", text).groups()  # type: ignore[union-attr]
        key = load_private_key(creds / "kid" / "client-key.pem")
        token = MaskinportenClient(SigningCredential(key, kid=kid), client_id=client_id, issuer=origin + "/",
                                   token_url=origin + "/token", scopes=["skatteetaten:trekkpaalegg"]).access_token()
    except Exception:
        proc.terminate()
        raise
    return proc, origin, token


def st_run(tmp: Path) -> Callable[[], tuple[float, float]] | None:
    """``st run`` with its defaults against ``mock serve`` (Trekkpålegg), with a token of the mock's client."""
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        return None
    proc, origin, token = serve_mock(tmp)

    def once() -> tuple[float, float]:
        wall, cpu, _ = timed([st, "run", f"{origin}/openapi.yaml", "--url", origin, "-H",
                              f"Authorization: Bearer {token}"], cwd=tmp)
        return wall, cpu

    once.stop = proc  # type: ignore[attr-defined]
    return once


def pdf_floor(tmp: Path) -> tuple[float, float]:
    """The PDF worker as a run starts it (a fresh process importing WeasyPrint) writing a one-page document: what
    any PDF adds to a run's CPU, whatever its content."""
    request = json.dumps({"path": str(tmp / "floor.pdf"), "base_url": str(tmp)}).encode() + b"\n<p>Hei</p>"
    wall, cpu, proc = timed([sys.executable, "-m", "conformance.report.pdfworker"], input=request, text=False)
    if b'"ok": true' not in proc.stdout:
        raise SystemExit(f"the PDF worker failed: {proc.stdout[-400:]!r}{proc.stderr[-400:]!r}")
    return wall, cpu


# -- 5. the mock's throughput against Stoplight Prism -------------------------------------------------------------
THROUGHPUT_QUERY = "/api/trekkpaalegg/v1?fraSekvensnummer=0&maksAntall=1"  # one page of one trekkpålegg


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, for a server that binds it itself."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prism_command() -> str | None:
    """Stoplight Prism's command: ``$PRISM``, or ``prism`` on the PATH (``npm install -g @stoplight/prism-cli``)."""
    return os.environ.get("PRISM") or shutil.which("prism")


def serve_prism(prism: str, tmp: Path, spec_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """``prism mock`` (defaults) on the document the mock serves: (the process, its origin)."""
    import urllib.request

    spec = tmp / "prism-openapi.yaml"
    spec.write_bytes(urllib.request.urlopen(spec_url).read())
    port = free_port()
    log = tmp / "prism.log"
    with log.open("wb") as out:  # Prism logs every request: a file, never a pipe nobody reads
        proc = subprocess.Popen([prism, "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b"Prism is listening" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"prism did not start: {log.read_text(errors='replace')[-400:]}")
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}"


def wrk(url: str, token: str, connections: int, seconds: int) -> float:
    """Requests/s by ``wrk``; every answer must be a 200 (an error answered fast is no throughput)."""
    out = subprocess.run(["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "-H",
                          f"Authorization: Bearer {token}", url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw failed requests at {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def serve_bare(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    """``bench/bare_server.py``: the stack with no application (the ceiling of any mock on it)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_server.py")), str(port)],
                            stdout=subprocess.PIPE, text=True, cwd=tmp)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit("bench/bare_server.py did not start")
    return proc, f"http://127.0.0.1:{port}"


def throughput(prism_cmd: str, tmp: Path, rounds: int) -> dict[int, dict[str, float]]:
    """{connections: {"mock", "prism", "bare": requests/s}} on the same request with the same token, medians of
    alternating rounds after a warm-up of each (Prism's JIT-compiled code is several times faster warm). "bare" is
    the stack's ceiling (:mod:`bare_server`), measured in the same rounds."""
    mock, origin, token = serve_mock(tmp)
    servers: list[subprocess.Popen[Any]] = [mock]
    try:
        prism, prism_origin = serve_prism(prism_cmd, tmp, f"{origin}/openapi.yaml")
        servers.append(prism)
        bare, bare_origin = serve_bare(tmp)
        servers.append(bare)
        urls = {"mock": origin + THROUGHPUT_QUERY, "prism": prism_origin + THROUGHPUT_QUERY,
                "bare": bare_origin + THROUGHPUT_QUERY}
        for url in urls.values():
            wrk(url, token, 16, 3)
        got: dict[int, dict[str, list[float]]] = {c: {name: [] for name in urls} for c in (1, 16)}
        for n in range(rounds):
            for name in urls if n % 2 == 0 else reversed(list(urls)):
                for connections in got:
                    got[connections][name].append(wrk(urls[name], token, connections, 5))
        return {c: {name: statistics.median(rates) for name, rates in v.items()} for c, v in got.items()}
    finally:
        for server in servers:
            server.terminate()


# -- 2. validation against the compiled ceiling -------------------------------------------------------------------
def items(n: int) -> list[dict[str, Any]]:
    """``n`` trekkpålegg: the published examples' versions, repeated (all valid)."""
    from conformance.profiles.trekkpaalegg.store import published_examples

    examples = [v for s in published_examples() for v in s["versions"]]
    return [copy.deepcopy(examples[i % len(examples)]) for i in range(n)]


def validation(spec: Any, payload: bytes, rounds: int) -> tuple[float, float]:
    """(items/s as the checks validate: json + Spec.problems; items/s of orjson + jsonschema_rs)."""
    import jsonschema_rs
    import orjson

    pointer = spec.component("Trekkpaalegg")
    contents = spec._contents  # the document as Spec's own compiled validators take it (3.0: nullable as a union)
    cls = jsonschema_rs.Draft202012Validator if spec.openapi_version.startswith("3.1") else \
        jsonschema_rs.Draft4Validator
    ceiling_validator = cls({**contents, "$ref": f"#{pointer}"}, validate_formats=True)
    count = len(orjson.loads(payload))

    def ours() -> float:
        start = time.perf_counter()
        bad = sum(1 for item in json.loads(payload) if spec.problems(item, "Trekkpaalegg"))
        assert bad == 0
        return time.perf_counter() - start

    def ceiling() -> float:
        start = time.perf_counter()
        bad = sum(1 for item in orjson.loads(payload) if not ceiling_validator.is_valid(item))
        assert bad == 0
        return time.perf_counter() - start

    times: dict[str, list[float]] = {"ours": [], "ceiling": []}
    for n in range(rounds * 2 + 1):
        for name, fn in (("ours", ours), ("ceiling", ceiling)) if n % 2 == 0 else (("ceiling", ceiling),
                                                                                     ("ours", ours)):
            times[name].append(fn())
    return count / statistics.median(times["ours"]), count / statistics.median(times["ceiling"])


def as_30(spec: Any) -> Any:
    """The bundled document as OpenAPI 3.0 (type lists with null become nullable), loaded like a --spec file."""
    import yaml

    from conformance.spec import Spec

    document = copy.deepcopy(spec.document)
    document["openapi"] = "3.0.3"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, list) and "null" in kind:
                rest = [k for k in kind if k != "null"]
                node["type"], node["nullable"] = rest[0] if len(rest) == 1 else rest, True
            for key in ("anyOf", "oneOf"):
                branches = node.get(key)
                if isinstance(branches, list) and {"type": "null"} in branches:
                    node[key] = [b for b in branches if b != {"type": "null"}]
                    node["nullable"] = True
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return Spec(document, yaml.safe_dump(document), "bench:3.0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also the run over 100 000 items")
    args = parser.parse_args()
    print(f"sbs-conformance speed targets, {load()}", flush=True)
    print(f"  bytecode: {compile_package()}", flush=True)
    print(f"  machine speed: {yardstick()} (compare the absolute targets' seconds across sessions by it)", flush=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        # 1
        st = st_run(tmp)
        sides: dict[str, Callable[[], tuple[float, float]]] = {"ours": lambda: run_cli(tmp),
                                                                "no-pdf": lambda: run_cli(tmp, "--no-pdf")}
        if st is not None:
            sides["st"] = st
        try:
            got = alternate(args.rounds, sides)
        finally:
            if st is not None:
                st.stop.terminate()  # type: ignore[attr-defined]
        ours_wall, ours_cpu = got["ours"]
        if "st" in got:
            row("1. default run (PDF) / st run, wall", f"{ours_wall:.2f} s / {got['st'][0]:.2f} s = "
                f"{ours_wall / got['st'][0]:.2f}", "<= 0.5", ours_wall / got["st"][0] <= 0.5)
        else:
            row("1. default run / st run", "st not installed", "<= 0.5", None)
        # Issue 14's seconds were measured on this machine at another speed: st run's CPU, the same program on the
        # same mock then and now, scales them (shown beside each absolute row; the rows are judged as issued).
        slower = got["st"][1] / ISSUE_ST_CPU if "st" in got else None
        if slower is not None:
            print(f"  machine speed against issue 14's: st run took {got['st'][1]:.2f} s of CPU here, "
                  f"{ISSUE_ST_CPU:.2f} s then ({slower:.2f}x)", flush=True)
        row("1. default run (PDF), CPU", f"{ours_cpu:.2f} s{scaled(1.6, slower)}", "<= 1.6 s", ours_cpu <= 1.6)
        row("1. the same without the PDF (--no-pdf), CPU", f"{got['no-pdf'][1]:.2f} s, {got['no-pdf'][0]:.2f} s wall",
            "reported", None)
        floor = alternate(args.rounds, {"floor": lambda: pdf_floor(tmp)})["floor"][1]
        lowest = got["no-pdf"][1] + floor
        row("1. the CPU floor with WeasyPrint: the run without the PDF + the PDF worker writing one page",
            f"{got['no-pdf'][1]:.2f} s + {floor:.2f} s = {lowest:.2f} s"
            + (" (above the 1.6 s target: no PDF reaches it)" if lowest > 1.6 else ""), "reported", None)
        # 2
        import orjson

        from conformance.profiles import get
        from conformance.spec import load_spec

        spec = load_spec(profile=get("trekkpaalegg"))
        payload = orjson.dumps(items(20_000))
        for label, document in (("3.1 (bundled)", spec), ("3.0 (as a --spec file)", as_30(spec))):
            ours_rate, ceiling_rate = validation(document, payload, args.rounds)
            row(f"2. validation {label}", f"{ours_rate:,.0f} items/s / {ceiling_rate:,.0f} items/s = "
                f"{ours_rate / ceiling_rate:.2f} of the ceiling", ">= 0.5", ours_rate / ceiling_rate >= 0.5)
        # 3
        got = alternate(args.rounds, {"single": lambda: run_cli(tmp, "--no-pdf"),
                                      "all": lambda: run_cli(tmp, "--no-pdf", "--api", "all")})
        ratio = got["all"][0] / got["single"][0]
        row("3. --api all / --api trekkpaalegg, wall", f"{got['all'][0]:.2f} s / {got['single'][0]:.2f} s = "
            f"{ratio:.2f}", "<= 2", ratio <= 2)
        # 4
        got = alternate(args.rounds, {
            "100": lambda: run_cli(tmp, "--org", "314961900", "--mock-size", "100"),
            "1000": lambda: run_cli(tmp, "--org", "314961900", "--mock-size", "1000")})
        ratio = got["1000"][1] / got["100"][1]
        row("4. CPU --mock-size 1000 / 100", f"{got['1000'][1]:.2f} s / {got['100'][1]:.2f} s = {ratio:.1f}",
            "<= 10", ratio <= 10)
        if args.full:
            # Each round once: this machine's speed varies by a tenth within the hour, so one run says little.
            walls = [run_cli(tmp, "--no-pdf", "--org", "314961900", "--mock-size", "100000", "--max-body", "100M")[0]
                     for _ in range(args.rounds)]
            wall = statistics.median(walls)
            row("4. run over 100 000 items, wall", f"{wall:.1f} s (median of {len(walls)}: "
                f"{', '.join(f'{w:.1f}' for w in walls)}){scaled(15, slower)}", "<= 15 s", wall <= 15)
            from memory_bench import ITEMS, TARGET_MB, measure  # the sibling script (bench/ is this one's folder)

            large, base, not_passed = measure(tmp)
            row(f"4. paging checks over {ITEMS:,} items, peak RSS", f"{large} MB (19 items: {base} MB)"
                + (f"; not passed: {', '.join(not_passed)}" if not_passed else ""), f"<= {TARGET_MB} MB",
                large <= TARGET_MB and not not_passed)
        # 5
        wall, cpu, proc = timed([sys.executable, "-m", "conformance", "client-check", "--no-pdf", "--out",
                                 str(tmp / "cc"), "--", sys.executable, "-m", "conformance.clientcheck.reference"])
        row("5. client-check --scenario all (reference client)", f"{wall:.1f} s wall, {cpu:.1f} s CPU (exit "
            f"{proc.returncode})", "reported", None)
        prism_cmd = prism_command()
        if not (prism_cmd and shutil.which("wrk")):
            row("5. mock throughput / Stoplight Prism", "not measured: prism (npm install -g "
                "@stoplight/prism-cli) and wrk (apt-get install wrk) are not both installed here", ">= 10", None)
        else:
            try:
                measured = throughput(prism_cmd, tmp, args.rounds)
            except (SystemExit, OSError, subprocess.CalledProcessError) as exc:  # the other rows stand
                measured = {}
                row("5. mock throughput / Stoplight Prism", f"not measured: {str(exc).strip()[:300]}", ">= 10", None)
            for connections, rate in measured.items():
                ours, theirs, bare = rate["mock"], rate["prism"], rate["bare"]
                row(f"5. mock throughput / Stoplight Prism, {connections} connection{'s' * (connections > 1)}",
                    f"{ours:,.0f} req/s / {theirs:,.0f} req/s = {ours / theirs:.1f}; the stack with no application "
                    f"(bench/bare_server.py) {bare:,.0f} req/s = {bare / theirs:.1f}x Prism"
                    + (": no mock on this stack reaches the target here" if bare / theirs < 10 else ""),
                    ">= 10", ours / theirs >= 10)
    print(f"after: {load()}")
    missed = [r for r in ROWS if r[3] is False]
    print(f"{len(ROWS) - len(missed)} of {len(ROWS)} rows met or reported; {len(missed)} NOT met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
