-- 003_status_writeback.sql - how the controller writes back what it did.
-- It calls rhone_write_status with one /status item (a RegionSet with
-- its status, as specs/status.openapi.yaml describes it) whenever that
-- item changes; the mapping onto the platform's tables lives here, next
-- to the tables.

CREATE OR REPLACE FUNCTION rhone_write_status(item jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	d record;
	regions jsonb := coalesce(item #> '{status,regions}', '[]');
	current_gen boolean := (item #>> '{status,observedGeneration}') =
			       (item #>> '{metadata,generation}');
	outcome text;
	deployed text;
	why text;
BEGIN
	SELECT v.app_id, v.deployment_id, v.image INTO d
	FROM rhone_desired v
	WHERE v.fly_app_id = item #>> '{spec,app}';
	IF NOT FOUND THEN
		RETURN;
	END IF;

	-- Rows change only when a value does, so updated_at tells when
	-- a region last moved.
	INSERT INTO region_status AS s (app_id, region, desired, current,
		ready, updated, phase, message, updated_at)
	SELECT d.app_id, r.region, r.desired, r.current, r.ready, r.updated,
		r.phase, CASE WHEN r.message <> '' THEN r.message
			      WHEN r.phase = 'Converged' THEN ''
			      ELSE coalesce(r.reason, '') END, now()
	FROM jsonb_to_recordset(regions) AS r(region text, desired int,
		current int, ready int, updated int, phase text, reason text,
		message text)
	ON CONFLICT (app_id, region) DO UPDATE SET
		desired = EXCLUDED.desired, current = EXCLUDED.current,
		ready = EXCLUDED.ready, updated = EXCLUDED.updated,
		phase = EXCLUDED.phase, message = EXCLUDED.message,
		updated_at = now()
	WHERE (s.desired, s.current, s.ready, s.updated, s.phase, s.message)
		IS DISTINCT FROM (EXCLUDED.desired, EXCLUDED.current,
		EXCLUDED.ready, EXCLUDED.updated, EXCLUDED.phase,
		EXCLUDED.message);
	DELETE FROM region_status
	WHERE app_id = d.app_id AND region NOT IN (
		SELECT r ->> 'region' FROM jsonb_array_elements(regions) r);

	-- The outcome belongs to the newest deployment only while its
	-- image is the one in force, and only once the controller has
	-- looked at the spec that carries it.
	IF d.image IS DISTINCT FROM item #>> '{spec,image}' THEN
		RETURN;
	END IF;
	SELECT c ->> 'reason' INTO why
	FROM jsonb_array_elements(item #> '{status,conditions}') c
	WHERE c ->> 'type' = 'Degraded';
	outcome := CASE WHEN NOT current_gen THEN 'deploying'
		ELSE CASE item #>> '{status,phase}'
			WHEN 'Converged' THEN 'succeeded'
			WHEN 'Degraded' THEN CASE WHEN why = 'ApiError'
				THEN NULL ELSE 'failed' END
			WHEN 'Invalid' THEN NULL
			ELSE 'deploying' END END;
	-- Neither an invalid edit of the app (say, an unknown region) nor
	-- an API error on the way is an outcome of the deployment in
	-- force: its row is left as it is.
	IF outcome IS NULL THEN
		RETURN;
	END IF;
	why := CASE WHEN outcome <> 'failed' THEN '' ELSE coalesce(
		nullif(item #>> '{status,lastError}', ''), why, '') END;
	SELECT coalesce(string_agg(r ->> 'region', ',' ORDER BY n), '')
	INTO deployed
	FROM jsonb_array_elements(regions) WITH ORDINALITY AS x(r, n)
	WHERE (r ->> 'desired')::int > 0
	  AND (r ->> 'updated')::int >= (r ->> 'desired')::int
	  AND (r ->> 'ready')::int >= (r ->> 'desired')::int;
	UPDATE deployments SET
		status = outcome,
		regions_deployed = deployed,
		message = why,
		finished_at = CASE WHEN outcome = 'deploying' THEN NULL
			      WHEN status = outcome THEN finished_at
			      ELSE now() END
	WHERE id = d.deployment_id
	  AND (status, coalesce(regions_deployed, ''), message)
		IS DISTINCT FROM (outcome, deployed, why);
END;
$$;
