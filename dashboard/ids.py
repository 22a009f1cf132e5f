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
FILTER_SUMMARY = "filter-summary"

OVERVIEW_HEADLINE = "overview-headline"
OVERVIEW_TREND = "overview-trend"
OVERVIEW_SOURCES = "overview-sources"
OVERVIEW_FEEDS = "overview-feeds"

WHERE_LEVEL = "where-level"
WHERE_MEASURE = "where-measure"
WHERE_MAP = "where-map"
WHERE_TOP = "where-top"
WHERE_HOTSPOTS = "where-hotspots"
WHERE_HOTSPOT_TABLE = "where-hotspot-table"
WHERE_GAP = "where-gap"
WHERE_GAP_TABLE = "where-gap-table"

WHEN_HEATMAP = "when-heatmap"
WHEN_NTE = "when-nte"
WHEN_TREND = "when-trend"
WHEN_SEASON = "when-season"
WHEN_COMPARE = "when-compare"

HOW_GROUP = "how-group"
HOW_WEAPON = "how-weapon"
HOW_LOCATION = "how-location"
HOW_DOMESTIC = "how-domestic"
HOW_RELATIONSHIP = "how-relationship"

WHO_VICTIMS = "who-victims"
WHO_SUSPECTS = "who-suspects"
WHO_ETHNICITY = "who-ethnicity"
WHO_PROBATION = "who-probation"
WHO_PROBATION_OFFENCE = "who-probation-offence"
WHO_YOUTH = "who-youth"
WHO_REPEAT = "who-repeat"

FACTORS_CHOICE = "factors-choice"
FACTORS_SCATTER = "factors-scatter"
FACTORS_RANKED = "factors-ranked"
FACTORS_DECILES = "factors-deciles"

QUALITY_COVERAGE = "quality-coverage"
QUALITY_COMPLETENESS = "quality-completeness"
QUALITY_TIMELINESS = "quality-timeliness"
QUALITY_REASONS = "quality-reasons"
QUALITY_HISTORY = "quality-history"
QUALITY_UNKNOWN_CODES = "quality-unknown-codes"


def alt(graph_id: str) -> str:
    """The id of a chart's text alternative."""
    return f"{graph_id}-alt"


DOWNLOAD = "chart-download"  # pattern-matching: {"type": DOWNLOAD, "chart": name, "fmt": fmt}
DOWNLOAD_TARGET = "download-target"

# Which catalogue chart each graph shows (downloads build the same chart by name).
CHART_OF = {
    OVERVIEW_TREND: "overview-trend",
    WHERE_MAP: "where-map",
    WHERE_HOTSPOTS: "where-hotspots",
    WHERE_GAP: "where-gap",
    WHEN_HEATMAP: "when-heatmap",
    WHEN_TREND: "when-monthly",
    WHEN_SEASON: "when-seasonality",
    WHEN_COMPARE: "when-police-ae",
    HOW_GROUP: "how-offence-group",
    HOW_WEAPON: "how-weapon",
    HOW_LOCATION: "how-location",
    HOW_DOMESTIC: "how-domestic-abuse",
    HOW_RELATIONSHIP: "how-relationship",
    WHO_VICTIMS: "who-victims",
    WHO_SUSPECTS: "who-suspects",
    WHO_ETHNICITY: "who-ethnicity",
    WHO_PROBATION: "who-probation-risk",
    WHO_PROBATION_OFFENCE: "who-probation-offence",
    WHO_YOUTH: "who-youth-age",
    WHO_REPEAT: "who-youth-repeat",
    FACTORS_SCATTER: "factors-scatter",
    FACTORS_DECILES: "factors-deciles",
    QUALITY_COVERAGE: "quality-coverage",
}

REPORT_BUTTON = "report-button"
REPORT_STATUS = "report-status"
REPORT_DOWNLOAD = "report-download"
