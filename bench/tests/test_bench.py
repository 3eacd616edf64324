"""Smoke tests of the benchmark on a tiny data set: the generator, the targets,
the load generator against a real gunicorn server, the replica router, and one
whole tiny run on the database the suite runs on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from bench import dataset, load, targets
from bench.server import Server
from bench.textgen import TextGen
from config import replica
from orgs.models import OrgNode


@pytest.mark.django_db
def test_tree_paths_are_valid_treebeard_paths():
    before = OrgNode.objects.count()
    result = dataset.build_tree(dataset.TINY)
    s = dataset.TINY
    per_county = s.departments_per_county + s.towns_per_county * (
        1 + s.villages_per_town * (1 + s.grids_per_village)
    )
    expected = 1 + s.cities * (1 + s.counties_per_city * (1 + per_county))
    assert result["nodes"] == expected
    assert OrgNode.objects.count() == before + expected
    assert OrgNode.objects.find_problems() == ([], [], [], [], [])
    county = OrgNode.objects.get(code="P02K01")
    assert OrgNode.objects.get_descendant_count(county) == per_county
    assert [a.code for a in OrgNode.objects.get_ancestors(county)] == ["P", "P02"]
    # The demo county keeps its own root; treebeard can keep adding under generated nodes.
    assert OrgNode.objects.get(code="C").depth == 1
    village = OrgNode.objects.get(code="P01K02T01V02")
    child = OrgNode.objects.add_child(
        village, {"code": "XG9", "name": "新网格", "kind": OrgNode.Kind.GRID}
    )
    assert child.path.startswith(village.path) and child.depth == village.depth + 1
    assert OrgNode.objects.find_problems() == ([], [], [], [], [])


def test_targets_report_met_unmet_and_unmeasured():
    figures = {
        "sqlite": {"throughput": {"ratio": 0.7}, "pages": {"inbox": {"p95_ms": 140.0}}},
        "postgresql": {"throughput": {"ratio": 0.3}, "periodic": {"idempotent": True}},
    }
    rows = {r["name"]: r for r in targets.evaluate(figures)}
    assert rows["sqlite: submission throughput / healthz throughput"]["met"] is True
    assert rows["postgresql: submission throughput / healthz throughput"]["met"] is False
    assert rows["sqlite: inbox page p95 server time"]["met"] is False
    assert rows["sqlite: search page p95 server time"] == {
        "name": "sqlite: search page p95 server time",
        "target": "< 100 ms",
        "value": None,
        "met": None,
    }
    assert rows["postgresql: periodic run idempotent (second run changes nothing)"]["met"] is True
    assert {r["name"].split(":")[0] for r in rows.values()} == {"sqlite", "postgresql"}


def test_text_generator_is_varied_and_deterministic():
    a = [TextGen(seed=1).case("柳河村") for _ in range(1)]
    gen = TextGen(seed=1)
    texts = [gen.case("柳河村") for _ in range(500)]
    assert texts[0] == a[0]
    assert len({t for _, t in texts}) > 450
    assert all(t.endswith("。") and "柳河村" in t for _, t in texts)


def _server_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        BANSHI_VAR_DIR=str(var_dir),
        DEBUG="0",
        SECRET_KEY="smoke-test-secret-key-0123456789-abcdefghijklmnop",
    )
    return env


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_load_generator_and_worker_restart_on_a_real_server(tmp_path, kind):
    # /healthz touches no database, so the server needs none migrated.
    with Server(_server_env(tmp_path), workers=2, kind=kind) as server:
        result = load.run(
            server.port,
            lambda i: load.Healthz(),
            concurrency=2,
            max_requests=60,
            max_seconds=10,
            warmup=2,
        )
        assert result["requests"] == 60 and result["ok"] == 60
        assert result["per_second"] > 0 and result["p95_ms"] >= result["p50_ms"]
        killed = server.kill_worker()
        pids = server.wait_replaced(timeout=30)
        assert len(pids) == 2 and killed not in pids
        after = load.run(
            server.port, lambda i: load.Healthz(), concurrency=2, max_requests=10, warmup=0
        )
        assert after["ok"] == 10


@pytest.mark.django_db
def test_replica_router_only_inside_replica_reads():
    router = replica.ReplicaRouter()
    assert router.db_for_read(OrgNode) == "default"
    with replica.replica_reads():
        assert router.db_for_read(OrgNode) == "default"  # no replica configured
    fake = {**connection.settings_dict}
    with (
        pytest.warns(UserWarning, match="DATABASES"),
        override_settings(DATABASES={"default": fake, "replica": fake}),
    ):
        assert router.db_for_read(OrgNode) == "default"
        with replica.replica_reads():
            assert router.db_for_read(OrgNode) == "replica"
            assert replica.read_alias() == "replica"
            assert router.db_for_write(OrgNode) == "default"
        assert replica.read_alias() == "default"
        assert router.allow_migrate("replica", "orgs") is False
        assert router.allow_migrate("default", "orgs") is True


def test_replica_middleware_routes_only_listed_get_views(monkeypatch, rf):
    from django.http import HttpResponse
    from django.urls import resolve

    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    seen: list[str] = []

    def view_stack(request):
        middleware.process_view(request, None, (), {})
        seen.append(replica.read_alias())
        return HttpResponse()

    middleware = replica.ReplicaReadsMiddleware(view_stack)
    for method, path in [
        ("get", "/staff/cases/"),  # the case list: listed
        ("post", "/staff/cases/"),  # a POST never
        ("get", "/staff/cases/inbox/"),  # an action queue: not listed
    ]:
        request = getattr(rf, method)(path)
        request.resolver_match = resolve(path)
        middleware(request)
        assert replica.read_alias() == "default"  # reset after the response
    assert seen == ["replica", "default", "default"]


def test_whole_tiny_run_on_this_database(monkeypatch):
    """One tiny benchmark run end to end on the suite's database engine."""
    from bench import run

    url = os.environ.get("DATABASE_URL", "")
    db = "postgresql" if url.startswith("postgres") else "sqlite"
    if db == "postgresql":
        # A scratch database of its own, beside the suite's.
        monkeypatch.setattr(
            run, "PG_URL", url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_benchsmoke"
        )
    # A Redis database per engine: the two suites may run at once, and a shared
    # cache would hand one run's sessions and pages to the other's server.
    redis_db = 12 if db == "sqlite" else 11
    monkeypatch.setattr(run, "REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    result = run.main(
        [
            "--scale=tiny",
            f"--db={db}",
            "--workers=2",
            "--concurrency=2",
            "--rounds=1",
            "--round-seconds=1",
            "--samples=3",
            "--no-loss-count=30",
            "--no-save",
        ]
    )
    fig = result["figures"][db]
    assert fig["dataset"]["tree"]["nodes"] > 50
    assert fig["dataset"]["cases"]["cases"] == dataset.TINY.cases
    assert fig["dataset"]["commitments"]["commitments"] == dataset.TINY.commitments
    # Workers were killed mid-way; every acknowledged submission is stored exactly once.
    assert fig["no_loss"]["workers_killed"] == 2
    assert fig["no_loss"]["acknowledged"] > 0
    assert fig["no_loss"]["lost_or_doubled"] == 0
    # Acknowledged submissions were filed by the drain process beside the workers.
    assert fig["no_loss"]["drain_after_load"]["left"] == 0
    assert fig["throughput"]["drain_after_load"]["left"] == 0
    assert fig["throughput"]["submit"]["ok"] > 0 and fig["throughput"]["ratio"] > 0
    assert all(v.get("statuses") == {"200": 3} for v in fig["pages"].values()), {
        k: (v.get("statuses"), v.get("errors")) for k, v in fig["pages"].items()
    }
    assert fig["throughput"]["healthz"]["ok"] > 0
    assert fig["periodic"]["idempotent"] is True
    names = [t["name"] for t in result["targets"]]
    assert f"{db}: periodic run" in names


