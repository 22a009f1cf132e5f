"""Component ids, one place, prefixed per page."""

URL = "url"
FILTER_MESSAGES = "filter-messages"
OVERVIEW_HEADLINE = "overview-headline"
OVERVIEW_TREND = "overview-trend"
OVERVIEW_FEEDS = "overview-feeds"
