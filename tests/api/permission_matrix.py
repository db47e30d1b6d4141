"""Who may do what through the API: every route x every role, with the exact answer.

This file is data. `test_permission_matrix.py` runs every cell against
PostgreSQL, and fails when a route of the URL map or the schema has no row here:
a new endpoint is not done until someone has decided, for every role, what it gets.

Roles are the personas of `tests/api/conftest.py::world`:

| role               | persona | who                                                      |
| ------------------ | ------- | -------------------------------------------------------- |
| anonymous          | -       | no credentials                                           |
| case_worker_own    | alice   | case worker assigned to `survivor`                       |
| case_worker_other  | charlie | case worker at the other agency (assigned `other_survivor`) |
| supervisor_own     | bob     | supervisor of `survivor`'s agency                        |
| supervisor_other   | olga    | supervisor of the other agency                           |
| mdt_own            | mona    | MDT member of `survivor`'s team                          |
| mdt_other          | otto    | MDT member of the other agency's team                    |
| home_admin_own     | hank    | administers `home`                                       |
| home_admin_other   | hilda   | administers `other_home`                                 |
| admin              | root    | Harbor administrator                                     |

A cell is a status code, or `(status, {names})` for a list: the exact set of
records (by their names in the world) the list returns.

Policy the cells encode:
- 401 for anonymous everywhere except the token endpoint (and the docs page, which
  sends a browser to sign in: 302).
- Survivors: 404 (the same body as for a record that does not exist) for a record
  the role may not see; 403 for a role that sees the record but may not do this
  (an MDT member editing) or a role that never may (only case workers create).
- Homes: the directory is shared by the case side, MDT members and admins, so a
  home's existence is no secret to them: 403 (not 404) for a role that may not change
  it. A home admin sees only their own homes (a safe home's location is secret from
  other homes): 404 for any other, and no what-if search over the whole directory
  (403). A home's own admins edit its profile except what its license says
  (homes.policy).
- Audit: 403 for roles that never read audit trails (case workers, MDT members,
  home admins) whatever the id; 404 for a supervisor asking about another
  agency's survivor.
"""

from __future__ import annotations

ROLES = (
    "anonymous",
    "case_worker_own",
    "case_worker_other",
    "supervisor_own",
    "supervisor_other",
    "mdt_own",
    "mdt_other",
    "home_admin_own",
    "home_admin_other",
    "admin",
)

ALL_HOMES = {"home", "other_home"}