def test_reuse_dataset_values_and_sqlite_copy(tmp_path):
    from bench import run

    kept = tmp_path / "kept"
    (kept / "models" / "m").mkdir(parents=True)
    (kept / "banshi.sqlite3").write_bytes(b"db")
    (kept / "banshi.sqlite3-wal").write_bytes(b"wal")
    (kept / "models" / "m" / "x.bin").write_bytes(b"model")
    assert run.parse_reuse([str(kept), "banshi_full1m:/x"]) == {
        "sqlite": str(kept),
        "postgresql": "banshi_full1m:/x",
    }
    assert run.parse_reuse(["sqlite=/nowhere", "postgresql=kept_db"]) == {
        "sqlite": "/nowhere",
        "postgresql": "kept_db",
    }
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    run.sqlite_copy(str(kept), scratch)
    assert (scratch / "banshi.sqlite3").read_bytes() == b"db"
    assert (scratch / "banshi.sqlite3-wal").read_bytes() == b"wal"
    assert (scratch / "models" / "m" / "x.bin").read_bytes() == b"model"
    with pytest.raises(SystemExit):
        run.sqlite_copy(str(tmp_path / "missing"), scratch)


def test_cost_ladder_steps_on_this_database(monkeypatch):
    """The ladder's steps stop where they say: nothing is queued before the queued
    row's step, every acknowledgement is queued in the real path."""
    from bench import ladder, run

    url = os.environ.get("DATABASE_URL", "")
    db = "postgresql" if url.startswith("postgres") else "sqlite"
    if db == "postgresql":
        scratch = url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_laddersmoke"
        monkeypatch.setattr(run, "PG_URL", scratch)
    redis_db = 10 if db == "sqlite" else 9
    monkeypatch.setattr(ladder, "REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    monkeypatch.setattr(run, "REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    figures = ladder.main(
        [f"--db={db}", "--rounds=1", "--round-seconds=0.5", "--steps=limits,full", "--no-save"]
    )
    limits, full = figures["limits"], figures["full"]
    assert limits["acknowledged"] > 0 and limits["queued"] == 0
    # (the load generator's warm-up submissions are queued too, unacknowledged)
    assert full["queued"] >= full["acknowledged"] > 0
    for step in (limits, full):
        assert step["ratios"][0] > 0
        assert step["submit_cpu_ms"]["workers"] > 0 and step["submit_cpu_ms"]["machine"] > 0
