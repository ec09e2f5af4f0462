"""The language layer: taxonomy, script library, matching, dialogue labels, backends.

Public entry points:

* :func:`label_flags` - fill empty outcome flags of outreach records from transcripts
  (the batch core's hook) and raise ``victim_now`` alerts.
* :func:`get_backend` - the configured backend (``rules``, ``model`` or ``llm``) with
  ``classify`` and ``label``.
* :func:`classify_table` - append fraud_type, confidence, script_id and evidence.
* the library: :func:`default_library`, :class:`Library`, YAML and warehouse storage.
"""

from scamlens.language.backends import (
    Backend,
    Classification,
    backend_names,
    get_backend,
    register_backend,
)
from scamlens.language.classify import OUTPUT_COLUMNS, classify_table
from scamlens.language.dialogue import DialogueLabel, DialogueRules, Intent
from scamlens.language.dialogue.flags import label_flags, victim_alerts
from scamlens.language.evaluation import Report, evaluate
from scamlens.language.library import Library, ScriptEntry, default_library
from scamlens.language.matching import Matcher, MatchResult
from scamlens.language.taxonomy import CODES, FRAUD_CODES, NONE, TAXONOMY, Category

__all__ = [
    "CODES",
    "FRAUD_CODES",
    "NONE",
    "OUTPUT_COLUMNS",
    "TAXONOMY",
    "Backend",
    "Category",
    "Classification",
    "DialogueLabel",
    "DialogueRules",
    "Intent",
    "Library",
    "MatchResult",
    "Matcher",
    "Report",
    "ScriptEntry",
    "backend_names",
    "classify_table",
    "default_library",
    "evaluate",
    "get_backend",
    "label_flags",
    "register_backend",
    "victim_alerts",
]
