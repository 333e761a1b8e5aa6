"""Component ids in one place. The prefix names the audience the server-side guard allows:
`pub-` anyone, `exec-` signed-in staff, `entry-` editors and admins, `admin-` the performance team."""
import json

# Shell (header, navigation) — public: it only shows what the signed-in person may use.
NAV = "pub-nav"
APP_ALERT = "pub-app-alert"  # filled by callbacks.errors when a callback fails

# Sign-in form: the session's CSRF token and the email of a failed attempt, filled from the session (never the URL)
PUB_LOGIN_TOKEN = "pub-login-token"
PUB_LOGIN_EMAIL = "pub-login-email"
PUB_LOGIN_SUBMIT = "pub-login-submit"

# Public progress page
PUB_MONTH = "pub-month"
PUB_OVERVIEW = "pub-overview"

# Internal dashboard
EXEC_MONTH = "exec-month"
EXEC_GOAL = "exec-goal"
EXEC_STATUS = "exec-status"
EXEC_TABLE = "exec-table"
EXEC_SUMMARY = "exec-summary"

# Monthly entry
ENTRY_MEASURE = "entry-measure"
ENTRY_PERIOD = "entry-period"
ENTRY_VALUE = "entry-value"
ENTRY_NOTE = "entry-note"
ENTRY_REASON = "entry-reason"
ENTRY_CURRENT = "entry-current"
ENTRY_VERSION = "entry-version"
ENTRY_SAVE = "entry-save"
ENTRY_FEEDBACK = "entry-feedback"
ENTRY_REASON_GROUP = "entry-reason-group"
# Month grid: every measure of the department for one month, saved together
ENTRY_GRID_MONTH = "entry-grid-month"
ENTRY_GRID = "entry-grid"
ENTRY_GRID_SAVE = "entry-grid-save"
ENTRY_GRID_FEEDBACK = "entry-grid-feedback"

# Approval queue
ADMIN_QUEUE = "admin-queue"
ADMIN_FEEDBACK = "admin-feedback"
ADMIN_REFRESH = "admin-refresh"
ADMIN_ACTION = "admin-action"  # pattern-matching type: {"type": ADMIN_ACTION, "id": ..., "op": ...}
ADMIN_RETURN_REASON = "admin-return-reason"  # pattern-matching type
ADMIN_FILTER_DEPARTMENT = "admin-filter-department"
ADMIN_FILTER_MONTH = "admin-filter-month"
ADMIN_SELECT = "admin-select"  # pattern-matching type: {"type": ADMIN_SELECT, "id": ..., "version": ...}
ADMIN_SELECT_ALL = "admin-select-all"
ADMIN_APPROVE_SELECTED = "admin-approve-selected"

# Added for the dashboard, entry and approvals pages
ENTRY_SAVED = "entry-saved"  # store bumped by a save (or a lost race) so the stored-value panel reloads
ENTRY_PANEL_HEADING = "entry-current-heading"
ADMIN_DONE = "admin-done"  # store bumped after an approve/return so the queue reloads
ENTRY_CONFIRM_DROP = "entry-confirm-drop"  # checkbox: a running total really fell this month
ENTRY_DROP_GROUP = "entry-drop-group"  # shown for running totals only

# Open data: the resident's "Report a problem with this number" form (on the public measure page)
PUB_REPORT_MEASURE = "pub-report-measure"  # store: the measure's slug
PUB_REPORT_MONTH = "pub-report-month"
PUB_REPORT_MESSAGE = "pub-report-message"
PUB_REPORT_EMAIL = "pub-report-email"
PUB_REPORT_SEND = "pub-report-send"
PUB_REPORT_RESULT = "pub-report-result"
PUB_REPORT_SECTION = "pub-report-section"  # hidden until the measure page finds a published measure
PUB_MEASURE_OPENDATA = "pub-measure-opendata"  # downloads, share/embed, answers to residents' reports

