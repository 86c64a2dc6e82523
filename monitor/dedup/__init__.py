"""dedup: which stories are the same story. Pure.

    from monitor.dedup import Clusterer, DedupConfig
    clusterer = Clusterer(DedupConfig(window=timedelta(hours=72), preset="default"))
    assignment = clusterer.add(story)        # Assignment(cluster, duplicate_of, reason), in arrival order
    clusterer.restore(stored_story, cluster) # at start-up: rebuild the window without deciding again

Exact identity (``identity``: same canonical link, else same title and summary) always joins. Near-identical
copies (a wire story retitled, trimmed, with a dateline, a credit or a footer added) join when one carries most
of the other's text word for word; a roundup quoting a paragraph, a follow-up or an analysis stays apart.

Modules, in the order a story meets them: ``identity`` (exact keys), ``clean`` (what republishers add),
``sketch`` (shingles, winnowed keys), ``index`` (keys → stories in the window), ``verify`` (the pairwise
check), ``thresholds`` (every number, and the presets), ``cluster`` (the clusterer).
"""

from monitor.dedup.cluster import Assignment, Clusterer, DedupConfig
from monitor.dedup.identity import canonical_link, identity
from monitor.dedup.thresholds import PRESETS, Thresholds

__all__ = ["PRESETS", "Assignment", "Clusterer", "DedupConfig", "Thresholds", "canonical_link", "identity"]
