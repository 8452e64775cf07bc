"""Supporting Families benchmarking: a form per family (the ten concerns at the start, the outcomes at
the end) and the summary the QA unit reports."""
