"""Grouping texts that no library entry explains, and naming what they share.

Texts are represented by TF-IDF over character 1-2-grams (function characters
removed) (no model download, robust
to ASR noise) and grouped by average-linkage agglomerative clustering on cosine
distance with a distance threshold, so the number of groups follows the data. A
group's keywords are the jieba words most over-represented in it compared with all
unexplained texts (a class-based TF-IDF), which keeps words that appear everywhere
("您好", "这个") out of the proposal.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scamlens.language.segment import Segmenter

__all__ = ["Cluster", "cluster_texts", "cluster_keywords"]

logger = logging.getLogger(__name__)

MAX_TEXTS = 3000
"""Clustering is quadratic in memory; larger inputs are sampled (deterministically)."""

_STOP = set(
    [
        "您好",
        "你好",
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "一个",
        "什么",
        "没有",
        "就是",
        "可以",
        "已经",
        "现在",
        "然后",
        "因为",
        "所以",
        "但是",
        "如果",
        "还是",
        "这里",
        "那里",
        "自己",
        "一下",
        "时候",
        "知道",
        "需要",
        "进行",
        "请问",
        "的话",
        "这样",
        "怎么",
        "还有",
        "今天",
        "明天",
        "我",
        "你",
        "他",
        "她",
        "的",
        "了",
        "是",
        "在",
        "和",
        "也",
        "都",
        "就",
        "吗",
        "吧",
        "呢",
        "啊",
        "哦",
        "嗯",
    ]
)
# Function characters carry no script; removing them keeps unrelated texts apart.
_FUNCTION_CHARS = re.compile(
    r"[的了是在我你他她您们这那有和就不都也吗吧呢啊哦嗯个一要会\s，。！？、,.!?:：；;]"
)
_WORD = re.compile(r"^[\u4e00-\u9fffa-z]{2,}$")


@dataclass(frozen=True)
class Cluster:
    """Indices (into the clustered texts) of one group, nearest the centre first."""

    members: tuple[int, ...]
    cohesion: float
    """Mean cosine similarity of members to the group centre (0..1)."""


def cluster_texts(
    texts: Sequence[str], *, min_size: int = 3, distance: float = 0.75, seed: int = 11
) -> list[Cluster]:
    """Groups of at least ``min_size`` similar texts, largest first."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    index = list(range(len(texts)))
    if len(index) > MAX_TEXTS:
        index = sorted(random.Random(seed).sample(index, MAX_TEXTS))
    if len(index) < max(2, min_size):
        return []
    docs = [_FUNCTION_CHARS.sub("", texts[i]) for i in index]
    matrix = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=1
    ).fit_transform(docs)
    dense = matrix.toarray()
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
    )
    assignment = model.fit_predict(dense)
    clusters = []
    for label in set(assignment.tolist()):
        rows = np.flatnonzero(assignment == label)
        if len(rows) < min_size:
            continue
        centre = dense[rows].mean(axis=0)
        norm = np.linalg.norm(centre) or 1.0
        sims = dense[rows] @ centre / norm
        order = rows[np.argsort(-sims)]
        clusters.append(
            Cluster(
                tuple(index[r] for r in order.tolist()), round(float(sims.mean()), 3)
            )
        )
    clusters.sort(key=lambda c: (-len(c.members), -c.cohesion))
    logger.info("clustered texts=%d groups=%d", len(docs), len(clusters))
    return clusters


def cluster_keywords(
    texts: Sequence[str], members: Sequence[int], segmenter: Segmenter, *, top: int = 12
) -> list[str]:
    """Words over-represented in ``members`` relative to all ``texts``."""
    doc_words = [
        set(w for w in segmenter.cut(t) if _WORD.match(w) and w not in _STOP)
        for t in texts
    ]
    overall = Counter(w for words in doc_words for w in words)
    inside = Counter(w for i in members for w in doc_words[i])
    n_all, n_in = len(texts), len(members)
    scored = []
    for word, count in inside.items():
        if count < 2 and n_in > 2:
            continue
        share_in = count / n_in
        share_all = overall[word] / n_all
        scored.append((share_in * math.log(1 + share_in / share_all), word))
    scored.sort(reverse=True)
    return [w for _, w in scored[:top]]
