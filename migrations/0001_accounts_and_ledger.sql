-- Accounts and the append-only credit ledger. Amounts are integer micro-credits (1 credit = 1,000,000).
-- accounts.available and accounts.reserved are a cache: both can be recomputed from ledger_entries at any time
-- (available = sum(available_delta), reserved = sum(reserved_delta)).

CREATE TABLE accounts (
    user_id    TEXT PRIMARY KEY,
    available  BIGINT NOT NULL DEFAULT 0,
    reserved   BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
    id              BIGSERIAL PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES accounts (user_id),
    kind            TEXT NOT NULL CHECK (kind IN ('grant', 'reserve', 'settle', 'refund', 'adjust')),
    job_id          TEXT,
    available_delta BIGINT NOT NULL,
    reserved_delta  BIGINT NOT NULL DEFAULT 0,
    note            TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind IN ('grant', 'adjust')) = (job_id IS NULL)),
    CHECK (kind <> 'grant' OR available_delta > 0)
);

-- One entry of each kind per job, and one closing entry (settle or refund) per job: retries, duplicate deliveries
-- and spool replays can never charge twice.
CREATE UNIQUE INDEX ledger_entries_job_kind ON ledger_entries (job_id, kind) WHERE job_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_entries_job_closed ON ledger_entries (job_id) WHERE kind IN ('settle', 'refund');
CREATE INDEX ledger_entries_user_time ON ledger_entries (user_id, created_at);
CREATE INDEX ledger_entries_open_reservations ON ledger_entries (created_at) WHERE kind = 'reserve';
