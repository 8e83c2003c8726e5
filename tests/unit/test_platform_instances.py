"""Several processes of one service in the local platform: named, on ports of their own, with its settings."""

from __future__ import annotations

from pathlib import Path

from localstack.platform import Platform


def test_extra_instances_are_named_and_get_ports_and_settings_of_their_own(tmp_path: Path) -> None:
    platform = Platform(tmp_path, instances={"exam": 2, "scoring": 3})

    assert platform.instance_names("exam") == ["exam", "exam-2"]
    assert platform.instance_names("scoring") == ["scoring", "scoring-2", "scoring-3"]
    assert platform.instance_names("notify") == ["notify"]
    ports = [platform.ports[name] for name in ("exam", "exam-2", "scoring", "scoring-2", "scoring-3")]
    assert len(set(ports)) == len(ports)
    env = platform.env("scoring-3")
    assert env["SCORING_PORT"] == str(platform.ports["scoring-3"])
    assert env["SCORING_DATABASE_URL"] == platform.postgres.url("scoring")
    assert "SCORING-3_PORT" not in env
    assert platform.log("exam-2") == tmp_path.resolve() / "logs" / "exam-2.log"


def test_one_instance_each_by_default(tmp_path: Path) -> None:
    platform = Platform(tmp_path)

    assert all(platform.instance_names(s) == [s] for s in ("registration", "exam", "scoring", "notify", "gateway"))
    assert platform.env("exam")["EXAM_PORT"] == str(platform.ports["exam"])


def test_a_service_may_have_a_postgresql_of_its_own(tmp_path: Path) -> None:
    platform = Platform(tmp_path, own_postgres=("exam",))

    exam, scoring = platform.env("exam")["EXAM_DATABASE_URL"], platform.env("scoring")["SCORING_DATABASE_URL"]
    assert exam == platform.own["exam"].url("exam") == platform.database_url("exam")
    assert scoring == platform.postgres.url("scoring") == platform.database_url("scoring")
    assert platform.own["exam"].port != platform.postgres.port
    assert platform.own["exam"].data_dir != platform.postgres.data_dir


def test_on_one_machine_notify_yields_the_cpu_to_the_others(tmp_path: Path) -> None:
    platform = Platform(tmp_path)

    assert platform.env("notify")["NOTIFY_CPU_NICE"] == "10"
    assert "EXAM_CPU_NICE" not in platform.env("exam") and "SCORING_CPU_NICE" not in platform.env("scoring")
