"""A practice published in one region is found by another — by its metric, region, tag and
words — adopted there for one of its KRs, and shows that KR's progress before and after."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.stack import (
    bearer,
    define_quarter,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    small_company,
    start_api,
)

START, TARGET = Decimal(10), Decimal(30)  # the adopter's KR: conversion from 10 % to 30 %


def progress(value: Decimal) -> Decimal:
    return (value - START) * 100 / (TARGET - START)


async def test_published_found_adopted_and_measured(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    tokens = await people_tokens(env.settings, "hq", "city", "west")
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        async def call(who: str, method: str, path: str, body: dict | None = None, **params):
            answer = await http.request(
                method, path, json=body, params=params or None,
                headers=bearer(tokens[who]),
            )  # fmt: skip
            assert answer.status_code in (200, 201), (path, answer.text)
            return answer.json()

        await call("city", "POST", "/practices", {
            "practice_id": "campus-tasting", "kr_id": "kr-east-city1-conversion",
            "unit_id": "east-city1", "title": "Campus tasting days",
            "description": "Tasting booths at three campuses every Friday afternoon",
            "evidence": "first-order conversion 27 % against 14 % in the other cities",
            "metric": "first_order_conversion", "figure": "27", "figure_unit": "%",
            "tags": ["campus", "students"],
        })  # fmt: skip
        await call("hq", "POST", "/key-results", {
            "kr_id": "kr-west-conv", "title": "West city 1 first-order conversion",
            "owner_person_id": "p-w1", "owner_unit_id": "west-city1", "kind": "increase",
            "unit": "%", "start": str(START), "target": str(TARGET),
        })  # fmt: skip
        check_in = {"summary": "week 48", "blocker": "none"}
        await call("west", "POST", "/key-results/kr-west-conv/check-ins",
                   {**check_in, "progress_value": "14"})  # fmt: skip
        await okr_read_models_caught_up(env.settings)

        found = {
            name: [p["practice_id"] for p in await call("west", "GET", "/practices", **query)]
            for name, query in {
                "metric": {"metric": "first_order_conversion"},
                "region": {"region_id": "east"},
                "other region": {"region_id": "west"},
                "tag": {"tag": "campus"},
                "other tag": {"tag": "retail"},
                "words": {"q": "TASTING booths"},
            }.items()
        }
        assert found == {
            "metric": ["campus-tasting"],
            "region": ["campus-tasting"],
            "other region": [],
            "tag": ["campus-tasting"],
            "other tag": [],
            "words": ["campus-tasting"],
        }
        adopting = {"unit_id": "west-city1", "kr_id": "kr-west-conv", "note": "from week 49"}
        await call("west", "POST", "/practices/campus-tasting/adopt", adopting)
        await call("west", "POST", "/key-results/kr-west-conv/check-ins",
                   {**check_in, "summary": "week 49", "progress_value": "20"})  # fmt: skip
        await okr_read_models_caught_up(env.settings)
        shown = await call("west", "GET", "/practices/campus-tasting")
        listed = await call("hq", "GET", "/practices", metric="first_order_conversion")

    assert (shown["figure"], shown["figure_unit"], shown["tags"]) == (
        "27",
        "%",
        ["campus", "students"],
    )
    (adopter,) = shown["adopted_by"]
    assert (adopter["unit_id"], adopter["kr_id"], adopter["adopted_by"]) == (
        "west-city1",
        "kr-west-conv",
        "p-w1",
    )
    assert Decimal(str(adopter["progress_before"])) == progress(Decimal(14))
    assert Decimal(str(adopter["progress_now"])) == progress(Decimal(20))
    assert listed[0]["adopters"] == 1