# (url name, method) -> path (with {names} of world objects), body (a name from
# test_permission_matrix.BODIES, or None) and the expected answer per role.
MATRIX: dict[tuple[str, str], dict] = {
    ("schema", "GET"): {
        "path": "/api/v1/schema/?format=json",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    ("api-docs", "GET"): {
        "path": "/api/v1/docs/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    # Not an API route: the browser's icon (config/urls.py), public like the sign-in page.
    ("favicon", "GET"): {
        "path": "/favicon.ico",
        "body": None,
        "expect": {
            "anonymous": 200,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    # Each role posts its own username and password; anonymous posts a wrong one.
    ("auth-token", "POST"): {
        "path": "/api/v1/auth/token/",
        "body": "credentials",
        "expect": {
            "anonymous": 400,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    ("auth-logout", "POST"): {
        "path": "/api/v1/auth/logout/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 204,
            "case_worker_other": 204,
            "supervisor_own": 204,
            "supervisor_other": 204,
            "mdt_own": 204,
            "mdt_other": 204,
            "home_admin_own": 204,
            "home_admin_other": 204,
            "admin": 204,
        },
    },
    # Every signed-in role changes its own password; an empty body names both fields.
    # (tests/accounts/test_passwords.py changes one.)
    ("auth-password", "POST"): {
        "path": "/api/v1/auth/password/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 400,
            "case_worker_other": 400,
            "supervisor_own": 400,
            "supervisor_other": 400,
            "mdt_own": 400,
            "mdt_other": 400,
            "home_admin_own": 400,
            "home_admin_other": 400,
            "admin": 400,
        },
    },
    ("home-list", "GET"): {
        "path": "/api/v1/homes/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": (200, ALL_HOMES),
            "case_worker_other": (200, ALL_HOMES),
            "supervisor_own": (200, ALL_HOMES),
            "supervisor_other": (200, ALL_HOMES),
            "mdt_own": (200, ALL_HOMES),
            "mdt_other": (200, ALL_HOMES),
            "home_admin_own": (200, {"home"}),
            "home_admin_other": (200, {"other_home"}),
            "admin": (200, ALL_HOMES),
        },
    },
    ("home-list", "POST"): {
        "path": "/api/v1/homes/",
        "body": "home_full",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 403,
            "home_admin_other": 403,
            "admin": 201,
        },
    },
    # The whole directory as a download (CSV or HSDS): only Harbor admins export it.
    ("home-export", "GET"): {
        "path": "/api/v1/homes/export/?format=hsds",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 403,
            "home_admin_other": 403,
            "admin": 200,
        },
    },
    # The import: Harbor admins and home admins (each row is then checked against the
    # homes they keep); a JSON body without a file is their 400 naming `file`.
    ("home-import-api", "POST"): {
        "path": "/api/v1/homes/import/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 400,
            "home_admin_other": 400,
            "admin": 400,
        },
    },
    # A job is seen by whoever uploaded it and Harbor admins (tests/homes/test_import.py);
    # here one that does not exist.
    ("home-import-detail-api", "GET"): {
        "path": "/api/v1/homes/import/999999/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 404,
        },
    },
    ("home-detail", "GET"): {
        "path": "/api/v1/homes/{home}/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    # A home's admins keep its profile, but not what its license says: `home_full` changes
    # the home type and the licensed beds, so the home's own admin gets 400 naming them
    # (tests/api/test_homes.py shows a PUT of the licensed facts as read passes).
    ("home-detail", "PUT"): {
        "path": "/api/v1/homes/{home}/",
        "body": "home_full",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 400,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("home-detail", "PATCH"): {
        "path": "/api/v1/homes/{home}/",
        "body": "home_patch",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("home-availability", "PATCH"): {
        "path": "/api/v1/homes/{home}/availability/",
        "body": "availability",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("home-availability-history", "GET"): {
        "path": "/api/v1/homes/{home}/availability/history/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": (200, {"change"}),
            "case_worker_other": (200, {"change"}),
            "supervisor_own": (200, {"change"}),
            "supervisor_other": (200, {"change"}),
            "mdt_own": (200, {"change"}),
            "mdt_other": (200, {"change"}),
            "home_admin_own": (200, {"change"}),
            "home_admin_other": 404,
            "admin": (200, {"change"}),
        },
    },
    ("survivor-list", "GET"): {
        "path": "/api/v1/survivors/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": (200, {"survivor"}),
            "case_worker_other": (200, {"other_survivor"}),
            "supervisor_own": (200, {"survivor", "agency_survivor"}),
            "supervisor_other": (200, {"other_survivor"}),
            "mdt_own": (200, {"survivor"}),
            "mdt_other": (200, {"other_survivor"}),
            "home_admin_own": (200, set()),
            "home_admin_other": (200, set()),
            "admin": (200, {"survivor", "agency_survivor", "other_survivor"}),
        },
    },
    ("survivor-list", "POST"): {
        "path": "/api/v1/survivors/",
        "body": "survivor_new",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 201,
            "case_worker_other": 201,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 403,
            "home_admin_other": 403,
            "admin": 403,
        },
    },
    ("survivor-detail", "GET"): {
        "path": "/api/v1/survivors/{survivor}/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 200,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("survivor-detail", "PUT"): {
        "path": "/api/v1/survivors/{survivor}/",
        "body": "survivor_full",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("survivor-detail", "PATCH"): {
        "path": "/api/v1/survivors/{survivor}/",
        "body": "survivor_patch",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("audit-list", "GET"): {
        "path": "/api/v1/audit/?survivor={survivor}",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": (200, {"audit_1", "audit_2"}),
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 403,
            "home_admin_other": 403,
            "admin": (200, {"audit_1", "audit_2"}),
        },
    },
    # Matching: a what-if search names nobody, so every signed-in user who reads the whole
    # directory may run one (not a home admin: it lists every home with its ZIP).
    ("match-what-if", "POST"): {
        "path": "/api/v1/match/",
        "body": "what_if",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 403,
            "home_admin_other": 403,
            "admin": 200,
        },
    },
    # Whoever may see the survivor may search for them.
    ("survivor-matches", "GET"): {
        "path": "/api/v1/survivors/{survivor}/matches/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 200,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    # The whole excluded list as a CSV download: as the search itself.
    ("survivor-matches-excluded", "GET"): {
        "path": "/api/v1/survivors/{survivor}/matches/excluded/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 200,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    # Workflow (tests/placement/world.py makes the records). Recommendations, referrals and
    # placements are parts of the survivor's record: 404 for whoever may not see it; the
    # receiving home also sees its referrals and placements. Case workers and supervisors
    # move a case along; MDT members of the child's team review; the home answers
    # referrals (a Harbor admin may too, as with availability); others who can see the
    # record get 403.
    ("survivor-recommendations", "GET"): {
        "path": "/api/v1/survivors/{survivor}/recommendations/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": (
                200,
                {"approved_recommendation", "recommendation", "referred_recommendation"},
            ),
            "case_worker_other": 404,
            "supervisor_own": (
                200,
                {"approved_recommendation", "recommendation", "referred_recommendation"},
            ),
            "supervisor_other": 404,
            "mdt_own": (
                200,
                {"approved_recommendation", "recommendation", "referred_recommendation"},
            ),
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": (
                200,
                {"approved_recommendation", "recommendation", "referred_recommendation"},
            ),
        },
    },
    ("survivor-recommendations", "POST"): {
        "path": "/api/v1/survivors/{survivor}/recommendations/",
        "body": "recommendation_new",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 201,
            "case_worker_other": 404,
            "supervisor_own": 201,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 403,
        },
    },
    # The survivor is referred (and a home fits): no waitlist, 409.
    ("survivor-waitlist", "POST"): {
        "path": "/api/v1/survivors/{survivor}/waitlist/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 409,
            "case_worker_other": 404,
            "supervisor_own": 409,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 403,
        },
    },
    ("recommendation-detail", "GET"): {
        "path": "/api/v1/recommendations/{recommendation}/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 200,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("recommendation-reviews", "POST"): {
        "path": "/api/v1/recommendations/{recommendation}/reviews/",
        "body": "review",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 404,
            "supervisor_own": 403,
            "supervisor_other": 404,
            "mdt_own": 201,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 403,
        },
    },
    ("recommendation-refer", "POST"): {
        "path": "/api/v1/recommendations/{approved_recommendation}/refer/",
        "body": "refer",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 201,
            "case_worker_other": 404,
            "supervisor_own": 201,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 403,
        },
    },
    ("referral-list", "GET"): {
        "path": "/api/v1/referrals/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": (200, {"referral"}),
            "case_worker_other": (200, {"held_referral"}),
            "supervisor_own": (200, {"placed_referral", "referral"}),
            "supervisor_other": (200, {"held_referral"}),
            "mdt_own": (200, {"referral"}),
            "mdt_other": (200, {"held_referral"}),
            "home_admin_own": (200, {"placed_referral", "referral"}),
            "home_admin_other": (200, {"held_referral"}),
            "admin": (200, {"held_referral", "placed_referral", "referral"}),
        },
    },
    ("referral-detail", "GET"): {
        "path": "/api/v1/referrals/{referral}/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 200,
            "mdt_other": 404,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("referral-accept", "POST"): {
        "path": "/api/v1/referrals/{referral}/accept/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 404,
            "supervisor_own": 403,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("referral-decline", "POST"): {
        "path": "/api/v1/referrals/{referral}/decline/",
        "body": "decline",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 403,
            "case_worker_other": 404,
            "supervisor_own": 403,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("referral-withdraw", "POST"): {
        "path": "/api/v1/referrals/{referral}/withdraw/",
        "body": "withdraw",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 403,
            "home_admin_other": 404,
            "admin": 403,
        },
    },
    # `held_referral` is charlie's child's, accepted at hilda's home.
    ("referral-place", "POST"): {
        "path": "/api/v1/referrals/{held_referral}/place/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 404,
            "case_worker_other": 201,
            "supervisor_own": 404,
            "supervisor_other": 201,
            "mdt_own": 404,
            "mdt_other": 403,
            "home_admin_own": 404,
            "home_admin_other": 403,
            "admin": 403,
        },
    },
    # `placement` is bob's agency's unassigned child's, at hank's home.
    ("placement-detail", "GET"): {
        "path": "/api/v1/placements/{placement}/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 404,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 404,
            "mdt_other": 404,
            "home_admin_own": 200,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("placement-discharge", "POST"): {
        "path": "/api/v1/placements/{placement}/discharge/",
        "body": "discharge",
        "expect": {
            "anonymous": 401,
            "case_worker_own": 404,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 404,
            "mdt_other": 404,
            "home_admin_own": 403,
            "home_admin_other": 404,
            "admin": 403,
        },
    },
    # Notifications: everyone has an inbox and sees only their own (`notification` is alice's).
    ("notification-list", "GET"): {
        "path": "/api/v1/notifications/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": (200, {"notification"}),
            "case_worker_other": (200, set()),
            "supervisor_own": (200, set()),
            "supervisor_other": (200, set()),
            "mdt_own": (200, set()),
            "mdt_other": (200, set()),
            "home_admin_own": (200, set()),
            "home_admin_other": (200, set()),
            "admin": (200, set()),
        },
    },
    ("notification-unread-count", "GET"): {
        "path": "/api/v1/notifications/unread-count/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    ("notification-read-all", "POST"): {
        "path": "/api/v1/notifications/read-all/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    ("notification-read", "POST"): {
        "path": "/api/v1/notifications/{notification}/read/",
        "body": None,
        "expect": {
            "anonymous": 401,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 404,
            "supervisor_other": 404,
            "mdt_own": 404,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 404,
        },
    },
}