# Residents' reports, for the performance team
ADMIN_REPORTS = "admin-reports"
ADMIN_REPORTS_RESULT = "admin-reports-result"
ADMIN_REPORTS_DONE = "admin-reports-done"  # store bumped after a resolve so the list reloads
ADMIN_REPORTS_SHOW = "admin-reports-show"  # which reports: open or all
ADMIN_REPORT_REPLY = "admin-report-reply"  # pattern-matching type: {"type": ..., "id": feedback id}
ADMIN_REPORT_RESOLVE = "admin-report-resolve"  # pattern-matching type

# Public goal and measure pages (filled by callbacks.public from the slug in the address)
PUB_GOAL_SLUG = "pub-goal-slug"
PUB_GOAL_PAGE = "pub-goal-page"
PUB_MEASURE_SLUG = "pub-measure-slug"
PUB_MEASURE_PAGE = "pub-measure-page"

# Executive view: filters in the address, needs attention, what changed
EXEC_URL = "exec-url"  # dcc.Location(refresh=False): the filters are written to its `search`
EXEC_DEPARTMENT = "exec-department"
EXEC_ATTENTION = "exec-attention"
EXEC_CHANGES = "exec-changes"

# Staff measure page and follow-ups
EXEC_MEASURE_SLUG = "exec-measure-slug"
EXEC_MEASURE_PAGE = "exec-measure-page"
EXEC_FOLLOW_UPS = "exec-follow-ups"
ADMIN_FOLLOW_UP_ACTION = "admin-follow-up-action"
EXEC_MEASURE_MORE = "exec-measure-more"  # the page below the follow-ups: facts, every month, revisions
EXEC_FOLLOW_UP_SECTION = "exec-follow-up-section"
EXEC_FOLLOW_UP_FORM = "exec-follow-up-form"  # shown to admins only (the save callback is admin-only anyway)
EXEC_FOLLOW_UP_DEPARTMENT = "exec-follow-up-department"
ADMIN_FOLLOW_UP_DUE = "admin-follow-up-due"
ADMIN_FOLLOW_UP_SAVE = "admin-follow-up-save"
ADMIN_FOLLOW_UP_FEEDBACK = "admin-follow-up-feedback"
ADMIN_FOLLOW_UP_CHANGED = "admin-follow-up-changed"  # store bumped after a follow-up is recorded or closed
ADMIN_FOLLOW_UP_CLOSE = "admin-follow-up-close"  # pattern-matching type: {"type": ..., "id": follow-up id}

# Monthly Stat briefing
EXEC_BRIEFING_MONTH = "exec-briefing-month"
EXEC_BRIEFING = "exec-briefing"

