"""Every benchmark script still runs: each completes with tiny sizes and prints its RESULT.

Timings are never asserted here (a shared CI machine can't promise them); the figures
and their targets live in bench/RESULTS.md. Each script's tiny arguments are
``bench.run_all.SMOKE``, also what ``bench/run_all.py --smoke`` runs.
"""

from __future__ import annotations

import shutil
import sys

import pytest

from bench.run_all import HERE, NOT_BENCHMARKS, SMOKE, benchmarks
from tests.availability import missing, require_postgres, require_redis
from tests.bench.conftest import assert_completed


def test_every_script_in_bench_has_a_smoke_run_and_a_test():
    scripts = {script.stem for script in benchmarks()} | {"soak"}
    assert set(SMOKE) == scripts
    module = sys.modules[__name__]
    assert all(callable(getattr(module, f"test_{name}", None)) for name in scripts)
    helpers = {p.stem for p in HERE.glob("*.py")} - scripts
    assert helpers <= NOT_BENCHMARKS


def test_admin_changelist(run_bench):
    assert_completed(run_bench("admin_changelist"), "admin_changelist")


def test_admin_generate(run_bench):
    assert_completed(run_bench("admin_generate"), "admin_generate")


def test_conversion_report(run_bench):
    assert_completed(run_bench("conversion_report"), "conversion_report")


@pytest.mark.cluster
def test_inflight_capacity(run_bench):
    assert_completed(run_bench("inflight_capacity"), "inflight_capacity")


def test_photo_checks(run_bench):
    """Also: --record appends the confusion table under the RESULT lines."""
    run = run_bench("photo_checks")
    assert_completed(run, "photo_checks_refused", "photo_checks_wrongly_refused")
    assert "| labelled \\ decided | usable |" in run.output

    recorded = run_bench("photo_checks", "--record")
    assert recorded.returncode == 0, recorded.output[-4000:]
    entry = recorded.results_file.read_text()
    assert "`RESULT photo_checks_refused value=" in entry
    assert "  | blurred | " in entry


@pytest.mark.cluster
def test_pipeline_throughput(run_bench):
    assert_completed(run_bench("pipeline_throughput"), "pipeline_throughput")


def test_result_memory(run_bench):
    """Also: a RESULT line is appended, with its command, only with --record."""
    quiet = run_bench("result_memory")
    assert_completed(quiet, "result_memory")

    recorded = run_bench("result_memory", "--record")
    assert recorded.returncode == 0, recorded.output[-4000:]
    entry = recorded.results_file.read_text()
    assert "`RESULT result_memory value=" in entry
    assert "bench/result_memory.py --mb 0.5`" in entry  # the command, without --record


def test_status_endpoint(run_bench):
    assert_completed(run_bench("status_endpoint"), "status_endpoint")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.cluster
def test_load_shopper_api(run_bench):
    require_postgres()
    require_redis()
    assert_completed(run_bench("load_shopper_api"), "load_shopper_api_p95")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.cluster
def test_soak(run_bench, tmp_path):
    require_postgres()
    if shutil.which("redis-server") is None:
        missing("redis", "redis-server is not on PATH (the soak runs a Redis of its own)")
    run = run_bench("soak", env={"SOAK_REDIS_PORT": str(free_port())})
    assert_completed(run, "soak_lost_or_duplicated", "soak_kills_double_creates")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_upload_memory(run_bench):
    assert_completed(run_bench("upload_memory"), "upload_memory")
