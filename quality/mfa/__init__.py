"""A second factor for password sign-in: an authenticator app (TOTP) and single-use recovery codes.

django-otp keeps the devices and tells the middleware which device verified the session; the
rule of who must use a second factor is in `rules.py`, the writes in `services.py` (docs/security.md,
"Second factor").
"""
