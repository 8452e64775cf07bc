"""The framework's other sources of evidence beside audits and KPIs (issue 18): complaints and
compliments (`evidence.complaints`), Supporting Families benchmarking (`evidence.families`),
observations of practice (`evidence.observations`) and surveys of children and families
(`evidence.voices`). Each is an app of its own, with its own tables; the reports read them, nothing
below them imports them."""
