-- Problems and rectification items with their steps, the category → department routing
-- table, attachments, supervised tasks with feedback, the exactly-once job ledger and the
-- notification outbox (SQLite).
CREATE TABLE problem (
    id                INTEGER PRIMARY KEY,
    project_id        INTEGER NOT NULL REFERENCES project(id),
    source            TEXT NOT NULL,
    source_ref        TEXT NOT NULL DEFAULT '',
    category          TEXT NOT NULL,
    description       TEXT NOT NULL,
    need              TEXT NOT NULL DEFAULT '',
    raiser_unit_id    INTEGER NOT NULL REFERENCES unit(id),
    raised_by         TEXT NOT NULL,
    raised_on         TEXT NOT NULL,
    tier              INTEGER NOT NULL,
    handler_unit_id   INTEGER NOT NULL REFERENCES unit(id),
    assignee_unit_id  INTEGER REFERENCES unit(id),
    leader_id         INTEGER REFERENCES leader(id),
    status            TEXT NOT NULL,
    step_since        TEXT NOT NULL,
    deadline          TEXT,
    reply_kind        TEXT,
    reply_text        TEXT,
    promised_on       TEXT,
    first_reply_on    TEXT,
    solved_note       TEXT,
    override          BOOLEAN NOT NULL DEFAULT FALSE,
    reopen_count      INTEGER NOT NULL DEFAULT 0,
    escalations       INTEGER NOT NULL DEFAULT 0,
    closed_on         TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX problem_open_idx ON problem(status, deadline);
-- The list order: open first, then by deadline (none last), then id.
CREATE INDEX problem_order_idx ON problem((status = 'closed'), (deadline IS NULL), deadline, id);
CREATE INDEX problem_project_idx ON problem(project_id);
CREATE INDEX problem_handler_idx ON problem(handler_unit_id, status);
CREATE INDEX problem_raiser_idx ON problem(raiser_unit_id, status);
CREATE INDEX problem_assignee_idx ON problem(assignee_unit_id);

CREATE TABLE problem_step (
    id           INTEGER PRIMARY KEY,
    problem_id   INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    tier         INTEGER NOT NULL,
    unit_id      INTEGER REFERENCES unit(id),
    actor_name   TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    on_date      TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX problem_step_problem_idx ON problem_step(problem_id, id);

-- Settings an admin changes, as JSON per key (e.g. problem.policy: the deadlines).
CREATE TABLE setting (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE problem_route (
    category  TEXT PRIMARY KEY,
    unit_id   INTEGER NOT NULL REFERENCES unit(id)
);

CREATE TABLE attachment (
    id           INTEGER PRIMARY KEY,
    owner_kind   TEXT NOT NULL,
    owner_id     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX attachment_owner_idx ON attachment(owner_kind, owner_id);

CREATE TABLE task (
    id                  INTEGER PRIMARY KEY,
    title               TEXT NOT NULL,
    detail              TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL,
    source_ref          TEXT NOT NULL DEFAULT '',
    decision_id         INTEGER CONSTRAINT task_decision_key UNIQUE REFERENCES meeting_decision(id),
    project_id          INTEGER REFERENCES project(id),
    lead_unit_id        INTEGER NOT NULL REFERENCES unit(id),
    deadline            TEXT NOT NULL,
    rhythm              TEXT NOT NULL,
    evidence            TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    issued_by           TEXT NOT NULL,
    issued_on           TEXT NOT NULL,
    next_feedback_on    TEXT,
    last_feedback_on    TEXT,
    claimed_on          TEXT,
    closed_on           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX task_status_idx ON task(status, deadline);
CREATE INDEX task_lead_idx ON task(lead_unit_id, status);

CREATE TABLE task_unit (
    task_id  INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (task_id, unit_id)
);
CREATE INDEX task_unit_unit_idx ON task_unit(unit_id);

CREATE TABLE task_entry (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    text        TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    unit_id     INTEGER REFERENCES unit(id),
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX task_entry_task_idx ON task_entry(task_id, id);

-- One row per side effect of a background job (an escalation, a reminder): its key is
-- unique, so two processes cannot both perform it.
CREATE TABLE job_once (
    key      TEXT PRIMARY KEY,
    job      TEXT NOT NULL,
    done_at  TEXT NOT NULL
);

CREATE TABLE job_run (
    job         TEXT PRIMARY KEY,
    last_run    TEXT NOT NULL,
    last_today  TEXT NOT NULL,
    last_count  INTEGER NOT NULL
);

CREATE TABLE notify_channel (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    target      TEXT NOT NULL,
    secret      TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    channel_id  INTEGER REFERENCES notify_channel(id) ON DELETE CASCADE,
    target      TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);
CREATE INDEX outbox_status_idx ON outbox(status, id);

ALTER TABLE app_user ADD COLUMN email TEXT;

INSERT INTO role_permission (role_id, permission)
SELECT r.id, p.permission FROM role r JOIN (
    SELECT 'office' AS code, 'problem.write' AS permission UNION ALL SELECT 'office', 'problem.admin' UNION ALL SELECT 'office', 'task.write'
    UNION ALL SELECT 'supervision', 'problem.write' UNION ALL SELECT 'supervision', 'problem.admin'
    UNION ALL SELECT 'supervision', 'task.write' UNION ALL SELECT 'supervision', 'task.admin'
    UNION ALL SELECT 'leader', 'problem.write'
    UNION ALL SELECT 'division', 'problem.write' UNION ALL SELECT 'division', 'task.write'
    UNION ALL SELECT 'department', 'problem.write' UNION ALL SELECT 'department', 'task.write'
    UNION ALL SELECT 'project_unit', 'problem.write' UNION ALL SELECT 'project_unit', 'task.write'
) p ON p.code = r.code
WHERE r.builtin = TRUE
ON CONFLICT DO NOTHING;
