"""Prometheus metrics on the real stack: the sales worker's and the API's `/metrics` move by
exactly what the test sent (records, facts, dead letters by reason, requests by route and
status); the consumer lag the API reports rises by the records sent while the worker is
stopped and falls to zero once it is back."""

from __future__ import annotations

import httpx
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.stack import (
    eventually,
    free_port,
    hq_token,
    kill9,
    load_company,
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
    port = free_port()
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
        relay_before = await scrape(http, relay_metrics)
        cycle = {"cycle_id": "2027-Q1", "kind": "quarter", "starts_on": "2027-01-01",
                 "ends_on": "2027-03-31"}  # fmt: skip
        defined = await http.post(
            f"{base}/v1/okr/cycles", json=cycle, headers={"Authorization": f"Bearer {token}"}
        )
        assert defined.status_code == 201, defined.text
        okr_topic = {"topic": env.settings.okr_events_topic}

        async def relayed() -> bool:
            scraped = await scrape(http, relay_metrics)
            return total(scraped, "northstar_relay_published_events_total", **okr_topic) >= 1

        await eventually(relayed, 60, "the cycle's event to be published")
        relay_after = await scrape(http, relay_metrics)
        published = "northstar_relay_published_events_total"
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
        assert total(api_after, "northstar_consumer_lag_records") == 0

        # lag: the worker stops, sales keep coming; it comes back and catches up
        kill9(worker)
        more = simulated_facts(company, 120, seed=52)
        await produce_singles(env.settings, more)
        stopped = await scrape(http, f"{base}/metrics")
        assert total(stopped, "northstar_consumer_lag_records") == len(more)
        env.spawn("worker-2", "worker", "--only", "sales", extra_env=worker_env)

        async def caught_up() -> bool:
            scraped = await scrape(http, f"{base}/metrics")
            return total(scraped, "northstar_consumer_lag_records") == 0

        await eventually(caught_up, 90, "the lag to fall back to zero")
