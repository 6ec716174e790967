-- Cancellation policies: what a guest pays as a guarantee when booking,
-- what a cancellation costs after booking and around a deadline, and what
-- a no-show costs. Times are Unix microseconds (UTC); booleans are 0/1.
-- An amount's unit follows the field that says what it counts: nights,
-- hundredths of a percent, or minor units of the policy's currency (see
-- keycard.CancellationPolicy).

CREATE TABLE cancellation_policies (
    id                                    TEXT PRIMARY KEY,
    property_id                           TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title                                 TEXT NOT NULL,
    currency                              TEXT NOT NULL,
    guarantee_payment_policy              TEXT NOT NULL,
    guarantee_payment_amount              INTEGER NOT NULL DEFAULT 0,
    after_reservation_cancellation_logic  TEXT NOT NULL,
    after_reservation_cancellation_amount INTEGER NOT NULL DEFAULT 0,
    allow_deadline_based_logic            INTEGER NOT NULL DEFAULT 0,
    cancellation_policy_logic             TEXT NOT NULL,
    cancellation_policy_deadline          INTEGER,
    cancellation_policy_deadline_type     TEXT NOT NULL,
    cancellation_policy_mode              TEXT NOT NULL DEFAULT '',
    cancellation_policy_penalty           INTEGER NOT NULL DEFAULT 0,
    non_show_policy                       TEXT NOT NULL,
    created_at                            INTEGER NOT NULL,
    updated_at                            INTEGER NOT NULL
);
CREATE INDEX cancellation_policies_property ON cancellation_policies (property_id);

-- The store clears a rate plan's policy when the policy goes; the foreign
-- key is the backstop.
ALTER TABLE rate_plans ADD COLUMN cancellation_policy_id TEXT REFERENCES cancellation_policies (id) ON DELETE SET NULL;
CREATE INDEX rate_plans_cancellation_policy ON rate_plans (cancellation_policy_id);
