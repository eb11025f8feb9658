"""The ranking math: raw weighted means, per-judge normalisation, spread and ranks. Pure functions.

- A review's score is the weighted mean of its criterion scores, on the rubric's scale.
- An application's raw score is the mean of its reviews' scores.
- Normalisation removes each judge's harshness or leniency: a judge's review scores become z-scores
  over that judge's submitted reviews in the call, then are put back on the rubric's scale with the
  mean and standard deviation of all reviews in the call (``μ + σ·z``), so normalised and raw
  numbers read alike. A judge with fewer than ``MIN_REVIEWS`` reviews, or who gave every
  application the same score, cannot be normalised: their raw scores are used, and the result
  says so.
- The spread is the distance between the highest and the lowest review of an application; a spread
  of at least ``DISAGREEMENT_SHARE`` of the scale's range flags high disagreement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import fmean, pstdev

MIN_REVIEWS = 3
DISAGREEMENT_SHARE = 0.4


@dataclass(frozen=True)
class Review:
    application_id: int
    judge_id: int
    score: float


@dataclass
class Result:
    application_id: int
    reviews_done: int
    reviews_assigned: int
    raw: float | None = None
    normalised: float | None = None
    spread: float | None = None
    disagreement: bool = False
    fallback_judges: list[int] = field(default_factory=list)  # reviews taken raw, not normalised
    raw_rank: int | None = None
    normalised_rank: int | None = None


def weighted_mean(scores: Iterable[tuple[int | float, int | float | Decimal]]) -> float:
    """``[(value, weight), …]`` → Σ value·weight / Σ weight."""
    pairs = [(float(v), float(w)) for v, w in scores]
    total_weight = sum(w for _v, w in pairs)
    if total_weight <= 0:
        raise ValueError("weights must add up to more than zero")
    return sum(v * w for v, w in pairs) / total_weight


@dataclass(frozen=True)
class JudgeStats:
    mean: float
    std: float
    count: int

    @property
    def usable(self) -> bool:
        return self.count >= MIN_REVIEWS and self.std > 0


def judge_stats(reviews: Iterable[Review]) -> dict[int, JudgeStats]:
    by_judge: dict[int, list[float]] = defaultdict(list)
    for review in reviews:
        by_judge[review.judge_id].append(review.score)
    return {
        judge: JudgeStats(mean=fmean(scores), std=pstdev(scores) if len(scores) > 1 else 0.0, count=len(scores))
        for judge, scores in by_judge.items()
    }


def normalised_reviews(reviews: list[Review]) -> dict[tuple[int, int], tuple[float, bool]]:
    """(application, judge) → (normalised score on the rubric's scale, fell back to raw?)."""
    if not reviews:
        return {}
    everything = [r.score for r in reviews]
    overall_mean = fmean(everything)
    overall_std = pstdev(everything) if len(everything) > 1 else 0.0
    stats = judge_stats(reviews)
    result = {}
    for review in reviews:
        judge = stats[review.judge_id]
        if judge.usable and overall_std > 0:
            z = (review.score - judge.mean) / judge.std
            result[(review.application_id, review.judge_id)] = (overall_mean + overall_std * z, False)
        else:
            result[(review.application_id, review.judge_id)] = (review.score, True)
    return result


def competition_ranks(values: Mapping[int, float | None], *, places: int = 6) -> dict[int, int | None]:
    """1, 2, 2, 4 … highest first; equal values (to ``places`` decimals) share a rank; None is unranked."""
    ranked: dict[int, int | None] = {key: None for key, value in values.items() if value is None}
    ordered = sorted(
        ((key, round(value, places)) for key, value in values.items() if value is not None),
        key=lambda kv: (-kv[1], kv[0]),
    )
    previous, previous_rank = None, 0
    for position, (key, value) in enumerate(ordered, start=1):
        rank = previous_rank if value == previous else position
        ranked[key] = rank
        previous, previous_rank = value, rank
    return ranked


def rank_applications(
    reviews: list[Review],
    assigned: Mapping[int, int],
    *,
    scale_range: float,
) -> dict[int, Result]:
    """Results for every application in ``assigned`` (application id → judges assigned)."""
    normalised = normalised_reviews(reviews)
    by_application: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_application[review.application_id].append(review)
    results = {}
    for application_id, count in assigned.items():
        own = by_application.get(application_id, [])
        result = Result(application_id=application_id, reviews_done=len(own), reviews_assigned=count)
        if own:
            scores = [r.score for r in own]
            result.raw = fmean(scores)
            values = [normalised[(r.application_id, r.judge_id)] for r in own]
            result.normalised = fmean(v for v, _fell_back in values)
            result.fallback_judges = sorted(
                r.judge_id for r, (_v, fell_back) in zip(own, values, strict=True) if fell_back
            )
            if len(scores) > 1:
                result.spread = max(scores) - min(scores)
                # Compared to 6 decimals, like ranks: 5.6 - 2.0 is 3.5999999999999996 in floating point.
                threshold = round(DISAGREEMENT_SHARE * scale_range, 6)
                result.disagreement = scale_range > 0 and round(result.spread, 6) >= threshold
        results[application_id] = result
    raw_ranks = competition_ranks({a: r.raw for a, r in results.items()})
    normalised_ranks = competition_ranks({a: r.normalised for a, r in results.items()})
    for application_id, result in results.items():
        result.raw_rank = raw_ranks[application_id]
        result.normalised_rank = normalised_ranks[application_id]
    return results
