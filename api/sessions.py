"""The session cookie and the CSRF header of people's logins (stored by
`infra.postgres.accounts`): an HttpOnly, SameSite=Strict cookie plus a CSRF token that
state-changing requests echo."""

SESSION_COOKIE = "ns_session"
CSRF_HEADER = "x-csrf-token"
