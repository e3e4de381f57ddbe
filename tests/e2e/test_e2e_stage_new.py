"""`hover stage new` writes a stage that plans and applies cleanly, and never overwrites."""
import yaml


def test_stage_new_then_plan_and_apply(stage):
    s = stage({"region": "us-east-1"})
    s.manifest_path.unlink()  # hover writes it
    r = s.hover("stage", "new", s.key, "--name", s.name, "--region", "us-east-1")
    assert r.code == 0, r
    hover_dir = s.dir / ".hover"
    for f in (f"{s.key}.yml", ".gitignore", ".Dockerfile", f"{s.key}-secrets.plain.env"):
        assert f"wrote .hover/{f}" in r.stdout, r
        assert (hover_dir / f).exists(), f
    assert (hover_dir / f"{s.key}-secrets.plain.env").read_text() == ""
    assert (hover_dir / ".gitignore").read_text().splitlines() == ["*-secrets.plain.env", "out/"]
    dockerfile = (hover_dir / ".Dockerfile").read_text()
    for target in ("AS base", "AS assets", "AS tests", "AS final"):
        assert target in dockerfile
    s.manifest = yaml.safe_load(s.manifest_path.read_text())
    assert s.manifest["name"] == s.name and s.manifest["http"]["memory"] == 512

    s.register_image("build-1")
    r = s.hover("plan", s.key, "--image-tag", "build-1")
    assert r.code == 0, r
    assert "Warning" not in r.stdout + r.stderr, r
    assert "to change, 0 to destroy." in r.stdout, r
    s.apply()
    s.assert_no_changes()

    # Never overwrites: a second run is refused and changes nothing.
    before = s.manifest_path.read_text()
    r = s.hover("stage", "new", s.key, "--region", "eu-west-1")
    assert r.code == 1 and "already exists" in r.stderr, r
    assert s.manifest_path.read_text() == before


def test_without_a_terminal_the_region_is_a_flag(stage, tmp_path):
    s = stage({"region": "us-east-1"})
    s.manifest_path.unlink()
    r = s.hover("stage", "new", "other")
    assert r.code == 1 and "pass --region" in r.stderr, r
    assert not (s.dir / ".hover" / "other.yml").exists()
