"""Component ids in one place. The prefix names the audience the server-side guard allows:
`pub-` anyone, `exec-` signed-in staff, `entry-` editors and admins, `admin-` the performance team."""

# Shell (header, navigation) — public: it only shows what the signed-in person may use.
NAV = "pub-nav"
APP_ALERT = "pub-app-alert"  # filled by callbacks.errors when a callback fails

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

# Spreadsheet upload (/entry/upload): templates, the file, its preview and applying it
ENTRY_UPLOAD_MONTH = "entry-upload-month"  # the month of the templates to download
ENTRY_UPLOAD_TEMPLATE_CSV = "entry-upload-template-csv"
ENTRY_UPLOAD_TEMPLATE_XLSX = "entry-upload-template-xlsx"
ENTRY_UPLOAD = "entry-upload"  # dcc.Upload
ENTRY_UPLOAD_PREVIEW = "entry-upload-preview"
ENTRY_UPLOAD_APPLY = "entry-upload-apply"
ENTRY_UPLOAD_RESULT = "entry-upload-result"  # aria-live message
ENTRY_UPLOAD_CHECKED = "entry-upload-checked"  # store: the fingerprint of the preview shown
