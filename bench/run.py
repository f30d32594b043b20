"""`make bench`: the production server under load, every figure beside floors measured in the same run.

Starts the production profile (GATEWAY_ENV=production, WEB_CONCURRENCY workers, default 2)
on a fresh SQLite file, or on a fresh database created on the server DATABASE_URL names,
bootstraps a tenant and admin, then measures:

  1. echo invocations, a fresh Idempotency-Key each, 16 connections, 10 s, on the server
     `make run` starts (uvicorn's event loop per worker, Django on a thread pool);
  2. the same load on the previous model, gunicorn sync workers, over the same database;
  3. two floors, served the same way but without any of the gateway's middleware
     (bench/floors.py): a bare Django JSON view, and a view making the same number of
     durable commits per request as an invocation (the machine's write-path limit);
  4. KPI bulk ingest in 10,000-point batches up to 1,000,000 points, and a re-sent batch of duplicates;
  5. GET latest and kpi_summary latency with those 1,000,000 points stored;
  6. a worker's memory while it ingests 50,000-point batches;
  7. an HTTP tool whose upstream (bench/slow_upstream.py, on 127.0.0.1) answers in 100 ms, under
     128 connections: invocations/s and p99 beside the ideal, connections / 100 ms;

and checks that audit and usage rows equal the successful invocations. Only 200s count as
throughput; any other answer fails the bench. wrk is used when installed (apt-get install
wrk), else bench/loadgen.py.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.loadgen import percentile, run_load  # noqa: E402

BATCH = 10_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Database:
    """A fresh SQLite file, or a fresh PostgreSQL database on the server DATABASE_URL names."""

    def __init__(self, workdir: Path):
        given = os.environ.get("DATABASE_URL", "")
        self.vendor = "postgresql" if given.startswith(("postgres://", "postgresql://")) else "sqlite"
        if self.vendor == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            return
        import psycopg

        self.name = f"gateway_bench_{os.getpid()}"
        self.admin_url = given
        with psycopg.connect(given, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        parts = urlsplit(given)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def drop(self) -> None:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def server_environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "GATEWAY_ENV": "production",
        "GATEWAY_SSL_REDIRECT": "0",  # plain HTTP on loopback; TLS is a proxy's job
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "GATEWAY_AUDIT_HMAC_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        # Limits high enough never to bite, still counted, so their cost is in the figures.
        "GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE": "1000000000",
        "GATEWAY_RATE_LIMIT_USER_PER_MINUTE": "1000000000",
        "GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE": "1000000000",
        # The slow upstream listens on loopback, which the SSRF guard refuses unless allowlisted.
        "GATEWAY_UPSTREAM_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",  # one access line per request would be the bench's own noise
        "DJANGO_SETTINGS_MODULE": "gateway_project.settings",
    }


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


class Server:
    """One gateway server. `command` defaults to what `make run` starts (gunicorn.conf.py)."""

    def __init__(self, env: dict, workers: int, workdir: Path, name: str, command: list[str] | None = None):
        self.port = free_port()
        self.log = (workdir / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "gunicorn", *(command or []), "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(workers), *os.environ.get("BENCH_GUNICORN_ARGS", "").split()]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz" if "floor" not in name else "/bench/bare")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the {name} server did not become healthy; see {workdir / f'{name}.log'}")

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def worker_rss_kb(self) -> dict[int, int]:
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        sizes = {}
        for pid in map(int, children.split()):
            status = Path(f"/proc/{pid}/status").read_text()
            sizes[pid] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def load(server: Server, path: str, body: bytes, tenant: dict, *, seconds: float, connections: int) -> dict:
    """Closed-loop load on one endpoint with a fresh Idempotency-Key per request."""
    run_id = uuid.uuid4().hex[:8]
    if shutil.which("wrk"):
        env = {**os.environ, "BENCH_PATH": path, "BENCH_BODY": body.decode(), "BENCH_RUN": run_id,
               "BENCH_TENANT": tenant["tenant_id"], "BENCH_USER": tenant["admin_user_id"],
               "BENCH_KEY": tenant["api_key"]}  # fmt: skip
        output = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(REPO / "bench" / "invoke.lua"),
             f"http://127.0.0.1:{server.port}"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        result = json.loads(output.split("BENCH_RESULT", 1)[1])
        result["generator"] = "wrk"
        return result
    headers = {"Content-Type": "application/json", "X-Tenant-ID": tenant["tenant_id"],
               "X-User-ID": tenant["admin_user_id"], "X-API-Key": tenant["api_key"]}  # fmt: skip

    def make_request(worker: int, n: int):
        return "POST", path, {**headers, "Idempotency-Key": f"{run_id}-{worker}-{n}"}, body

    result = run_load("127.0.0.1", server.port, make_request, connections=connections, seconds=seconds)
    result["generator"] = "python"
    return result


def summarise(result: dict) -> dict:
    """Throughput counts the 200s only; every other answer is listed, and fails the bench."""
    statuses = {int(status): count for status, count in result["statuses"].items()}
    ok = statuses.get(200, 0)
    return {
        "rps": ok / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "unexpected": {status: count for status, count in statuses.items() if status != 200},
        "socket_errors": result["socket_errors"],
        "ok": ok,
    }


def timed_latencies(send, count: int) -> list[float]:
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        status = send(n)
        latencies.append(time.perf_counter() - started)
        if status != 200:
            sys.exit(f"unexpected status {status}")
    return sorted(latencies)


def ingest(server: Server, auth: dict, kpi_id: str, total: int, start: datetime, batch: int = BATCH) -> float:
    """Send `total` points in batches; returns the seconds spent in requests."""
    spent = 0.0
    for offset in range(0, total, batch):
        points = [{"ts": (start + timedelta(seconds=offset + i)).isoformat(), "value": float(offset + i)}
                  for i in range(min(batch, total - offset))]  # fmt: skip
        body = json.dumps({"points": points}).encode()
        started = time.perf_counter()
        status, answer = server.request("POST", f"/v1/kpis/{kpi_id}/points:bulk", auth, body)
        spent += time.perf_counter() - started
        if status != 200 or json.loads(answer)["inserted"] != len(points):
            sys.exit(f"ingest failed: {status} {answer[:200]!r}")
    return spent


SLOW_TOOL_DEFINITION = """
from tools.http_tools import http_tool_create
http_tool_create(owner=None, fields={"name": "slow_crm", "method": "POST", "url_template": "%s/records",
    "idempotency_header": "Idempotency-Key", "offered_to_all": True})
