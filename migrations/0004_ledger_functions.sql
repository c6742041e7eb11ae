-- The ledger's operations, each one atomic statement for the client (one round trip). Every operation that closes
-- or logs a job first takes a transaction-scoped advisory lock on the job id, so settle, refund, usage logging and
-- the reconciler of one job run one after the other, whether or not the job holds a reservation.


CREATE FUNCTION ledger_reserve(p_user TEXT, p_job TEXT, p_amount BIGINT,
    OUT r_outcome TEXT, OUT r_amount BIGINT, OUT r_available BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_id BIGINT;
BEGIN
    -- The conditional UPDATE locks the account row: concurrent reservations queue here and never overdraw.
    UPDATE accounts SET available = available - p_amount, reserved = reserved + p_amount, updated_at = now()
    WHERE user_id = p_user AND available >= p_amount
    RETURNING available INTO r_available;
    IF FOUND THEN
        INSERT INTO ledger_entries (user_id, kind, job_id, available_delta, reserved_delta)
        VALUES (p_user, 'reserve', p_job, -p_amount, p_amount)
        ON CONFLICT DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN
            r_outcome := 'reserved';
            r_amount := p_amount;
            RETURN;
        END IF;
        UPDATE accounts SET available = available + p_amount, reserved = reserved - p_amount
        WHERE user_id = p_user
        RETURNING available INTO r_available;
    END IF;
    SELECT e.reserved_delta INTO r_amount FROM ledger_entries e WHERE e.job_id = p_job AND e.kind = 'reserve';
    IF FOUND THEN
        r_outcome := CASE WHEN EXISTS (
            SELECT 1 FROM ledger_entries c WHERE c.job_id = p_job AND c.kind IN ('settle', 'refund')
        ) THEN 'closed' ELSE 'duplicate' END;
    ELSE
        r_outcome := 'insufficient';
        r_amount := 0;
    END IF;
    IF r_available IS NULL THEN
        SELECT a.available INTO r_available FROM accounts a WHERE a.user_id = p_user;
    END IF;
    r_available := coalesce(r_available, 0);
END
$$;

-- Writes the job's usage log unless one exists and returns the credits the job's log bills; the caller holds the
-- job's lock. p_credits NULL: priced from model_prices (rounded up to the next micro-credit).
CREATE FUNCTION ledger_write_usage(p_job TEXT, p_user TEXT, p_request_kind TEXT, p_provider TEXT, p_model TEXT,
    p_prompt BIGINT, p_completion BIGINT, p_exact BOOLEAN, p_credits BIGINT, p_latency INTEGER, p_status TEXT,
    p_fallback BOOLEAN, p_started TIMESTAMPTZ, p_finished TIMESTAMPTZ)
RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    v_credits BIGINT := p_credits;
BEGIN
    IF v_credits IS NULL THEN
        SELECT u.credits INTO v_credits FROM usage_logs u WHERE u.job_id = p_job;
        IF FOUND THEN
            RETURN v_credits;
        END IF;
        SELECT (p_prompt * mp.prompt_per_million + p_completion * mp.completion_per_million + 999999) / 1000000
        INTO v_credits
        FROM model_prices mp WHERE mp.provider = p_provider AND mp.model = p_model;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no price for this provider and model' USING ERRCODE = 'RL001';
        END IF;
    END IF;
    INSERT INTO usage_logs (user_id, job_id, request_kind, provider, model, prompt_tokens, completion_tokens,
        tokens_exact, credits, latency_ms, status, fallback_used, started_at, finished_at)
    VALUES (p_user, p_job, p_request_kind, p_provider, p_model, p_prompt, p_completion, p_exact, v_credits,
        p_latency, p_status, p_fallback, p_started, p_finished)
    ON CONFLICT (job_id) DO NOTHING
    RETURNING credits INTO v_credits;
    IF NOT FOUND THEN
        SELECT u.credits INTO v_credits FROM usage_logs u WHERE u.job_id = p_job;
    END IF;
    RETURN v_credits;
END
$$;

-- Writes the job's usage log unless one exists (the first log of a job wins); returns the credits it bills.
CREATE FUNCTION ledger_record_usage(p_job TEXT, p_user TEXT, p_request_kind TEXT, p_provider TEXT, p_model TEXT,
    p_prompt BIGINT, p_completion BIGINT, p_exact BOOLEAN, p_credits BIGINT, p_latency INTEGER, p_status TEXT,
    p_fallback BOOLEAN, p_started TIMESTAMPTZ, p_finished TIMESTAMPTZ)
RETURNS BIGINT
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_job, 7253));
    RETURN ledger_write_usage(p_job, p_user, p_request_kind, p_provider, p_model, p_prompt, p_completion, p_exact,
        p_credits, p_latency, p_status, p_fallback, p_started, p_finished);
