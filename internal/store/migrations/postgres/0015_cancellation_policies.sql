-- Cancellation policies: what a guest pays as a guarantee when booking,
-- what a cancellation costs after booking and around a deadline, and what
-- a no-show costs. Times are Unix microseconds (UTC). An amount's unit
-- follows the field that says what it counts: nights, hundredths of a
-- percent, or minor units of the policy's currency (see
-- keycard.CancellationPolicy).

CREATE TABLE cancellation_policies (
    id                                    TEXT PRIMARY KEY,
    property_id                           TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title                                 TEXT COLLATE "C" NOT NULL,
    currency                              TEXT NOT NULL,
    guarantee_payment_policy              TEXT NOT NULL,
    guarantee_payment_amount              BIGINT NOT NULL DEFAULT 0,
    after_reservation_cancellation_logic  TEXT NOT NULL,
    after_reservation_cancellation_amount BIGINT NOT NULL DEFAULT 0,
    allow_deadline_based_logic            BOOLEAN NOT NULL DEFAULT FALSE,
    cancellation_policy_logic             TEXT NOT NULL,
    cancellation_policy_deadline          INTEGER,
    cancellation_policy_deadline_type     TEXT NOT NULL,
    cancellation_policy_mode              TEXT NOT NULL DEFAULT '',
    cancellation_policy_penalty           BIGINT NOT NULL DEFAULT 0,
    non_show_policy                       TEXT NOT NULL,
    created_at                            BIGINT NOT NULL,
    updated_at                            BIGINT NOT NULL
);
CREATE INDEX cancellation_policies_property ON cancellation_policies (property_id);

-- The store clears a rate plan's policy when the policy goes; the foreign
-- key is the backstop.
ALTER TABLE rate_plans ADD COLUMN cancellation_policy_id TEXT REFERENCES cancellation_policies (id) ON DELETE SET NULL;
CREATE INDEX rate_plans_cancellation_policy ON rate_plans (cancellation_policy_id);