"""


class SlowUpstream:
    """bench/slow_upstream.py on uvicorn, answering every request after `delay_ms`."""

    def __init__(self, workdir: Path, delay_ms: int):
        self.port = free_port()
        self.log = (workdir / "upstream.log").open("wb")
        env = {**os.environ, "BENCH_UPSTREAM_DELAY_MS": str(delay_ms)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.slow_upstream:app", "--port", str(self.port), "--log-level",
             "warning", "--no-access-log", "--backlog", "4096"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the slow upstream did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def _load_spread(server: "Server", body: bytes, tenants: list[dict], *, seconds: float, connections: int) -> dict:
    """The same load split evenly over several tenants at once (one generator each), summed."""
    from concurrent.futures import ThreadPoolExecutor

    share = max(1, connections // len(tenants))

    def one_tenant(tenant: dict) -> dict:
        return summarise(load(server, "/v1/tools/invoke", body, tenant, seconds=seconds, connections=share))

    with ThreadPoolExecutor(len(tenants)) as pool:
        results = list(pool.map(one_tenant, tenants))
    unexpected: dict = {}
    for result in results:
        for status, count in result["unexpected"].items():
            unexpected[status] = unexpected.get(status, 0) + count
    return {
        "rps": sum(result["rps"] for result in results),
        "p50_ms": statistics.median(result["p50_ms"] for result in results),
        "p99_ms": max(result["p99_ms"] for result in results),  # the worst tenant's
        "unexpected": unexpected,
        "socket_errors": sum(result["socket_errors"] for result in results),
        "ok": sum(result["ok"] for result in results),
    }


def _measure_slow_upstream(server: "Server", workdir: Path, tenant: dict, env: dict, options) -> dict:
    upstream = SlowUpstream(workdir, options.upstream_delay_ms)
    tenants = [tenant] + [
        json.loads(manage(env, "create_tenant", "--name", f"Bench {n}", "--region", "local", "--admin-email",
                          f"b{n}@x.io"))
        for n in range(2, options.upstream_tenants + 1)
    ]  # fmt: skip
    try:
        manage(env, "shell", "-c", SLOW_TOOL_DEFINITION % f"http://127.0.0.1:{upstream.port}")
        body = json.dumps({"tool_name": "slow_crm", "payload": {"note": "bench"}}).encode()
        connections = options.upstream_connections
        warm_up = _load_spread(server, body, tenants, seconds=2, connections=connections)
        measured = _load_spread(server, body, tenants, seconds=options.seconds, connections=connections)
    finally:
        upstream.stop()
    return {"slow_warm_up": warm_up, "slow": measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--upstream-connections", type=int, default=128)
    parser.add_argument("--upstream-delay-ms", type=int, default=100)
    parser.add_argument("--upstream-tenants", type=int, default=1, help="spread the slow-upstream load over this "
                        "many tenants (each invocation appends to its own tenant's audit chain)")  # fmt: skip
    parser.add_argument("--only", choices=["slow-upstream"], help="measure only this figure (with echo beside it)")
    options = parser.parse_args()
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    database = Database(workdir)
    servers: dict[str, Server] = {}
    try:
        tenant, auth, env = _bootstrap(database, workers)
        servers["gateway"] = Server(env, workers, workdir, "gateway")
        if options.only == "slow-upstream":
            figures = _measure_echo(servers["gateway"], tenant, options)
            figures.update(_measure_slow_upstream(servers["gateway"], workdir, tenant, env, options))
            _report_slow_upstream(figures, options)
            return
        figures = _measure_models(servers, workdir, workers, tenant, env, options)
        figures.update(_measure_slow_upstream(servers["gateway"], workdir, tenant, env, options))
        figures.update(_measure_kpis(servers["gateway"], auth, env, options))
    finally:
        for server in servers.values():
            server.stop()
        database.drop()
    _report(figures, options)


def _measure_echo(server: "Server", tenant: dict, options) -> dict:
    echo = json.dumps({"tool_name": "echo", "payload": {"text": "Hello, World!"}}).encode()
    warm_up = summarise(load(server, "/v1/tools/invoke", echo, tenant, seconds=2, connections=options.connections))
    return {"invoke_warm_up": warm_up, "invoke": summarise(load(server, "/v1/tools/invoke", echo, tenant,
                                                                seconds=options.seconds,
                                                                connections=options.connections))}  # fmt: skip


def _slow_upstream_rows(figures: dict, options) -> list[tuple[str, str, str]]:
    slow, ideal = figures["slow"], options.upstream_connections / (options.upstream_delay_ms / 1000)
    target = slow["rps"] >= 500 and slow["p99_ms"] <= 300
    return [
        _load_row(
            f"HTTP tool, upstream {options.upstream_delay_ms} ms, {options.upstream_connections} conns, "
            f"{options.upstream_tenants} tenant(s)",
            slow,
        ),  # fmt: skip
        ("HTTP tool / ideal (connections / delay)", f"{slow['rps'] / ideal:.2f}", f"ideal {ideal:,.0f} req/s"),
        ("HTTP tool / echo", f"{slow['rps'] / figures['invoke']['rps']:.2f}", "echo measured in the same run"),
        ("target: >= 500 inv/s, p99 <= 300 ms", "met" if target else "NOT MET", ""),
    ]


def _report_slow_upstream(figures: dict, options) -> None:
    rows = [_load_row(f"echo invoke, fresh key each ({options.connections} conns)", figures["invoke"]),
            *_slow_upstream_rows(figures, options)]  # fmt: skip
    width = max(len(row[0]) for row in rows)
    print()
    for label, figure, note in rows:
        print(f"{label:<{width}}  {figure:>22}  {note}")
    failures = [f"{name}: {figure['unexpected']} {figure['socket_errors']}" for name, figure in figures.items()
                if figure["unexpected"] or figure["socket_errors"]]  # fmt: skip
    if failures:
        sys.exit("\n".join(["", "BENCH FAILED:", *failures]))


def _bootstrap(database: "Database", workers: int):
    env = server_environment(database.url)
    manage(env, "migrate", "--noinput", "-v0")
    tenant = json.loads(manage(env, "create_tenant", "--name", "Bench", "--region", "local", "--admin-email", "b@x.io"))
    auth = {"Content-Type": "application/json", "X-Tenant-ID": tenant["tenant_id"],
            "X-User-ID": tenant["admin_user_id"], "X-API-Key": tenant["api_key"]}  # fmt: skip
    print(f"bench: {database.vendor}, {workers} workers, {os.cpu_count()} CPUs, load from "
          f"{'wrk' if shutil.which('wrk') else 'bench/loadgen.py'}", flush=True)  # fmt: skip
    return tenant, auth, env


def _measure_models(servers: dict, workdir: Path, workers: int, tenant: dict, env: dict, options) -> dict:
    """Echo on the chosen server model and on the previous one, then the two floors; each after a warm-up."""
    echo = json.dumps({"tool_name": "echo", "payload": {"text": "Hello, World!"}}).encode()
    floor_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.floor_settings"}
    subprocess.run([sys.executable, "-c", "import django; django.setup(); from bench.floors import create_table; "
                    "create_table()"], cwd=REPO, env=floor_env, check=True)  # fmt: skip
    servers["previous"] = Server(env, workers, workdir, "previous", ["gateway_project.wsgi", "-k", "sync"])
    servers["floors"] = Server(floor_env, workers, workdir, "floors")

    def measured(server_name: str, path: str) -> tuple[dict, dict]:
        server = servers[server_name]
        warm_up = summarise(load(server, path, echo, tenant, seconds=2, connections=options.connections))
        return warm_up, summarise(load(server, path, echo, tenant, seconds=options.seconds,
                                       connections=options.connections))  # fmt: skip

    figures = {}
    for name, server_name, path in [("invoke", "gateway", "/v1/tools/invoke"),
                                    ("previous", "previous", "/v1/tools/invoke"),
                                    ("bare", "floors", "/bench/bare"),
                                    ("commits", "floors", "/bench/commits")]:  # fmt: skip
        figures[f"{name}_warm_up"], figures[name] = measured(server_name, path)
    for name in ("previous", "floors"):
        servers.pop(name).stop()
    return figures


def _measure_kpis(server: "Server", auth: dict, env: dict, options) -> dict:
    status, created = server.request("POST", "/v1/kpis", auth, json.dumps({"name": "Bench"}).encode())
    kpi_id = json.loads(created)["kpi_id"]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    ingest_seconds = ingest(server, auth, kpi_id, options.points, start)
    again = [{"ts": (start + timedelta(seconds=i)).isoformat(), "value": 0.0} for i in range(BATCH)]
    started = time.perf_counter()
    status, answer = server.request(
        "POST", f"/v1/kpis/{kpi_id}/points:bulk", auth, json.dumps({"points": again}).encode()
    )
    duplicate_seconds = time.perf_counter() - started

    latest = timed_latencies(lambda n: server.request("GET", f"/v1/kpis/{kpi_id}/latest", auth)[0], 300)
    summary_body = json.dumps({"tool_name": "kpi_summary", "payload": {"kpi_id": kpi_id, "window_days": 7}})
    summary = timed_latencies(
        lambda n: server.request("POST", "/v1/tools/invoke", {**auth, "Idempotency-Key": f"summary-{n}"},
                                 summary_body.encode())[0], 300)  # fmt: skip

    status, created = server.request("POST", "/v1/kpis", auth, json.dumps({"name": "Memory"}).encode())
    before = server.worker_rss_kb()
    ingest(server, auth, json.loads(created)["kpi_id"], 200_000, start, batch=50_000)
    after = server.worker_rss_kb()

    os.environ.update({key: env[key] for key in ("DATABASE_URL", "GATEWAY_ENV", "DJANGO_SECRET_KEY",
                       "GATEWAY_AUDIT_HMAC_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE")})  # fmt: skip
    import django

    django.setup()
    from audit.models import AuditLog, UsageEvent

    return {
        "ingest_seconds": ingest_seconds,
        "duplicate_seconds": duplicate_seconds,
        "duplicates": json.loads(answer),
        "latest": latest,
        "summary": summary,
        "rss_growth_mb": max(after.get(pid, 0) - size for pid, size in before.items()) / 1024,
        "rss_peak_mb": max(after.values()) / 1024,
        "summaries": len(summary),
        "metered": set(UsageEvent.objects.values_list("request_id", flat=True)),
        "audited": set(AuditLog.objects.filter(outcome="success").values_list("request_id", flat=True)),
    }


def _load_row(label: str, figure: dict) -> tuple[str, str, str]:
    return (label, f"{figure['rps']:,.0f} req/s", f"p50 {figure['p50_ms']:.1f} ms, p99 {figure['p99_ms']:.1f} ms")


def _report(figures: dict, options) -> None:
    invoke, previous, bare, commits = (figures[name] for name in ("invoke", "previous", "bare", "commits"))
    latest, summary = figures["latest"], figures["summary"]
    load = f"{options.connections} conns, {options.seconds:g}s"
    rows = [
        _load_row(f"echo invoke, fresh key each ({load})", invoke),
        _load_row("echo invoke, previous model (gunicorn sync workers)", previous),
        _load_row("floor: bare Django view, no gateway middleware", bare),
        _load_row("floor: 2 durable commits per request (as invoke)", commits),
        ("echo: this model / previous model", f"{invoke['rps'] / previous['rps']:.2f}", "same database, same run"),
        ("echo / bare floor", f"{invoke['rps'] / bare['rps']:.2f}", "share of Django's floor the gateway keeps"),
        ("echo / commits floor", f"{invoke['rps'] / commits['rps']:.2f}", "share of the machine's write path"),
        (f"bulk ingest, {BATCH:,}-point batches to {options.points:,}",
         f"{options.points / figures['ingest_seconds']:,.0f} points/s", f"{figures['ingest_seconds']:.1f} s in all"),
        ("re-send a batch of 10,000 duplicates", f"{figures['duplicate_seconds'] * 1000:.0f} ms",
         f"inserted {figures['duplicates']['inserted']}, ignored {figures['duplicates']['ignored']}"),
        (f"GET latest, {options.points:,} points", f"p50 {percentile(latest, .5) * 1000:.2f} ms",
         f"p99 {percentile(latest, .99) * 1000:.2f} ms, mean {statistics.mean(latest) * 1000:.2f} ms"),
        (f"kpi_summary invoke, {options.points:,} points", f"p50 {percentile(summary, .5) * 1000:.2f} ms",
         f"p99 {percentile(summary, .99) * 1000:.2f} ms"),
        ("worker memory, 4 x 50,000-point batches", f"+{figures['rss_growth_mb']:.1f} MB",
         f"peak RSS {figures['rss_peak_mb']:.0f} MB"),
        *_slow_upstream_rows(figures, options),
    ]  # fmt: skip
    loads = {name: figures[name] for name in figures if name.split("_warm_up")[0] in
             ("invoke", "previous", "bare", "commits", "slow")}  # fmt: skip
    successes = sum(figures[name]["ok"] for name in loads
                    if name.split("_warm_up")[0] in ("invoke", "previous", "slow"))  # fmt: skip
    successes += figures["summaries"]
    metered, audited = figures["metered"], figures["audited"]
    rows.append(("ledger check", f"{len(metered)} usage / {len(audited)} audit",
                 f"{successes} answered 200, + {len(metered) - successes} in flight at the load cutoffs"))  # fmt: skip
    width = max(len(row[0]) for row in rows)
    print()
    for label, figure, note in rows:
        print(f"{label:<{width}}  {figure:>22}  {note}")
    failures = []
    for name, figure in loads.items():
        if figure["unexpected"] or figure["socket_errors"]:
            failures.append(f"{name}: answers other than 200 {figure['unexpected']}, socket errors "
                            f"{figure['socket_errors']}")  # fmt: skip
    # wrk stops counting at its deadline while up to one request per connection is still being
    # served: those are real invocations answered to nobody, and belong in the ledger too.
    in_flight_allowance = 4 * (options.connections + options.upstream_connections)
    if metered != audited or not successes <= len(metered) <= successes + in_flight_allowance:
        failures.append("LEDGER MISMATCH: audit or usage rows differ from the successful invocations")
    if failures:
        sys.exit("\n".join(["", "BENCH FAILED:", *failures]))
    print(
        "\nevery answer was a 200; every metered request id has exactly one success audit row, "
        "and every 200 was metered"
    )


if __name__ == "__main__":
    main()
