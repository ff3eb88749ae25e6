"""The field analytics the field notes count (customer churn, manual versus system, launches,
scenario conversion): reads."""
