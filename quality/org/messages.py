"""Messages people see when their input is refused. Tests assert on these constants."""

CODE_TAKEN = "Another service area already uses this short code."
TEAM_NAME_TAKEN = "This service area already has a team with this name."
EMAIL_TAKEN = "Someone in the portal already has this e-mail address."
RETIRED_AREA = "This service area is retired: choose an active one."
AREA_ROLE_NEEDS_AREA = "This role is held in a service area: choose one."
TEAM_OUTSIDE_AREA = "This team is not in the chosen service area."
MEMBERSHIP_DUPLICATE = "This person already holds this role in this service area."
SUCCESSOR_INVALID = "Work can only move to another, active service area."
REASON_REQUIRED = "Say why, so the change can be explained later."
LAST_ADMINISTRATOR = (
    "This is the last active administrator. Give someone else the Administrator role first, "
    "so that someone can still manage the portal."
)
SIGN_IN_FAILED = (
    "That e-mail address and password do not match an active account, or the account is locked for a while "
    "after too many attempts. Try again later or reset your password."
)
SESSION_ENDED = "You were signed out because your session expired. Please sign in again."
SSO_NOT_SET_UP = "Your council account is not set up in the portal. Ask the portal's administrator."
SSO_FAILED = (
    "Signing in with your council account did not work. Try again, and if it still fails, "
    "ask the portal's administrator."
)
PASSWORD_SIGN_IN_SSO_ONLY = (
    'Password sign-in is kept for named administrators. Use "Sign in with your council account" instead.'
)
INVITATION_THROTTLED = (
    "The invitation has been sent three times in the last hour. Wait an hour before sending it again, "
    "and check the e-mail address with the person."
)
INVITATION_INACTIVE = "This person is deactivated: reactivate them before sending the invitation."
INVITATION_SENT = "The invitation is on its way to {email}."
ACCESS_REVIEW_KEPT = "Recorded: {person} keeps their access."
INVITATION_ACCEPTED = "Your password is set. Sign in with your e-mail address and your new password."
PERSON_DEACTIVATED = "{person} can no longer sign in: the decision is recorded."
