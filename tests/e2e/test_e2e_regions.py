"""The stage's region is the manifest's, always; a profile the manifest names must exist and is
the one used; what of the environment is ignored is said once; the plan's header names account,
region and profile."""
import e2e_stages as stages


def test_the_manifest_region_wins_over_the_environment(stage, aws_factory):
    s = stage(stages.concept())  # us-east-1
    s.register_image()
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag, env={"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"})
    assert r.code == 0, r
    assert r.stdout.count("AWS_REGION=eu-west-1 is ignored") == 1, r
    assert f"Stage {s.name}: account 123456789012, region us-east-1, credentials from the environment" in r.stdout, r
    # Everything is in us-east-1: the stack, the bucket, the functions.
    assert aws_factory("us-east-1").cloudformation.describe_stacks(StackName=s.name)["Stacks"]
    stacks = aws_factory("eu-west-1").cloudformation.list_stacks()["StackSummaries"]
    assert not [x for x in stacks if x["StackName"] == s.name], "a stack was made in the environment's region"
    r = s.hover("plan", s.key, "--detailed-exitcode", env={"AWS_REGION": "eu-west-1"})
    assert r.code == 0, r
    assert "No changes." in r.stdout, r


def test_a_named_profile_must_exist_and_is_used(stage, tmp_path):
    m = stages.concept()
    m["aws-profile"] = "shop-deploy"
    s = stage(m)
    config = tmp_path / "config"
    creds = tmp_path / "credentials"
    config.write_text("[profile other]\nregion = eu-west-1\n")
    creds.write_text("[other]\naws_access_key_id = test\naws_secret_access_key = test\n")
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(creds)}
    r = s.hover("plan", s.key, env=env)
    assert r.code == 1, r
    said = "".join(r.stderr.replace("|", "").split())  # miette wraps long lines
    assert "theprofile`shop-deploy`" in said and "doesnotexist" in said, r
    assert str(config) in said, said

    config.write_text("[profile shop-deploy]\nregion = eu-west-1\n")
    creds.write_text("[shop-deploy]\naws_access_key_id = test\naws_secret_access_key = test\n")
    s.register_image()
    r = s.hover("plan", s.key, "--image-tag", s.image_tag, env={**env, "AWS_PROFILE": "other"})
    assert r.code == 0, r
    assert "region us-east-1, profile shop-deploy" in r.stdout, r
    assert "AWS_PROFILE=other is ignored" in r.stdout, r
    assert "AWS_ACCESS_KEY_ID) are ignored" in r.stdout, r
