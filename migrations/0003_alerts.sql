-- Per-user alert rules and the events they raised (at most one per rule per UTC day).

CREATE TABLE alert_rules (
    id         BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('balance_below', 'daily_spend_above')),
    threshold  BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, kind, threshold)
);

CREATE TABLE alert_events (
    id         BIGSERIAL PRIMARY KEY,
    rule_id    BIGINT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    threshold  BIGINT NOT NULL,
    observed   BIGINT NOT NULL,
    day        DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (rule_id, day)
);
