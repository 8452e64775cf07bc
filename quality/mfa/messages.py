"""What people read when a second-factor step refuses them (the tests assert on these)."""

CODE_WRONG = "That code did not work. Check the time on your phone and try the newest code, or use a recovery code."
SETUP_CODE_WRONG = "That code did not match. Type the 6-digit code your authenticator app shows now."
TOO_MANY_CODES = "Too many wrong codes. You have been signed out: wait 15 minutes, then sign in again."
REMOVED = "Your authenticator app and recovery codes have been removed."
RESET_DONE = "Their second factor has been removed. They will set up a new one when they next sign in."
RECOVERY_CODE_USED = "You signed in with a recovery code. It will not work again: you have {left} left."
NO_CODES_TO_SHOW = (
    "Your recovery codes are shown only once, just after setting up. "
    "To get new ones, remove your second factor and set it up again."
)
