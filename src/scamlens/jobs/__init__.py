"""Jobs: the library entry points that chain sources, cleaning and indicators.

The CLI and the service call these; they take a :class:`~scamlens.settings.Settings`
and return results, and never print.
"""