# Pages (HTML, session sign-in): the same personas, run by tests/api/test_page_matrix.py.
# Anonymous visitors are sent to sign in (302); after a successful form post, 302 too.
PAGES: dict[tuple[str, str], dict] = {
    # Finding a case on the dashboard: everyone signed in has a home page; the search
    # runs over what each role may see (MDT members: by case number only).
    ("dashboard", "GET"): {
        "path": "/?search=jane&status=intake",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    # The import page and its template: as the import API (`home-import-api`).
    ("home-import", "GET"): {
        "path": "/homes/import/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    ("home-import", "POST"): {
        "path": "/homes/import/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 400,
            "home_admin_other": 400,
            "admin": 400,
        },
    },
    ("home-import-template", "GET"): {
        "path": "/homes/import/template/?format=xlsx",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 403,
            "case_worker_other": 403,
            "supervisor_own": 403,
            "supervisor_other": 403,
            "mdt_own": 403,
            "mdt_other": 403,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    # The intake's edit page: whoever may PATCH `survivors/{id}/` (as that row says).
    ("survivor-edit", "GET"): {
        "path": "/survivors/{survivor}/edit/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 200,
            "case_worker_other": 404,
            "supervisor_own": 200,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 200,
        },
    },
    ("survivor-edit", "POST"): {
        "path": "/survivors/{survivor}/edit/",
        "body": "survivor_edit",
        "expect": {
            "anonymous": 302,
            "case_worker_own": 302,
            "case_worker_other": 404,
            "supervisor_own": 302,
            "supervisor_other": 404,
            "mdt_own": 403,
            "mdt_other": 404,
            "home_admin_own": 404,
            "home_admin_other": 404,
            "admin": 302,
        },
    },
    # The second-factor steps (tests/accounts/test_mfa.py, with MFA_REQUIRED on). Here it
    # is off, as in the rest of the suite: a signed-in user has nothing to verify and goes
    # on to the dashboard; anonymous, to the password step.
    ("login-verify", "GET"): {
        "path": "/login/verify/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 302,
            "case_worker_other": 302,
            "supervisor_own": 302,
            "supervisor_other": 302,
            "mdt_own": 302,
            "mdt_other": 302,
            "home_admin_own": 302,
            "home_admin_other": 302,
            "admin": 302,
        },
    },
    ("login-verify", "POST"): {
        "path": "/login/verify/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 302,
            "case_worker_other": 302,
            "supervisor_own": 302,
            "supervisor_other": 302,
            "mdt_own": 302,
            "mdt_other": 302,
            "home_admin_own": 302,
            "home_admin_other": 302,
            "admin": 302,
        },
    },
    ("login-enrol", "GET"): {
        "path": "/login/enrol/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 302,
            "case_worker_other": 302,
            "supervisor_own": 302,
            "supervisor_other": 302,
            "mdt_own": 302,
            "mdt_other": 302,
            "home_admin_own": 302,
            "home_admin_other": 302,
            "admin": 302,
        },
    },
    ("login-enrol", "POST"): {
        "path": "/login/enrol/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 302,
            "case_worker_other": 302,
            "supervisor_own": 302,
            "supervisor_other": 302,
            "mdt_own": 302,
            "mdt_other": 302,
            "home_admin_own": 302,
            "home_admin_other": 302,
            "admin": 302,
        },
    },
    # A user's own password and recovery codes: every role has them; an empty form is a 400.
    ("password-change", "GET"): {
        "path": "/account/password/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    ("password-change", "POST"): {
        "path": "/account/password/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 400,
            "case_worker_other": 400,
            "supervisor_own": 400,
            "supervisor_other": 400,
            "mdt_own": 400,
            "mdt_other": 400,
            "home_admin_own": 400,
            "home_admin_other": 400,
            "admin": 400,
        },
    },
    ("recovery-codes", "GET"): {
        "path": "/account/recovery-codes/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 200,
            "case_worker_other": 200,
            "supervisor_own": 200,
            "supervisor_other": 200,
            "mdt_own": 200,
            "mdt_other": 200,
            "home_admin_own": 200,
            "home_admin_other": 200,
            "admin": 200,
        },
    },
    # Nobody in the world has an authenticator: a message, back to the page.
    ("recovery-codes", "POST"): {
        "path": "/account/recovery-codes/",
        "body": None,
        "expect": {
            "anonymous": 302,
            "case_worker_own": 302,
            "case_worker_other": 302,
            "supervisor_own": 302,
            "supervisor_other": 302,
            "mdt_own": 302,
            "mdt_other": 302,
            "home_admin_own": 302,
            "home_admin_other": 302,
            "admin": 302,
        },
    },
}
