"""The key-result aggregate: commands, events, state and decider, and its sales metrics."""
