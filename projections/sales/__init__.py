"""The sales projection's writers: stage 1 (roll-ups), stage 2 (KR progress), the KRs bound to
sales metrics, their health, and the evaluation as time passes."""
