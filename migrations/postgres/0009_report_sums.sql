-- Sums of counted reports per project for a year up to a month (lights, the progress
-- roll-up, arena measures, report checks) read from this index alone (PostgreSQL).
CREATE INDEX report_sum_idx ON report(year, project_id, month, status) INCLUDE (month_amount);
