-- Dead letters archived by `relay dlq drain --action archive`: a failed job as it was in Redis, written before the
-- job is removed there. (queue, job_id, finished_on) is unique, so a run that died after writing and is taken over
-- by the next run archives nothing twice.

CREATE TABLE dead_letters (
    id             BIGSERIAL PRIMARY KEY,
    queue          TEXT NOT NULL,
    job_id         TEXT NOT NULL,
    name           TEXT NOT NULL,
    user_id        TEXT,
    data           JSONB,
    options        JSONB,
    failed_reason  TEXT,
    stacktrace     JSONB,
    attempts_made  INTEGER NOT NULL,
    attempts_started INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    processed_at   TIMESTAMPTZ,
    finished_on    BIGINT NOT NULL,
    failed_at      TIMESTAMPTZ NOT NULL,
    job_hash       JSONB NOT NULL,
    archived_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (queue, job_id, finished_on)
);

CREATE INDEX dead_letters_user ON dead_letters (user_id, failed_at);
