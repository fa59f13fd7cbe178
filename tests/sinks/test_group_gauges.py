from prometheus_client import CollectorRegistry

from sinks.group_gauges import OTHER_GROUP, GroupGauge, GroupGaugeCollector, fold_groups
from sinks.hr import GroupCounts


def counts(group: str, population: int, active: int, window: str = "7d") -> GroupCounts:
    return GroupCounts(group, window, int(window[:-1]), population, active, population - active, 0, 0, 0)


def test_small_groups_fold_into_other() -> None:
    gauges = fold_groups([counts("Sales", 10, 7), counts("Legal", 3, 1), counts("HR", 2, 2)], "department", 5, 50)
    assert GroupGauge("7d", "department", "Sales", 10, 7) in gauges
    assert GroupGauge("7d", "department", OTHER_GROUP, 5, 3) in gauges
    assert len(gauges) == 2


def test_label_limit_keeps_largest_groups() -> None:
    groups = [counts(f"team-{n}", 10 + n, n) for n in range(6)]
    gauges = fold_groups(groups, "team", 1, 3)
    names = [gauge.group for gauge in gauges]
    assert names == ["team-5", "team-4", OTHER_GROUP]
    other = gauges[-1]
    assert other.population == sum(10 + n for n in range(4))
    assert other.active == sum(range(4))


def test_outside_population_groups_left_out() -> None:
    gauges = fold_groups([counts("unknown", 0, 4), counts("former", 0, 2), counts("Sales", 9, 9)], "department", 5, 50)
    assert [gauge.group for gauge in gauges] == ["Sales"]


def test_windows_fold_separately() -> None:
    gauges = fold_groups([counts("Sales", 9, 9, "7d"), counts("Sales", 9, 3, "30d")], "department", 5, 50)
    assert [(gauge.window, gauge.active) for gauge in gauges] == [("7d", 9), ("30d", 3)]


def test_collector_exports_only_on_leader() -> None:
    leader = {"value": True}
    collector = GroupGaugeCollector(lambda: leader["value"])
    registry = CollectorRegistry()
    registry.register(collector)
    collector.update([GroupGauge("7d", "department", "Sales", 10, 7)])
    labels = {"window": "7d", "dimension": "department", "group": "Sales"}
    assert registry.get_sample_value("socialitica_population_users", labels) == 10
    assert registry.get_sample_value("socialitica_group_active_users", labels) == 7
    leader["value"] = False
    assert registry.get_sample_value("socialitica_population_users", labels) is None
