-- One usage log per request (job), for billing and analytics, and the price of each model.

CREATE TABLE usage_logs (
    id                BIGSERIAL PRIMARY KEY,
    user_id           TEXT NOT NULL,
    job_id            TEXT NOT NULL UNIQUE,
    request_kind      TEXT NOT NULL,
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    prompt_tokens     BIGINT NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens BIGINT NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    tokens_exact      BOOLEAN NOT NULL,
    credits           BIGINT NOT NULL CHECK (credits >= 0),
    latency_ms        INTEGER,
    status            TEXT NOT NULL,
    fallback_used     BOOLEAN NOT NULL DEFAULT false,
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX usage_logs_user_time ON usage_logs (user_id, created_at);
CREATE INDEX usage_logs_time ON usage_logs (created_at);

-- Micro-credits per million tokens. source is 'default' for shipped rows and 'admin' once an admin sets a price;
-- later migrations only add defaults with ON CONFLICT DO NOTHING, so an admin's price is never overwritten.
CREATE TABLE model_prices (
    provider              TEXT NOT NULL,
    model                 TEXT NOT NULL,
    prompt_per_million    BIGINT NOT NULL CHECK (prompt_per_million >= 0),
    completion_per_million BIGINT NOT NULL CHECK (completion_per_million >= 0),
    source                TEXT NOT NULL DEFAULT 'default' CHECK (source IN ('default', 'admin')),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, model)
);

INSERT INTO model_prices (provider, model, prompt_per_million, completion_per_million)
VALUES ('mock', 'mock-1', 1000000, 2000000)
ON CONFLICT DO NOTHING;