END
$$;

-- Closes the job's reservation by its usage log: releases the reservation and charges the log's credits.
-- p_provider NULL: the log must exist already (the reconciler's case). Outcomes: settled, duplicate, refunded.
CREATE FUNCTION ledger_settle(p_job TEXT, p_user TEXT, p_request_kind TEXT, p_provider TEXT, p_model TEXT,
    p_prompt BIGINT, p_completion BIGINT, p_exact BOOLEAN, p_credits BIGINT, p_latency INTEGER, p_status TEXT,
    p_fallback BOOLEAN, p_started TIMESTAMPTZ, p_finished TIMESTAMPTZ,
    OUT r_outcome TEXT, OUT r_user TEXT, OUT r_charged BIGINT, OUT r_available BIGINT, OUT r_has_rules BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    v_reserved BIGINT;
    v_closed TEXT;
    v_id BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_job, 7253));
    -- One index scan finds the job's reservation and its closing entry, if any.
    SELECT max(e.user_id) FILTER (WHERE e.kind = 'reserve'), max(e.reserved_delta) FILTER (WHERE e.kind = 'reserve'),
           max(e.kind) FILTER (WHERE e.kind IN ('settle', 'refund')),
           max(-(e.available_delta + e.reserved_delta)) FILTER (WHERE e.kind IN ('settle', 'refund'))
    INTO r_user, v_reserved, v_closed, r_charged
    FROM ledger_entries e WHERE e.job_id = p_job;
    IF r_user IS NULL THEN
        r_user := p_user;
        v_reserved := 0;
        IF v_closed IS NULL THEN
            INSERT INTO accounts (user_id) VALUES (p_user) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF v_closed IS NULL THEN
        IF p_provider IS NOT NULL THEN
            r_charged := ledger_write_usage(p_job, r_user, p_request_kind, p_provider, p_model, p_prompt,
                p_completion, p_exact, p_credits, p_latency, p_status, p_fallback, p_started, p_finished);
        ELSE
            SELECT u.credits INTO r_charged FROM usage_logs u WHERE u.job_id = p_job;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no usage recorded for this job' USING ERRCODE = 'RL002';
            END IF;
        END IF;
        INSERT INTO ledger_entries (user_id, kind, job_id, available_delta, reserved_delta)
        VALUES (r_user, 'settle', p_job, v_reserved - r_charged, -v_reserved)
        RETURNING id INTO v_id;
    END IF;
    IF v_id IS NULL THEN
        r_outcome := CASE v_closed WHEN 'refund' THEN 'refunded' ELSE 'duplicate' END;
        SELECT a.available INTO r_available FROM accounts a WHERE a.user_id = r_user;
    ELSE
        UPDATE accounts SET available = available + v_reserved - r_charged, reserved = reserved - v_reserved,
            updated_at = now()
        WHERE user_id = r_user
        RETURNING available INTO r_available;
        r_outcome := 'settled';
    END IF;
    r_has_rules := EXISTS (SELECT 1 FROM alert_rules ar WHERE ar.user_id = r_user);
END
$$;

