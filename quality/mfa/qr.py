"""The QR code an authenticator app scans, drawn on the server as inline SVG.

Inline SVG markup needs no script, no style attribute and no data: URL, so the strict Content
Security Policy stays as it is. The markup is segno's, made from the device's otpauth:// address
(our own secret and the person's sign-in name), never from text a person wrote.
"""

import segno
from django.utils.safestring import SafeString, mark_safe


def svg(address: str) -> SafeString:
    code = segno.make(address, error="m")
    markup = code.svg_inline(scale=5, border=4, title="QR code for your authenticator app", svgclass="mfa-qr")
    # segno draws the address (our secret and the sign-in name) as modules: none of its text is in the markup.
    return mark_safe(markup.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1))  # noqa: S308
