"""Type-checked use of the API (``mypy --strict --warn-unused-ignores``, run by test_typing.py).

Not collected by pytest: it is only checked, never run. Every annotated variable below must be
accepted; each ``# type: ignore[typeddict-item]`` marks a deliberate mistake mypy must report
(``--warn-unused-ignores`` fails if it does not).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import custfit
from custfit.types import (
    AccountFlags,
    AccountHealth,
    AccountRow,
    AccountTruth,
    Action,
    ActionStatus,
    ActivityRules,
    BacktestReport,
    Band,
    Bucket,
    CapacityPlan,
    ChurnBacktest,
    Clustering,
    CoefficientReport,
    CohortConfig,
    CohortRow,
    DailyActivity,
    DryRun,
    EngagementMomentsDocument,
    Evaluation,
    EventRow,
    Explanation,
    FlagName,
    GoalProgress,
    GrowthAccountingDocument,
    GrowthPeriod,
    HistoryPoint,
    ImprovementPlan,
    InactivityWindowChoice,
    IngestReport,
    Journey,
    LearnedScorecard,
    LearnedWeights,
    LifecycleConfig,
    LoadReport,
    LogisticFit,
    MaturityModel,
    MemoryUsage,
    MetricInfo,
    MomentDef,
    MomentsConfig,
    MomentStatus,
    MomentSummary,
    MrrChurn,
    ParetoTiers,
    Period,
    PhaseHistory,
    PhaseTransition,
    PlanActual,
    PlanCheckDocument,
    PlanOutcome,
    PlanProgress,
    PlanStatus,
    PlanTrackerDocument,
    PlaybookDocument,
    PlayOutcome,
    PlayRun,
    PlayStateDocument,
    QuantileBuckets,
    RetentionCohorts,
    RfmScores,
    RiskEntry,
    Rollup,
    RuleSegmentation,
    ScorecardDocument,
    ScorecardSetDocument,
    ScoreChange,
    SegmentAssignment,
    SimulationConfig,
    SkipReason,
    SubscriptionRow,
    TrackingPolicy,
    UserRow,
    Window,
)


def data(sim: custfit.Simulation) -> None:
    ds = sim.dataset
    report: IngestReport = custfit.Dataset().add_accounts(ds.accounts())
    rows: int = report["accepted"] + len(report["rejected"])
    accounts: list[AccountRow] = ds.accounts()
    seats: int | None = accounts[0]["seats"]
    created: str = accounts[0]["created_at"]
    users: list[UserRow] = ds.users()
    subs: list[SubscriptionRow] = ds.subscriptions()
    minor: int = subs[0]["mrr"]["minor"]
    events: list[EventRow] = ds.events()
    user: str | None = events[0]["user_id"]
    memory: MemoryUsage = ds.memory_usage()
    days: list[DailyActivity] = ds.daily_activity(accounts[0]["id"], sim.end, 7)
    day: str = days[0]["day"]
    truth: list[AccountTruth] = sim.truth
    churned_at: str | None = truth[0]["churned_at"]
    config: SimulationConfig = sim.config
    again = custfit.simulate(config)
    catalog: list[MetricInfo] = custfit.metric_catalog()
    loaded: tuple[custfit.Dataset, LoadReport] = custfit.Dataset.from_files(accounts="accounts.csv")
    print(rows, seats, created, users, minor, user, memory, day, churned_at, again, catalog, loaded)


def churn(sim: custfit.Simulation) -> None:
    ts = custfit.build_training_set(sim.dataset, {"features": {"metrics": ["active_days_30d"]}}, known_at=sim.end)
    train, test = ts.time_split(0.3)
    model = custfit.ChurnModel.fit(train)
    why: Explanation = model.explain([3.0])
    top: str = why["drivers"][0]["feature"]
    value: float | None = why["drivers"][0]["value"]
    coefficients: list[CoefficientReport] | None = model.coefficients()
    if coefficients is not None:
        odds: float = coefficients[0]["odds_ratio"]
        print(odds)
    evaluation: Evaluation = model.evaluate(test)
    auc: float = evaluation["roc_auc"]
    risk: list[RiskEntry] = model.forecast(sim.dataset, sim.end, top=2)
    renewal: str = risk[0]["opportunity_at"]  # RFC 3339 text
    backtest: ChurnBacktest = custfit.churn_backtest(ts, None, folds=2)
    pooled: Evaluation = backtest["pooled"]
    fit: LogisticFit = custfit.fit_logistic([[0.0], [1.0]], [False, True])
    scored: Evaluation = custfit.evaluate_churn([0.1, 0.9], [False, True])
    mrr: MrrChurn = custfit.mrr_churn(sim.dataset, sim.start, sim.end)
    window: InactivityWindowChoice = custfit.choose_inactivity_window(sim.dataset, sim.end)
    unit: str = window["window"]["unit"]
    learned: LearnedScorecard = custfit.learn_scorecard_weights(sim.dataset, custfit.Scorecard.starter().to_dict(), {"dates": []})
    auc_after: float | None = learned["holdout_auc_after"]
    card: ScorecardDocument = learned["scorecard"]
    weights: LearnedWeights = custfit.learn_weights(card, [[50.0]], [True])
    print(top, value, auc, renewal, pooled, fit, scored, mrr, unit, auc_after, weights)
    print(evaluation["roc_aux"])  # type: ignore[typeddict-item]


def segments(snap: custfit.Snapshot) -> None:
    rules: SegmentAssignment = custfit.segment_rules(snap, {"segments": []})
    label: str | None = rules["label"][0]
    tiers: ParetoTiers = custfit.pareto_tiers(snap)
    names: list[str] = [tiers["tiers"][i]["name"] for i in tiers["assignment"]]
    floor: float | None = tiers["tiers"][0]["mrr_floor"]
    buckets: QuantileBuckets = custfit.quantile_buckets(snap)
    bucket: int | None = buckets["bucket"][0]
    rfm: RfmScores = custfit.rfm_scores(snap)
    clusters: Clustering = custfit.fit_clusters(snap)
    assigned: list[int] = custfit.assign_clusters(snap, clusters["model"])
    plan: CapacityPlan = custfit.capacity_plan(snap, None, tiers=list(names))
    csms: int = plan["total_csms"]
    print(label, floor, bucket, rfm, assigned, csms)
    print(tiers["tier"])  # type: ignore[typeddict-item]


def health(sim: custfit.Simulation) -> None:
    snap = custfit.health_snapshot(sim.dataset, sim.end)
    card = custfit.Scorecard.starter()
    document: ScorecardDocument = card.to_dict()
    penalties = document.get("penalties", [])
    set_document: ScorecardSetDocument = custfit.ScorecardSet({"column": "plan", "cases": [], "default": document}).to_dict()
    bands: list[Band] = card.bands
    scores = card.score(snap)
    row: AccountHealth | None = scores.row(0)
    if row is not None:
        score: float | None = row["score"]
        contribution: float = row["measures"][0]["contribution"]
        if row["override"] is not None:
            expires: str = row["override"]["expires_at"]
            print(expires)
        print(score, contribution)
    rows: list[AccountHealth] = scores.rows()
    earlier = card.score(custfit.health_snapshot(sim.dataset, sim.end - timedelta(days=30)))
    changes: list[ScoreChange] = scores.changes_since(earlier)
    rollup: list[Rollup] = scores.rollup(snap)
    flags: list[AccountFlags] = custfit.detect_flags(sim.dataset, sim.end)
    fired: list[FlagName] = flags[0]["fired"]
    z: float | None = flags[0]["extraction_burst"]["robust_z"]
    with_flags = custfit.add_flag_columns(snap, flags)
    report: BacktestReport = custfit.backtest(sim.dataset, card, {"dates": custfit.backtest_grid(sim.start, sim.end, 30)})
    churn_rate: float | None = report["bands"][0]["churn_rate"]
    history: list[HistoryPoint] = custfit.account_history(custfit.health_history(sim.dataset, card, [sim.end]), "a")
    when: str = history[0]["as_of"]
    print(penalties, set_document, bands, rows, changes, rollup, fired, z, with_flags, churn_rate, when)


def goals(sim: custfit.Simulation) -> None:
    goal = {"metric": {"type": "logins"}, "period": "weekly", "target": 2}
    progress: GoalProgress = custfit.goal_progress(sim.dataset, "a", goal, sim.end, {"amount": 4, "unit": "weeks"})
    everyone: list[GoalProgress] = custfit.goal_progress_all(sim.dataset, goal, sim.end, {"amount": 4, "unit": "weeks"})
    streak: int = progress["current_streak"]
    best = progress["personal_best"]
    if best is not None:
        start: str = best["period_start"]
        print(start)
    day: str = progress["days"][0]["day"]  # RFC 3339 text here, a datetime in daily_activity
    print(everyone, streak, day)


def plays(snap: custfit.Snapshot) -> None:
    trigger = {"type": "condition", "when": "days_since_last_activity > 14"}
    play = {"id": "call", "trigger": trigger, "firing": {"type": "edge"}, "tactic": {"kind": "call"}}
    book = custfit.Playbook({"version": 1, "name": "typed", "plays": [play]})
    document: PlaybookDocument = book.to_dict()
    run, state = custfit.run_playbook(book, snap)
    result: PlayRun = run
    actions: list[Action] = state.open_actions()
    if actions:
        status: ActionStatus = actions[0]["status"]
        state.close(actions[0]["key"], "done", snap.as_of)
        print(status)
    reasons: list[SkipReason] = [s["reason"] for s in run["skipped"]]
    ledger: PlayStateDocument = state.to_dict()
    last: datetime | None = state.last_run
    print(document, result, reasons, ledger, last, custfit.PlayState.from_json(state.to_json()) == state)


def dry_run(sim: custfit.Simulation) -> None:
    book = custfit.Playbook.starter()
    columns: list[str] = custfit.starter_columns()
    config = {"from": sim.end - timedelta(days=14), "to": sim.end, "step": {"amount": 7, "unit": "days"}}
    dry, state = custfit.dry_run(book, sim.dataset, {"version": 1, "tiers": {"version": 1}}, config)
    result: DryRun = dry
    outcomes: list[PlayOutcome] = dry["plays"]
    rate: float | None = outcomes[0]["churn_rate"]
    ledger: custfit.PlayState = state
    print(columns, result, rate, ledger.last_run)


def lifecycle(sim: custfit.Simulation) -> None:
    activity: ActivityRules = {"non_activity_events": [], "pricing_pages": [], "high_severity": [], "high_severity_at_least": 3.0}
    config: LifecycleConfig = {"version": 1, "period": "week", "from": None, "activity": activity}
    growth = custfit.growth_accounting(sim.dataset, sim.end, config)
    period: Period = growth.period
    periods: list[GrowthPeriod] = growth.periods
    quick: float | None = periods[-1]["quick_ratio"]
    buckets: list[Bucket | None] = growth.buckets
    first: list[datetime | None] = growth.first_active
    document: GrowthAccountingDocument = growth.to_dict()
    frame: custfit.Snapshot = sim.dataset.snapshot(sim.end).with_columns(growth, "lifecycle")
    cohort_config: CohortConfig = {
        "version": 1,
        "period": "month",
        "start": "created",
        "measure": "active",
        "periods": 3,
        "from": None,
        "activity": activity,
    }
    cohorts: RetentionCohorts = custfit.retention_cohorts(sim.dataset, sim.end, cohort_config)
    rows: list[CohortRow] = cohorts["rows"]
    logo: list[float | None] = rows[0]["logo"]
    print(period, quick, buckets, first, document, frame, logo)


def moments(sim: custfit.Simulation) -> None:
    week: Window = {"amount": 7, "unit": "days"}
    kickoff: MomentDef = {
        "name": "kickoff",
        "event": "onboarding_step",
        "filter": {"property": "step", "in": ["kickoff"]},
        "expected": week,
        "after": "start",
        "tolerance": week,
        "owner_role": "csm",
    }
    config: MomentsConfig = {
        "version": 1,
        "start": "created",
        "from": sim.start.isoformat(),
        "moments": [kickoff],
        "first_value": None,
        "cadences": [],
    }
    result = custfit.engagement_moments(sim.dataset, sim.end, config)
    journeys: list[Journey] = result.journeys
    status: MomentStatus = journeys[0]["moments"][0]["status"]
    ttfv: float | None = journeys[0]["time_to_first_value_days"]
    summary: list[MomentSummary] = result.summary
    median: float | None = summary[0]["median_days"]
    document: EngagementMomentsDocument = result.to_dict()
    frame: custfit.Snapshot = sim.dataset.snapshot(sim.end).with_columns(result, "onboarding")
    phases: RuleSegmentation = {
        "version": 1,
        "mode": "first_match",
        "segments": [{"name": "new", "condition": "tenure_days < 45"}, {"name": "rest", "condition": "true"}],
        "default_segment": None,
        "limits": {"max_source_len": 4096, "max_depth": 64, "max_nodes": 1024, "max_cost": 10_000_000_000},
    }
    history: PhaseHistory = custfit.phase_history(sim.dataset, [sim.start + timedelta(days=60), sim.end], phases)
    transitions: list[PhaseTransition] = history["transitions"]
    moved: str | None = transitions[0]["from"]
    text: PhaseHistory = custfit.phase_history(sim.dataset, [sim.end], '{"segments": [{"name": "all", "condition": "true"}]}')
    print(status, ttfv, median, document, frame, moved, text)


def tracking(sim: custfit.Simulation) -> None:
    model: MaturityModel = {
        "version": 1,
        "segment_by": "plan",
        "best_in_class": 0.9,
        "phases": [
            {"name": "started", "behaviours": [{"name": "active", "metric": "active_days_30d", "at_least": 1.0}]},
            {"name": "adopting", "behaviours": [{"name": "recent", "metric": "days_since_last_activity", "at_most": 7.0}]},
            {"name": "mature", "behaviours": [{"name": "broad", "metric": "features_used_30d", "at_least": 5.0}]},
        ],
    }
    policy: TrackingPolicy = {"horizon": {"amount": 60, "unit": "days"}}
    tracker = custfit.PlanTracker(policy)
    check: custfit.PlanCheck = tracker.track(sim.dataset.snapshot(sim.end), model)
    at: datetime = check.at
    made: int = check.plans_made + check.achieved + check.regressed + check.expired + check.model_changed
    accounts: list[PlanProgress] = check.accounts
    status: PlanStatus = accounts[0]["status"]
    closed: PlanOutcome | None = accounts[0]["closed"]
    progress: float | None = accounts[0]["progress"]
    plans: list[ImprovementPlan] = tracker.plans_of(accounts[0]["account_id"])
    outcome: PlanOutcome | None = plans[0].get("outcome")
    actuals: list[PlanActual] = tracker.actuals
    checks: list[datetime] = tracker.checks
    document: PlanTrackerDocument = tracker.to_dict()
    again: custfit.PlanTracker = custfit.PlanTracker.from_json(document)
    result: PlanCheckDocument = check.to_dict()
    frame: custfit.Snapshot = sim.dataset.snapshot(sim.end).with_columns(check, "plan")
    plan: ImprovementPlan = tracker.plans[0]
    print(plan["due_at"])  # type: ignore[typeddict-item]
    print(at, made, status, closed, progress, outcome, actuals, checks, again == tracker, result, frame, tracker.policy)


def main() -> None:
    sim = custfit.simulate(accounts=50, days=120, seed=1)
    data(sim)
    churn(sim)
    segments(sim.dataset.snapshot(sim.end))
    health(sim)
    goals(sim)
    plays(sim.dataset.snapshot(sim.end))
    dry_run(sim)
    lifecycle(sim)
    moments(sim)
    tracking(sim)
