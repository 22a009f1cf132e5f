"""The dashboard: a multi-page Dash app over the warehouse's published snapshots.

Text columns of the app's frames are held as Python strings (``mode.string_storage``), not in
Arrow: the dtype is still pandas' ``str`` with NaN for missing, but the app's frames are small
(what a chart draws) and are indexed, mapped and turned into JSON value by value, which Arrow
strings make dearer (each element boxed anew); cold page builds are about a tenth faster.
"""

import pandas as pd

pd.set_option("mode.string_storage", "python")
