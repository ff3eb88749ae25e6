"""The field analytics, one module per report: the field notes' figures (check-in usage, goal
views, adjustment and escalation response times, manual versus system) and the sales analytics
(customer churn, conversion by scenario, product launches). Each reads the event store or the
read models, leaves the arithmetic to `domain/`, and is served under one URL prefix
(`/v1/reports/...`) and one CLI group (`northstar reports ...`). `audit/` keeps the auditor's
tools: history, as-of, diff and verify."""
