"""Complaints and compliments: a log typed in or loaded from the council's complaints system export."""
