"""Prometheus metrics on the real stack: the sales worker's and the API's `/metrics` move by
exactly what the test sent (records, facts, dead letters by reason, requests by route and
status); the consumer lag the API reports rises by the records sent while the worker is
stopped and falls to zero once it is back."""

from __future__ import annotations

import time

import asyncpg
import httpx
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.stack import (
    eventually,
    hq_token,
    kill9,
    load_company,
    metrics_ports,
    produce_raw,
    produce_singles,
    simulated_facts,
    small_company,
    start_api,
    wait_caught_up,
)

OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an OpenMetrics exposition by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def total(scraped: dict, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    return sum(
        value
        for (sample, sample_labels), value in scraped.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


async def _up(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def scrape(http: httpx.AsyncClient, url: str) -> dict:
    """One scrape as Prometheus makes it (asking for OpenMetrics), parsed."""
    reply = await http.get(url, headers={"Accept": OPENMETRICS_ACCEPT})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/openmetrics-text")
    return samples(reply.text)


async def test_metrics_move_by_what_was_sent_and_lag_follows_the_worker(env):
    company = small_company()
    await load_company(env.settings, company)
    port = metrics_ports()
    worker_env = {"NORTHSTAR_METRICS_PORT": str(port)}
    worker = env.spawn("worker", "worker", "--only", "sales", extra_env=worker_env)
    env.spawn("relay", "relay", extra_env=worker_env)  # serves at port + 3
    base = await start_api(env)
    token = await hq_token(env.settings)
    worker_metrics = f"http://127.0.0.1:{port}/metrics"
    relay_metrics = f"http://127.0.0.1:{port + 3}/metrics"
    async with httpx.AsyncClient(timeout=30) as http:
        await eventually(lambda: _up(http, worker_metrics), 60, "the worker's /metrics")
        await eventually(lambda: _up(http, relay_metrics), 60, "the relay's /metrics")
        okr_topic = {"topic": env.settings.okr_events_topic}
        conn = await asyncpg.connect(env.settings.dsn)
        try:  # the plan's events (the catalog is HQ's commands) are published first

            async def drained() -> bool:
                waiting = "SELECT count(*) FROM outbox WHERE published_at IS NULL AND topic = $1"
                return await conn.fetchval(waiting, env.settings.okr_events_topic) == 0

            await eventually(drained, 60, "the plan's events to be published")
        finally:
            await conn.close()
        relay_before = await scrape(http, relay_metrics)
        cycle = {"cycle_id": "2027-Q1", "kind": "quarter", "starts_on": "2027-01-01",
                 "ends_on": "2027-03-31"}  # fmt: skip
        defined = await http.post(
            f"{base}/v1/okr/cycles", json=cycle, headers={"Authorization": f"Bearer {token}"}
        )
        assert defined.status_code == 201, defined.text
        published = "northstar_relay_published_events_total"
        published_before = total(relay_before, published, **okr_topic)

        async def relayed() -> bool:
            scraped = await scrape(http, relay_metrics)
            return total(scraped, published, **okr_topic) >= published_before + 1

        await eventually(relayed, 60, "the cycle's event to be published")
        relay_after = await scrape(http, relay_metrics)
        assert (
            total(relay_after, published, **okr_topic) - total(relay_before, published, **okr_topic)
            == 1
        )
        assert (
            total(relay_after, "northstar_relay_publish_latency_seconds_count")
            - total(relay_before, "northstar_relay_publish_latency_seconds_count")
            == 1
        )
        before = await scrape(http, worker_metrics)
        api_before = await scrape(http, f"{base}/metrics")

        sent_at = time.time()
        facts = simulated_facts(company, 300, seed=51)
        await produce_singles(env.settings, facts)
        await produce_raw(env.settings, b"{not json")
        await wait_caught_up(env.settings)
        for _ in range(7):
            assert (await http.get(f"{base}/healthz")).status_code == 200
        after = await scrape(http, worker_metrics)
        api_after = await scrape(http, f"{base}/metrics")

        def moved(now: dict, then: dict, name: str, **labels: str) -> float:
            return total(now, name, **labels) - total(then, name, **labels)

        assert moved(after, before, "northstar_sales_records_total") == len(facts) + 1
        assert moved(after, before, "northstar_sales_facts_total") == len(facts)
        assert moved(after, before, "northstar_dead_letters_total", reason="not_json") == 1
        assert moved(after, before, "northstar_sales_batch_records_count") >= 1
        assert moved(after, before, "northstar_sales_batch_records_sum") == len(facts) + 1
        assert moved(after, before, "northstar_sales_freshness_seconds_count") >= 1
        healthz = {"route": "/healthz", "method": "GET", "status": "200"}
        assert moved(api_after, api_before, "northstar_http_requests_total", **healthz) == 7
        sales = {"topic": env.settings.sales_topic}
        assert total(api_after, "northstar_consumer_lag_records", **sales) == 0
        # the last batch of each partition: younger than the time since the first sale was sent
        freshness = [
            value
            for (name, _), value in api_after.items()
            if name == "northstar_sales_last_batch_freshness_seconds"
        ]
        assert 1 <= len(freshness) <= env.settings.topic_partitions
        assert all(0 <= seconds <= time.time() - sent_at for seconds in freshness)

        # lag: the worker stops, sales keep coming; it comes back and catches up
        kill9(worker)
        more = simulated_facts(company, 120, seed=52)
        await produce_singles(env.settings, more)
        stopped = await scrape(http, f"{base}/metrics")
        assert total(stopped, "northstar_consumer_lag_records", **sales) == len(more)
        env.spawn("worker-2", "worker", "--only", "sales", extra_env=worker_env)

        async def caught_up() -> bool:
            scraped = await scrape(http, f"{base}/metrics")
            return total(scraped, "northstar_consumer_lag_records", **sales) == 0

        await eventually(caught_up, 90, "the lag to fall back to zero")


def _cycle(quarter: int) -> dict[str, str]:
    starts, ends = {2: ("04-01", "06-30"), 3: ("07-01", "09-30"), 4: ("10-01", "12-31")}[quarter]
    return {"cycle_id": f"2027-Q{quarter}", "kind": "quarter", "starts_on": f"2027-{starts}",
            "ends_on": f"2027-{ends}"}  # fmt: skip


async def test_okr_agent_and_timers_metrics_and_the_okr_topic_lag(env):
    """The OKR agent's /metrics (+1) counts the events the relay published (another process's
    count); the OKR topic's lag on the API rises by the events published while the agent is
    down and falls to zero once it is back; the timers' /metrics (+2) count their runs."""
    await load_company(env.settings, small_company())
    port = metrics_ports()
    worker_env = {"NORTHSTAR_METRICS_PORT": str(port), "NORTHSTAR_EVALUATION_INTERVAL_S": "1"}
    okr = env.spawn("worker-okr", "worker", "--only", "okr", extra_env=worker_env)
    env.spawn("worker-timers", "worker", "--only", "timers", extra_env=worker_env)
    env.spawn("relay", "relay", extra_env=worker_env)
    base = await start_api(env)
    headers = {"Authorization": f"Bearer {await hq_token(env.settings)}"}
    okr_metrics = f"http://127.0.0.1:{port + 1}/metrics"
    timers_metrics = f"http://127.0.0.1:{port + 2}/metrics"
    relay_metrics = f"http://127.0.0.1:{port + 3}/metrics"
    okr_topic = {"topic": env.settings.okr_events_topic}
    applied = ("northstar_okr_events_total", {"outcome": "applied"})
    published = ("northstar_relay_published_events_total", okr_topic)
    async with httpx.AsyncClient(timeout=30) as http:
        for url in (okr_metrics, timers_metrics, relay_metrics):
            await eventually(lambda url=url: _up(http, url), 60, url)

        async def figure(url: str, metric: tuple[str, dict[str, str]]) -> float:
            return total(await scrape(http, url), metric[0], **metric[1])

        async def lag() -> float:
            return await figure(f"{base}/metrics", ("northstar_consumer_lag_records", okr_topic))

        async def define(quarter: int) -> None:
            reply = await http.post(f"{base}/v1/okr/cycles", json=_cycle(quarter), headers=headers)
            assert reply.status_code == 201, reply.text

        relayed_before = await figure(relay_metrics, published)
        applied_before = await figure(okr_metrics, applied)
        await define(2)

        async def agent_applied_what_was_published() -> bool:
            relayed = await figure(relay_metrics, published) - relayed_before
            moved = await figure(okr_metrics, applied) - applied_before
            return relayed >= 1 and moved == relayed

        await eventually(agent_applied_what_was_published, 60, "the agent to apply the event")
        assert await figure(okr_metrics, applied) - applied_before == 1
        await eventually(lambda: _equals(lag(), 0), 60, "the agent's offsets to be committed")

        kill9(okr)
        relayed_before = await figure(relay_metrics, published)
        await define(3)
        await define(4)

        async def relayed_two() -> bool:
            return await figure(relay_metrics, published) - relayed_before == 2

        await eventually(relayed_two, 60, "both events to be published")
        assert await lag() == 2
        env.spawn("worker-okr-2", "worker", "--only", "okr", extra_env=worker_env)
        await eventually(lambda: _equals(lag(), 0), 90, "the OKR topic's lag to fall to zero")

        timers = await scrape(http, timers_metrics)
        runs = total(timers, "northstar_evaluations_total", outcome="done")
        assert runs >= 1
        # one duration per run done (a run may finish between the two samples of the scrape)
        assert abs(total(timers, "northstar_evaluation_duration_seconds_count") - runs) <= 1


async def _equals(figure, expected: float) -> bool:
    return await figure == expected