# Administration of people and events (admins only): departments and partner agencies, accounts, annotations, audit
ADMIN_DEPT_LIST = "admin-dept-list"
ADMIN_DEPT_PICK = "admin-dept-pick"  # "new" or a department id
ADMIN_DEPT_SLUG = "admin-dept-slug"
ADMIN_DEPT_NAME = "admin-dept-name"
ADMIN_DEPT_KIND = "admin-dept-kind"
ADMIN_DEPT_CONTACT_NAME = "admin-dept-contact-name"
ADMIN_DEPT_CONTACT_EMAIL = "admin-dept-contact-email"
ADMIN_DEPT_SAVE = "admin-dept-save"
ADMIN_DEPT_RESULT = "admin-dept-result"
ADMIN_DEPT_CHANGED = "admin-dept-changed"  # store bumped after a save so the list reloads
ADMIN_ACCOUNT_LIST = "admin-account-list"
ADMIN_INVITE_EMAIL = "admin-invite-email"
ADMIN_INVITE_NAME = "admin-invite-name"
ADMIN_INVITE_ROLE = "admin-invite-role"
ADMIN_INVITE_DEPARTMENT = "admin-invite-department"
ADMIN_INVITE_SEND = "admin-invite-send"
ADMIN_INVITE_RESULT = "admin-invite-result"
ADMIN_INVITE_DONE = "admin-invite-done"  # store bumped after an invitation so the list reloads
ADMIN_ACCOUNT_PICK = "admin-account-pick"
ADMIN_ACCOUNT_STATE = "admin-account-state"
ADMIN_ACCOUNT_ROLE = "admin-account-role"
ADMIN_ACCOUNT_DEPARTMENT = "admin-account-department"
ADMIN_ACCOUNT_SAVE = "admin-account-save"
ADMIN_ACCOUNT_TOGGLE = "admin-account-toggle"  # deactivate or reactivate
ADMIN_ACCOUNT_RESET = "admin-account-reset"
ADMIN_ACCOUNT_RESULT = "admin-account-result"
ADMIN_ACCOUNT_CHANGED = "admin-account-changed"  # store bumped after a change so the list and form reload
ADMIN_NOTE_LIST = "admin-note-list"
ADMIN_NOTE_PICK = "admin-note-pick"  # "new" or an annotation id
ADMIN_NOTE_DATE = "admin-note-date"
ADMIN_NOTE_TEXT = "admin-note-text"
ADMIN_NOTE_SCOPE = "admin-note-scope"
ADMIN_NOTE_SOURCE = "admin-note-source"
ADMIN_NOTE_SAVE = "admin-note-save"
ADMIN_NOTE_DELETE = "admin-note-delete"  # confirm-dialog provider around the delete button
ADMIN_NOTE_DELETE_BUTTON = "admin-note-delete-button"
ADMIN_NOTE_RESULT = "admin-note-result"
ADMIN_NOTE_CHANGED = "admin-note-changed"  # store bumped after a change so the list reloads
ADMIN_AUDIT_LOAD = "admin-audit-load"  # store whose first call fills the filter choices
ADMIN_AUDIT_PERSON = "admin-audit-person"
ADMIN_AUDIT_ACTION = "admin-audit-action"
ADMIN_AUDIT_FROM = "admin-audit-from"
ADMIN_AUDIT_TO = "admin-audit-to"
ADMIN_AUDIT_LIST = "admin-audit-list"
ADMIN_AUDIT_DOWNLOAD = "admin-audit-download"
# Submission tracker
EXEC_SUBMISSIONS_REQUEST = "exec-submissions-request"  # store read once when the page opens
EXEC_SUBMISSIONS = "exec-submissions"
# API tokens page: a person's own personal API tokens for the write API
ENTRY_TOKEN_NAME = "entry-token-name"
ENTRY_TOKEN_CREATE = "entry-token-create"
ENTRY_TOKEN_FEEDBACK = "entry-token-feedback"
ENTRY_TOKEN_SECRET = "entry-token-secret"  # the new token, shown once inside the feedback
ENTRY_TOKEN_LIST = "entry-token-list"
ENTRY_TOKEN_CHANGED = "entry-token-changed"  # store bumped after a create or revoke so the list reloads
ENTRY_TOKEN_REVOKE = "entry-token-revoke"  # pattern-matching type: {"type": ..., "id": token id}
# Administration: goals and measures (/admin/goals, /admin/measures)
ADMIN_GOALS_LIST = "admin-goals-list"
ADMIN_GOALS_RESULT = "admin-goals-result"
ADMIN_GOALS_CHANGED = "admin-goals-changed"  # store bumped after every change so the list reloads
ADMIN_GOAL_NEW = "admin-goal-new"
ADMIN_GOAL_EDIT = "admin-goal-edit"  # pattern-matching type: {"type": ..., "id": goal id}
ADMIN_GOAL_EDITING = "admin-goal-editing"  # store: {"id": goal id or None for a new goal}; None while closed
ADMIN_GOAL_FORM = "admin-goal-form"
ADMIN_GOAL_HEADING = "admin-goal-heading"
ADMIN_GOAL_STATE = "admin-goal-state"
ADMIN_GOAL_SAVE = "admin-goal-save"
ADMIN_GOAL_PUBLISH = "admin-goal-publish"
ADMIN_GOAL_RETIRE = "admin-goal-retire"
ADMIN_GOAL_CONFIRM = "admin-goal-confirm"
ADMIN_GOAL_PENDING = "admin-goal-pending"  # store: the action waiting for the confirmation

