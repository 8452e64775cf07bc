"""The monthly audit cycle: the case list, the schedule and its calendar feed, the allocation, the
deadlines and the escalations a grade starts (docs/architecture.md)."""
