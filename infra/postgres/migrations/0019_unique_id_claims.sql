-- Ids clients choose that must be unique across streams (objective ids: company-wide), claimed
-- in the append's transaction; the read models' keys can then never collide.
CREATE TABLE unique_id_claim (
    namespace  text NOT NULL,
    id         text NOT NULL,
    stream_id  text NOT NULL,
    version    int  NOT NULL,
    PRIMARY KEY (namespace, id)
);

INSERT INTO unique_id_claim (namespace, id, stream_id, version)
SELECT 'objective', payload ->> 'objective_id', stream_id, version
FROM event_store WHERE event_type = 'okr.objective.defined'
ORDER BY position
ON CONFLICT DO NOTHING;