-- Releases the job's whole reservation and logs the request with p_status and no credits.
-- Outcomes: refunded, duplicate (already refunded), settled (already settled: nothing changes), no_reservation.
CREATE FUNCTION ledger_refund(p_job TEXT, p_user TEXT, p_status TEXT, p_request_kind TEXT, p_provider TEXT,
    p_model TEXT, p_prompt BIGINT, p_completion BIGINT, p_exact BOOLEAN, p_latency INTEGER, p_fallback BOOLEAN,
    p_started TIMESTAMPTZ, p_finished TIMESTAMPTZ,
    OUT r_outcome TEXT, OUT r_user TEXT, OUT r_refunded BIGINT, OUT r_available BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_reserved BIGINT;
    v_closed TEXT;
    v_id BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_job, 7253));
    SELECT e.user_id, e.reserved_delta INTO r_user, v_reserved
    FROM ledger_entries e WHERE e.job_id = p_job AND e.kind = 'reserve';
    r_refunded := 0;
    IF NOT FOUND THEN
        r_user := p_user;
        r_outcome := CASE WHEN EXISTS (
            SELECT 1 FROM ledger_entries c WHERE c.job_id = p_job AND c.kind = 'settle'
        ) THEN 'settled' ELSE 'no_reservation' END;
    ELSE
        SELECT c.kind INTO v_closed FROM ledger_entries c WHERE c.job_id = p_job AND c.kind IN ('settle', 'refund');
        IF FOUND THEN
            r_outcome := CASE v_closed WHEN 'settle' THEN 'settled' ELSE 'duplicate' END;
        ELSE
            INSERT INTO ledger_entries (user_id, kind, job_id, available_delta, reserved_delta)
            VALUES (r_user, 'refund', p_job, v_reserved, -v_reserved)
            RETURNING id INTO v_id;
            UPDATE accounts SET available = available + v_reserved, reserved = reserved - v_reserved,
                updated_at = now()
            WHERE user_id = r_user;
            r_outcome := 'refunded';
            r_refunded := v_reserved;
        END IF;
    END IF;
    IF r_outcome IN ('refunded', 'no_reservation') THEN
        INSERT INTO usage_logs (user_id, job_id, request_kind, provider, model, prompt_tokens, completion_tokens,
            tokens_exact, credits, latency_ms, status, fallback_used, started_at, finished_at)
        VALUES (r_user, p_job, coalesce(p_request_kind, 'unknown'), coalesce(p_provider, 'unknown'),
            coalesce(p_model, 'unknown'), coalesce(p_prompt, 0), coalesce(p_completion, 0), coalesce(p_exact, false), 0,
            p_latency, p_status, coalesce(p_fallback, false), p_started, p_finished)
        ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, credits = 0;
    END IF;
    SELECT a.available INTO r_available FROM accounts a WHERE a.user_id = r_user;
    r_available := coalesce(r_available, 0);
END
$$;

-- The reconciler's rule for one open reservation, decided under the job's lock: a usage log exists (the provider
-- answered and the worker logged it) → settle by it; none → refund with status 'abandoned'.
CREATE FUNCTION ledger_reconcile_job(p_job TEXT, OUT r_outcome TEXT, OUT r_user TEXT, OUT r_credits BIGINT)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_job, 7253));
    IF EXISTS (SELECT 1 FROM usage_logs u WHERE u.job_id = p_job) THEN
        SELECT s.r_outcome, s.r_user, s.r_charged INTO r_outcome, r_user, r_credits
        FROM ledger_settle(p_job, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) s;
    ELSE
        SELECT f.r_outcome, f.r_user, f.r_refunded INTO r_outcome, r_user, r_credits
        FROM ledger_refund(p_job, NULL, 'abandoned', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) f;
    END IF;
END
$$;

-- Records the alert events the user's rules raise now, at most one per rule per UTC day, and returns the new ones.
CREATE FUNCTION ledger_evaluate_alerts(p_user TEXT)
RETURNS TABLE (r_event_id BIGINT, r_rule_id BIGINT, r_kind TEXT, r_threshold BIGINT, r_observed BIGINT)
LANGUAGE sql AS $$
    WITH observed AS (
        SELECT ar.id, ar.kind, ar.threshold,
            CASE ar.kind
                WHEN 'balance_below' THEN
                    (SELECT coalesce(max(a.available), 0) FROM accounts a WHERE a.user_id = p_user)
                ELSE
                    (SELECT coalesce(sum(-(e.available_delta + e.reserved_delta)), 0)::BIGINT
                     FROM ledger_entries e
                     WHERE e.user_id = p_user AND e.kind = 'settle'
                       AND e.created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
            END AS value
        FROM alert_rules ar WHERE ar.user_id = p_user
    )
    INSERT INTO alert_events (rule_id, user_id, kind, threshold, observed, day)
    SELECT o.id, p_user, o.kind, o.threshold, o.value, (now() AT TIME ZONE 'UTC')::DATE
    FROM observed o
    WHERE (o.kind = 'balance_below' AND o.value < o.threshold)
       OR (o.kind = 'daily_spend_above' AND o.value > o.threshold)
    ON CONFLICT (rule_id, day) DO NOTHING
    RETURNING id, rule_id, kind, threshold, observed
$$;
