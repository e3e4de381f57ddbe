"""`hover secret encrypt|decrypt` on the emulator's KMS: a round trip that creates the stage's key
(rotation on), refusals that write and remove nothing (tampered file, another stage's file, a key
KMS refuses), and a file in the original Hover's format (AES-256-CBC) decrypted."""
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SECRETS = "APP_KEY=base64:c2VjcmV0\nDB_PASSWORD=p@ss=word\n"


def paths(s):
    return s.dir / ".hover" / f"{s.key}-secrets.plain.env", s.dir / ".hover" / f"{s.key}-secrets.env"


def test_round_trip_creates_the_key_and_keeps_the_plain_file_out_of_git(stage):
    s = stage({"region": "us-east-1"})
    plain, enc = paths(s)
    plain.write_text(SECRETS)

    r = s.hover("secret", "encrypt", "--stage", s.key)
    assert r.code == 0, r
    assert f"Created the stage's key alias/{s.name}-secrets-key" in r.stdout, r
    assert not plain.exists() and enc.exists()
    text = enc.read_text()
    assert text.startswith(f"hover-secrets/1\nstage: {s.name}\n"), text
    assert "p@ss" not in text and "p@ss" not in r.stdout + r.stderr
    assert "*-secrets.plain.env" in (s.dir / ".hover" / ".gitignore").read_text().splitlines()
    key = s.aws.kms.describe_key(KeyId=f"alias/{s.name}-secrets-key")["KeyMetadata"]["KeyId"]
    assert s.aws.kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True

    r = s.hover("secret", "decrypt", "-s", s.key)
    assert r.code == 0, r
    assert plain.read_text() == SECRETS
    assert "p@ss" not in r.stdout + r.stderr
    if os.name == "posix":
        assert oct(plain.stat().st_mode & 0o777) == "0o600"

    # Encrypting again reuses the key and writes a different file (fresh data key and nonce).
    r = s.hover("secret", "encrypt", "-s", s.key)
    assert r.code == 0 and "Created" not in r.stdout, r
    assert enc.read_text() != text


def test_refusals_write_and_remove_nothing(stage):
    a = stage({"region": "us-east-1"})
    b = stage({"region": "us-east-1"})
    a_plain, a_enc = paths(a)
    b_plain, b_enc = paths(b)
    a_plain.write_text(SECRETS)
    assert a.hover("secret", "encrypt", "-s", a.key).code == 0

    # Tampered: one base64 character of the data changed.
    good = a_enc.read_text()
    lines = good.splitlines()
    data = lines[-1]
    lines[-1] = data[:-3] + ("A" if data[-3] != "A" else "B") + data[-2:]
    a_enc.write_text("\n".join(lines) + "\n")
    r = a.hover("secret", "decrypt", "-s", a.key)
    assert r.code == 1 and "does not decrypt" in r.stderr, r
    assert not a_plain.exists()
    a_enc.write_text(good)

    # Another stage's file.
    b_enc.write_text(good)
    r = b.hover("secret", "decrypt", "-s", b.key)
    assert r.code == 1 and f"holds the secrets of stage `{a.name}`" in r.stderr, r
    assert not b_plain.exists() and b_enc.read_text() == good

    # A key KMS refuses (disabled): encrypt keeps the plain file and writes nothing.
    key = a.aws.kms.describe_key(KeyId=f"alias/{a.name}-secrets-key")["KeyMetadata"]["KeyId"]
    a.aws.kms.disable_key(KeyId=key)
    a_plain.write_text(SECRETS)
    r = a.hover("secret", "encrypt", "-s", a.key)
    assert r.code == 1 and "KMS" in r.stderr, r
    assert a_plain.read_text() == SECRETS and a_enc.read_text() == good
    r = a.hover("secret", "decrypt", "-s", a.key)
    assert r.code == 1, r  # the plain file exists: never overwritten
    a_plain.unlink()
    r = a.hover("secret", "decrypt", "-s", a.key)
    assert r.code == 1 and "KMS" in r.stderr, r
    assert not a_plain.exists()


