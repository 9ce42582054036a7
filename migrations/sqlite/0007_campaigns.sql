-- Campaigns (攻坚战) and hundred-day campaigns (百日攻坚): the leading group, member units,
-- the four clarities, the project list, indicators with targets chained week → month →
-- quarter → year (as JSON), and each week's actual values entered by the task force (SQLite).
CREATE TABLE campaign (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL CONSTRAINT campaign_code_key UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    command_post    TEXT NOT NULL DEFAULT '',
    standard        TEXT NOT NULL DEFAULT '',
    approach        TEXT NOT NULL DEFAULT '',
    tasks_year      TEXT NOT NULL DEFAULT '',
    tasks_plan      TEXT NOT NULL DEFAULT '',
    starts_on       TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    sort            INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE campaign_leader (
    campaign_id  INTEGER NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
    leader_id    INTEGER NOT NULL REFERENCES leader(id),
    role         TEXT NOT NULL,
    PRIMARY KEY (campaign_id, leader_id)
);

CREATE TABLE campaign_unit (
    campaign_id  INTEGER NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
    unit_id      INTEGER NOT NULL REFERENCES unit(id),
    role         TEXT NOT NULL,
    PRIMARY KEY (campaign_id, unit_id)
);

CREATE TABLE campaign_project (
    campaign_id  INTEGER NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
    project_id   INTEGER NOT NULL REFERENCES project(id),
    PRIMARY KEY (campaign_id, project_id)
);
CREATE INDEX campaign_project_idx ON campaign_project(project_id);

CREATE TABLE campaign_indicator (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    unit         TEXT NOT NULL DEFAULT '',
    task_force   TEXT NOT NULL DEFAULT '',
    unit_id      INTEGER NOT NULL REFERENCES unit(id),
    plan         TEXT NOT NULL,
    sort         INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT campaign_indicator_key UNIQUE (campaign_id, code)
);

CREATE TABLE campaign_actual (
    indicator_id  INTEGER NOT NULL REFERENCES campaign_indicator(id) ON DELETE CASCADE,
    week          INTEGER NOT NULL,
    value         INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    entered_by    TEXT NOT NULL,
    entered_at    TEXT NOT NULL,
    PRIMARY KEY (indicator_id, week)
);
