"""Read side of the OKR model: the snapshots a calibration agenda is built from."""

from __future__ import annotations

import asyncpg

from domain.calibration import KrSnapshot

_SNAPSHOTS = """
SELECT k.kr_id, k.title, k.owner_person_id, k.owner_unit_id, k.kind, k.start_value,
       k.target_value, c.progress_value, k.last_check_in_at, k.open_blocker, k.open_request_id,
       a.requested_at
FROM okr_key_result k
LEFT JOIN LATERAL (
    SELECT progress_value FROM okr_check_in
    WHERE kr_id = k.kr_id ORDER BY reported_at DESC LIMIT 1
) c ON true
LEFT JOIN okr_adjustment a ON a.kr_id = k.kr_id AND a.request_id = k.open_request_id
WHERE k.owner_unit_id = ANY($1::text[])
ORDER BY k.kr_id
"""


async def kr_snapshots(conn: asyncpg.Connection, unit_ids: list[str]) -> list[KrSnapshot]:
    return [
        KrSnapshot(
            kr_id=r["kr_id"],
            title=r["title"],
            owner_person_id=r["owner_person_id"],
            owner_unit_id=r["owner_unit_id"],
            kind=r["kind"],
            start=r["start_value"],
            target=r["target_value"],
            current=r["progress_value"],
            last_check_in_at=r["last_check_in_at"],
            open_blocker=r["open_blocker"],
            open_request_id=r["open_request_id"],
            request_waiting_since=r["requested_at"],
        )
        for r in await conn.fetch(_SNAPSHOTS, unit_ids)
    ]