def test_a_file_in_the_original_format_is_decrypted(stage):
    s = stage({"region": "us-east-1"})
    plain, enc = paths(s)
    key_id = s.aws.kms.create_key()["KeyMetadata"]["KeyId"]
    s.aws.kms.create_alias(AliasName=f"alias/{s.name}-secrets-key", TargetKeyId=key_id)
    # The original: a data key shown as 32 hex characters; those characters are the AES key.
    hex_key = os.urandom(16).hex()
    blob = s.aws.kms.encrypt(KeyId=key_id, Plaintext=hex_key.encode())["CiphertextBlob"]
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(SECRETS.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(hex_key.encode()), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    enc.write_text(ciphertext.hex() + "------" + blob.hex() + "------" + iv.hex())

    r = s.hover("secret", "decrypt", "--stage", s.key)
    assert r.code == 0, r
    assert "the original Hover's format" in r.stdout, r
    assert plain.read_text() == SECRETS
    # The next encrypt writes hover's format.
    r = s.hover("secret", "encrypt", "--stage", s.key)
    assert r.code == 0, r
    assert enc.read_text().startswith("hover-secrets/1\n")


def test_secrets_whose_key_is_scheduled_for_deletion_stop_plan_and_apply_with_the_way_back(stage):
    import e2e_stages as stages

    s = stage(stages.concept())
    plain, enc = paths(s)
    plain.write_text(SECRETS)
    r = s.hover("secret", "encrypt", "--stage", s.key)
    assert r.code == 0, r
    s.register_image()
    s.apply()
    alias = f"alias/{s.name}-secrets-key"
    key = s.aws.kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    r = s.hover("destroy", s.key, "--auto-approve")
    assert r.code == 0, r
    assert s.aws.kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    # The stage again, with the old encrypted file: stopped before any change, with the way back.
    s.register_image()
    for args in (("plan", s.key, "--image-tag", s.image_tag), ("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)):
        r = s.hover(*args)
        assert r.code == 1, r
        text = " ".join(w for w in r.stderr.split() if w != "|")
        assert "does not decrypt under the stage's current key" in text and "scheduled for deletion" in text, r
        assert f"aws kms cancel-key-deletion --key-id {key}" in text, r
        assert "p@ss" not in r.stdout + r.stderr
    aliases = [a["AliasName"] for a in s.aws.kms.list_aliases()["Aliases"]]
    assert alias not in aliases, "no new key was made"
    stacks = [x["StackName"] for x in s.aws.cloudformation.list_stacks()["StackSummaries"] if x["StackStatus"] != "DELETE_COMPLETE"]
    assert s.name not in stacks

    # The recovery it prints works: the key kept, enabled, the alias back; then the stage applies.
    s.aws.kms.cancel_key_deletion(KeyId=key)
    s.aws.kms.enable_key(KeyId=key)
    s.aws.kms.create_alias(AliasName=alias, TargetKeyId=key)
    r = s.hover("plan", s.key, "--image-tag", s.image_tag)
    assert r.code == 0, r
    s.apply()
    r = s.hover("secret", "decrypt", "-s", s.key)
    assert r.code == 0 and plain.read_text() == SECRETS, r


def test_a_secrets_file_that_is_not_a_regular_file_or_too_large_is_refused(stage):
    s = stage({"region": "us-east-1"})
    plain, enc = paths(s)
    os.symlink("/dev/zero", enc)
    r = s.hover("secret", "decrypt", "-s", s.key)
    assert r.code == 1 and "not a regular file" in r.stderr, r
    enc.unlink()
    os.mkfifo(enc)
    r = s.hover("secret", "decrypt", "-s", s.key)
    assert r.code == 1 and "named pipe" in r.stderr, r
    enc.unlink()
    os.mkfifo(plain)
    r = s.hover("secret", "encrypt", "-s", s.key)
    assert r.code == 1 and "named pipe" in r.stderr, r
    plain.unlink()
    plain.write_text("A=" + "x" * (2 << 20))
    r = s.hover("secret", "encrypt", "-s", s.key)
    assert r.code == 1 and "bytes, over the" in r.stderr, r