ADMIN_MEASURES_LIST = "admin-measures-list"
ADMIN_MEASURES_RESULT = "admin-measures-result"
ADMIN_MEASURES_CHANGED = "admin-measures-changed"
ADMIN_MEASURE_NEW = "admin-measure-new"
ADMIN_MEASURE_EDIT = "admin-measure-edit"  # pattern-matching type: {"type": ..., "id": measure id}
ADMIN_MEASURE_EDITING = "admin-measure-editing"
ADMIN_MEASURE_FORM = "admin-measure-form"
ADMIN_MEASURE_HEADING = "admin-measure-heading"
ADMIN_MEASURE_STATE = "admin-measure-state"
ADMIN_MEASURE_SAVE = "admin-measure-save"
ADMIN_MEASURE_PUBLISH = "admin-measure-publish"
ADMIN_MEASURE_RETIRE = "admin-measure-retire"
ADMIN_MEASURE_DELETE = "admin-measure-delete"
ADMIN_MEASURE_CONFIRM = "admin-measure-confirm"
ADMIN_MEASURE_PENDING = "admin-measure-pending"
ADMIN_MEASURE_REASON_GROUP = "admin-measure-reason-group"  # pattern-matching type: {"type": ..., "id": 0}
ADMIN_MEASURE_REASON_HINT = "admin-measure-reason-hint"  # pattern-matching type

# The forms' controls are built when a goal or measure is opened (they are not in the page's first load), so their
# ids are pattern-matching: {"type": ADMIN_GOAL_FIELD, "field": "title"} and the message under it, ADMIN_GOAL_ERROR.
ADMIN_GOAL_FIELDS = "admin-goal-fields"  # the container the opened goal's controls are drawn into
ADMIN_GOAL_FIELD = "admin-goal-field"
ADMIN_GOAL_ERROR = "admin-goal-error"
ADMIN_MEASURE_FIELDS = "admin-measure-fields"
ADMIN_MEASURE_FIELD = "admin-measure-field"
ADMIN_MEASURE_ERROR = "admin-measure-error"


def admin_field(form: str, name: str) -> dict[str, str]:
    """The id of a control of an admin form ("goal" or "measure"), e.g. the measure's target value."""
    return {"type": f"admin-{form}-field", "field": name}


def admin_error(form: str, name: str) -> dict[str, str]:
    """The id of the message under a control of an admin form, filled when the field is refused."""
    return {"type": f"admin-{form}-error", "field": name}


def dom_id(component_id: str | dict) -> str:
    """The id a component has in the page (Dash writes a pattern-matching id as sorted, compact JSON)."""
    if isinstance(component_id, str):
        return component_id
    return "{" + ",".join(f"{json.dumps(key)}:{json.dumps(component_id[key])}" for key in sorted(component_id)) + "}"
# Workbook import and export (/admin/import)
ADMIN_IMPORT_UPLOAD = "admin-import-upload"
ADMIN_IMPORT_PREVIEW = "admin-import-preview"
ADMIN_IMPORT_APPLY = "admin-import-apply"
ADMIN_IMPORT_RESULT = "admin-import-result"
# Spreadsheet upload (/entry/upload): templates, the file, its preview and applying it
ENTRY_UPLOAD_MONTH = "entry-upload-month"  # the month of the templates to download
ENTRY_UPLOAD_TEMPLATE_CSV = "entry-upload-template-csv"
ENTRY_UPLOAD_TEMPLATE_XLSX = "entry-upload-template-xlsx"
ENTRY_UPLOAD = "entry-upload"  # dcc.Upload
ENTRY_UPLOAD_PREVIEW = "entry-upload-preview"
ENTRY_UPLOAD_APPLY = "entry-upload-apply"
ENTRY_UPLOAD_RESULT = "entry-upload-result"  # aria-live message
ENTRY_UPLOAD_CHECKED = "entry-upload-checked"  # store: the fingerprint of the preview shown
