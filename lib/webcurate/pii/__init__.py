"""PII scrubbing: e-mail addresses, public IPv4 / IPv6 addresses and phone numbers replaced,
with FineWeb's (datatrove ``PIIFormatter``) and Dolma's rules as the base (:mod:`.rules` says
where and why they differ).

``webcurate.pii.scrub(text, settings) -> (text, counts)`` is the pure transform any code can
call; :mod:`.spark` applies it to documents in Spark and :mod:`webcurate.jobs.pii` is the job
(and pipeline stage, after dedup / quality / decontaminate).
"""

from webcurate.pii.rules import Scrubber, scrub, scrubber_for
from webcurate.pii.settings import KINDS, PiiSettings

__all__ = ["KINDS", "PiiSettings", "Scrubber", "scrub", "scrubber_for"]
