-- 0008: an incident's updates are numbered from the oldest (position 0 is
-- the first posted, the list is read newest first by position
-- descending), so a new update is one INSERT after the others instead of
-- every stored update moving up one: a lasting incident's hundredth
-- update was a hundred rows rewritten. The key is checked row by row, so
-- the positions go out of the way first, then to their new values (none
-- of which a row still out of the way holds). The column is renamed seq:
-- a headroom from before, still running beside this one (a rolling
-- upgrade of replicas sharing PostgreSQL), fails on its first read or
-- write of updates instead of storing them in the old order.
UPDATE incident_updates SET position = position + 1000000000;
UPDATE incident_updates SET position = (SELECT COUNT(*) FROM incident_updates u WHERE u.incident_id = incident_updates.incident_id) - 1 - (position - 1000000000);
ALTER TABLE incident_updates RENAME COLUMN position TO seq;
