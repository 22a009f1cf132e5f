"""Component ids, one place, prefixed per page."""

URL = "url"
FILTERS = "filters"  # dcc.Store holding the canonical query string (never rows)
URL_SYNC = "url-sync"
FILTER_MESSAGES = "filter-messages"
WAREHOUSE_ALERT = (
    "warehouse-alert"  # damage to the warehouse, named (never figures from what is left)
)
NAV_LINK = "nav-link"  # pattern-matching: {"type": NAV_LINK, "path": "/where"}

F_DISTRICT = "filter-district"
F_WARD = "filter-ward"
F_FROM = "filter-from"
F_TO = "filter-to"
F_GROUP = "filter-group"
F_SOURCE = "filter-source"
F_DEFINITION = "filter-definition"
F_RESET = "filter-reset"
# Who (the person the filters describe, their age, sex, ethnic group) and a period shortcut.
F_PERSON = "filter-person"
F_AGE = "filter-age"
F_SEX = "filter-sex"
F_ETHNICITY = "filter-ethnicity"
F_PERIOD = "filter-period"  # a whole calendar or financial year: sets From and To
WHO_CLEAR = "who-clear"  # pattern-matching: {"type": WHO_CLEAR, "key": "age"}
FILTER_SUMMARY = "filter-summary"

# Page controls (dashboard.controls gives each its URL parameter). Views have no constants
# here: a view's component id is its catalogue name (``dashboard.charts.catalogue.CHARTS``).
WHERE_LEVEL = "where-level"
WHERE_MEASURE = "where-measure"
FACTORS_CHOICE = "factors-choice"
WHO_MEASURE = "who-measure"
WHO_REFERENCE = "who-reference"
VIEW = "view"  # dcc.Store: {"page": path, "query": the page controls' URL parameters}
HISTORY = "history"  # dcc.Store: whether the last filter change adds a Back step (a user's)
F_DETAIL = "filter-detail"  # the active click filters (weapon, place, day, hour), removable
DETAIL_CLEAR = "detail-clear"  # pattern-matching: {"type": DETAIL_CLEAR, "key": "weapon"}


def alt(graph_id: str) -> str:
    """The id of a chart's text alternative."""
    return f"{graph_id}-alt"


DOWNLOAD = "chart-download"  # pattern-matching: {"type": DOWNLOAD, "chart": name, "fmt": fmt}
DOWNLOAD_TARGET = "download-target"

REPORT_BUTTON = "report-button"
REPORT_STATUS = "report-status"
REPORT_DOWNLOAD = "report-download"

# Boards and saved views (dashboard.saved).
SAVED_NAME = "saved-name"
SAVED_SAVE = "saved-save"
SAVED_STATUS = "saved-status"
SAVED_LIST = "saved-list"
SAVED_DELETE = "saved-delete"  # pattern-matching: {"type": SAVED_DELETE, "name": view name}
