"""Peers of Northstar's sales worker (issue #12), each as a user would write it in an afternoon:
(a) a batched aiokafka + asyncpg consumer with its offsets in PostgreSQL, (b) Quix Streams with a
batching sink, (c) a per-event Faust agent. All three keep the same daily roll-ups as Northstar
(every org unit from the rep up to HQ, per day, category, SKU and channel) in their own table;
none validates, dedupes, dead-letters, counts customers or keeps KR progress and health.
`python -m bench.peers` runs them side by side with Northstar on one topic."""
