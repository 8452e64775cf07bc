"""Keeping survey links out of the logs: a link's token opens the survey, so no log line may hold one.

Django logs a 4xx answer with its path ("Not Found: /s/<token>/", "Too Many Requests: ..."); this
filter, on the console handler (settings LOGGING), writes those paths with the token left out.
"""

import logging
import re

TOKEN_IN_PATH = re.compile(r"/s/[^/?#\s]+/")
HIDDEN = "/s/<token>/"


def without_tokens(value):
    return TOKEN_IN_PATH.sub(HIDDEN, value) if isinstance(value, str) else value


class SurveyTokenLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(without_tokens(arg) for arg in record.args)
        return True
