"""Stage manifests the end-to-end tests deploy. `name` is set per test (unique)."""

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0d6e3f1a-1b2c-4d5e-8f90-a1b2c3d4e5f6"


def concept():
    """The concept document's example: http 512/30/100, cli 512/900/10, two workers."""
    return {
        "region": "us-east-1",
        "environment": {"APP_ENV": "dev", "APP_DEBUG": "false"},
        "http": {"memory": 512, "timeout": 30, "concurrency": 100},
        "cli": {"memory": 512, "timeout": 900, "concurrency": 10},
        "queue": {
            "default": {
                "memory": 512,
                "timeout": 120,
                "concurrency": 5,
                "tries": 3,
                "backoff": "5, 10",
                "queues": ["default", "notifications"],
            },
            "priority": {
                "memory": 512,
                "timeout": 300,
                "concurrency": 10,
                "tries": 5,
                "backoff": "1",
                "queues": ["priority"],
            },
        },
    }


DOMAINS_LIST = """\
# Custom domains as a YAML list, with a us-east-1 certificate.
name: {name}
region: us-east-1
http:
  memory: 1024
  timeout: 20
  warm: 3
  domains:
    - app.{name}.example.com
    - www.{name}.example.com
  certificate: %s
cli:
  memory: 256
queue:
  default:
    queues: [default]
""" % CERTIFICATE

DOMAINS_STRING = """\
# Custom domains as the original comma-separated string.
name: {name}
region: us-east-1
http:
  domains: "app.{name}.example.com, admin.{name}.example.com"
  certificate: %s
""" % CERTIFICATE


def vpc():
    """Functions in a VPC, in another region, custom log retention, no warmer."""
    return {
        "region": "eu-west-1",
        "log-retention": 30,
        "vpc": {
            "subnets": ["subnet-0abc1234def567890", "subnet-0abc1234def567891"],
            "security-groups": ["sg-0abc1234def567890"],
        },
        "http": {"memory": 768, "timeout": 25, "warm": 0},
        "cli": {"memory": 512, "timeout": 600, "concurrency": 2},
        "queue": {"default": {"timeout": 90, "tries": 4, "queues": ["default"]}},
    }


def separators():
    """Worker and queue keys with `-` and `_` (they must not become logical ids verbatim)."""
    return {
        "region": "us-east-1",
        "queue": {
            "mail-sender": {
                "memory": 256,
                "timeout": 45,
                "concurrency": 3,
                "tries": 2,
                "backoff": "3, 6, 9",
                "visibility-timeout": 100,
                "queues": ["emails_high", "emails-low"],
            },
            "data_sync": {"timeout": 30, "queues": ["sync"]},
        },
    }


def applied_with_a_change(stage):
    """The concept stage applied, then its manifest edited (http memory 512 -> 1024) but not applied."""
    s = stage(concept())
    s.register_image()
    s.apply()
    s.edit(lambda m: m["http"].update(memory=1024))
    return s


def http_memory(s):
    """The memory of the stage's HTTP function ($LATEST)."""
    return s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-http")["MemorySize"]
