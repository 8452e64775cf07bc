"""Observations of practice: planned and recorded on a form built with the tool builder, with their
action plans and the coverage of who has been observed in the last twelve months."""
