-- 004_api_tokens.sql - bearer tokens for the region API. Only the
-- SHA-256 of a token is kept (PostgreSQL's sha256() over its UTF-8
-- bytes); the token itself is shown once, when it is made. A token
-- belongs to a team and carries a role: 'member' reads the team's apps,
-- 'admin' and 'owner' may also change their regions.

CREATE TABLE IF NOT EXISTS api_tokens (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE
		CHECK (octet_length(token_hash) = 32),
	team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	role varchar(10) NOT NULL
		CHECK (role IN ('member', 'admin', 'owner')),
	name varchar(100) NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);

CREATE INDEX IF NOT EXISTS api_tokens_team ON api_tokens (team_id);
